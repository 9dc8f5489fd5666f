package org.pilotflow.agent.executor;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.pilotflow.agent.monitor.MemoryMonitor;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One unit being run by the {@link UnitExecutor}: a chain of steps (preExec..., executable, postExec...). */
public final class UnitExecution implements Execution {
    private static final Logger LOG = LoggerFactory.getLogger(UnitExecution.class);

    /** The longest a remote kill command may take (an ssh connection to a node that went away hangs). */
    static final long REMOTE_KILL_SECONDS = 30;

    private final UnitExecutor executor;
    private final LaunchSpec spec;
    private final UnitExecutor.Listener listener;
    private final List<List<String>> steps = new ArrayList<>();
    private final int mainStep;
    private final Redirect out;
    private final Redirect err;

    // guarded by this
    private int step;
    private Process current;
    private UnitState killState;
    private String killReason;
    private ErrorCode killCode;
    private boolean finished;
    private long startedAt;
    private ScheduledFuture<?> timeout;
    private MemoryMonitor.Watch memoryWatch;
    // written by the step thread only (steps run one after another)
    private Integer mainExit;
    private String failReason;
    private ErrorCode failCode;

    UnitExecution(UnitExecutor executor, LaunchSpec spec, UnitExecutor.Listener listener) {
        this.executor = executor;
        this.spec = spec;
        this.listener = listener;
        for (String line : spec.preExec()) {
            steps.add(List.of("/bin/sh", "-c", line));
        }
        mainStep = steps.size();
        steps.add(spec.argv());
        for (String line : spec.postExec()) {
            steps.add(List.of("/bin/sh", "-c", line));
        }
        out = Redirect.appendTo(spec.sandbox().resolve(spec.stdout()).toFile());
        err = Redirect.appendTo(spec.sandbox().resolve(spec.stderr()).toFile());
    }

    @Override
    public String unitId() {
        return spec.unitId();
    }

    /**
     * Completes when the tree of the killed process has exited; null when nothing was killed. Set under the lock
     * before the first signal goes out, so the exit thread of a killed process always finds it.
     */
    private CompletableFuture<Void> treeGone;

    /** The process running now (for tests and diagnostics), or null. */
    public synchronized Process currentProcess() {
        return current;
    }

    private synchronized ProcessHandle currentHandle() {
        return current == null ? null : current.toHandle();
    }

    /**
     * Ends the unit: kills the running process tree (SIGTERM, SIGKILL after the grace period) or, when nothing runs
     * yet, keeps anything from starting. The unit ends in {@code state} with {@code reason}, unless it already ended
     * or was already being killed. Safe from any thread.
     */
    @Override
    public void kill(UnitState state, ErrorCode code, String reason) {
        Process p;
        CompletableFuture<Void> gone = null;
        synchronized (this) {
            if (finished || killState != null) {
                return;
            }
            killState = state;
            killReason = reason;
            killCode = code;
            p = current;
            if (p != null) {
                gone = new CompletableFuture<>();
                treeGone = gone;
            }
        }
        if (gone != null) {
            killTree(p, gone);
        }
    }

    private void killTree(Process p, CompletableFuture<Void> gone) {
        RemoteKill remote;
        synchronized (this) {
            remote = step == mainStep ? spec.remoteKill() : null; // preExec and postExec run here
        }
        if (remote != null) {
            killRemote(remote, p, gone);
        } else if (p.isAlive()) {
            ProcessTrees.kill(p.toHandle(), executor.killGraceMillis(), executor.timer())
                    .whenComplete((v, e) -> gone.complete(null));
        } else {
            gone.complete(null);
        }
    }

