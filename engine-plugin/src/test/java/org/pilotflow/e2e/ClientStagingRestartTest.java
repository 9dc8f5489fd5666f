package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.UnitState;

/**
 * The application is killed (SIGKILL) while its engine transfers a unit's input from the client (600 MiB, checked
 * by size and adler32); a new JVM reconnects and the transfer, a job the dead engine held, is done again once its
 * lock expired: the unit runs on the whole file, and the interrupted copy never took the target's name.
 */
class ClientStagingRestartTest {

    @TempDir
    Path work;

    @Test
    void aTransferInterruptedByAnEngineCrashIsDoneAgainAfterTheRestart() throws Exception {
        LocalFixture.database(work);
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ClientStagingScenario.class.getName(),
                work.toString()).redirectErrorStream(true).start();
        String sessionId = null;
        String unitId = null;
        Path unitSandbox = null;
        Instant killed;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(app.getInputStream(),
                StandardCharsets.UTF_8))) {
            long deadline = System.currentTimeMillis() + 180_000;
            String line;
            while ((line = out.readLine()) != null && System.currentTimeMillis() < deadline) {
                if (line.startsWith("SESSION ")) {
                    sessionId = line.substring(8).trim();
                } else if (line.startsWith("UNIT ")) {
                    String[] parts = line.split(" ");
                    unitId = parts[1];
                    unitSandbox = Path.of(parts[2]).resolve(unitId);
                    break;
                }
            }
            assertThat(unitId).as("the application submitted its unit").isNotNull();
            // kill it once the copy has begun: a temporary file beside the target, not yet renamed
            while (!copying(unitSandbox) && System.currentTimeMillis() < deadline) {
                Thread.sleep(5);
            }
            assertThat(copying(unitSandbox)).as("the transfer began").isTrue();
            app.destroyForcibly();
            killed = Instant.now();
            assertThat(app.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(unitSandbox.resolve("big.dat")).as("the interrupted copy never took the target's name")
                .doesNotExist();

        try (Session session = LocalFixture.builder(work, EngineRestartTest.config(work).toBuilder()
                .clientDirectory(work.resolve("client")).build()).reconnect(sessionId)) {
            ComputeUnit unit = session.unitManagers().get(0).getUnits(java.util.List.of(unitId)).get(0);
            // the job the dead engine held runs again once its lock expired
            assertThat(unit.waitFor(ClientStagingScenario.LOCK_TIME.plusMinutes(3))).as("%s", unit.failureReason())
                    .isEqualTo(UnitState.DONE);
            assertThat(unit.stdout().strip()).isEqualTo(Long.toString(ClientStagingScenario.SIZE));
            StateEntry<UnitState> staged = unit.stateHistory().stream()
                    .filter(e -> e.state() == UnitState.STAGING_INPUT).findFirst().orElseThrow();
            assertThat(staged.time()).as("the transfer that counted began after the crash").isAfter(killed);
            assertThat(Files.size(unitSandbox.resolve("big.dat"))).isEqualTo(ClientStagingScenario.SIZE);
        }
    }

    private static boolean copying(Path sandbox) throws java.io.IOException {
        if (!Files.isDirectory(sandbox)) {
            return false;
        }
        try (Stream<Path> files = Files.list(sandbox)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith(".big.dat.staging-"));
        }
    }
}
