package org.pilotflow.internal.session;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.pilotflow.internal.lifecycle.Threads;

/**
 * The threads the API's futures complete on ({@code pilotflow-async-*}): what a caller chains on
 * {@link org.pilotflow.api.ComputeUnit#completion()} or on an asynchronous cancel runs here, never on the engine thread
 * that committed the unit's end, where a slow or blocking step would hold up every report queued behind it.
 *
 * <p>A cached pool: a dependent that blocks, in any way (on another unit's future, in {@code waitFor}, in I/O), gets a
 * thread of its own and holds up no other. A commit that ends 500 units hands 500 futures over at once, so bursts make
 * threads: 26 for bursts of 500 on 2 cores, made once and reused (a fork-join pool made 2, but only a blocking
 * {@code get} or {@code join} would have made it add one, and a dependent in {@code waitFor} could hold up the very
 * hand-over it waits for). A thread idle for a minute ends. Daemon threads, so a forgotten future keeps no application
 * alive.
 */
final class AsyncResults {

    static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(Threads.named("pilotflow-async"));

    private AsyncResults() {
    }

    /**
     * A future of {@code source}'s value that callers cannot complete: done at once when {@code source} is, otherwise
     * completed on {@link #EXECUTOR} (a moment after {@code source}).
     */
    static <T> CompletableFuture<T> handedOver(CompletableFuture<T> source) {
        return source.isDone() ? source.copy() : source.thenApplyAsync(value -> value, EXECUTOR);
    }
}
