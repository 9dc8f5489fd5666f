package org.pilotflow.agent.function;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.agent.executor.ExecResult;
import org.pilotflow.agent.executor.UnitExecutor;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;

/** Function units in the agent's worker pool, from a jar compiled by the test. */
class FunctionExecutorTest {
    private static final long GRACE = 300;

    @TempDir
    Path tmp;
    Path pilot;
    Path jar;
    FunctionExecutor executor;

    static final Map<String, String> SOURCES = Map.of(
            "fn.Echo", """
                    package fn;
                    import org.pilotflow.function.*;
                    public class Echo implements PilotFunction {
                        public Object call(FunctionContext c) {
                            c.out().println("hello from " + c.unitId() + " in " + c.sandbox().getFileName());
                            c.err().println("env X=" + c.environment().get("X"));
                            return String.join("+", c.arguments()) + " on " + c.cores();
                        }
                    }""",
            "fn.Boom", """
                    package fn;
                    public class Boom implements org.pilotflow.function.PilotFunction {
                        public Object call(org.pilotflow.function.FunctionContext c) {
                            throw new IllegalStateException("no input for " + c.unitId());
                        }
                    }""",
            "fn.Sleep", """
                    package fn;
                    public class Sleep implements org.pilotflow.function.PilotFunction {
                        public Object call(org.pilotflow.function.FunctionContext c) throws Exception {
                            Thread.sleep(Long.parseLong(c.arguments().get(0)));
                            return "slept";
                        }
                    }""",
            "fn.Stubborn", """
                    package fn;
                    import java.nio.file.*;
                    /** Ignores interrupts: spins until the file named by its argument exists. */
                    public class Stubborn implements org.pilotflow.function.PilotFunction {
                        public Object call(org.pilotflow.function.FunctionContext c) {
                            Path release = Path.of(c.arguments().get(0));
                            while (!Files.exists(release)) {
                                Thread.interrupted();
                                Thread.onSpinWait();
                            }
                            return "released";
                        }
                    }""",
            "fn.Who", """
                    package fn;
                    public class Who implements org.pilotflow.function.PilotFunction {
                        public Object call(org.pilotflow.function.FunctionContext c) {
                            return Thread.currentThread().getName() + " " + System.identityHashCode(getClass());
                        }
                    }""",
            "fn.NotAFunction", "package fn; public class NotAFunction { }",
            "fn.NoDefault", """
                    package fn;
                    public class NoDefault implements org.pilotflow.function.PilotFunction {
                        public NoDefault(int x) { }
                        public Object call(org.pilotflow.function.FunctionContext c) { return null; }
                    }""");

    @BeforeEach
    void setUp() throws Exception {
        pilot = Files.createDirectories(tmp.resolve("resource/session/pilot"));
        jar = FunctionJar.build(Files.createDirectories(tmp.resolve("resource/jars")), "fn.jar", SOURCES);
        executor = new FunctionExecutor(2, pilot, List.of(tmp.resolve("resource")), GRACE); // as the Stager's roots
    }

    @AfterEach
    void tearDown() {
        executor.close();
    }

    private record Run(FunctionExecution execution, CompletableFuture<ExecResult> result,
                       CompletableFuture<Long> started) { }

    private Run launch(String unit, String cls, List<String> jars, List<String> args, long timeout) throws Exception {
        Path sandbox = Files.createDirectories(pilot.resolve(unit));
        CompletableFuture<ExecResult> done = new CompletableFuture<>();
        CompletableFuture<Long> started = new CompletableFuture<>();
        FunctionExecution e = executor.launch(new FunctionSpec(unit, sandbox, cls, jars, args, Map.of("X", "1"),
                "STDOUT", "STDERR", timeout, 1), new UnitExecutor.Listener() {
                    @Override
                    public void started(long epochMillis) {
                        started.complete(epochMillis);
                    }

                    @Override
                    public void finished(ExecResult result) {
                        if (!done.complete(result)) {
                            throw new AssertionError("finished twice");
                        }
                    }
                });
        return new Run(e, done, started);
    }

