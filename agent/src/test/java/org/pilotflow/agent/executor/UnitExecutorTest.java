package org.pilotflow.agent.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;

public class UnitExecutorTest {
    static UnitExecutor executor;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        executor = new UnitExecutor(2, 500);
    }

    @AfterAll
    static void stop() {
        executor.close();
    }

    private record Run(UnitExecution execution, CompletableFuture<ExecResult> result) { }

    private Run launch(List<String> argv, List<String> pre, List<String> post, Map<String, String> env,
                       long timeout) throws IOException {
        Path sandbox = Files.createDirectories(tmp.resolve("unit"));
        CompletableFuture<ExecResult> f = new CompletableFuture<>();
        UnitExecution ex = executor.launch(new LaunchSpec("unit", sandbox, argv, pre, post, env, "STDOUT", "STDERR",
                timeout), new UnitExecutor.Listener() {
                    @Override
                    public void started(long epochMillis) {
                    }

                    @Override
                    public void finished(ExecResult result) {
                        f.complete(result);
                    }
                });
        return new Run(ex, f);
    }

    /** The agent ending while a unit is between steps: that step's exit is still seen. */
    @Test
    void anExitAwaitedAfterCloseIsStillSeen() throws Exception {
        UnitExecutor closed = new UnitExecutor(1, 500);
        Process cat = new ProcessBuilder("cat").start(); // runs until its input ends
        try {
            closed.close();
            CompletableFuture<Void> exit = closed.exitOf(cat);
            assertThat(exit).isNotDone();
            cat.getOutputStream().close();
            exit.get(30, TimeUnit.SECONDS);
            assertThat(cat.isAlive()).isFalse();
        } finally {
            cat.destroyForcibly();
        }
    }

    private ExecResult run(List<String> argv) throws Exception {
        return launch(argv, List.of(), List.of(), Map.of(), 0).result().get(10, TimeUnit.SECONDS);
    }

    @Test
    void exitZeroIsDoneWithStdoutCaptured() throws Exception {
        ExecResult r = run(List.of("/bin/echo", "hello", "world"));
        assertThat(r.state()).isEqualTo(UnitState.DONE);
        assertThat(r.exitCode()).isZero();
        assertThat(r.reason()).isNull();
        assertThat(r.errorCode()).isNull();
        assertThat(r.stdoutTail()).isEqualTo("hello world\n");
        assertThat(Files.readString(tmp.resolve("unit/STDOUT"))).isEqualTo("hello world\n");
        assertThat(r.startedAt()).isPositive();
        assertThat(r.exitedAt()).isGreaterThanOrEqualTo(r.startedAt());
        assertThat(r.finishedAt()).isGreaterThanOrEqualTo(r.stagingAt());
    }

    @Test
    void nonZeroExitFailsWithTheLastStderrLine() throws Exception {
        ExecResult r = run(List.of("/bin/sh", "-c", "echo first >&2; echo 'it broke' >&2; exit 3"));
        assertThat(r.state()).isEqualTo(UnitState.FAILED);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.reason()).isEqualTo("exit code 3; stderr: it broke");
        assertThat(r.errorCode()).isEqualTo(ErrorCode.EXIT_CODE);
        assertThat(r.stderrTail()).isEqualTo("first\nit broke\n");
    }

    @Test
    void tailsKeepTheLast20Lines() throws Exception {
        ExecResult r = run(List.of("/bin/sh", "-c", "i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo line$i; done"));
        assertThat(r.stdoutTail().split("\n")).hasSize(20);
        assertThat(r.stdoutTail()).startsWith("line81\n").endsWith("line100\n");
    }

    @Test
    void environmentIsInheritedPlusTheUnitsOwn() throws Exception {
        ExecResult r = launch(List.of("/usr/bin/env"), List.of(), List.of(),
                Map.of("PILOTFLOW_UNIT_ID", "u1", "MY_VAR", "a b"), 0).result().get(10, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.DONE);
        String env = Files.readString(tmp.resolve("unit/STDOUT"));
        assertThat(env).contains("PILOTFLOW_UNIT_ID=u1\n", "MY_VAR=a b\n", "PATH=" + System.getenv("PATH") + "\n");
    }

    @Test
    void argvIsPassedLiterallyNeverThroughAShell() throws Exception {
        List<String> args = List.of("a b", "\"quoted\"", "$HOME", "'single'", "*", "; rm -rf /", "`id`");
        List<String> argv = new ArrayList<>(List.of("/usr/bin/printf", "%s\\n"));
        argv.addAll(args);
        ExecResult r = run(argv);
        assertThat(r.state()).isEqualTo(UnitState.DONE);
        assertThat(Files.readAllLines(tmp.resolve("unit/STDOUT"))).containsExactlyElementsOf(args);
    }

    @Test
    void preExecAndPostExecRunInTheSandboxAroundTheExecutable() throws Exception {
        ExecResult r = launch(List.of("/bin/cat", "pre.txt"), List.of("echo pre:$PILOTFLOW_UNIT_ID > pre.txt"),
                List.of("echo post >> STDOUT.post", "echo done"), Map.of("PILOTFLOW_UNIT_ID", "u7"), 0)
                .result().get(10, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.DONE);
        assertThat(r.stdoutTail()).isEqualTo("pre:u7\ndone\n");
        assertThat(tmp.resolve("unit/STDOUT.post")).hasContent("post");
    }

    @Test
    void failingPreExecFailsTheUnitBeforeTheExecutable() throws Exception {
        ExecResult r = launch(List.of("/bin/touch", "ran"), List.of("echo nope >&2; exit 4"), List.of(), Map.of(), 0)
                .result().get(10, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.FAILED);
        assertThat(r.exitCode()).isNull();
        assertThat(r.reason()).isEqualTo("pre_exec 'echo nope >&2; exit 4' failed with exit code 4; stderr: nope");
        assertThat(r.errorCode()).isEqualTo(ErrorCode.PRE_EXEC_FAILED);
        assertThat(tmp.resolve("unit/ran")).doesNotExist();
    }

    @Test
    void failingPostExecFailsAnOtherwiseSuccessfulUnit() throws Exception {
        ExecResult r = launch(List.of("/bin/true"), List.of(), List.of("exit 5"), Map.of(), 0)
                .result().get(10, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.FAILED);
        assertThat(r.exitCode()).isZero();
        assertThat(r.reason()).isEqualTo("post_exec 'exit 5' failed with exit code 5");
        assertThat(r.errorCode()).isEqualTo(ErrorCode.POST_EXEC_FAILED);
    }

    @Test
    void missingExecutableFailsWithAReason() throws Exception {
        ExecResult r = run(List.of("/no/such/binary"));
        assertThat(r.state()).isEqualTo(UnitState.FAILED);
        assertThat(r.exitCode()).isNull();
        assertThat(r.reason()).startsWith("cannot launch /no/such/binary: ");
        assertThat(r.errorCode()).isEqualTo(ErrorCode.LAUNCH_FAILED);
    }

    @Test
    void signalDeathIsReportedAsSuch() throws Exception {
        ExecResult r = run(List.of("/bin/sh", "-c", "kill -9 $$"));
        assertThat(r.state()).isEqualTo(UnitState.FAILED);
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(r.reason()).isEqualTo("killed by signal 9");
        assertThat(r.errorCode()).isEqualTo(ErrorCode.SIGNAL);
    }

    @Test
    void timeoutKillsTheUnit() throws Exception {
        long t0 = System.nanoTime();
        ExecResult r = launch(List.of("/bin/sleep", "30"), List.of(), List.of(), Map.of(), 1)
                .result().get(10, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.FAILED);
        assertThat(r.reason()).isEqualTo("timed out after 1 s");
        assertThat(r.errorCode()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
    }

    @Test
    void cancelKillsTheWholeProcessTree() throws Exception {
        Run run = launch(List.of("/bin/sh", "-c", "sleep 60 & sleep 60 & wait"), List.of(), List.of(), Map.of(), 0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<ProcessHandle> tree = List.of();
        while (System.nanoTime() < deadline) {
            Process p = run.execution().currentProcess();
            if (p != null) {
                tree = new ArrayList<>(p.descendants().toList());
                if (tree.size() >= 2) {
                    tree.add(p.toHandle());
                    break;
                }
            }
            Thread.sleep(10);
        }
        assertThat(tree).hasSize(3);
        run.execution().kill(UnitState.CANCELED, ErrorCode.CANCELED, "canceled on request");
        ExecResult r = run.result().get(10, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.CANCELED);
        assertThat(r.reason()).isEqualTo("canceled on request");
        assertThat(r.errorCode()).isEqualTo(ErrorCode.CANCELED);
        for (ProcessHandle h : tree) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (isRunning(h.pid()) && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(isRunning(h.pid())).as("pid %d still alive", h.pid()).isFalse();
        }
    }

    @Test
    void killBeforeStartKeepsTheUnitFromRunning() throws Exception {
        Run run = launch(List.of("/bin/touch", "ran"), List.of("sleep 30"), List.of(), Map.of(), 0);
        run.execution().kill(UnitState.CANCELED, ErrorCode.CANCELED, "canceled on request");
        ExecResult r = run.result().get(10, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.CANCELED);
        assertThat(tmp.resolve("unit/ran")).doesNotExist();
    }

    /**
     * A shell line's wait for a file {@code release} in its directory ({@code $0}), which also ends when the directory
     * is gone: JUnit deletes it after the test, and a kill still waiting then (released a moment too late to see the
     * file) would loop on after the test JVM.
     */
    private static final String UNTIL_RELEASED = "while [ ! -e release ] && [ -d \"$0\" ]; do sleep 0.05; done; ";

    /** A remote kill whose commands are local shell lines run in {@code dir}; counts its {@code ended()} calls. */
    private static final class ScriptedRemoteKill implements RemoteKill {
        final Path dir;
        final Map<String, String> lines;
        final java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();

        ScriptedRemoteKill(Path dir, Map<String, String> lines) {
            this.dir = dir;
            this.lines = lines;
        }

        @Override
        public List<String> argv(String signal) {
            return List.of("/bin/sh", "-c", "cd \"$0\" && " + lines.get(signal), dir.toString());
        }

        @Override
        public String node() {
            return "n-" + lines.hashCode(); // a node of its own: other tests' kills do not take its slots
        }

        @Override
        public void ended() {
            ended.incrementAndGet();
        }
    }

    private Run launchRemote(List<String> argv, ScriptedRemoteKill remote) throws IOException {
        Path sandbox = Files.createDirectories(tmp.resolve("unit"));
        CompletableFuture<ExecResult> f = new CompletableFuture<>();
        UnitExecution ex = executor.launch(new LaunchSpec("unit", sandbox, argv, List.of(), List.of(), Map.of(),
                "STDOUT", "STDERR", 0, 0, remote), new UnitExecutor.Listener() {
                    @Override
                    public void started(long epochMillis) {
                    }

                    @Override
                    public void finished(ExecResult result) {
                        f.complete(result);
                    }
                });
        return new Run(ex, f);
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean() && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private void awaitStarted(Run run) throws Exception {
        await(() -> run.execution().currentProcess() != null && Files.exists(tmp.resolve("unit/up")), "started");
    }

    /**
     * A canceled unit is reported once its remote processes were sent SIGKILL, not when the local launcher died:
     * under load the TERM's second ssh connection can outlast the grace period, and a unit reported CANCELED with
     * processes left on the other node would hand its cores to the next unit. A kill that fails is retried at
     * shutdown.
     */
    @Test
    void aKillEndsTheUnitOnceTheRemoteKillEndedAndRetriesOnlyAFailedOneAtShutdown() throws Exception {
        // the KILL hangs (a slow or lost node) until the test releases it, then fails; the second time it succeeds
        ScriptedRemoteKill remote = new ScriptedRemoteKill(tmp.resolve("unit"), Map.of("TERM", "echo TERM >> kills",
                "KILL", UNTIL_RELEASED + "echo KILL >> kills; [ -e ok ]"));
        Run run = launchRemote(List.of("/bin/sh", "-c", "touch up; exec sleep 300"), remote);
        awaitStarted(run);
        assertThat(executor.remoteLive(run.execution())).isTrue();
        Process launcher = run.execution().currentProcess();
        run.execution().kill(UnitState.CANCELED, ErrorCode.CANCELED, "canceled on request");
        Path kills = tmp.resolve("unit/kills");
        await(() -> Files.exists(kills) && read(kills).contains("TERM") && !launcher.isAlive(),
                "the TERM sent and the launcher killed");
        // the old code reported the unit within milliseconds of the launcher's end: give it a second to be wrong
        assertThat(run.result().copy().completeOnTimeout(null, 1, TimeUnit.SECONDS).get())
                .as("reported before the remote KILL ended").isNull();

        Files.createFile(tmp.resolve("unit/release"));
        ExecResult r = run.result().get(15, TimeUnit.SECONDS);
        assertThat(r.state()).isEqualTo(UnitState.CANCELED);
        await(() -> executor.remoteKills().running(remote.node()) == 0, "the KILL ran");
        assertThat(read(kills)).isEqualTo("TERM\nKILL\n");
        assertThat(executor.remoteLive(run.execution())).as("the KILL failed: left to the shutdown").isTrue();
        assertThat(remote.ended).hasValue(0);

        Files.createFile(tmp.resolve("unit/ok"));
        executor.killRemoteNow(20_000);
        assertThat(read(kills)).isEqualTo("TERM\nKILL\nKILL\n");
    }

    /** A node the TERM cannot reach (ssh exits 255) has gone away: the unit is reported without its KILL's end. */
    @Test
    void aNodeTheTermCannotReachDoesNotHoldTheUnitAndItsKillGoesOn() throws Exception {
        ScriptedRemoteKill remote = new ScriptedRemoteKill(tmp.resolve("unit"), Map.of("TERM",
                "echo TERM >> kills; exit 255", "KILL", UNTIL_RELEASED + "echo KILL >> kills"));
        Run run = launchRemote(List.of("/bin/sh", "-c", "touch up; exec sleep 300"), remote);
        awaitStarted(run);
        run.execution().kill(UnitState.CANCELED, ErrorCode.CANCELED, "canceled on request");
        ExecResult r = run.result().get(15, TimeUnit.SECONDS); // the KILL hangs until released
        assertThat(r.state()).isEqualTo(UnitState.CANCELED);
        assertThat(executor.remoteLive(run.execution())).as("its KILL still under way").isTrue();

        Files.createFile(tmp.resolve("unit/release"));
        await(() -> remote.ended.get() == 1, "the KILL ended and the remote part counted as gone");
        assertThat(read(tmp.resolve("unit/kills"))).isEqualTo("TERM\nKILL\n");
        assertThat(executor.remoteLive(run.execution())).isFalse();
    }

    /**
     * Twelve units on one node that went away: their kills queue four at a time on the node, and each TERM fails
     * after a while (ssh's connect timeout); every unit is reported once its own TERM failed, none waits for the
     * KILLs, which hang until released.
     */
    @Test
    void unitsOnANodeThatWentAwayAreAllReportedWithoutWaitingForTheirKills() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("lost"));
        Map<String, String> lines = Map.of("TERM", "sleep 0.3; exit 255",
                "KILL", UNTIL_RELEASED + "exit 255");
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ScriptedRemoteKill remote = new ScriptedRemoteKill(dir, lines);
            Path sandbox = Files.createDirectories(tmp.resolve("u" + i));
            CompletableFuture<ExecResult> f = new CompletableFuture<>();
            UnitExecution ex = executor.launch(new LaunchSpec("u" + i, sandbox, List.of("/bin/sleep", "300"),
                    List.of(), List.of(), Map.of(), "STDOUT", "STDERR", 0, 0, remote), new UnitExecutor.Listener() {
                        @Override
                        public void started(long epochMillis) {
                        }

                        @Override
                        public void finished(ExecResult result) {
                            f.complete(result);
                        }
                    });
            runs.add(new Run(ex, f));
        }
        await(() -> runs.stream().allMatch(r -> r.execution().currentProcess() != null), "all started");
        runs.forEach(r -> r.execution().kill(UnitState.FAILED, ErrorCode.NODE_LOST, "node n lost"));
        for (Run r : runs) { // 12 TERMs of 0.3 s, 4 at a time: about a second; REMOTE_KILL_SECONDS is 30
            assertThat(r.result().get(20, TimeUnit.SECONDS).state()).isEqualTo(UnitState.FAILED);
        }
        Files.createFile(dir.resolve("release"));
    }

    @Test
    void aLauncherThatEndedByItselfDuringTheGraceGetsNoRemoteKill() throws Exception {
        // the remote TERM makes the launcher exit 3 by itself: its remote group is gone, its id no longer its own
        ScriptedRemoteKill remote = new ScriptedRemoteKill(tmp.resolve("unit"), Map.of("TERM", "echo TERM >> kills; kill -s TERM $(cat pid)",
                "KILL", "echo KILL >> kills"));
        Run run = launchRemote(List.of("/bin/sh", "-c", "trap 'exit 3' TERM; echo $$ > pid; touch up; "
                + "while :; do sleep 0.1; done"), remote);
        awaitStarted(run);
        run.execution().kill(UnitState.CANCELED, ErrorCode.CANCELED, "canceled on request");
        assertThat(run.result().get(15, TimeUnit.SECONDS).state()).isEqualTo(UnitState.CANCELED);
        await(() -> remote.ended.get() == 1, "the remote part counted as ended");
        assertThat(executor.remoteLive(run.execution())).isFalse();
        assertThat(read(tmp.resolve("unit/kills"))).isEqualTo("TERM\n");
    }

    @Test
    void aLauncherThatEndedByItselfHasItsFilesRemovedWithoutAKill() throws Exception {
        ScriptedRemoteKill remote = new ScriptedRemoteKill(tmp.resolve("unit"), Map.of("TERM", "echo TERM >> kills",
                "KILL", "echo KILL >> kills"));
        ExecResult r = launchRemote(List.of("/bin/sh", "-c", "exit 4"), remote).result().get(10, TimeUnit.SECONDS);
        assertThat(r.exitCode()).isEqualTo(4);
        await(() -> remote.ended.get() == 1, "the remote part counted as ended");
        assertThat(tmp.resolve("unit/kills")).doesNotExist();
    }

    @Test
    void theShutdownsRemoteKillsRunAtMostFourAtOnceOnANode() throws Exception {
        // six units on one node whose KILLs block until released: sshd drops connections beyond MaxStartups
        Path dir = Files.createDirectories(tmp.resolve("unit"));
        Path log = dir.resolve("log");
        try (UnitExecutor own = new UnitExecutor(2, 500)) {
            List<UnitExecution> units = new ArrayList<>();
            List<CompletableFuture<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                CompletableFuture<ExecResult> result = new CompletableFuture<>();
                results.add(result);
                RemoteKill remote = new RemoteKill() {
                    @Override
                    public List<String> argv(String signal) {
                        return List.of("/bin/sh", "-c", signal.equals("TERM") ? "exit 0" : "cd \"$0\" && "
                                + "echo start >> log; " + UNTIL_RELEASED + "echo end >> log",
                                dir.toString());
                    }

                    @Override
                    public String node() {
                        return "n1";
                    }
                };
                units.add(own.launch(new LaunchSpec("u" + i, dir, List.of("/bin/sleep", "300"), List.of(), List.of(),
                        Map.of(), "STDOUT", "STDERR", 0, 0, remote), new UnitExecutor.Listener() {
                            @Override
                            public void started(long epochMillis) {
                            }

                            @Override
                            public void finished(ExecResult r) {
                                result.complete(r);
                            }
                        }));
            }
            await(() -> units.stream().allMatch(u -> own.remoteLive(u)), "all started");
            Thread shutdown = new Thread(() -> own.killRemoteNow(20_000));
            shutdown.start();
            await(() -> read(log).lines().count() >= 4, "four kills started");
            Files.createFile(dir.resolve("release"));
            shutdown.join(30_000);
            List<String> lines = read(log).lines().toList();
            assertThat(lines).hasSize(12);
            assertThat(lines.indexOf("end")).as("kills started before the first ended: %s", lines).isEqualTo(4);
            for (UnitExecution u : units) {
                u.kill(UnitState.CANCELED, ErrorCode.CANCELED, "test over");
            }
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** Alive and not a zombie (a reparented child that PID 1 has not reaped yet counts as gone). */
    public static boolean isRunning(long pid) {
        Path stat = Path.of("/proc/" + pid + "/stat");
        try {
            String s = Files.readString(stat);
            char state = s.charAt(s.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}
