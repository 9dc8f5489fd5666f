package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/** Behaviours 2, 3 and 7 on one real local pilot. */
class UnitLifecycleTest {

    @TempDir
    static Path work;
    static Session session;
    static ComputePilot pilot;
    static UnitManager umgr;

    @BeforeAll
    static void pilot() {
        session = LocalFixture.session(work);
        pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
        umgr = session.createUnitManager();
        umgr.addPilot(pilot);
    }

    @AfterAll
    static void close() {
        session.close();
    }

    @Test
    void unitExitingThreeIsFailedWithExitCodeStderrAndReasonWhileThePilotStaysActive() throws Exception {
        ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "echo about to fail >&2; exit 3").build());
        assertThat(u.waitFor(Duration.ofSeconds(30))).isEqualTo(UnitState.FAILED);
        assertThat(u.exitCode()).contains(3);
        assertThat(u.stderr()).contains("about to fail");
        assertThat(u.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("exit code 3")
                .contains("about to fail"));
        assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
        // the unit's process instance ended on its FAILED path
        String instance = LocalFixture.awaitInstanceEnded(session.processEngine(), u.uid(), Duration.ofSeconds(30));
        assertThat(session.processEngine().getHistoryService().createHistoricProcessInstanceQuery()
                .processInstanceId(instance).singleResult().getEndActivityId()).isEqualTo("unitFailed");
    }

    @Test
    void cancelingARunningSleepEndsItWithinTwoSecondsAndKillsItsProcessTree() throws Exception {
        Path pids = work.resolve("pids-" + System.nanoTime());
        ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "sleep 60 & echo $! >> " + pids + "; sleep 60 & echo $! >> " + pids + "; wait")
                .build());
        u.waitFor(Duration.ofSeconds(30), UnitState.EXECUTING);
        long deadline = System.currentTimeMillis() + 10_000;
        while ((!Files.exists(pids) || Files.readAllLines(pids).size() < 2) && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        List<Long> children = Files.readAllLines(pids).stream().map(String::trim).map(Long::parseLong).toList();
        assertThat(children).hasSize(2).allSatisfy(pid -> assertThat(ProcessHandle.of(pid)).isPresent());

        long start = System.nanoTime();
        umgr.cancelUnits(List.of(u.uid()));
        assertThat(u.waitFor(Duration.ofSeconds(2))).isEqualTo(UnitState.CANCELED);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        for (long pid : children) {
            assertThat(isRunning(pid)).as("process %d still runs", pid).isFalse();
        }
        assertThat(u.failureReason()).isPresent();
        assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
    }

    @Test
    void deletingAUnitsProcessInstanceCancelsTheUnit() throws Exception {
        ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep").arguments("60")
                .build());
        u.waitFor(Duration.ofSeconds(30), UnitState.EXECUTING);
        var runtime = session.processEngine().getRuntimeService();
        String pi = runtime.createProcessInstanceQuery().processInstanceBusinessKey(u.uid()).singleResult().getId();
        runtime.deleteProcessInstance(pi, "operator deleted it in Cockpit");
        assertThat(u.waitFor(Duration.ofSeconds(10))).isEqualTo(UnitState.CANCELED);
        assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
    }

    /** A killed process that init has not reaped yet is a zombie: terminated, so not running. */
    static boolean isRunning(long pid) throws Exception {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    @Test
    void aUnitNeedingMoreCoresThanAnyPilotFailsAtOnceNamingBothNumbers() {
        ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").cores(8).build());
        // failed inside submitUnits itself: no agent round trip
        assertThat(u.state()).isEqualTo(UnitState.FAILED);
        assertThat(u.failureReason()).contains("unit needs 8 cores, largest pilot has 2");
        assertThat(u.pilot()).isEmpty();
    }
}