    private ExecResult run(String unit, String cls, String... args) throws Exception {
        return launch(unit, cls, List.of(jar.toString()), List.of(args), 0).result().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aFunctionEndsDoneWithItsResultAsTheLastLineOfItsStdout() throws Exception {
        ExecResult r = run("u1", "fn.Echo", "a", "b");
        assertThat(r.state()).isEqualTo(UnitState.DONE);
        assertThat(r.exitCode()).isZero();
        assertThat(r.errorCode()).isNull();
        assertThat(r.stdoutTail()).isEqualTo("hello from u1 in u1\na+b on 1\n");
        assertThat(r.stderrTail()).isEqualTo("env X=1\n");
        assertThat(Files.readString(pilot.resolve("u1/STDOUT"))).endsWith("a+b on 1\n");
        assertThat(r.startedAt()).isPositive();
        assertThat(r.finishedAt()).isGreaterThanOrEqualTo(r.startedAt());
    }

    @Test
    void aFunctionThatThrowsFailsNamingTheExceptionWithItsStackTraceInStderr() throws Exception {
        ExecResult r = run("u2", "fn.Boom");
        assertThat(r.state()).isEqualTo(UnitState.FAILED);
        assertThat(r.errorCode()).isEqualTo(ErrorCode.FUNCTION_EXCEPTION);
        assertThat(r.reason()).isEqualTo("function fn.Boom threw java.lang.IllegalStateException: no input for u2");
        assertThat(r.stderrTail()).contains("IllegalStateException: no input for u2", "fn.Boom.call(Boom.java:4)")
                .doesNotContain("ThreadPoolExecutor");
        assertThat(r.exitCode()).isNull();
    }

    @Test
    void classesThatCannotRunFailSayingWhyAndWhatToDo() throws Exception {
        Run missingRun = launch("u3", "fn.Missing", List.of(jar.toString()), List.of(), 0);
        ExecResult missing = missingRun.result().get(30, TimeUnit.SECONDS);
        assertThat(missingRun.started()).as("never EXECUTING, as a process that cannot launch").isNotDone();
        assertThat(missing.startedAt()).isZero();
        assertThat(missing.state()).isEqualTo(UnitState.FAILED);
        assertThat(missing.errorCode()).isEqualTo(ErrorCode.LAUNCH_FAILED);
        assertThat(missing.reason()).contains("function class fn.Missing not found in [" + jar.toRealPath() + "]",
                "check the class name");
        assertThat(run("u4", "fn.NotAFunction").reason())
                .contains("fn.NotAFunction does not implement org.pilotflow.function.PilotFunction");
        assertThat(run("u5", "fn.NoDefault").reason())
                .contains("fn.NoDefault has no public no-argument constructor");
    }

    @Test
    void jarsMustExistAndLieUnderTheRoots() throws Exception {
        ExecResult r = launch("u6", "fn.Echo", List.of(tmp.resolve("resource/jars/none.jar").toString()), List.of(),
                0).result().get(30, TimeUnit.SECONDS);
        assertThat(r.errorCode()).isEqualTo(ErrorCode.LAUNCH_FAILED);
        assertThat(r.reason()).contains("none.jar does not exist", "stage it");

        Path outside = Files.copy(jar, Files.createDirectories(tmp.resolve("elsewhere")).resolve("fn.jar"));
        r = launch("u7", "fn.Echo", List.of(outside.toString()), List.of(), 0).result().get(30, TimeUnit.SECONDS);
        assertThat(r.reason()).contains("lies outside the pilot's sandbox root and the resource's valid roots");

        r = launch("u8", "fn.Echo", List.of("../../elsewhere/fn.jar"), List.of(), 0).result().get(30, TimeUnit.SECONDS);
        assertThat(r.reason()).contains("leaves the pilot sandbox");

        // relative to the pilot sandbox
        Files.copy(jar, pilot.resolve("local.jar"));
        assertThat(launch("u9", "fn.Echo", List.of("local.jar"), List.of(), 0).result().get(30, TimeUnit.SECONDS)
                .state()).isEqualTo(UnitState.DONE);
    }

    @Test
    void manyUnitsShareOneClassLoaderPerJarSetAndThePoolsThreads() throws Exception {
        Path other = Files.copy(jar, tmp.resolve("resource/jars/other.jar"));
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String j = (i % 2 == 0 ? jar : other).toString();
            runs.add(launch("m" + i, "fn.Who", List.of(j), List.of(), 0));
        }
        Set<String> threads = new HashSet<>();
        Set<String> classes = new HashSet<>();
        for (Run r : runs) {
            ExecResult e = r.result().get(30, TimeUnit.SECONDS);
            assertThat(e.state()).isEqualTo(UnitState.DONE);
            String[] who = e.stdoutTail().strip().split(" ");
            threads.add(who[0]);
            classes.add(who[1]);
        }
        assertThat(executor.classLoaderCount()).isEqualTo(2);
        assertThat(classes).hasSize(2); // the class once per jar set, not once per unit
        assertThat(threads).hasSizeLessThanOrEqualTo(2).allMatch(t -> t.startsWith("pilotflow-function-"));
    }

