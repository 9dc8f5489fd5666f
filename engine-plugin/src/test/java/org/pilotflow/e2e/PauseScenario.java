package org.pilotflow.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/**
 * The application {@link EnginePauseTest} pauses with SIGSTOP: a pilot runs {@code n} short units; it prints
 * READY once a few are done, then, once every unit is final, the count of each final state and the pilot's states.
 */
public final class PauseScenario {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        Path marks = Path.of(args[2]);
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ds.add(ComputeUnitDescription.builder().executable("/bin/sh")
                        .arguments("-c", "echo $PILOTFLOW_UNIT_ID >> " + marks + "; sleep 0.5").build());
            }
            List<ComputeUnit> units = umgr.submitUnits(ds);
            while (units.stream().filter(u -> u.state() == UnitState.DONE).count() < 4) {
                Thread.sleep(50);
            }
            System.out.println("READY");
            System.out.flush();
            umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(5));
            Map<UnitState, Integer> count = new EnumMap<>(UnitState.class);
            units.forEach(u -> count.merge(u.state(), 1, Integer::sum));
            System.out.println("RESULT " + count);
            System.out.println("PILOT " + pilot.stateHistory().stream().map(StateEntry::state).toList());
            System.out.flush();
        }
    }
}
