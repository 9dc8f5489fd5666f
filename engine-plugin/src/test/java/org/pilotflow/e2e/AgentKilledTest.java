package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

/**
 * A unit's processes die with its agent: after {@code kill -9} of an agent, the engine finds the pilot lost, kills
 * the job's whole process group (the units the dead agent left behind), and only then runs a restartable unit
 * again elsewhere. The restartable unit holds a file lock while it runs ({@code flock -n}): had its orphan still
 * run, the second attempt would fail to get the lock.
 */
class AgentKilledTest {

    @TempDir
    Path work;

    @Test
    void aKilledAgentsUnitsDieAndARestartableOneNeverRunsBesideItsOrphan() throws Exception {
        Path sleeperPid = work.resolve("sleeper.pid");
        Path lock = work.resolve("unit.lock");
        Path runs = work.resolve("runs.log");
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot first = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(first);
            ComputeUnit sleeper = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo $$ > " + sleeperPid + "; exec sleep 300").build());
            ComputeUnit again = umgr.submitUnit(ComputeUnitDescription.builder().executable("/usr/bin/flock")
                    .arguments("-n", lock.toString(), "/bin/sh", "-c", "echo run >> " + runs + "; sleep 4")
                    .restartable(true).build());
            sleeper.waitFor(Duration.ofSeconds(60), UnitState.EXECUTING);
            again.waitFor(Duration.ofSeconds(60), UnitState.EXECUTING);
            waitFor(() -> Files.isRegularFile(runs) && Files.isRegularFile(sleeperPid), "both units started");
            long unitPid = Long.parseLong(Files.readString(sleeperPid).strip());

            ComputePilot second = LocalFixture.activePilot(pmgr, work, 2);
            umgr.addPilot(second);
            long agentPid = LocalFixture.agentPid(first);
            ProcessHandle.of(agentPid).orElseThrow().destroyForcibly(); // kill -9 of the agent alone

            assertThat(first.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(first.reason()).get().asString().contains("pilot lost");
            assertThat(sleeper.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.FAILED);
            assertThat(sleeper.failureReason()).get().asString().contains("pilot lost");
            waitFor(() -> !ProcessHandle.of(unitPid).map(ProcessHandle::isAlive).orElse(false),
                    "the dead agent's unit process " + unitPid + " ended");

            assertThat(again.waitFor(Duration.ofSeconds(90))).isEqualTo(UnitState.DONE);
            assertThat(again.pilot()).contains(second.uid());
            assertThat(again.stateHistory()).extracting(StateEntry::attempt).contains(1, 2);
            assertThat(Files.readAllLines(runs)).as("ran twice, one after the other").hasSize(2);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier ok, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
