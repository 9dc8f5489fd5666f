package org.pilotflow.agent.executor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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

    public static void kill(ProcessHandle root, long graceMillis, ScheduledExecutorService timer) {
        List<ProcessHandle> tree = snapshot(root);
        for (ProcessHandle h : tree) { // deepest first, root last
            h.destroy();
        }
        Runnable force = () -> forceKill(tree);
        if (graceMillis <= 0 || timer == null) {
            force.run();
        } else {
            timer.schedule(force, graceMillis, TimeUnit.MILLISECONDS);
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
