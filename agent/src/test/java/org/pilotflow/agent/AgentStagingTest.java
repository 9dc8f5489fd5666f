package org.pilotflow.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.pilotflow.agent.FakeEngine.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Direction;
import org.pilotflow.model.wire.StagingDirective.Flag;
import org.pilotflow.model.wire.UnitSpec;

/**
 * Staging through the real agent against a fake engine: the states and reasons it reports, stage-on-error, and a
 * pilot's own input staging. The file operations themselves are covered by {@code StagerTest}.
 */
class AgentStagingTest {
    static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path tmp;

    Path resource;
    Path sandbox;
    FakeEngine engine;

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void layout() throws Exception {
        resource = tmp.resolve("resource");
        sandbox = Files.createDirectories(resource.resolve("session.0/pilot.0"));
    }

    private CompletableFuture<Integer> start(List<StagingDirective> pilotStaging) throws Exception {
        return run(make(pilotStaging));
    }

    private Agent make(List<StagingDirective> pilotStaging) throws Exception {
        engine = new FakeEngine("s3cret");
        AgentConfig cfg = new AgentConfig("session.0", "pilot.0", List.of(engine.endpoint()), false, "s3cret",
                sandbox.toString(), 2, 0, 600, 1000, 30_000, null, null, false, 0, null, List.of(),
                pilotStaging.stream().map(d -> d.resolved("p", Direction.PILOT_INPUT)).toList());
        return new Agent(cfg, new Agent.Options(300, 5000, 2, 10_000), AgentTest.forkEnv());
    }

