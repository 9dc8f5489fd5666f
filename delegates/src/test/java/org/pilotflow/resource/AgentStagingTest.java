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
import org.pilotflow.resource.batch.CannedShell;
import org.pilotflow.resource.config.ChannelMode;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.shell.LocalShell;

/** Staging a pilot's sandbox on this host through the LocalShell: the same code path SSH and batch use. */
class AgentStagingTest {

    @TempDir
    Path dir;

    private ResourceConfig resource(String java) {
        return resource(java, ChannelMode.DIRECT);
    }

    private ResourceConfig resource(String java, ChannelMode channel) {
        return ResourceConfig.builder("test.local")
                .schema("local", "fork://localhost/", "file://localhost/")
                .coresPerNode(2)
                .defaultRemoteWorkdir(dir.resolve("work").toString())
                .validRoots(List.of(dir.toString()))
                .agentJava(java)
                .channelMode(channel)
                .build();
    }

    /** Two engine nodes: the agent may fail over from the first to the second. */
    static final List<String> ENDPOINTS = List.of("http://10.0.0.5:4711/sessions/s.1",
            "http://10.0.0.6:4711/sessions/s.1");

    private PilotLaunch launch(ResourceConfig rc, String sandbox, boolean given) {
        AgentConfig agent = new AgentConfig("s.1", "pilot.0000", ENDPOINTS, "secret-x", sandbox, 2, 0, 600, 1000,
                60_000);
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
        assertThat(written.endpoints()).as("direct: every engine node, in order").isEqualTo(ENDPOINTS);
        assertThat(written.fixedEndpoints()).isFalse();
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
    void theEnginesOwnJavaIsKnownWithoutRunningIt() throws Exception {
        String own = AgentStaging.ownJavaId(LocalShell.INSTANCE, thisJava(), null);
        assertThat(own).matches("[0-9a-f]{12}");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("java"), Path.of(thisJava()));
        // a path of this test's own: the check remembers each path's answer for the JVM's life, other tests' too
        assertThat(AgentStaging.checkJava(LocalShell.INSTANCE, bin.resolve("java").toString(), "test.local"))
                .as("the check takes it as it is, no java -version").isEqualTo(own);
        assertThat(AgentStaging.ownJavaId(LocalShell.INSTANCE, "java", bin + ":relative/bin"))
                .as("a bare java found on the search path, through its link").isEqualTo(own);
        assertThat(AgentStaging.ownJavaId(LocalShell.INSTANCE, "java", "relative/bin:" + bin))
                .as("a relative entry first: what runs depends on the working directory").isNull();
        assertThat(AgentStaging.ownJavaId(LocalShell.INSTANCE, "java", ":" + bin)).isNull();
        assertThat(AgentStaging.ownJavaId(LocalShell.INSTANCE, "java", dir.resolve("nowhere").toString())).isNull();
        assertThat(AgentStaging.ownJavaId(LocalShell.INSTANCE, "bin/java", bin.toString())).isNull();
        assertThat(AgentStaging.ownJavaId(new CannedShell("node7"), thisJava(), null))
                .as("another host's file of the same path is another runtime").isNull();
    }

    @Test
    void anotherJavaIsAskedItsVersionAndAnOldOneIsRefused() throws Exception {
        // runs as it is asked: a shell script with the version output of Java 11 ("java -version" writes to stderr)
        Path old = dir.resolve("old-java");
        Files.writeString(old, "#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n");
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rwx------"));
        assertThat(AgentStaging.ownJavaId(LocalShell.INSTANCE, old.toString(), null)).isNull();
        ResourceConfig rc = resource(old.toString());
        assertThatThrownBy(() -> AgentStaging.stage(LocalShell.INSTANCE,
                launch(rc, dir.resolve("work/p").toString(), false)))
                .isInstanceOf(ResourceException.class)
                .hasMessage("the Java runtime '" + old + "' on localhost is version 11; the PilotFlow agent needs "
                        + AgentStaging.MIN_JAVA + " or later (set agent_java of test.local to a newer one)");
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

    /** The LocalShell's "tunnel" is the engine's own port, so the rewrite is visible without an SSH server. */
    @Test
    void throughAnSshTunnelTheAgentUsesOnlyTheTunnelAndKeepsIt() throws Exception {
        ResourceConfig rc = resource(thisJava(), ChannelMode.SSH_TUNNEL);
        String sandbox = dir.resolve("work/s.1/pilot.0000").toString();
        AgentStaging.stage(LocalShell.INSTANCE, launch(rc, sandbox, false));
        AgentConfig written = Wire.mapper().readValue(Path.of(sandbox, AgentStaging.AGENT_CONFIG).toFile(),
                AgentConfig.class);
        assertThat(written.endpoints()).containsExactly("http://127.0.0.1:4711/sessions/s.1");
        assertThat(written.fixedEndpoints()).as("engine lists would name addresses the tunnel does not reach")
                .isTrue();
    }

    @Test
    void tunnelEndpointKeepsThePath() {
        assertThat(AgentStaging.rewritePort("http://10.0.0.5:4711/sessions/s.1", 39999))
                .isEqualTo("http://127.0.0.1:39999/sessions/s.1");
    }
}
