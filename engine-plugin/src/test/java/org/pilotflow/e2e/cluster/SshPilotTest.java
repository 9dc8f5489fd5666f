package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.model.PilotState;
import org.pilotflow.resource.ssh.SshCredentials;
import org.pilotflow.testing.TestBackends;

/** Pilots over {@code ssh://} (fork behind SSH) against the real test sshd, and the three ways SSH fails. */
class SshPilotTest {

    @TempDir
    Path work;

    static Map<String, String> sshd;

    @BeforeAll
    static void backends() throws Exception {
        sshd = TestBackends.require("sshd");
        ClusterFixture.createSandboxRoot();
    }

    @Test
    void unitWorkloadFailingAndCanceledUnitsAndCanceledPilot() {
        try (Session session = ClusterFixture.session(work, ClusterFixture.sshFork(sshd))) {
            session.addContext(ClusterFixture.sshCredentials(sshd));
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = pmgr.submitPilot(ClusterFixture.pilot("test.ssh", 2).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            assertThat(pilot.resourceDetails()).startsWith("test.ssh ssh:" + sshd.get("SSH_USER") + "@");

            ClusterFixture.standardWorkload(session, pilot);

            String pid = pilot.resourceDetails().substring(pilot.resourceDetails().lastIndexOf('/') + 1);
            ClusterFixture.cancelActivePilot(pilot);
            ClusterFixture.await("agent process " + pid + " to exit", Duration.ofSeconds(30),
                    () -> ProcessHandle.of(Long.parseLong(pid)).map(p -> !p.isAlive()).orElse(true));
            assertThat(pilot.log()).as("agent.log fetched over SFTP").contains(pilot.uid());
        }
    }

    @Test
    void closingWithDownloadFetchesLogsAndOutputsOverSftp() throws Exception {
        Session session = ClusterFixture.session(work, ClusterFixture.sshFork(sshd));
        ComputePilot pilot;
        org.pilotflow.api.ComputeUnit unit;
        try {
            session.addContext(ClusterFixture.sshCredentials(sshd));
            PilotManager pmgr = session.createPilotManager();
            pilot = pmgr.submitPilot(ClusterFixture.pilot("test.ssh", 1).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            org.pilotflow.api.UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            unit = umgr.submitUnit(org.pilotflow.api.ComputeUnitDescription.builder().executable("/bin/hostname")
                    .build());
            assertThat(unit.waitFor(Duration.ofSeconds(90))).isEqualTo(org.pilotflow.model.UnitState.DONE);
        } finally {
            session.close(true, true);
        }
        Path home = session.downloadDirectory();
        assertThat(java.nio.file.Files.readString(home.resolve(pilot.uid() + "/" + unit.uid() + "/STDOUT")))
                .isNotBlank();
        assertThat(java.nio.file.Files.readString(home.resolve(pilot.uid() + "/agent.log"))).contains(pilot.uid());
    }

    @Test
    void wrongHostKeyFailsThePilotNamingTheHost() {
        SshCredentials wrongKnownHosts = SshCredentials.builder().user(sshd.get("SSH_USER"))
                .keyFile(Path.of(sshd.get("SSH_KEY"))).knownHosts(Path.of(sshd.get("SSH_WRONG_KNOWN_HOSTS"))).build();
        assertLaunchFails(wrongKnownHosts, ClusterFixture.sshFork(sshd).label(), "host key",
                sshd.get("SSH_HOST") + ":" + sshd.get("SSH_PORT"));
    }

    @Test
    void unauthorizedKeyFailsThePilotNamingTheHost() {
        SshCredentials wrongKey = SshCredentials.builder().user(sshd.get("SSH_USER"))
                .keyFile(Path.of(sshd.get("SSH_UNAUTHORIZED_KEY")))
                .knownHosts(Path.of(sshd.get("SSH_KNOWN_HOSTS"))).build();
        assertLaunchFails(wrongKey, ClusterFixture.sshFork(sshd).label(), "authentication",
                sshd.get("SSH_HOST") + ":" + sshd.get("SSH_PORT"));
    }

    @Test
    void unreachableHostFailsThePilotNamingTheHost() {
        Map<String, String> closedPort = new java.util.HashMap<>(sshd);
        closedPort.put("SSH_PORT", "2299"); // nothing listens there
        try (Session session = ClusterFixture.session(work, ClusterFixture.sshFork(closedPort))) {
            session.addContext(ClusterFixture.sshCredentials(sshd));
            ComputePilot pilot = session.createPilotManager().submitPilot(ClusterFixture.pilot("test.ssh", 1).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).hasValueSatisfying(r -> assertThat(r).contains(sshd.get("SSH_HOST") + ":2299"));
        }
    }

    private void assertLaunchFails(SshCredentials credentials, String resource, String... reasonParts) {
        try (Session session = ClusterFixture.session(work, ClusterFixture.sshFork(sshd))) {
            session.addContext(credentials);
            ComputePilot pilot = session.createPilotManager().submitPilot(ClusterFixture.pilot(resource, 1).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).hasValueSatisfying(r -> assertThat(r).contains(reasonParts));
        }
    }
}