    private static CompletableFuture<Integer> run(Agent agent) {
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

    private static UnitSpec unit(String id, List<StagingDirective> in, List<StagingDirective> out, boolean onError,
                                 String... argv) {
        return new UnitSpec(id, id, argv[0], List.of(argv).subList(1, argv.length), null, 1, 0, null, null, null,
                null, 0, false, null, 0, 0, null, 0,
                in.stream().map(d -> d.resolved("in", Direction.INPUT)).toList(),
                out.stream().map(d -> d.resolved("out", Direction.OUTPUT)).toList(), onError);
    }

    private void run(UnitSpec u) {
        engine.command(Command.run(engine.nextCommandSeq(), u));
    }

    private Map<String, Long> times(String unitId) {
        Map<String, Long> all = new HashMap<>();
        engine.applied.stream().filter(r -> unitId.equals(r.unitId())).forEach(r -> all.putAll(r.timestamps()));
        return all;
    }

    @Test
    void stagesInputsRunsAndStagesOutputsInOrder() throws Exception {
        Files.writeString(resource.resolve("shared.txt"), "one two three\n");
        CompletableFuture<Integer> agent = start(List.of(StagingDirective.copy("resource:///shared.txt", "")));
        await("pilot ACTIVE", WAIT, () -> "ACTIVE".equals(engine.state("pilot")));
        // the pilot's staging ran before it reported ACTIVE
        assertThat(Files.readString(sandbox.resolve("shared.txt"))).isEqualTo("one two three\n");

        run(unit("u1", List.of(StagingDirective.link("pilot:///shared.txt", "in.txt")),
                List.of(StagingDirective.copy("count.txt", "pilot:///results/")), false,
                "/bin/sh", "-c", "wc -w < in.txt > count.txt"));
        await("u1 DONE", WAIT, () -> "DONE".equals(engine.state("u1")));
        assertThat(Files.readString(sandbox.resolve("results/count.txt")).strip()).isEqualTo("3");
        Map<String, Long> t = times("u1");
        assertThat(t.get("STAGING_INPUT")).isLessThanOrEqualTo(t.get("PENDING_EXECUTION"));
        assertThat(t.get("EXECUTING")).isLessThanOrEqualTo(t.get("STAGING_OUTPUT"));
        assertThat(t.get("STAGING_OUTPUT")).isLessThanOrEqualTo(t.get("DONE"));
        engine.command(Command.cancelPilot(engine.nextCommandSeq()));
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void aDirectoryGoesInAndComesOutAsATarball() throws Exception {
        Files.createDirectories(sandbox.resolve("dataset/sub"));
        Files.writeString(sandbox.resolve("dataset/a.txt"), "alpha\n");
        Files.writeString(sandbox.resolve("dataset/sub/b.txt"), "beta\n");
        CompletableFuture<Integer> agent = start(List.of());
        StagingDirective in = new StagingDirective("pilot:///dataset", "", StagingDirective.Action.TARBALL);
        StagingDirective out = new StagingDirective("out", "pilot:///results/t1", StagingDirective.Action.TARBALL);
        run(unit("t1", List.of(in), List.of(out), false, "/bin/sh", "-c",
                "mkdir -p out/logs && cat dataset/a.txt dataset/sub/b.txt > out/joined.txt && echo ran > out/logs/l"));
        await("t1 DONE", WAIT, () -> "DONE".equals(engine.state("t1")));
        assertThat(Files.readString(sandbox.resolve("results/t1/joined.txt"))).isEqualTo("alpha\nbeta\n");
        assertThat(Files.readString(sandbox.resolve("results/t1/logs/l"))).isEqualTo("ran\n");

        // a tree that cannot be packed fails the unit naming the directive and the path
        Files.createSymbolicLink(sandbox.resolve("dataset/escape"), Path.of("/etc/hostname"));
        run(unit("t2", List.of(in), List.of(), false, "/bin/true"));
        await("t2 FAILED", WAIT, () -> "FAILED".equals(engine.state("t2")));
        assertThat(engine.latest("t2").errorCode()).isEqualTo("STAGING_INPUT_FAILED");
        assertThat(engine.latest("t2").reason()).isEqualTo("input staging [0] 'pilot:///dataset > unit:///dataset' "
                + "(TARBALL, [CREATE_PARENTS]) failed: " + sandbox.resolve("dataset/escape") + " is an absolute link "
                + "(/etc/hostname), which would lead out of a copy of the tree: only links inside the tree are packed");
        engine.command(Command.cancelPilot(engine.nextCommandSeq()));
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void aFailedDirectiveFailsTheUnitNamingItUnlessNonFatal() throws Exception {
        CompletableFuture<Integer> agent = start(List.of());
        run(unit("missing", List.of(StagingDirective.copy("pilot:///nothing.dat", "in.dat")), List.of(), false,
                "/bin/true"));
        run(unit("lenient", List.of(StagingDirective.copy("pilot:///nothing.dat", "in.dat")
                .withFlags(Flag.NON_FATAL)), List.of(), false, "/bin/true"));
        run(unit("badout", List.of(), List.of(StagingDirective.copy("never-written.txt", "pilot:///x")), false,
                "/bin/true"));
        await("all final", WAIT, () -> engine.state("missing") != null && "FAILED".equals(engine.state("missing"))
                && "DONE".equals(engine.state("lenient")) && "FAILED".equals(engine.state("badout")));
        Report missing = engine.latest("missing");
        assertThat(missing.errorCode()).isEqualTo("STAGING_INPUT_FAILED");
        assertThat(missing.reason()).isEqualTo("input staging [0] 'pilot:///nothing.dat > unit:///in.dat' (COPY, "
                + "[CREATE_PARENTS]) failed: source " + sandbox.resolve("nothing.dat") + " does not exist");
        assertThat(times("missing")).doesNotContainKey("EXECUTING"); // it never ran
        assertThat(engine.latest("lenient").stderrTail()).startsWith("pilotflow: warning: input staging [0] "
                + "'pilot:///nothing.dat > unit:///in.dat' (COPY, [NON_FATAL]) failed: source ");
        assertThat(engine.latest("badout").errorCode()).isEqualTo("STAGING_OUTPUT_FAILED");
        assertThat(engine.latest("badout").exitCode()).isZero();
        assertThat(engine.latest("badout").reason()).startsWith("output staging [0] 'unit:///never-written.txt > "
                + "pilot:///x' (COPY");
        engine.command(Command.cancelPilot(engine.nextCommandSeq()));
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void outputIsStagedAfterAFailureOnlyWhenTheUnitAsksForIt() throws Exception {
        CompletableFuture<Integer> agent = start(List.of());
        List<StagingDirective> out = List.of(StagingDirective.copy("log.txt", "pilot:///logs/"));
        run(unit("asks", List.of(), out.stream().map(d -> StagingDirective.copy("log.txt", "pilot:///saved/"))
                .toList(), true, "/bin/sh", "-c", "echo partial > log.txt; exit 3"));
        run(unit("quiet", List.of(), out, false, "/bin/sh", "-c", "echo partial > log.txt; exit 3"));
        await("both FAILED", WAIT, () -> "FAILED".equals(engine.state("asks"))
                && "FAILED".equals(engine.state("quiet")));
        assertThat(Files.readString(sandbox.resolve("saved/log.txt"))).isEqualTo("partial\n");
        assertThat(engine.latest("asks").reason()).isEqualTo("exit code 3"); // the unit's own failure stays
        assertThat(engine.latest("asks").errorCode()).isEqualTo("EXIT_CODE");
        assertThat(times("asks")).containsKey("STAGING_OUTPUT");
        assertThat(sandbox.resolve("logs")).doesNotExist();
        engine.command(Command.cancelPilot(engine.nextCommandSeq()));
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void aFailedPilotInputFailsThePilotBeforeItTakesUnits() throws Exception {
        CompletableFuture<Integer> agent = start(List.of(StagingDirective.copy("resource:///absent.tar", "")
                .withFlags(Flag.NON_FATAL, Flag.CREATE_PARENTS), StagingDirective.copy("session:///absent.cfg", "")));
        assertThat(agent.get(15, TimeUnit.SECONDS)).isZero();
        assertThat(engine.state("pilot")).isEqualTo("FAILED");
        assertThat(engine.latest("pilot").reason()).isEqualTo("pilot input staging [1] 'session:///absent.cfg > "
                + "pilot:///absent.cfg' (COPY, [CREATE_PARENTS]) failed: source "
                + resource.resolve("session.0/absent.cfg") + " does not exist");
        assertThat(engine.applied).noneMatch(r -> r.unitId() == null && "ACTIVE".equals(r.state()));
    }

    @Test
    void activeIsStampedWhenThePilotIsReadyNotWhenTheAgentWasMade() throws Exception {
        Files.writeString(resource.resolve("shared.txt"), "one two three\n");
        Agent made = make(List.of(StagingDirective.copy("resource:///shared.txt", "")));
        long madeAt = System.currentTimeMillis();
        while (System.currentTimeMillis() <= madeAt) { // a clock tick between making and running it
            Thread.onSpinWait();
        }
        CompletableFuture<Integer> agent = run(made);
        await("pilot ACTIVE", WAIT, () -> "ACTIVE".equals(engine.state("pilot")));
        long active = engine.applied.stream().filter(r -> r.unitId() == null && "ACTIVE".equals(r.state()))
                .findFirst().orElseThrow().timestamps().get("ACTIVE");
        // after its inputs are staged (the file system's clock is coarser, never later), not at its JVM's start
        assertThat(active).isGreaterThan(madeAt)
                .isGreaterThanOrEqualTo(Files.getLastModifiedTime(sandbox.resolve("shared.txt")).toMillis());
        engine.command(Command.cancelPilot(engine.nextCommandSeq()));
        assertThat(agent.get(10, TimeUnit.SECONDS)).isZero();
    }
}
