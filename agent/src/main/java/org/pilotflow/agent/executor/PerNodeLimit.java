package org.pilotflow.agent.executor;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Runs asynchronous tasks with at most {@code perNode} of them under way per node, the rest queued in order,
 * without holding a thread while they wait. For remote kills: a pilot cancel with many units on one node must not
 * open more ssh connections at once than its sshd accepts unauthenticated (MaxStartups, 10 by default).
 */
final class PerNodeLimit {
    private final int perNode;
    // guarded by this
    private final Map<String, Integer> running = new HashMap<>();
    private final Map<String, Queue<Runnable>> waiting = new HashMap<>();

    PerNodeLimit(int perNode) {
        this.perNode = perNode;
    }

    /** Starts {@code task} on {@code node} once fewer than {@code perNode} run there; completes with its result. */
    <T> CompletableFuture<T> run(String node, Supplier<CompletableFuture<T>> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable start = () -> {
            CompletableFuture<T> f;
            try {
                f = task.get();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((v, e) -> {
                release(node);
                if (e != null) {
                    result.completeExceptionally(e);
                } else {
                    result.complete(v);
                }
            });
        };
        boolean now;
        synchronized (this) {
            int n = running.getOrDefault(node, 0);
            now = n < perNode;
            if (now) {
                running.put(node, n + 1);
            } else {
                waiting.computeIfAbsent(node, k -> new ArrayDeque<>()).add(start);
            }
        }
        if (now) {
            start.run();
        }
        return result;
    }

    private void release(String node) {
        Runnable next;
        synchronized (this) {
            Queue<Runnable> q = waiting.get(node);
            next = q == null ? null : q.poll();
            if (q != null && q.isEmpty()) {
                waiting.remove(node);
            }
            if (next == null) { // the slot is free; else it passes on to next
                int n = running.get(node) - 1;
                if (n == 0) {
                    running.remove(node);
                } else {
                    running.put(node, n);
                }
            }
        }
        if (next != null) {
            next.run();
        }
    }

    /** Tasks under way on {@code node} (for tests). */
    synchronized int running(String node) {
        return running.getOrDefault(node, 0);
    }
}
