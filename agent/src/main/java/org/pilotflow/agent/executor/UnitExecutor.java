package org.pilotflow.agent.executor;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.pilotflow.agent.monitor.MemoryMonitor;

/**
 * Launches units as local processes and watches them without a thread started per unit: processes are started by a
 * small launch pool, each running process's exit is awaited by a reused thread ({@link #exitOf}), timeouts and kill
 * grace periods run on one timer thread.
 *
 * <p>A unit runs as: each preExec line ({@code /bin/sh -c line}), then the executable (argv, never a shell), then
 * each postExec line ({@code /bin/sh -c line}); every step is a separate process with cwd = unit sandbox, the same
 * environment, stdin from /dev/null, stdout/stderr appended to the unit's two output files. A preExec line that
 * exits non-zero fails the unit before the executable runs; postExec lines run after the executable whatever its
 * exit code (not after a kill), and a failing postExec line fails a unit whose executable exited 0.
 */
public final class UnitExecutor implements AutoCloseable {

    /** Called from executor threads; implementations hand the work to their own thread quickly. */
    public interface Listener {
        /** The first process of the unit was started at {@code epochMillis}. */
        void started(long epochMillis);

        /** The unit ended; called exactly once. */
        void finished(ExecResult result);
    }

    static final File DEV_NULL = new File("/dev/null");

    private final ExecutorService pool;
    private final ScheduledThreadPoolExecutor timer;
    /** A thread blocked in {@code waitFor} for each running process, kept for the next one ({@link #exitOf}). */
    private final ExecutorService exitWatchers = Executors.newCachedThreadPool(
            daemonThreads("pilotflow-exit"));
    private final long killGraceMillis;
    private final MemoryMonitor memory;
    /** Executions whose executable was started on another node and may still run there. */
    private final Set<UnitExecution> remoteLive = ConcurrentHashMap.newKeySet();
    /** Remote kill commands (ssh connections) under way at once per node. */
    private final PerNodeLimit remoteKills = new PerNodeLimit(4);

    public UnitExecutor(int launchThreads, long killGraceMillis) {
        this(launchThreads, killGraceMillis, null);
    }

    /** @param memory samples each unit's memory and enforces its limit; null for neither */
    public UnitExecutor(int launchThreads, long killGraceMillis, MemoryMonitor memory) {
        this.killGraceMillis = killGraceMillis;
        this.memory = memory;
        this.pool = new ThreadPoolExecutor(launchThreads, launchThreads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), daemonThreads("pilotflow-launch"));
        this.timer = new ScheduledThreadPoolExecutor(1, daemonThreads("pilotflow-exec-timer"));
        this.timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Completes, on a thread of this executor's own, when {@code p} has exited. Not {@link Process#onExit()}: the JDK
     * (17-24) hands that exit on to its default async executor, which on a host of 1 or 2 cores starts a new thread
     * for every task (a thread made and ended for every unit: 116 thread starts for 100 units, a third of the agent's
     * CPU a unit) and elsewhere is the common pool, which function units' code may keep busy. Once this executor is
     * closed (the agent ending while a unit is between steps), it is {@code onExit()} after all.
     */
    CompletableFuture<Void> exitOf(Process p) {
        try {
            return CompletableFuture.runAsync(() -> awaitExit(p), exitWatchers);
        } catch (RejectedExecutionException e) {
            // closed while a unit is between steps: the step's exit is still seen
            return p.onExit().thenApply(x -> null);
        }
    }

    private static void awaitExit(Process p) {
        boolean interrupted = false;
        while (true) {
            try {
                p.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the exit is what the unit waits for: keep waiting, say so after
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts a unit; returns at once. The sandbox directory must exist. */
    public UnitExecution launch(LaunchSpec spec, Listener listener) {
        UnitExecution run = new UnitExecution(this, spec, listener);
        pool.execute(run::startNext);
        return run;
    }

    ExecutorService pool() {
        return pool;
    }

    ScheduledThreadPoolExecutor timer() {
        return timer;
    }

    long killGraceMillis() {
        return killGraceMillis;
    }

    MemoryMonitor memory() {
        return memory;
    }

    /**
     * SIGKILL to the processes launchers started on other nodes that may still run (the remote command did not end
     * by itself, or no kill of it succeeded), as many at once per node as other remote kills; waits at most
     * {@code waitMillis} for the kill commands. For the JVM's shutdown: the local launchers may be gone already, the
     * remote processes are not.
     */
    public void killRemoteNow(long waitMillis) {
        List<Process> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<CompletableFuture<?>> kills = new ArrayList<>();
        for (UnitExecution e : remoteLive) {
            kills.add(remoteKills.run(e.remoteNode(), () -> e.killRemoteNow().map(k -> {
                started.add(k);
                return k.onExit();
            }).orElse(CompletableFuture.completedFuture(null))));
        }
        try {
            CompletableFuture.allOf(kills.toArray(CompletableFuture[]::new)).get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ex) {
            // the ones still under way are given up below
        }
        for (Process k : started) {
            k.destroyForcibly();
        }
    }

    PerNodeLimit remoteKills() {
        return remoteKills;
    }

    /** Whether {@code e}'s remote processes may still run (the JVM's shutdown would kill them). */
    boolean remoteLive(UnitExecution e) {
        return remoteLive.contains(e);
    }

    void remoteStarted(UnitExecution e) {
        remoteLive.add(e);
    }

    void remoteEnded(UnitExecution e) {
        remoteLive.remove(e);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        timer.shutdownNow();
        exitWatchers.shutdown(); // its threads wait for processes that are killed or outlive the JVM (daemons)
        if (memory != null) {
            memory.close();
        }
    }

    static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
