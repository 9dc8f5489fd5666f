package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Wire;
import org.pilotflow.resource.AgentBundle;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.config.ChannelMode;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * The shell's consumer, {@link AgentStaging}, over the real sshd: sandbox, agent jar and agent.json land with
 * their modes, valid_roots are checked with the remote {@code $HOME}, and the agent is told the tunnel's port.
 */
class AgentStagingOverSshTest {

    @TempDir
    Path dir;

    private SshConnections connections;

    @AfterEach
    void close() {
        if (connections != null) {
            connections.close();
        }
    }

    @Test
    void stagesAPilotWithModesAndTheTunnelsPort() throws Exception {
        SshFixture sshd = SshFixture.require();
        connections = sshd.connections();
        ResourceConfig rc = ResourceConfig.builder("test.sshd")
                .schema("ssh", "ssh://" + sshd.location() + "/", "sftp://" + sshd.location() + "/")
                .coresPerNode(2)
                .defaultRemoteWorkdir(dir.resolve("work").toString())
                .validRoots(List.of("$HOME/.pilotflow-test-never-used", dir.toString()))
                .channelMode(ChannelMode.SSH_TUNNEL)
                .build();
        ResourceShell shell = connections.forEndpoint(rc.jobManagerEndpoint(), rc.hostKeyChecking());
        int enginePort = 48123; // only the port number matters here: the tunnel is checked in SshConnectionsTest

        AgentStaging.Staged first = AgentStaging.stage(shell, launch(rc, "pilot.0000", enginePort));

        Path sandbox = dir.resolve("pilot.0000");
        assertThat(first.sandbox()).isEqualTo(sandbox.toString());
        assertThat(mode(sandbox)).isEqualTo("rwx------");
        Path jar = dir.resolve("work/pilotflow-agent-" + AgentBundle.digest() + ".jar");
        assertThat(Files.readAllBytes(jar)).isEqualTo(AgentBundle.content());
        assertThat(mode(jar)).isEqualTo("rw-r--r--");
        Path config = sandbox.resolve(AgentStaging.AGENT_CONFIG);
        assertThat(mode(config)).isEqualTo("rw-------");
        JsonNode json = Wire.mapper().readTree(config.toFile());
        int tunnel = shell.reverseForward(enginePort);
        assertThat(json.get("endpoints")).hasSize(1);
        assertThat(json.get("endpoints").get(0).asText()).isEqualTo("http://127.0.0.1:" + tunnel + "/agent");
        assertThat(json.get("fixedEndpoints").asBoolean()).isTrue();
        assertThat(json.get("sandbox").asText()).isEqualTo(sandbox.toString());
        assertThat(first.agentArgv()).contains("-jar", jar.toString(), config.toString());

        FileTime jarWritten = Files.getLastModifiedTime(jar);
        AgentStaging.stage(shell, launch(rc, "pilot.0001", enginePort));
        assertThat(Files.getLastModifiedTime(jar)).as("the jar is copied once per host").isEqualTo(jarWritten);
        assertThat(dir.resolve("pilot.0001").resolve(AgentStaging.AGENT_CONFIG)).exists();
    }

    private PilotLaunch launch(ResourceConfig rc, String pilotId, int enginePort) {
        AgentConfig agent = new AgentConfig("session.1", pilotId,
                List.of("http://127.0.0.1:" + enginePort + "/agent"), "not-a-real-secret", null, 2, 0, 600, 1000,
                60_000);
        return new PilotLaunch(agent, rc, rc.schema(), dir.resolve(pilotId).toString(), true, "java",
                Duration.ofMinutes(10), null, null, 0, enginePort);
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
