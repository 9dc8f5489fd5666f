package org.pilotflow.agent.executor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Kills a process and all its descendants: a snapshot of the tree is taken first (children re-parented to init
 * after their parent died could not be found any more), SIGTERM goes to the descendants (deepest first), then to
 * the root; after the grace period every process of the snapshot, and any descendant it started meanwhile, that
 * is still alive gets SIGKILL.
 */
public final class ProcessTrees {

    private ProcessTrees() {
    }

    /**
     * Kills the tree; the returned future completes once every process of the snapshot has exited (or, should
     * one linger as an unreaped zombie, at the latest 2 s after the SIGKILL), so a unit is reported CANCELED only
     * when its whole tree is gone.
     */
    public static CompletableFuture<Void> kill(ProcessHandle root, long graceMillis, ScheduledExecutorService timer) {
        List<ProcessHandle> tree = snapshot(root);
        for (ProcessHandle h : tree) { // deepest first, root last
            h.destroy();
        }
        Runnable force = () -> forceKill(tree);
        CompletableFuture<Void> bound = new CompletableFuture<>();
        if (graceMillis <= 0 || timer == null) {
            force.run();
            bound.completeOnTimeout(null, 2000, TimeUnit.MILLISECONDS);
        } else {
            timer.schedule(force, graceMillis, TimeUnit.MILLISECONDS);
            bound.completeOnTimeout(null, graceMillis + 2000, TimeUnit.MILLISECONDS);
        }
        if (timer != null) {
            pollUntilDead(tree, bound, timer);
        }
        return bound;
    }

    // onExit() of a process that is not our child polls slowly, and a killed grandchild stays a zombie until
    // init reaps it (about a second on some hosts): a zombie has terminated, so it counts as gone here.
    private static void pollUntilDead(List<ProcessHandle> tree, CompletableFuture<Void> done,
                                      ScheduledExecutorService timer) {
        if (done.isDone()) {
            return;
        }
        for (ProcessHandle h : tree) {
            if (isRunning(h)) {
                timer.schedule(() -> pollUntilDead(tree, done, timer), 10, TimeUnit.MILLISECONDS);
                return;
            }
        }
        done.complete(null);
    }

    /** Alive and not a zombie. */
    public static boolean isRunning(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(h.pid()), "stat"));
            int close = stat.lastIndexOf(')'); // the command name may contain spaces and parentheses
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (java.io.IOException | RuntimeException e) {
            return h.isAlive(); // no /proc (not Linux) or the process just vanished
        }
    }

    /** The tree, deepest processes first and {@code root} last (one scan of the process table). */
    static List<ProcessHandle> snapshot(ProcessHandle root) {
        List<ProcessHandle> out = new ArrayList<>(root.descendants().toList()); // parents before children
        Collections.reverse(out);
        out.add(root);
        return out;
    }

    private static void forceKill(List<ProcessHandle> tree) {
        List<ProcessHandle> again = new ArrayList<>();
        for (ProcessHandle h : tree) {
            if (h.isAlive()) {
                again.addAll(snapshot(h)); // includes anything it forked after the first snapshot
            }
        }
        for (ProcessHandle h : again) {
            h.destroyForcibly();
        }
    }
}
