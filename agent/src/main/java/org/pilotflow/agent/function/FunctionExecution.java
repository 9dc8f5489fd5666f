package org.pilotflow.agent.function;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.pilotflow.agent.executor.ExecResult;
import org.pilotflow.agent.executor.Execution;
import org.pilotflow.agent.executor.Tails;
import org.pilotflow.agent.executor.UnitExecutor;
import org.pilotflow.function.FunctionContext;
import org.pilotflow.function.PilotFunction;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One function unit run by the {@link FunctionExecutor}: a new instance of its class, {@code call} on a worker
 * thread, the result or the exception turned into the unit's end.
 *
 * <p>A kill (cancel, timeout, the pilot's end) interrupts the worker thread; the unit ends when {@code call}
 * returns, so its cores are not given to another unit while it still runs. A function still running after the kill
 * grace is reported in the agent log and the unit's stderr. Only when the pilot itself ends does the unit end without
 * waiting for it (the agent's JVM, and with it the thread, is about to end).
 */
public final class FunctionExecution implements Execution {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionExecution.class);

    private final FunctionExecutor executor;
    private final FunctionSpec spec;
    private final UnitExecutor.Listener listener;
    private final Context context = new Context();

    // guarded by this
    private Thread runner;
    private boolean finished;
    private UnitState killState;
    private ErrorCode killCode;
    private String killReason;
    private long startedAt;
    private ScheduledFuture<?> timeout;

    FunctionExecution(FunctionExecutor executor, FunctionSpec spec, UnitExecutor.Listener listener) {
        this.executor = executor;
        this.spec = spec;
        this.listener = listener;
    }

    @Override
    public String unitId() {
        return spec.unitId();
    }

    /** On a worker thread. */
    void run() {
        synchronized (this) {
            if (killState != null) { // killed while it waited for a worker
                finishKilled(0, 0);
                return;
            }
            runner = Thread.currentThread();
        }
        String loadFailure = null;
        Throwable thrown = null;
        try {
            // loaded before the unit counts as started: a class that cannot run never reaches EXECUTING, as a
            // process that cannot be launched
            PilotFunction f;
            try {
                f = executor.classes().constructor(executor.jars(spec.jars()), spec.className()).newInstance();
            } catch (FunctionClasses.Unloadable e) {
                loadFailure = e.getMessage();
                f = null;
            } catch (InvocationTargetException e) { // the constructor threw: the function's own code
                thrown = e.getCause();
                f = null;
            } catch (ReflectiveOperationException | LinkageError e) { // e.g. a static initializer that fails
                loadFailure = "function class " + spec.className() + " cannot be made an instance of: " + e;
                f = null;
            }
            synchronized (this) {
                if (killState != null) {
                    f = null; // killed while its class loaded: it does not run
                }
            }
            if (f != null) {
                synchronized (this) {
                    startedAt = System.currentTimeMillis();
                    if (spec.timeoutSeconds() > 0) {
                        long secs = spec.timeoutSeconds();
                        timeout = executor.timer().schedule(() -> kill(UnitState.FAILED, ErrorCode.TIMEOUT,
                                "timed out after " + secs + " s"), secs, TimeUnit.SECONDS);
                    }
                }
                listener.started(startedAt);
                Object result = f.call(context);
                if (result != null) {
                    context.out().println(String.valueOf(result));
                }
            }
        } catch (Throwable t) { // Errors too: the agent goes on, the unit fails and says why
            thrown = t;
        } finally {
            synchronized (this) {
                runner = null;
            }
            Thread.interrupted(); // a kill that came as call returned must not reach the next unit on this thread
        }
        long exitedAt = System.currentTimeMillis();
        if (thrown != null) {
            PrintWriter err = context.err();
            err.print("pilotflow: function " + spec.className() + " threw ");
            thrown.setStackTrace(ownFrames(thrown.getStackTrace()));
            thrown.printStackTrace(err);
        }
        context.close();
        UnitState state;
        ErrorCode code;
        String reason;
        synchronized (this) {
            if (finished) { // given up on at the pilot's end
                return;
            }
            if (killState != null) {
                finishKilled(startedAt, exitedAt);
                return;
            }
        }
        if (loadFailure != null) {
            state = UnitState.FAILED;
            code = ErrorCode.LAUNCH_FAILED;
            reason = loadFailure;
        } else if (thrown != null) {
            state = UnitState.FAILED;
            code = ErrorCode.FUNCTION_EXCEPTION;
            reason = "function " + spec.className() + " threw " + thrown.getClass().getName()
                    + (thrown.getMessage() == null ? "" : ": " + thrown.getMessage());
        } else {
            state = UnitState.DONE;
            code = null;
            reason = null;
        }
        finish(state, code, reason, state == UnitState.DONE ? 0 : null, startedAt, exitedAt);
    }

    /** The frames of the function's own code: the agent's worker frames below it say nothing to its author. */
    private static StackTraceElement[] ownFrames(StackTraceElement[] frames) {
        for (int i = 0; i < frames.length; i++) {
            if (frames[i].getClassName().equals(FunctionExecution.class.getName())) {
                return java.util.Arrays.copyOf(frames, i);
            }
        }
        return frames;
    }

    /**
     * Interrupts the function (or keeps it from starting). The unit ends in {@code state} when {@code call}
     * returns; at the pilot's end after the kill grace even if it does not.
     */
    @Override
    public void kill(UnitState state, ErrorCode code, String reason) {
        synchronized (this) {
            if (finished || killState != null) {
                return;
            }
            killState = state;
            killCode = code;
            killReason = reason;
            if (runner == null) {
                return; // not started: run() ends it; or returning: run() finds the kill
            }
            runner.interrupt();
        }
        executor.timer().schedule(this::stillRunning, executor.killGraceMillis(), TimeUnit.MILLISECONDS);
    }

    /** The kill grace is over: a function still in {@code call} ignored its interrupt. */
    private void stillRunning() {
        boolean pilotEnds;
        long started;
        synchronized (this) {
            if (finished || runner == null) {
                return;
            }
            pilotEnds = killCode.aboutThePilot() || killCode == ErrorCode.PILOT_CANCELED;
            started = startedAt;
        }
        String what = "function " + spec.className() + " ignored its interrupt for " + executor.killGraceMillis()
                + " ms";
        if (pilotEnds) {
            LOG.warn("unit {}: {}; the pilot ends, so the unit ends without it", spec.unitId(), what);
            context.err().println("pilotflow: " + what + "; the unit ended with its pilot while it still ran");
            context.err().flush();
            synchronized (this) {
                killReason = killReason + " (the function ignored its interrupt and was left running)";
                finishKilled(started, System.currentTimeMillis());
            }
        } else {
            LOG.warn("unit {}: {}; its {} cores stay held until it returns", spec.unitId(), what, spec.cores());
            context.err().println("pilotflow: " + what + "; the unit ends " + killState() + " when it returns");
            context.err().flush();
        }
    }

    private synchronized UnitState killState() {
        return killState;
    }

    /** Called with the lock held. */
    private void finishKilled(long started, long exitedAt) {
        finish(killState, killCode, killReason, null, started, exitedAt);
    }

    private void finish(UnitState state, ErrorCode code, String reason, Integer exitCode, long started,
                        long exitedAt) {
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
        }
        long stagingAt = System.currentTimeMillis();
        String out = context.wroteOut ? Tails.read(spec.sandbox().resolve(spec.stdout())) : "";
        String err = context.wroteErr ? Tails.read(spec.sandbox().resolve(spec.stderr())) : "";
        if (code == ErrorCode.FUNCTION_EXCEPTION || code == ErrorCode.LAUNCH_FAILED) {
            LOG.debug("unit {}: {}", spec.unitId(), reason);
        }
        ExecResult r = new ExecResult(state, exitCode, reason, out, err, started, exitedAt == 0 ? started : exitedAt,
                stagingAt, System.currentTimeMillis(), code, null);
        try {
            listener.finished(r);
        } catch (RuntimeException e) {
            LOG.error("listener failed for unit {}", spec.unitId(), e);
        }
    }

    /** The function's view of its unit; the output files are opened on first use (a no-op function makes none). */
    private final class Context implements FunctionContext {
        private PrintWriter out;
        private PrintWriter err;
        volatile boolean wroteOut;
        volatile boolean wroteErr;

        @Override
        public String unitId() {
            return spec.unitId();
        }

        @Override
        public List<String> arguments() {
            return spec.arguments();
        }

        @Override
        public Map<String, String> environment() {
            return spec.environment();
        }

        @Override
        public Path sandbox() {
            return spec.sandbox();
        }

        @Override
        public int cores() {
            return spec.cores();
        }

        @Override
        public synchronized PrintWriter out() {
            if (out == null) {
                out = open(spec.stdout());
                wroteOut = true;
            }
            return out;
        }

        @Override
        public synchronized PrintWriter err() {
            if (err == null) {
                err = open(spec.stderr());
                wroteErr = true;
            }
            return err;
        }

        @Override
        public boolean canceled() {
            return killState() != null;
        }

        private PrintWriter open(String name) {
            try {
                return new PrintWriter(Files.newBufferedWriter(spec.sandbox().resolve(name), StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the unit's " + name + " in " + spec.sandbox(), e);
            }
        }

        synchronized void close() {
            if (out != null) {
                out.close();
            }
            if (err != null) {
                err.close();
            }
        }
    }
}
