package org.pilotflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pilotflow.agent.FakeEngine.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.agent.channel.EngineChannel;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.UnitSpec;
import org.pilotflow.model.wire.Wire;

/** AgentMain as a separate JVM, started the way the engine starts it. */
class AgentMainProcessTest {
    @TempDir
    Path sandbox;

    private Process startAgent(Path config) throws Exception {
        return startAgent(config, Map.of());
    }

    /** Starts the agent JVM without any batch-system variable of this JVM's environment, plus {@code env}. */
    private Process startAgent(Path config, Map<String, String> env, String... jvmOptions) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> argv = new ArrayList<>(List.of(java, "-Djdk.lang.Process.launchMechanism=VFORK"));
        argv.addAll(List.of(jvmOptions));
        argv.addAll(List.of("-cp", System.getProperty("java.class.path"), AgentMain.class.getName(),
                config.toString()));
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectErrorStream(true)
                .redirectOutput(sandbox.resolve("agent.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SLURM") || k.equals("PE_HOSTFILE"));
        pb.environment().putAll(env);
        return pb.start();
    }

    @Test
    void runsFiftyUnitsThenEndsOnCancelPilot() throws Exception {
        try (FakeEngine engine = new FakeEngine("top-secret-value")) {
            AgentConfig cfg = new AgentConfig("s.1", "p.1", List.of(engine.endpoint()), "top-secret-value",
                    sandbox.toString(), 2, 0, 600, 1000, 30_000);
            Path json = sandbox.resolve("agent.json");
            Wire.mapper().writeValue(json.toFile(), cfg);
            Process agent = startAgent(json);
            try {
                for (int i = 0; i < 50; i++) {
                    engine.command(Command.run(engine.nextCommandSeq(), new UnitSpec("unit." + i, null, "/bin/date",
                            List.of("+%Y"), null, 1, 0, null, null, null, null, 0)));
                }
                await("50 units DONE", Duration.ofSeconds(30), () -> IntStream.range(0, 50)
                        .allMatch(i -> "DONE".equals(engine.state("unit." + i))));
                for (int i = 0; i < 50; i++) {
                    assertThat(engine.latest("unit." + i).stdoutTail()).matches("\\d{4}\n");
                    assertThat(engine.latest("unit." + i).exitCode()).isZero();
                }
                engine.command(Command.cancelPilot(engine.nextCommandSeq()));
                assertThat(agent.waitFor(45, TimeUnit.SECONDS)).as("agent JVM exited").isTrue();
                assertThat(agent.exitValue()).isZero();
                assertThat(engine.state("pilot")).isEqualTo("CANCELED");
            } finally {
                agent.destroyForcibly();
            }
            String log = Files.readString(sandbox.resolve("agent.log"));
            assertThat(log).contains("agent starting", "pilot=p.1", "agent ends with exit code 0")
                    .doesNotContain("top-secret-value");
            assertThat(log.lines().findFirst().orElse("")).matches("^\\d{4}-\\d\\d-\\d\\dT.*");
        }
    }

    /**
     * On a host of 2 cores a unit's exit costs no thread of its own ({@code UnitExecutor.exitOf}; the JDK's
     * {@code Process.onExit()} started one per exit there). The agent JVM records its thread starts (JFR) while it
     * runs 100 units.
     */
    @Test
    void onTwoCoresUnitsExitWithoutAThreadEach() throws Exception {
        int units = 100;
        try (FakeEngine engine = new FakeEngine("top-secret-value")) {
            List<String> started = threadStartsOnTwoCores(engine, () -> {
                for (int i = 0; i < units; i++) {
                    engine.command(Command.run(engine.nextCommandSeq(), new UnitSpec("unit." + i, null, "/bin/true",
                            List.of(), null, 1, 0, null, null, null, null, 0)));
                }
                await(units + " units DONE", Duration.ofSeconds(60), () -> IntStream.range(0, units)
                        .allMatch(i -> "DONE".equals(engine.state("unit." + i))));
            });
            // the agent's own threads, the HTTP client's, JFR's and the JDK's: a few dozen, whatever the units
            assertThat(started).as("threads started while the agent ran %d units", units)
                    .contains("pilotflow-channel", "pilotflow-exit-1").hasSizeLessThan(units / 2);
        }
    }

    /**
     * On a host of 2 cores an answered long poll costs no thread of its own (the agent's channel sends it from a
     * thread of its own; the JDK's {@code HttpClient.sendAsync} completed each answer on a new thread there). The
     * engine holds each empty sync 150 ms, as PilotFlow's does until it has a command or the heartbeat is due.
     */
    @Test
    void onTwoCoresLongPollAnswersStartNoThreadEach() throws Exception {
        int polls = 80;
        try (FakeEngine engine = new FakeEngine("top-secret-value")) {
            engine.holdEmptyMillis = EngineChannel.IDLE_PAUSE_MILLIS;
            List<String> started = threadStartsOnTwoCores(engine, () -> {
                await(polls + " long polls answered", Duration.ofSeconds(120),
                        () -> engine.requests.size() > polls);
                engine.holdEmptyMillis = 0;
            });
            assertThat(started).as("threads started while the engine answered %d long polls", polls)
                    .contains("pilotflow-channel", "pilotflow-poll").hasSizeLessThan(polls / 2);
        }
    }

    /** What a test has the agent do, waiting until it is done. */
    private interface Work {
        void run() throws Exception;
    }

    /**
     * Runs the agent JVM as on a host of 2 cores with a JFR recording, against {@code engine}, until {@code work} is
     * done; then cancels the pilot and returns the names of the threads the agent JVM started.
     */
    private List<String> threadStartsOnTwoCores(FakeEngine engine, Work work) throws Exception {
        Path recording = sandbox.resolve("agent.jfr");
        AgentConfig cfg = new AgentConfig("s.1", "p.1", List.of(engine.endpoint()), "top-secret-value",
                sandbox.toString(), 2, 0, 600, 1000, 30_000);
        Path json = sandbox.resolve("agent.json");
        Wire.mapper().writeValue(json.toFile(), cfg);
        Process agent = startAgent(json, Map.of(), "-XX:ActiveProcessorCount=2",
                "-XX:StartFlightRecording=filename=" + recording);
        try {
            work.run();
            engine.command(Command.cancelPilot(engine.nextCommandSeq()));
            assertThat(agent.waitFor(45, TimeUnit.SECONDS)).as("agent JVM exited").isTrue();
        } finally {
            agent.destroyForcibly();
        }
        return threadStarts(recording);
    }

    /** The names of the threads the recording saw start. */
    private static List<String> threadStarts(Path recording) throws Exception {
        List<String> started = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (e.getEventType().getName().equals("jdk.ThreadStart")) {
                started.add(e.getThread("thread").getJavaName());
            }
        }
        return started;
    }

    /** An engine node that is down when the agent starts costs one request and one log line, nothing more. */
    @Test
    void aClosedFirstEndpointIsLeftWithOneLoggedSwitch() throws Exception {
        String closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = "http://127.0.0.1:" + s.getLocalPort();
        }
        try (FakeEngine engine = new FakeEngine("top-secret-value")) {
            AgentConfig cfg = new AgentConfig("s.1", "p.1", List.of(closed, engine.endpoint()), "top-secret-value",
                    sandbox.toString(), 2, 0, 600, 1000, 30_000);
            Path json = sandbox.resolve("agent.json");
            Wire.mapper().writeValue(json.toFile(), cfg);
            Process agent = startAgent(json);
            try {
                for (int i = 0; i < 5; i++) {
                    engine.command(Command.run(engine.nextCommandSeq(), new UnitSpec("unit." + i, null, "/bin/true",
                            null, null, 1, 0, null, null, null, null, 0)));
                }
                await("5 units DONE", Duration.ofSeconds(30), () -> IntStream.range(0, 5)
                        .allMatch(i -> "DONE".equals(engine.state("unit." + i))));
                engine.command(Command.cancelPilot(engine.nextCommandSeq()));
                assertThat(agent.waitFor(45, TimeUnit.SECONDS)).as("agent JVM exited").isTrue();
                assertThat(agent.exitValue()).isZero();
            } finally {
                agent.destroyForcibly();
            }
            assertThat(engine.applied).extracting(r -> r.seq()).doesNotHaveDuplicates().isSorted();
            List<String> switches = Files.readAllLines(sandbox.resolve("agent.log")).stream()
                    .filter(l -> l.contains("engine endpoint")).toList();
            assertThat(switches).singleElement().asString().contains("INFO", "engine endpoint " + closed
                    + " unreachable (ConnectException", "trying " + engine.endpoint());
        }
    }

    @Test
    void badConfigExitsWith2AndNamesFileAndField() throws Exception {
        Path json = sandbox.resolve("agent.json");
        Files.writeString(json, "{\"sessionId\":\"s\",\"pilotId\":\"p\",\"endpoints\":[\"http://127.0.0.1:1\"],"
                + "\"secret\":\"x\",\"sandbox\":\"" + sandbox + "\",\"cores\":0,\"gpus\":0,\"runtimeSeconds\":60,"
                + "\"heartbeatIntervalMillis\":1000,\"orphanTimeoutMillis\":1000}");
        assertThatThrownBy(() -> AgentConfigs.load(json))
                .hasMessage("bad config " + json + ": field 'cores' must be >= 1, was 0");
        Files.writeString(sandbox.resolve("broken.json"), "{ not json");
        assertThatThrownBy(() -> AgentConfigs.load(sandbox.resolve("broken.json")))
                .hasMessageStartingWith("bad config " + sandbox.resolve("broken.json") + ": not a valid");
        Process agent = startAgent(json);
        assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isEqualTo(AgentMain.EXIT_BAD_CONFIG);
        assertThat(Files.readString(sandbox.resolve("agent.log"))).contains("field 'cores' must be >= 1");
    }

    @Test
    void unknownLaunchMethodExitsWith2AndNamesTheField() throws Exception {
        AgentConfig cfg = new AgentConfig("s", "p", List.of("http://127.0.0.1:1"), "x", sandbox.toString(), 1, 0,
                60, 1000, 1000, List.of("FORK", "APRUN"), null);
        Path json = sandbox.resolve("agent.json");
        Wire.mapper().writeValue(json.toFile(), cfg);
        Process agent = startAgent(json);
        assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isEqualTo(AgentMain.EXIT_BAD_CONFIG);
        assertThat(Files.readString(sandbox.resolve("agent.log"))).contains("bad config " + json
                + ": field 'launchMethods' names an unknown launch method 'APRUN'");
    }

    @Test
    void badSlurmVariableExitsWith2AndNamesTheVariableAndValue() throws Exception {
        AgentConfig cfg = new AgentConfig("s", "p", List.of("http://127.0.0.1:1"), "x", sandbox.toString(), 4, 0,
                60, 1000, 1000).withNodeList(new AgentConfig.NodeList("SLURM_JOB_NODELIST", "slurm-hostlist"));
        Path json = sandbox.resolve("agent.json");
        Wire.mapper().writeValue(json.toFile(), cfg);
        Process agent = startAgent(json, Map.of("SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "n[1-2]",
                "SLURM_JOB_CPUS_PER_NODE", "2(x"));
        assertThat(agent.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).isEqualTo(AgentMain.EXIT_BAD_CONFIG);
        assertThat(Files.readString(sandbox.resolve("agent.log"))).contains(
                "batch system: cannot use SLURM_JOB_CPUS_PER_NODE='2(x': expected a comma list like 2(x3),1");
    }
}
