package org.pilotflow.e2e;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/**
 * The application {@link SubmitCrashTest} kills in the middle of {@code submitUnits}: it prints its session id,
 * then "STORED uid" for each unit whose chunk has committed (from a callback), while one call submits {@code n}.
 */
public final class SubmitScenario {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .orphanTimeout(java.time.Duration.ofMinutes(2)).build()).create();
        System.out.println("SESSION " + session.uid());
        ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
        UnitManager umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        umgr.registerCallback((u, s) -> {
            if (s == UnitState.NEW) {
                System.out.println("STORED " + u.uid());
            }
        });
        List<ComputeUnitDescription> ds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
        }
        umgr.submitUnits(ds);
        System.out.println("SUBMITTED");
        Thread.sleep(Long.MAX_VALUE);
    }
}
