package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;

/**
 * Behaviour 9: the application is killed with SIGKILL while units run; a new JVM reconnects to the session, and
 * every unit reaches a final state, none runs twice. Real agent, real H2 file database, two real JVMs.
 */
class EngineRestartTest {

    @TempDir
    Path work;

    static PilotFlowConfig config(Path work) {
        return LocalFixture.config(work).toBuilder().orphanTimeout(Duration.ofMinutes(2)).build();
    }

    @Test
    void aKilledApplicationReconnectsAndEveryUnitEndsExactlyOnce() throws Exception {
        int n = 16;
        Path marks = work.resolve("runs.log");
        LocalFixture.database(work); // the child JVM uses the database chosen here
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RestartScenario.class.getName(),
                work.toString(), Integer.toString(n), marks.toString())
                .redirectErrorStream(true).start();
        String sessionId = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(),
                StandardCharsets.UTF_8))) {
            long deadline = System.currentTimeMillis() + 120_000;
            String line;
            while ((line = out.readLine()) != null && System.currentTimeMillis() < deadline) {
                if (line.startsWith("SESSION ")) {
                    sessionId = line.substring(8).trim();
                }
                if (line.equals("READY")) {
                    break;
                }
            }
            assertThat(sessionId).as("the application printed its session id").isNotNull();
            assertThat(line).as("the application got to READY").isEqualTo("READY");
            app.destroyForcibly(); // SIGKILL, while units run
            assertThat(app.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        int doneBeforeKill = Files.readAllLines(marks).size();
        assertThat(doneBeforeKill).isLessThan(n);

        try (Session session = LocalFixture.builder(work, config(work)).reconnect(sessionId)) {
            assertThat(session.uid()).isEqualTo(sessionId);
            UnitManager umgr = session.unitManagers().get(0);
            assertThat(umgr.listUnits()).hasSize(n);
            List<UnitState> states = umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(2));
            assertThat(states).containsOnly(UnitState.DONE);
            Map<String, Integer> runs = new HashMap<>();
            for (String id : Files.readAllLines(marks)) {
                runs.merge(id.trim(), 1, Integer::sum);
            }
            assertThat(runs).hasSize(n);
            assertThat(runs.values()).as("no unit ran twice").containsOnly(1);
            // a unit's continuation job that the killed engine had acquired waits for its lock to expire
            LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit",
                    Session.JOB_LOCK_TIME.plusSeconds(60));
        }
    }
}
