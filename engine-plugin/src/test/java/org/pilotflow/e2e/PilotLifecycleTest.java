package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
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
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/** Behaviours 4, 5 and 6: cancel a pilot, a pilot's runtime running out, an agent killed with SIGKILL. */
class PilotLifecycleTest {

    @TempDir
    Path work;

    static long agentPid(ComputePilot p) {
        return LocalFixture.agentPid(p);
    }

    static void awaitGone(long pid, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("process " + pid + " still alive after " + timeout);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void cancelingAPilotGoesThroughCancelingEndsItsAgentAndCancelsItsRunningUnits() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = LocalFixture.activePilot(pmgr, work, 2);
            long agent = agentPid(pilot);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnit> units = umgr.submitUnits(List.of(
                    ComputeUnitDescription.builder().executable("/bin/sleep").arguments("60").build(),
                    ComputeUnitDescription.builder().executable("/bin/sleep").arguments("60").build(),
                    ComputeUnitDescription.builder().executable("/bin/sleep").arguments("60").build()));
            umgr.waitUnits(List.of(units.get(0).uid(), units.get(1).uid()), List.of(UnitState.EXECUTING),
                    Duration.ofSeconds(30));

            pmgr.cancelPilots(List.of(pilot.uid()));
            assertThat(pilot.waitFor(Duration.ofSeconds(30))).isEqualTo(PilotState.CANCELED);
            List<PilotState> history = pilot.stateHistory().stream().map(StateEntry::state).toList();
            assertThat(history).containsSubsequence(PilotState.ACTIVE, PilotState.CANCELING, PilotState.CANCELED);
            awaitGone(agent, Duration.ofSeconds(15));
            for (ComputeUnit u : units) {
                assertThat(u.waitFor(Duration.ofSeconds(5))).isEqualTo(UnitState.CANCELED);
            }
            // the pilot's process instance ended through its cancel path, stopped by the agent
            String instance = LocalFixture.awaitInstanceEnded(session.processEngine(), pilot.uid(),
                    Duration.ofSeconds(30));
            assertThat(session.processEngine().getHistoryService().createHistoricActivityInstanceQuery()
                    .processInstanceId(instance).activityId("stoppedByAgent").count()).isEqualTo(1);
        }
    }

    @Test
    void aPilotWhoseRuntimeRunsOutEndsDoneAndItsUnfinishedUnitsFailWithThatReason() throws Exception {
        // long enough for the quick unit to end and the next to start on a saturated machine; the test waits it out
        Duration runtime = Duration.ofSeconds(30);
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = pmgr.submitPilot(LocalFixture.localPilot(work, 1)
                    .runtime(runtime).build());
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit quick = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            ComputeUnit running = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("300").build());
            ComputeUnit queued = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("300").build());
            assertThat(quick.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.DONE);
            assertThat(running.waitFor(Duration.ofSeconds(30), UnitState.EXECUTING))
                    .as("started before the runtime ran out").isEqualTo(UnitState.EXECUTING);

            assertThat(pilot.waitFor(Duration.ofSeconds(100))).isEqualTo(PilotState.DONE);
            Duration ran = Duration.between(
                    pilot.stateHistory().stream().filter(e -> e.state() == PilotState.ACTIVE).findFirst()
                            .orElseThrow().time(),
                    pilot.stateHistory().get(pilot.stateHistory().size() - 1).time());
            assertThat(ran).isBetween(runtime.minusSeconds(5), runtime.plusSeconds(15));
            for (ComputeUnit u : List.of(running, queued)) {
                assertThat(u.waitFor(Duration.ofSeconds(10))).isEqualTo(UnitState.FAILED);
                assertThat(u.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("runtime expired"));
            }
            assertThat(quick.state()).isEqualTo(UnitState.DONE);
        }
    }

    @Test
    void aKilledAgentFailsThePilotRestartableUnitsRunAgainElsewhereOthersFailAsPilotLost() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot doomed = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(doomed);
            Path marks = work.resolve("runs.log");
            ComputeUnit restartable = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo $PILOTFLOW_PILOT_ID >> " + marks + "; sleep 4").restartable(true).build());
            ComputeUnit plain = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("60").build());
            umgr.waitUnits(List.of(restartable.uid(), plain.uid()), List.of(UnitState.EXECUTING),
                    Duration.ofSeconds(30));
            ComputePilot spare = LocalFixture.activePilot(pmgr, work, 2);
            umgr.addPilot(spare);

            ProcessHandle.of(agentPid(doomed)).orElseThrow().destroyForcibly(); // SIGKILL
            assertThat(doomed.waitFor(Duration.ofSeconds(30))).isEqualTo(PilotState.FAILED);
            // found by the batch-job watcher (the agent is gone, its units were left), not by the heartbeat
            // timeout; the engine then killed what was left of the job before running the unit again
            assertThat(doomed.reason()).hasValueSatisfying(r -> assertThat(r).contains("pilot lost")
                    .contains("agent process " + agentPid(doomed)).contains("orphaned unit processes"));

            assertThat(plain.waitFor(Duration.ofSeconds(10))).isEqualTo(UnitState.FAILED);
            assertThat(plain.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("pilot lost"));

            assertThat(restartable.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.DONE);
            assertThat(restartable.pilot()).contains(spare.uid());
            assertThat(restartable.stateHistory().get(restartable.stateHistory().size() - 1).attempt()).isEqualTo(2);
            assertThat(Files.readAllLines(marks)).containsExactly(doomed.uid(), spare.uid());
            assertThat(spare.state()).isEqualTo(PilotState.ACTIVE);
        }
    }
}
