package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/** Behaviour 1: many units on a 2-core local pilot, run by a real agent process. */
class LocalPilotTest {

    @TempDir
    Path work;

    @Test
    void twoHundredDateUnitsAllDoneWithStdout() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                ds.add(ComputeUnitDescription.builder().name("date-" + i).executable("/bin/date").build());
            }
            List<ComputeUnit> units = umgr.submitUnits(ds);
            List<UnitState> states = umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(3));
            assertThat(states).hasSize(200).containsOnly(UnitState.DONE);
            for (ComputeUnit u : units) {
                assertThat(u.exitCode()).contains(0);
                assertThat(u.stdout()).isNotBlank();
                assertThat(u.pilot()).contains(pilot.uid());
                assertThat(u.stateHistory()).extracting(e -> e.state())
                        .containsExactly(UnitState.NEW, UnitState.UNSCHEDULED, UnitState.SCHEDULING,
                                UnitState.PENDING_INPUT_STAGING, UnitState.STAGING_INPUT,
                                UnitState.PENDING_EXECUTION, UnitState.ALLOCATING, UnitState.EXECUTING,
                                UnitState.PENDING_OUTPUT_STAGING, UnitState.STAGING_OUTPUT, UnitState.DONE);
                assertThat(u.completion()).isCompleted();
            }
            assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
            // a fork pilot declares no node list: its agent uses this host whatever its environment holds
            assertThat(org.pilotflow.model.wire.Wire.mapper().readValue(java.nio.file.Files.readAllBytes(
                    Path.of(pilot.sandbox(), "agent.json")), org.pilotflow.model.wire.AgentConfig.class).nodeList())
                    .isNull();
            // every unit's process instance ended
            LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit");
        }
    }
}
