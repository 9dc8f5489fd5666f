package org.pilotflow.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Wire;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.shell.LocalShell;

/** Staging a pilot's sandbox on this host through the LocalShell: the same code path SSH and batch use. */
class AgentStagingTest {

    @TempDir
    Path dir;

    private ResourceConfig resource(String java) {
        return ResourceConfig.builder("test.local")
                .schema("local", "fork://localhost/", "file://localhost/")
                .coresPerNode(2)
                .defaultRemoteWorkdir(dir.resolve("work").toString())
                .validRoots(List.of(dir.toString()))
                .agentJava(java)
                .build();
    }

    private PilotLaunch launch(ResourceConfig rc, String sandbox, boolean given) {
        AgentConfig agent = new AgentConfig("s.1", "pilot.0000", "http://127.0.0.1:4711/sessions/s.1", "secret-x",
                sandbox, 2, 0, 600, 1000, 60_000);
        return new PilotLaunch(agent, rc, rc.schema(), sandbox, given, rc.agentJava(), Duration.ofMinutes(10),
                null, null, 0, 4711);
    }

    private static String thisJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Test
    void writesConfigOwnerOnlyAndTheJarOncePerContent() throws Exception {
        ResourceConfig rc = resource(thisJava());
        String sandbox = dir.resolve("work/s.1/pilot.0000").toString();
        AgentStaging.Staged staged = AgentStaging.stage(LocalShell.INSTANCE, launch(rc, sandbox, false));

        assertThat(staged.sandbox()).isEqualTo(sandbox);
        Path config = Path.of(sandbox, AgentStaging.AGENT_CONFIG);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rw-------");
        AgentConfig written = Wire.mapper().readValue(config.toFile(), AgentConfig.class);
        assertThat(written.sandbox()).isEqualTo(sandbox);
        assertThat(written.secret()).isEqualTo("secret-x");
        Path jar = Path.of(staged.agentArgv().get(staged.agentArgv().indexOf("-jar") + 1));
        assertThat(jar.getParent()).isEqualTo(dir.resolve("work"));
        assertThat(jar.getFileName().toString()).isEqualTo("pilotflow-agent-" + AgentBundle.digest() + ".jar");
        long modified = Files.getLastModifiedTime(jar).toMillis();

        AgentStaging.stage(LocalShell.INSTANCE, launch(rc, dir.resolve("work/s.1/pilot.0001").toString(), false));
        assertThat(Files.getLastModifiedTime(jar).toMillis()).as("jar reused, not copied again").isEqualTo(modified);
        assertThat(staged.agentArgv()).startsWith(thisJava()).endsWith(config.toString());
    }

    @Test
    void missingJavaIsAClearErrorNamingHostAndKey() {
        ResourceConfig rc = resource("/nonexistent/bin/java");
        assertThatThrownBy(() -> AgentStaging.stage(LocalShell.INSTANCE,
                launch(rc, dir.resolve("work/p").toString(), false)))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("no Java runtime '/nonexistent/bin/java' on localhost")
                .hasMessageContaining("agent_java of test.local");
    }

    @Test
    void givenSandboxOutsideValidRootsIsRefusedBeforeAnythingIsWritten() {
        ResourceConfig rc = resource(thisJava());
        Path outside = dir.getParent().resolve("elsewhere-" + System.nanoTime());
        assertThatThrownBy(() -> AgentStaging.stage(LocalShell.INSTANCE, launch(rc, outside.toString(), true)))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("sandbox " + outside + " is not allowed on localhost");
        assertThat(outside).doesNotExist();
    }

    @Test
    void tunnelEndpointKeepsThePath() {
        assertThat(AgentStaging.rewritePort("http://10.0.0.5:4711/sessions/s.1", 39999))
                .isEqualTo("http://127.0.0.1:39999/sessions/s.1");
    }
}
