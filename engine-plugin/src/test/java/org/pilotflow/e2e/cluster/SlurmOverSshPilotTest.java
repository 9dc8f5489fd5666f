package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.Session;
import org.pilotflow.internal.PilotFlowRuntime;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Wire;
import org.pilotflow.testing.TestBackends;

/**
 * {@code slurm+ssh://}: sbatch and squeue run over the SSH connection, and the agent reports through a reverse
 * tunnel on that same connection ({@code channel.mode ssh_tunnel}), so the cluster needs no route to the engine.
 */
class SlurmOverSshPilotTest {

    @TempDir
    Path work;

    static Map<String, String> sshd;

    @BeforeAll
    static void backends() throws Exception {
        sshd = TestBackends.require("sshd");
        TestBackends.require("slurm");
        ClusterFixture.createSandboxRoot();
    }

    @Test
    void unitWorkloadThroughTheTunnelAndCanceledPilot() throws Exception {
        try (Session session = ClusterFixture.session(work, ClusterFixture.slurmSsh(sshd))) {
            session.addContext(ClusterFixture.sshCredentials(sshd));
            ComputePilot pilot = session.createPilotManager().submitPilot(
                    ClusterFixture.pilot("test.slurmssh", 2).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            assertThat(pilot.resourceDetails()).startsWith("test.slurmssh slurm+ssh:" + sshd.get("SSH_USER") + "@");

            AgentConfig agent = Wire.mapper().readValue(Files.readAllBytes(Path.of(pilot.sandbox(), "agent.json")),
                    AgentConfig.class);
            int enginePort = java.net.URI.create(PilotFlowRuntime.of(session.processEngine()).agentEndpointUrl())
                    .getPort();
            assertThat(agent.nodeList()).as("the node list SLURM's provider declares")
                    .isEqualTo(new AgentConfig.NodeList("SLURM_JOB_NODELIST", "slurm-hostlist"));
            assertThat(agent.endpoint()).as("the agent reports to the tunnel's near end")
                    .startsWith("http://127.0.0.1:").doesNotContain(":" + enginePort + "/");

            ClusterFixture.standardWorkload(session, pilot);
            ClusterFixture.cancelActivePilot(pilot);
        }
    }
}
