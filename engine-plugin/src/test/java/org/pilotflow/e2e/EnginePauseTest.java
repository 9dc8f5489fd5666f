package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application (the engine's JVM) is paused with SIGSTOP for several heartbeat timeouts while its pilot runs
 * units, then resumed: the watchdog must not count the pause as the agent's silence. No unit may fail, and each
 * runs once. (The first releases killed the agent on resume and failed the units that had run.)
 */
class EnginePauseTest {

    @TempDir
    Path work;

    @Test
    void aPausedEngineLosesNoUnit() throws Exception {
        int n = 40;
        Path marks = work.resolve("runs.log");
        LocalFixture.database(work);
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-D" + LocalFixture.DB_PROPERTY + "="
                + System.getProperty(LocalFixture.DB_PROPERTY, "h2"), PauseScenario.class.getName(),
                work.toString(), Integer.toString(n), marks.toString())
                .redirectErrorStream(true).start();
        String result = null;
        String pilot = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                // engine start-up and the first units
            }
            assertThat(line).as("the application got to READY").isEqualTo("READY");
            // 4 heartbeat timeouts by default; -Dpilotflow.test.pauseSeconds=60 measures the 60 s pause
            long pauseMillis = Long.getLong("pilotflow.test.pauseSeconds", 0) > 0
                    ? Long.getLong("pilotflow.test.pauseSeconds") * 1000
                    : 4 * LocalFixture.config(work).heartbeatTimeout().toMillis();
            signal("STOP", app.pid());
            Thread.sleep(pauseMillis); // the pause under test, not a wait for something
            signal("CONT", app.pid());
            while ((line = out.readLine()) != null) {
                if (line.startsWith("RESULT ")) {
                    result = line;
                } else if (line.startsWith("PILOT ")) {
                    pilot = line;
                }
            }
            assertThat(app.waitFor(5, TimeUnit.MINUTES)).isTrue();
        } finally {
            app.destroyForcibly();
        }
        assertThat(result).as("the application's result line").isEqualTo("RESULT {DONE=" + n + "}");
        assertThat(pilot).doesNotContain("FAILED");
        Map<String, Integer> runs = new HashMap<>();
        for (String id : Files.readAllLines(marks)) {
            runs.merge(id.strip(), 1, Integer::sum);
        }
        assertThat(runs).hasSize(n);
        assertThat(runs.values()).as("no unit ran twice").containsOnly(1);
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -%s %s", name, pid).isZero();
    }
}