    /**
     * SIGTERM to the remote processes and the grace period for the launcher to exit with them, then the local tree
     * is killed and SIGKILL sent to whatever is left there; {@code gone} completes once both are done, so a canceled
     * unit is reported (and its cores reused) only when its processes on the other node are gone too. A node the
     * TERM could not reach (gone away) holds the unit no longer than that failed TERM, and no kill holds it longer
     * than {@link #REMOTE_KILL_SECONDS} (kills wait their turn per node); the kills not done by then go on, and are
     * retried at shutdown.
     * No SIGKILL when the launcher ended by itself before the grace ran out with a code below 128: the remote
     * command ended there (ssh passes its code on), and its group id may be another's by now.
     */
    private void killRemote(RemoteKill remote, Process p, CompletableFuture<Void> gone) {
        CompletableFuture<Boolean> term = runRemoteKill(remote, "TERM");
        p.onExit().completeOnTimeout(p, executor.killGraceMillis(), TimeUnit.MILLISECONDS)
                .thenCompose(v -> {
                    CompletableFuture<Void> remoteDone;
                    if (!p.isAlive() && p.exitValue() < 128) {
                        remoteGone(remote);
                        remoteDone = CompletableFuture.completedFuture(null);
                    } else {
                        remoteDone = term.thenCompose(sent -> {
                            CompletableFuture<Boolean> kill = runRemoteKill(remote, "KILL");
                            kill.thenAccept(done -> {
                                if (done) {
                                    remoteGone(remote);
                                }
                            });
                            // a node the TERM could not reach does not hold the unit: its KILL goes on without it
                            // (and is retried at shutdown while it has not succeeded)
                            return sent ? kill.<Void>thenApply(done -> null)
                                    : CompletableFuture.<Void>completedFuture(null);
                        }).completeOnTimeout(null, REMOTE_KILL_SECONDS, TimeUnit.SECONDS); // kills queued per node
                    }
                    CompletableFuture<Void> local = p.isAlive() ? ProcessTrees.kill(p.toHandle(), 0, executor.timer())
                            : CompletableFuture.<Void>completedFuture(null);
                    return CompletableFuture.allOf(local, remoteDone);
                })
                // the future may complete on the JDK's delay thread (a timeout): finish() runs on the pool
                .whenCompleteAsync((v, e) -> gone.complete(null), executor.pool());
    }

    /** The remote processes are gone: off the shutdown's kill list, their launch's files removed. */
    private void remoteGone(RemoteKill remote) {
        executor.remoteEnded(this);
        remote.ended();
    }

