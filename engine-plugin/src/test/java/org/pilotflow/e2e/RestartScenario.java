package org.pilotflow.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/**
 * The application that {@link EngineRestartTest} kills: submits a pilot and units, prints its session id, and
 * says READY once a few units are done, then keeps running until it is killed.
 */
public final class RestartScenario {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        Path marks = Path.of(args[2]);
        Session session = LocalFixture.builder(work, EngineRestartTest.config(work)).create();
        System.out.println("SESSION " + session.uid());
        ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
        UnitManager umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        List<ComputeUnitDescription> ds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo $PILOTFLOW_UNIT_ID >> " + marks + "; sleep 1").build());
        }
        List<ComputeUnit> units = umgr.submitUnits(ds);
        while (units.stream().filter(u -> u.state() == UnitState.DONE).count() < 3) {
            units.get(0).waitFor(Duration.ofMillis(100), UnitState.values());
            Thread.sleep(50);
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
