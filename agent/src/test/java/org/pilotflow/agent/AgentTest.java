package org.pilotflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pilotflow.agent.FakeEngine.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.agent.executor.UnitExecutorTest;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.UnitSpec;

/** The real Agent, in this JVM, against a fake engine over real HTTP. */
class AgentTest {
    static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path sandbox;

    FakeEngine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    /**
     * The agent's environment in these tests: PATH only, so the agent is a fork pilot even when the tests run
     * inside a batch job.
     */
    static Map<String, String> forkEnv() {
        return Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    private CompletableFuture<Integer> start(int cores, long runtimeSeconds, long orphanMillis) throws Exception {
        return start(cores, runtimeSeconds, orphanMillis, null);
    }

    private CompletableFuture<Integer> start(int cores, long runtimeSeconds, long orphanMillis,
                                             List<String> launchMethods) throws Exception {
        if (engine == null) {
            engine = new FakeEngine("s3cret");
        }
        AgentConfig cfg = new AgentConfig("session.0", "pilot.0", List.of(engine.endpoint()), "s3cret",
                sandbox.toString(), cores, 1, runtimeSeconds, 1000, orphanMillis, launchMethods, null);
        Agent agent = new Agent(cfg, new Agent.Options(300, 5000, 2, 10_000), forkEnv());
        CompletableFuture<Integer> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(agent.run());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "agent-under-test");
        t.setDaemon(true);
        t.start();
        return f;
    }

    static UnitSpec unit(String id, int cores, String... argv) {
        return new UnitSpec(id, id, argv[0], List.of(argv).subList(1, argv.length), null, cores, 0, null, null,
                null, null, 0);
    }

    private void run(UnitSpec u) {
        engine.command(Command.run(engine.nextCommandSeq(), u));
    }

    private void cancelPilot() {
        engine.command(Command.cancelPilot(engine.nextCommandSeq()));
    }

    @Test
    void reportsAreResentUntilAckedAndDuplicateCommandsAreIgnored() throws Exception {
        engine = new FakeEngine("s3cret");
        engine.acking = false;
        engine.resendAllCommands = true; // every response repeats every command
        CompletableFuture<Integer> agent = start(2, 600, 30_000);
        run(unit("u1", 1, "/bin/sh", "-c", "echo ran >> ../runs.txt; echo hi"));
        await("the DONE report of u1 re-sent", WAIT, () -> engine.requests.stream()
                .filter(r -> r.reports().stream().anyMatch(x -> "u1".equals(x.unitId()) && "DONE".equals(x.state())))
                .count() >= 3);
        // nothing acked: every request carries the same numbered reports from seq 1 on, in order
        for (SyncRequest req : engine.requests) {
            List<Long> seqs = req.reports().stream().map(Report::seq).toList();
            for (int i = 0; i < seqs.size(); i++) {
                assertThat(seqs.get(i)).isEqualTo(i + 1L);
            }
        }
        long doneSeq = engine.requests.get(engine.requests.size() - 1).reports().stream()
                .filter(x -> "DONE".equals(x.state())).findFirst().orElseThrow().seq();
        engine.acking = true;
        await("u1 DONE applied", WAIT, () -> "DONE".equals(engine.state("u1")));
        assertThat(engine.latest("u1").seq()).isEqualTo(doneSeq); // never re-numbered
        assertThat(engine.latest("u1").stdoutTail()).isEqualTo("hi\n");
        assertThat(engine.latest("u1").slots()).containsExactly("localhost:0");
        // whether the early states rode in the DONE report (merged while pending) or came before it is a race
        assertThat(engine.applied.stream().filter(r -> "u1".equals(r.unitId()))
                .flatMap(r -> r.timestamps().keySet().stream())).contains("STAGING_INPUT", "PENDING_EXECUTION",
                "ALLOCATING", "EXECUTING", "PENDING_OUTPUT_STAGING", "STAGING_OUTPUT", "DONE");
        // ALLOCATING is timed when the scheduler gave the slots: after arrival, before the process started
        Map<String, Long> times = new java.util.HashMap<>();
        engine.applied.stream().filter(r -> "u1".equals(r.unitId())).forEach(r -> times.putAll(r.timestamps()));
        assertThat(times.get("ALLOCATING")).isBetween(times.get("PENDING_EXECUTION"), times.get("EXECUTING"));
        await("requests without u1's reports", WAIT, () -> engine.requests.get(engine.requests.size() - 1)
                .reports().isEmpty());
        assertThat(Files.readString(sandbox.resolve("runs.txt"))).isEqualTo("ran\n"); // ran once
        assertThat(engine.requests.get(engine.requests.size() - 1).lastCommandSeq()).isEqualTo(1);
        assertThat(engine.applied).extracting(Report::seq).isSorted().doesNotHaveDuplicates();
        assertThat(engine.applied.get(0).unitId()).isNull();
        assertThat(engine.applied.get(0).state()).isEqualTo("ACTIVE");

        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(engine.state("pilot")).isEqualTo("CANCELED");
    }