    /**
     * Starts SIGKILL for the executable's processes on another node, at once and without waiting (JVM shutdown);
     * the kill command. Called for executions whose remote part may still run ({@link UnitExecutor}), even when the
     * local launcher died already (a batch system ending the job signals it too).
     */
    Optional<Process> killRemoteNow() {
        RemoteKill remote = spec.remoteKill();
        try {
            return Optional.of(new ProcessBuilder(remote.argv("KILL")).redirectInput(UnitExecutor.DEV_NULL)
                    .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD).start());
        } catch (IOException | RuntimeException e) {
            LOG.warn("unit {}: cannot send SIGKILL to its remote processes: {}", spec.unitId(), e.toString());
            return Optional.empty();
        }
    }

    /** The node the executable's remote processes run on (only for executions with a remote kill). */
    String remoteNode() {
        return spec.remoteKill().node();
    }

    /**
     * Runs the remote kill for {@code signal}, once fewer than a few run for its node; completes with whether it
     * exited 0 (it is given up after {@link #REMOTE_KILL_SECONDS}).
     */
    private CompletableFuture<Boolean> runRemoteKill(RemoteKill remote, String signal) {
        return executor.remoteKills().run(remote.node(), () -> startRemoteKill(remote, signal));
    }

    private CompletableFuture<Boolean> startRemoteKill(RemoteKill remote, String signal) {
        List<String> argv = remote.argv(signal);
        Process k;
        try {
            k = new ProcessBuilder(argv).redirectInput(UnitExecutor.DEV_NULL).redirectOutput(Redirect.DISCARD)
                    .redirectErrorStream(false).start();
        } catch (IOException | RuntimeException e) {
            LOG.warn("unit {}: cannot send SIG{} to its remote processes: {}", spec.unitId(), signal, e.toString());
            return CompletableFuture.completedFuture(false);
        }
        return k.onExit().orTimeout(REMOTE_KILL_SECONDS, TimeUnit.SECONDS).handle((done, e) -> {
            try (java.io.InputStream stderr = k.getErrorStream()) {
                if (e != null) {
                    k.destroyForcibly();
                    LOG.warn("unit {}: sending SIG{} to its remote processes took over {} s ({}); gave up on it",
                            spec.unitId(), signal, REMOTE_KILL_SECONDS, argv.get(0));
                    return false;
                } else if (k.exitValue() != 0) {
                    String err = new String(stderr.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    LOG.warn("unit {}: sending SIG{} to its remote processes failed with exit code {}: {}",
                            spec.unitId(), signal, k.exitValue(), Tails.lastLine(err));
                    return false;
                }
                return true;
            } catch (IOException ex) {
                LOG.warn("unit {}: reading the remote kill's errors: {}", spec.unitId(), ex.toString());
                return k.exitValue() == 0;
            }
        });
    }

    void startNext() {
        List<String> argv;
        synchronized (this) {
            if (killState != null) {
                argv = null;
            } else {
                argv = steps.get(step);
            }
        }
        if (argv == null) {
            finish();
            return;
        }
        Process p;
        try {
            p = start(argv);
        } catch (IOException | RuntimeException e) {
            failCode = ErrorCode.LAUNCH_FAILED;
            failReason = step == mainStep
                    ? "cannot launch " + argv.get(0) + ": " + e.getMessage()
                    : "cannot launch /bin/sh for " + stepName(step) + ": " + e.getMessage();
            finish();
            return;
        }
        boolean first;
        CompletableFuture<Void> killedMeanwhile = null;
        synchronized (this) {
            current = p;
            if (step == mainStep && spec.remoteKill() != null) { // before a kill can end it
                executor.remoteStarted(this);
            }
            first = startedAt == 0;
            if (first) {
                startedAt = System.currentTimeMillis();
                if (executor.memory() != null) {
                    memoryWatch = executor.memory().watch(spec.unitId(), this::currentHandle,
                            spec.memoryLimitBytes(), why -> kill(UnitState.FAILED, ErrorCode.MEMORY_EXCEEDED, why));
                }
                if (spec.timeoutSeconds() > 0) {
                    long secs = spec.timeoutSeconds();
                    timeout = executor.timer().schedule(
                            () -> kill(UnitState.FAILED, ErrorCode.TIMEOUT, "timed out after " + secs + " s"), secs, TimeUnit.SECONDS);
                }
            }
            if (killState != null) { // kill() came between the check above and current = p
                killedMeanwhile = new CompletableFuture<>();
                treeGone = killedMeanwhile;
            }
        }
        if (killedMeanwhile != null) {
            killTree(p, killedMeanwhile);
        }
        if (first) {
            listener.started(startedAt);
        }
        executor.exitOf(p).whenComplete((v, ex) -> stepExited(p)); // on the executor's exit thread for p
    }

    private Process start(List<String> argv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.directory(spec.sandbox().toFile());
        Map<String, String> env = pb.environment();
        env.putAll(spec.environment());
        pb.redirectInput(UnitExecutor.DEV_NULL);
        pb.redirectOutput(out);
        pb.redirectError(err);
        return pb.start();
    }

    private void stepExited(Process p) {
        int code;
        try {
            code = p.exitValue();
        } catch (IllegalThreadStateException e) {
            code = -1;
        }
        boolean killed;
        CompletableFuture<Void> gone;
        synchronized (this) {
            killed = killState != null;
            gone = treeGone;
        }
        if (step == mainStep) {
            mainExit = code;
            if (!killed && spec.remoteKill() != null) {
                RemoteKill remote = spec.remoteKill();
                if (code < 128) {
                    remoteGone(remote); // ssh passed the remote command's own exit code on: it ended there
                } else { // the launcher died or lost the node (ssh says 255): what it started there may run on
                    runRemoteKill(remote, "KILL").thenAccept(done -> {
                        if (done) {
                            remoteGone(remote);
                        }
                    });
                }
            }
        }
        if (killed) {
            if (gone == null) {
                finish();
            } else {
                gone.whenComplete((v, ex) -> finish()); // report only once the whole tree is gone
            }
            return;
        }
        if (step < mainStep && code != 0) {
            failCode = ErrorCode.PRE_EXEC_FAILED;
            failReason = stepName(step) + " '" + spec.preExec().get(step) + "' failed with exit code " + code;
            finish();
            return;
        }
        if (step > mainStep && code != 0 && failReason == null) {
            failCode = ErrorCode.POST_EXEC_FAILED;
            failReason = stepName(step) + " '" + spec.postExec().get(step - mainStep - 1)
                    + "' failed with exit code " + code;
        }
        synchronized (this) {
            step++;
            if (step >= steps.size()) {
                step = -1;
            }
        }
        if (step < 0) {
            finish();
        } else {
            startNext();
        }
    }

    private String stepName(int s) {
        return s < mainStep ? "pre_exec" : s > mainStep ? "post_exec" : "executable";
    }

    private void finish() {
        UnitState ks;
        String kr;
        ErrorCode kc;
        long started;
        MemoryMonitor.Watch watch;
        synchronized (this) {
            if (finished) {
                return;
            }
            watch = memoryWatch;
            finished = true;
            current = null;
            ks = killState;
            kr = killReason;
            kc = killCode;
            started = startedAt;
            if (timeout != null) {
                timeout.cancel(false);
            }
        }
        long exitedAt = System.currentTimeMillis();
        MemoryProfile memory = watch == null ? null : watch.stop();
        String stdoutTail = Tails.read(spec.sandbox().resolve(spec.stdout()));
        String stderrTail = Tails.read(spec.sandbox().resolve(spec.stderr()));
        long stagedAt = System.currentTimeMillis();
        UnitState state;
        String reason;
        ErrorCode code;
        if (ks != null) {
            state = ks;
            reason = kr;
            code = kc;
        } else if (mainExit == null) {
            state = UnitState.FAILED;
            reason = appendStderr(failReason, stderrTail);
            code = failCode;
        } else if (mainExit != 0) {
            state = UnitState.FAILED;
            reason = exitReason(mainExit, stderrTail);
            code = isSignal(mainExit) ? ErrorCode.SIGNAL : ErrorCode.EXIT_CODE;
        } else if (failReason != null) {
            state = UnitState.FAILED;
            reason = appendStderr(failReason, stderrTail);
            code = failCode;
        } else {
            state = UnitState.DONE;
            reason = null;
            code = null;
        }
        ExecResult r = new ExecResult(state, mainExit, reason, stdoutTail, stderrTail, started, exitedAt, stagedAt,
                System.currentTimeMillis(), code, memory);
        try {
            listener.finished(r);
        } catch (RuntimeException e) {
            LOG.error("listener failed for unit {}", spec.unitId(), e);
        }
    }

    /** "exit code 3; stderr: last line", or "killed by signal 9" (Java reports a signal death as 128+n). */
    static String exitReason(int code, String stderrTail) {
        if (isSignal(code)) {
            return "killed by signal " + (code - 128);
        }
        return appendStderr("exit code " + code, stderrTail);
    }

    private static boolean isSignal(int code) {
        return code > 128 && code <= 128 + 64;
    }

    private static String appendStderr(String reason, String stderrTail) {
        String last = Tails.lastLine(stderrTail);
        return last.isEmpty() ? reason : reason + "; stderr: " + last;
    }
}
