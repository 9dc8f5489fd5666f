package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.DataClient;
import org.pilotflow.api.FileSpec;
import org.pilotflow.api.Session;
import org.pilotflow.e2e.DataScenarios;
import org.pilotflow.model.PilotState;
import org.pilotflow.testing.TestBackends;

/**
 * The Data API on an {@code ssh://} pilot against the real test sshd: the same behaviours as on a local pilot, over
 * SFTP on the pilot's own SSH connection, a 100 MB file with its adler32 and md5 checked, and sshd's log showing that
 * none of it logged in again.
 */
class DataClientSshTest {

    @TempDir
    Path work;

    static Map<String, String> sshd;

    @BeforeAll
    static void backends() throws Exception {
        sshd = TestBackends.require("sshd");
        ClusterFixture.createSandboxRoot();
    }

    @Test
    void transfersOverSftpOnThePilotsConnectionWithoutLoggingInAgain() throws Exception {
        Path local = Files.createDirectories(work.resolve("client"));
        try (Session session = ClusterFixture.session(work, ClusterFixture.sshFork(sshd))) {
            session.addContext(ClusterFixture.sshCredentials(sshd));
            ComputePilot pilot = session.createPilotManager().submitPilot(ClusterFixture.pilot("test.ssh", 1).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            DataClient data = session.dataClient(pilot);
            long loginsBefore = logins();
            assertThat(loginsBefore).as("the pilot's own login, in sshd's log").isPositive();

            DataScenarios.roundTrip(data, pilot, local);
            DataScenarios.mismatchFailsOneFileOnly(data, pilot, local);
            DataScenarios.badInputMovesNothing(data, pilot, local);
            DataScenarios.largeFile(data, pilot, local, 100L << 20);
            List<FileSpec> many = new ArrayList<>();
            Files.createDirectories(local.resolve("many"));
            for (int i = 0; i < 200; i++) {
                Path f = Files.writeString(local.resolve("many/f" + i), "file " + i);
                many.add(FileSpec.of(f.toString(), "many/"));
            }
            assertThat(data.stageIn(many)).noneMatch(FileSpec::failed);
            assertThat(Path.of(pilot.sandbox()).resolve("many/f199")).hasContent("file 199");

            assertThat(logins()).as("sshd logins during the transfers (sshd log %s)", sshd.get("SSHD_LOG"))
                    .isEqualTo(loginsBefore);
        }
    }

    /** Logins sshd accepted so far, from its log. */
    private static long logins() throws Exception {
        try (var lines = Files.lines(Path.of(sshd.get("SSHD_LOG")))) {
            return lines.filter(l -> l.contains("Accepted publickey")).count();
        }
    }
}
