package org.pilotflow.resource;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.LocalShell;

/**
 * The agent's class archive, made by a real training run of the agent jar on this host through the LocalShell (the
 * code path SSH and batch staging use) and loaded by real JVMs.
 */
class AgentClassArchiveTest {

    @TempDir
    Path dir;

    private static String thisJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private ResourceConfig resource(String java, List<String> jvmArgs) {
        return ResourceConfig.builder("test.local")
                .schema("local", "fork://localhost/", "file://localhost/")
                .coresPerNode(2)
                .defaultRemoteWorkdir(dir.resolve("work").toString())
                .validRoots(List.of(dir.toString()))
                .agentJava(java)
                .agentJvmArgs(jvmArgs)
                .build();
    }

    private AgentStaging.Staged stage(ResourceConfig rc, String pilot) throws ResourceException {
        String sandbox = dir.resolve("work/s.1/" + pilot).toString();
        AgentConfig agent = new AgentConfig("s.1", pilot, List.of("http://127.0.0.1:4711/sessions/s.1"), "secret-x",
                sandbox, 2, 0, 600, 1000, 60_000);
        return AgentStaging.stage(LocalShell.INSTANCE, new PilotLaunch(agent, rc, rc.schema(), sandbox, false,
                rc.agentJava(), Duration.ofMinutes(10), null, null, 0, 4711));
    }

    private static List<String> archiveArgs(AgentStaging.Staged staged) {
        return staged.agentArgv().stream().filter(a -> a.startsWith("-XX:SharedArchiveFile=")).toList();
    }

    private List<String> workFiles() throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve("work"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * The staged command with {@code -Xshare:on} (a JVM that cannot map the archive fails) and class-load logging,
     * without its config (the agent ends at once with its usage error): what it says.
     */
    private static CommandResult startAgent(AgentStaging.Staged staged) throws ResourceException {
        List<String> argv = new ArrayList<>(staged.agentArgv().subList(0, staged.agentArgv().size() - 1));
        argv.addAll(1, List.of("-Xshare:on", "-Xlog:class+load"));
        return LocalShell.INSTANCE.run(argv, java.util.Map.of(), Duration.ofMinutes(2));
    }

    @Test
    void theFirstPilotMakesTheArchiveAndEveryAgentStartsFromIt() throws Exception {
        ResourceConfig rc = resource(thisJava(), List.of());
        AgentStaging.Staged first = stage(rc, "pilot.0000");

        List<String> args = archiveArgs(first);
        assertThat(args).hasSize(1);
        Path archive = Path.of(args.get(0).substring("-XX:SharedArchiveFile=".length()));
        assertThat(archive.getParent()).isEqualTo(dir.resolve("work"));
        assertThat(archive.getFileName().toString()).startsWith("pilotflow-agent-" + AgentBundle.digest() + "-java-")
                .endsWith(".jsa");
        assertThat(workFiles()).as("the jar, its archive and the sandboxes; no part file, no training left over")
                .containsExactlyInAnyOrder("pilotflow-agent-" + AgentBundle.digest() + ".jar",
                        archive.getFileName().toString(), "s.1", "class-archive-training");
        try (Stream<Path> left = Files.list(dir.resolve("work/class-archive-training"))) {
            assertThat(left).as("the training's sandbox is removed").isEmpty();
        }

        CommandResult agent = startAgent(first);
        assertThat(agent.exitCode()).as(agent.stdout() + agent.stderr()).isEqualTo(2); // its usage error
        assertThat(agent.stdout()).as("the agent's classes come from the archive")
                .contains("org.pilotflow.agent.AgentMain source: shared objects file (top)")
                .contains("org.slf4j.LoggerFactory source: shared objects file (top)");

        long made = Files.getLastModifiedTime(archive).toMillis();
        AgentStaging.Staged second = stage(rc, "pilot.0001");
        assertThat(archiveArgs(second)).isEqualTo(args);
        assertThat(Files.getLastModifiedTime(archive).toMillis()).as("made once").isEqualTo(made);
    }

    @Test
    void agentJvmArgsThatManageClassSharingLeaveTheArchiveOut() throws Exception {
        for (String option : List.of("-Xshare:off", "-Xshare:auto", "-XX:SharedArchiveFile=/opt/mine.jsa")) {
            AgentStaging.Staged staged = stage(resource(thisJava(), List.of(option)), "pilot.0000");
            assertThat(archiveArgs(staged)).as(option).isEqualTo(option.startsWith("-XX:") ? List.of(option)
                    : List.of());
            assertThat(staged.agentArgv()).contains(option);
            assertThat(workFiles()).as(option).noneMatch(f -> f.contains(".jsa"));
        }
    }

    @Test
    void aJarWrittenAgainGetsItsArchiveMadeAgain() throws Exception {
        ResourceConfig rc = resource(thisJava(), List.of());
        Path archive = Path.of(archiveArgs(stage(rc, "pilot.0000")).get(0).substring("-XX:SharedArchiveFile=".length()));
        Path jar = dir.resolve("work/pilotflow-agent-" + AgentBundle.digest() + ".jar");
        Files.delete(jar); // someone cleaned the work dir, but not all of it: the new jar's time differs
        Files.delete(archive);
        Files.write(archive, new byte[4096]); // and an archive of the old jar is in the way

        AgentStaging.Staged staged = stage(rc, "pilot.0001");
        assertThat(archiveArgs(staged)).containsExactly("-XX:SharedArchiveFile=" + archive);
        CommandResult agent = startAgent(staged);
        assertThat(agent.exitCode()).as(agent.stdout() + agent.stderr()).isEqualTo(2);
        assertThat(agent.stdout()).contains("org.pilotflow.agent.AgentMain source: shared objects file (top)");
    }

    /**
     * A Java whose training "succeeds" but leaves an archive that does not load (as a full disk would): the archive is
     * not put in place, agents start without it, and this engine does not train again.
     */
    @Test
    void anArchiveThatDoesNotLoadIsNeverUsedAndNotMadeAgain() throws Exception {
        Path trainings = dir.resolve("trainings");
        Path java = dir.resolve("java");
        Files.writeString(java, "#!/bin/sh\n"
                + "for a in \"$@\"; do case \"$a\" in -XX:ArchiveClassesAtExit=*)\n"
                + "  echo run >> '" + trainings + "'\n"
                + "  head -c 100000 /dev/urandom > \"${a#-XX:ArchiveClassesAtExit=}\"; exit 0;;\n"
                + "esac; done\n"
                + "exec '" + thisJava() + "' \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwx------"));
        ResourceConfig rc = resource(java.toString(), List.of());

        AgentStaging.Staged first = stage(rc, "pilot.0000");
        AgentStaging.Staged second = stage(rc, "pilot.0001");

        assertThat(archiveArgs(first)).isEmpty();
        assertThat(archiveArgs(second)).isEmpty();
        assertThat(workFiles()).as("neither the archive nor its part").noneMatch(f -> f.contains(".jsa"));
        assertThat(Files.readAllLines(trainings)).as("trained once").hasSize(1);
        assertThat(first.agentArgv()).startsWith(java.toString()).contains("-jar");
    }
}