    @Test
    void aCanceledFunctionIsInterruptedAndEndsCanceled() throws Exception {
        Run r = launch("c1", "fn.Sleep", List.of(jar.toString()), List.of("60000"), 0);
        r.started().get(30, TimeUnit.SECONDS);
        r.execution().kill(UnitState.CANCELED, ErrorCode.CANCELED, "canceled on request");
        ExecResult e = r.result().get(10, TimeUnit.SECONDS);
        assertThat(e.state()).isEqualTo(UnitState.CANCELED);
        assertThat(e.errorCode()).isEqualTo(ErrorCode.CANCELED);
        assertThat(e.reason()).isEqualTo("canceled on request");
    }

    @Test
    void aFunctionRunningPastItsTimeoutFails() throws Exception {
        ExecResult e = launch("t1", "fn.Sleep", List.of(jar.toString()), List.of("60000"), 1).result()
                .get(30, TimeUnit.SECONDS);
        assertThat(e.state()).isEqualTo(UnitState.FAILED);
        assertThat(e.errorCode()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.reason()).isEqualTo("timed out after 1 s");
    }

    @Test
    void aFunctionIgnoringItsInterruptIsReportedAndEndsOnlyWhenItReturns() throws Exception {
        Path release = tmp.resolve("release");
        Run r = launch("s1", "fn.Stubborn", List.of(jar.toString()), List.of(release.toString()), 0);
        r.started().get(30, TimeUnit.SECONDS);
        r.execution().kill(UnitState.CANCELED, ErrorCode.CANCELED, "canceled on request");
        Path stderr = pilot.resolve("s1/STDERR");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(stderr) && Files.readString(stderr).contains("ignored its interrupt"))) {
            assertThat(System.nanoTime()).as("the report of the ignored interrupt").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(r.result()).isNotDone(); // its core stays held: the unit has not ended
        Files.createFile(release);
        ExecResult e = r.result().get(30, TimeUnit.SECONDS);
        assertThat(e.state()).isEqualTo(UnitState.CANCELED);
        assertThat(e.stderrTail()).contains("the unit ends CANCELED when it returns");
    }

    @Test
    void atThePilotsEndAFunctionIgnoringItsInterruptIsLeftRunning() throws Exception {
        Path release = tmp.resolve("release2");
        Run r = launch("s2", "fn.Stubborn", List.of(jar.toString()), List.of(release.toString()), 0);
        r.started().get(30, TimeUnit.SECONDS);
        r.execution().kill(UnitState.CANCELED, ErrorCode.PILOT_CANCELED, "pilot canceled");
        ExecResult e = r.result().get(30, TimeUnit.SECONDS);
        assertThat(e.state()).isEqualTo(UnitState.CANCELED);
        assertThat(e.reason()).isEqualTo("pilot canceled (the function ignored its interrupt and was left running)");
        Files.createFile(release); // lets the worker thread go; its late return reports nothing
        assertThat(run("s3", "fn.Echo").state()).isEqualTo(UnitState.DONE);
    }
}