    @Test
    void cancelsQueuedAndRunningUnitsAndFailsUnitsThatNeverFit() throws Exception {
        CompletableFuture<Integer> agent = start(1, 600, 30_000);
        run(unit("run", 1, "/bin/sleep", "60"));
        run(unit("queued", 1, "/bin/true"));
        run(unit("huge", 4, "/bin/true"));
        run(new UnitSpec("gpu", "gpu", "/bin/true", null, null, 1, 2, null, null, null, null, 0));
        await("run EXECUTING", WAIT, () -> "EXECUTING".equals(engine.state("run")));
        await("huge FAILED", WAIT, () -> "FAILED".equals(engine.state("huge")));
        assertThat(engine.latest("huge").reason()).isEqualTo("unit needs 4 cores, pilot has 1");
        assertThat(engine.latest("huge").errorCode()).isEqualTo("INVALID_UNIT");
        await("gpu FAILED", WAIT, () -> "FAILED".equals(engine.state("gpu")));
        assertThat(engine.latest("gpu").reason()).isEqualTo("unit needs 2 gpus, pilot has 1");
        assertThat(engine.state("queued")).isEqualTo("PENDING_EXECUTION"); // waits for the one core

        engine.command(Command.cancelUnit(engine.nextCommandSeq(), "queued"));
        await("queued CANCELED", WAIT, () -> "CANCELED".equals(engine.state("queued")));
        assertThat(engine.latest("queued").reason()).isEqualTo("canceled on request");
        assertThat(engine.latest("queued").exitCode()).isNull();
        assertThat(engine.applied.stream().filter(r -> "queued".equals(r.unitId()))
                .flatMap(r -> r.timestamps().keySet().stream())).as("never placed").doesNotContain("ALLOCATING");
        assertThat(engine.latest("queued").errorCode()).isEqualTo("CANCELED");

        engine.command(Command.cancelUnit(engine.nextCommandSeq(), "run"));
        await("run CANCELED", WAIT, () -> "CANCELED".equals(engine.state("run")));
        assertThat(engine.latest("run").reason()).isEqualTo("canceled on request");
        assertThat(engine.latest("run").slots()).containsExactly("localhost:0");

        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(engine.state("pilot")).isEqualTo("CANCELED");
    }

    @Test
    void cancelPilotCancelsRunningUnitsBeforeReportingThePilot() throws Exception {
        CompletableFuture<Integer> agent = start(2, 600, 30_000);
        run(unit("a", 1, "/bin/sleep", "60"));
        run(unit("b", 2, "/bin/true"));
        await("a EXECUTING", WAIT, () -> "EXECUTING".equals(engine.state("a")));
        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(engine.latest("a").reason()).isEqualTo("pilot canceled");
        assertThat(engine.latest("a").errorCode()).isEqualTo("PILOT_CANCELED");
        assertThat(engine.state("b")).isEqualTo("CANCELED");
        Report last = engine.applied.get(engine.applied.size() - 1);
        assertThat(last.unitId()).isNull();
        assertThat(last.state()).isEqualTo("CANCELED");
    }

