package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.model.UnitState;

/**
 * A crash inside {@code submitUnits} leaves a documented result: a prefix of whole chunks of the units, in the order
 * given, each of which runs; nothing else. A crash after it returned, while this node still starts the stored units'
 * processes, loses none. The application is killed with SIGKILL; the session is reconnected on a new engine, whose
 * watchdog starts what the dead one left, and every stored unit ends DONE.
 */
class SubmitCrashTest {

    private static final int CHUNK = 1000; // UnitManagerImpl.CHUNK

    @TempDir
    Path work;

    @Test
    void aCrashWhileStoringLeavesAPrefixOfWholeChunksThatRuns() throws Exception {
        int n = 30_000; // storing takes seconds: the kill at the first stored chunk comes long before the end
        Killed k = killWhen(n, line -> line.startsWith("STORED "));
        assertThat(k.finished()).as("the kill came before submitUnits returned").isFalse();
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work)).reconnect(k.sessionId())) {
            UnitManager umgr = session.unitManagers().get(0);
            List<String> uids = umgr.listUnits();
            assertThat(uids.size()).as("a prefix of whole chunks").isGreaterThanOrEqualTo(k.stored())
                    .isLessThan(n);
            assertThat(uids.size() % CHUNK).isZero();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < uids.size(); i++) {
                expected.add(String.format("unit.%06d", i));
            }
            assertThat(uids).isEqualTo(expected);
            assertThat(LocalFixture.storedUnitsAndRows(session)).as("counted as stored: the chunks that committed")
                    .containsExactly(uids.size(), uids.size());
            assertThat(umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(5))).containsOnly(UnitState.DONE);
        }
    }

    @Test
    void aCrashWhileTheStoredUnitsStartLosesNone() throws Exception {
        int n = 1500;
        Killed k = killWhen(n, "SUBMITTED"::equals);
        assertThat(k.finished()).isTrue();
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work)).reconnect(k.sessionId())) {
            UnitManager umgr = session.unitManagers().get(0);
            assertThat(umgr.listUnits()).hasSize(n);
            assertThat(LocalFixture.storedUnitsAndRows(session)).containsExactly(n, n);
            assertThat(umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(5))).containsOnly(UnitState.DONE);
            LocalFixture.awaitNoInstances(session.processEngine(), BpmnContract.UNIT_PROCESS);
        }
    }

    private record Killed(String sessionId, int stored, boolean finished) { }

    /** Runs {@link SubmitScenario} submitting {@code n} units and kills it with SIGKILL at the first line {@code at}. */
    private Killed killWhen(int n, Predicate<String> at) throws Exception {
        LocalFixture.database(work);
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SubmitScenario.class.getName(), work.toString(),
                Integer.toString(n)).redirectErrorStream(true).start();
        String sessionId = null;
        int stored = 0;
        boolean finished = false;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("SESSION ")) {
                    sessionId = line.substring(8).strip();
                } else if (line.startsWith("STORED ")) {
                    stored++;
                } else if (line.equals("SUBMITTED")) {
                    finished = true;
                }
                if (at.test(line)) {
                    break;
                }
            }
            app.destroyForcibly();
            assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(sessionId).as("the application's session").isNotNull();
        return new Killed(sessionId, stored, finished);
    }
}
