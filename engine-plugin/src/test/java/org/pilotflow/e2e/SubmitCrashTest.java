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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/**
 * A crash inside {@code submitUnits} leaves a documented result: a prefix of whole chunks of the units, in the order
 * given, each of which runs; nothing else. The application is killed with SIGKILL while one call submits 4,000
 * units; after a reconnect the stored units are unit.000000 up to a multiple of the chunk size, and all end DONE.
 */
class SubmitCrashTest {

    @TempDir
    Path work;

    @Test
    void aCrashWhileSubmittingLeavesAPrefixOfWholeChunks() throws Exception {
        int n = 4000;
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
                if (stored >= 500 || finished) {
                    break;
                }
            }
            app.destroyForcibly(); // SIGKILL inside submitUnits
            assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(finished).as("the kill came before submitUnits returned").isFalse();
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work)).reconnect(sessionId)) {
            UnitManager umgr = session.unitManagers().get(0);
            List<String> uids = umgr.listUnits();
            assertThat(uids.size()).as("a prefix of whole chunks").isGreaterThanOrEqualTo(stored)
                    .isLessThan(n);
            assertThat(uids.size() % 200).isZero();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < uids.size(); i++) {
                expected.add(String.format("unit.%06d", i));
            }
            assertThat(uids).isEqualTo(expected);
            assertThat(umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(3))).containsOnly(UnitState.DONE);
        }
    }
}