    @Test
    void wrongSecretIsRetriedUntilTheEngineAcceptsIt() throws Exception {
        engine = new FakeEngine("s3cret");
        engine.refuseAll = true;
        CompletableFuture<Integer> agent = start(1, 600, 20_000);
        await("three refused syncs", WAIT, () -> engine.statuses.stream().filter(s -> s == 401).count() >= 3);
        assertThat(agent).isNotDone();
        engine.refuseAll = false;
        await("pilot ACTIVE", WAIT, () -> "ACTIVE".equals(engine.state("pilot")));
        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void orphanedAgentKillsItsUnitsAndExitsWith3() throws Exception {
        CompletableFuture<Integer> agent = start(1, 600, 1500);
        run(unit("u", 1, "/bin/sh", "-c", "echo $$ > ../u.pid; exec sleep 60"));
        await("u EXECUTING", WAIT, () -> "EXECUTING".equals(engine.state("u")));
        await("pid file", WAIT, () -> Files.exists(sandbox.resolve("u.pid")));
        long pid = Long.parseLong(Files.readString(sandbox.resolve("u.pid")).strip());
        engine.close();
        long t0 = System.nanoTime();
        assertThat(agent.get(15, TimeUnit.SECONDS)).isEqualTo(AgentMain.EXIT_ORPHANED);
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(1000L, 8000L);
        await("unit process gone", Duration.ofSeconds(5), () -> !UnitExecutorTest.isRunning(pid));
        engine = null;
    }

    @Test
    void runtimeExpiryFailsUnitsAndEndsThePilotDone() throws Exception {
        CompletableFuture<Integer> agent = start(1, 1, 30_000);
        run(unit("long", 1, "/bin/sleep", "60"));
        run(unit("waiting", 1, "/bin/true"));
        assertThat(agent.get(15, TimeUnit.SECONDS)).isZero();
        assertThat(engine.state("long")).isEqualTo("FAILED");
        assertThat(engine.latest("long").reason()).isEqualTo("pilot runtime expired after 1 s");
        assertThat(engine.state("waiting")).isEqualTo("FAILED");
        assertThat(engine.latest("waiting").reason()).isEqualTo("pilot runtime expired after 1 s");
        assertThat(engine.latest("long").errorCode()).isEqualTo("PILOT_RUNTIME_EXPIRED");
        assertThat(engine.latest("waiting").errorCode()).isEqualTo("PILOT_RUNTIME_EXPIRED");
        assertThat(engine.state("pilot")).isEqualTo("DONE");
    }

    @Test
    void environmentNamesTheUnitPilotSessionAndGpus() throws Exception {
        CompletableFuture<Integer> agent = start(2, 600, 30_000);
        run(new UnitSpec("env", "env", "/usr/bin/env", null, java.util.Map.of("X", "1"), 2, 1, null, null,
                null, null, 0));
        await("env DONE", WAIT, () -> "DONE".equals(engine.state("env")));
        String out = Files.readString(sandbox.resolve("env/STDOUT"));
        assertThat(out).contains("PILOTFLOW_UNIT_ID=env\n", "PILOTFLOW_PILOT_ID=pilot.0\n",
                "PILOTFLOW_SESSION_ID=session.0\n", "PILOTFLOW_UNIT_SANDBOX=" + sandbox.resolve("env") + "\n",
                "PILOTFLOW_CORES=2\n", "PILOTFLOW_GPUS=1\n", "CUDA_VISIBLE_DEVICES=0\n", "X=1\n",
                "PILOTFLOW_NODES=localhost\n").doesNotContain("PILOTFLOW_RANKS");
        assertThat(engine.latest("env").slots()).containsExactly("localhost:0", "localhost:1", "localhost:gpu0");
        assertThat(engine.latest("env").sandbox()).isEqualTo(sandbox.resolve("env").toString());
        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void namedSandboxesThreadsAndPriorityAsRadicalPilotHasThem() throws Exception {
        CompletableFuture<Integer> agent = start(1, 600, 30_000);
        run(unit("blocker", 1, "/bin/sleep", "2"));
        await("blocker EXECUTING", WAIT, () -> "EXECUTING".equals(engine.state("blocker")));
        // queued behind the blocker on the one core: the high-priority one starts first although it came last
        run(new UnitSpec("low", "low", "/bin/sh", List.of("-c", "echo $OMP_NUM_THREADS > ../order-low"), null, 1, 0,
                null, null, null, null, 0, false, "shared/run", 0, 0, null));
        run(new UnitSpec("high", "high", "/bin/sh", List.of("-c", "echo $OMP_NUM_THREADS > threads"), null, 1, 0,
                null, null, null, null, 0, false, "shared/run", 1, 9, null));
        await("low DONE", WAIT, () -> "DONE".equals(engine.state("low")));
        await("high DONE", WAIT, () -> "DONE".equals(engine.state("high")));
        assertThat(engine.latest("high").timestamps().get("EXECUTING"))
                .isLessThanOrEqualTo(engine.latest("low").timestamps().get("EXECUTING"));
        // both ran in the one sandbox they named; cpu_threads reached the unit as OMP_NUM_THREADS
        Path shared = sandbox.resolve("shared/run");
        assertThat(engine.latest("high").sandbox()).isEqualTo(shared.toString());
        assertThat(Files.readString(shared.resolve("threads"))).isEqualTo("1\n");
        assertThat(Files.readString(sandbox.resolve("shared/order-low"))).isEqualTo("\n"); // not set without threads

        // a sandbox name leaving the pilot sandbox, directly or through a link an earlier unit made
        run(new UnitSpec("dots", "dots", "/bin/true", null, null, 1, 0, null, null, null, null, 0, false,
                "a/../../x", 0, 0, null));
        await("dots FAILED", WAIT, () -> "FAILED".equals(engine.state("dots")));
        assertThat(engine.latest("dots").reason()).contains("relative path of plain names");
        Path outside = Files.createDirectories(sandbox.resolveSibling(sandbox.getFileName() + "-outside"));
        run(unit("linker", 1, "/bin/ln", "-s", outside.toString(), "../escape"));
        await("linker DONE", WAIT, () -> "DONE".equals(engine.state("linker")));
        run(new UnitSpec("escaper", "escaper", "/bin/true", null, null, 1, 0, null, null, null, null, 0, false,
                "escape/x", 0, 0, null));
        await("escaper FAILED", WAIT, () -> "FAILED".equals(engine.state("escaper")));
        assertThat(engine.latest("escaper").reason()).contains("outside the pilot sandbox");
        assertThat(outside.resolve("x")).as("nothing made outside the sandbox").doesNotExist();
        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    static boolean onPath(String exe) {
        return java.util.Arrays.stream(forkEnv().get("PATH").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, exe)));
    }

    private static UnitSpec mpiUnit(String id, int ranks, String... argv) {
        return new UnitSpec(id, id, argv[0], List.of(argv).subList(1, argv.length), null, ranks, 0, null, null,
                null, null, 0, true);
    }

    /** A real 2-rank MPI unit through Open MPI's mpiexec (as root here and in CI: the agent must allow it). */
    @Test
    void runsAnMpiUnitOfTwoRanksWithMpiexec() throws Exception {
        boolean installed = onPath("mpiexec");
        if (!installed && "true".equals(System.getenv("CI"))) {
            org.junit.jupiter.api.Assertions.fail("mpiexec is not on PATH; CI=true needs this test to run");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(installed, "mpiexec is not on PATH");
        CompletableFuture<Integer> agent = start(2, 600, 30_000, List.of("MPIEXEC", "FORK"));
        run(mpiUnit("mpi", 2, "/bin/sh", "-c",
                "echo \"rank $OMPI_COMM_WORLD_RANK of $OMPI_COMM_WORLD_SIZE, $PILOTFLOW_RANKS ranks on $PILOTFLOW_NODES\""));
        run(unit("plain", 1, "/bin/echo", "forked"));
        await("mpi final", Duration.ofSeconds(60), () -> "DONE".equals(engine.state("mpi"))
                || "FAILED".equals(engine.state("mpi")));
        assertThat(engine.latest("mpi").reason()).isNull();
        assertThat(engine.state("mpi")).isEqualTo("DONE");
        assertThat(Files.readAllLines(sandbox.resolve("mpi/STDOUT"))).containsExactlyInAnyOrder(
                "rank 0 of 2, 2 ranks on localhost", "rank 1 of 2, 2 ranks on localhost");
        assertThat(engine.latest("mpi").slots()).containsExactly("localhost:0", "localhost:1");
        await("plain DONE", WAIT, () -> "DONE".equals(engine.state("plain")));
        assertThat(engine.latest("plain").stdoutTail()).isEqualTo("forked\n");
        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void anMpiUnitNoLaunchMethodCanStartFailsNamingTheMethodsAndFreesItsSlots() throws Exception {
        CompletableFuture<Integer> agent = start(2, 600, 30_000, List.of("FORK"));
        run(mpiUnit("mpi", 2, "/bin/true"));
        run(unit("after", 2, "/bin/true"));
        await("mpi FAILED", WAIT, () -> "FAILED".equals(engine.state("mpi")));
        assertThat(engine.latest("mpi").reason()).isEqualTo("no launch method of [FORK] can run an MPI unit of 2 "
                + "ranks on 1 node (FORK: starts one process, not 2 ranks)");
        assertThat(engine.latest("mpi").slots()).isEmpty();
        await("after DONE", WAIT, () -> "DONE".equals(engine.state("after")));
        cancelPilot();
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void aSlurmNodeListThatCannotBeParsedIsABadConfig() {
        AgentConfig cfg = new AgentConfig("s", "p", List.of("http://127.0.0.1:1"), "x", sandbox.toString(), 2, 0,
                60, 1000, 1000).withNodeList(new AgentConfig.NodeList("SLURM_JOB_NODELIST", "slurm-hostlist"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Agent(cfg, Agent.Options.defaults(),
                Map.of("SLURM_JOB_NODELIST", "n[1-", "SLURM_CPUS_ON_NODE", "2")))
                .isInstanceOf(BadConfigException.class)
                .hasMessage("batch system: cannot use SLURM_JOB_NODELIST='n[1-': not a Slurm host list: "
                        + "'[' without ']'");
    }
}
