package org.pilotflow.internal.channel;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.pilotflow.internal.store.PilotKey;

/**
 * Syncs held open while their agent has nothing to hear (a long poll), without holding a thread: each parked sync
 * is answered once, when a command for its pilot commits on this node ({@link #wake}) or when its time is up.
 * Commands queued on another node reach the agent at the time-out, at most one poll later.
 *
 * <p>Threads: {@link #park} from sync workers, {@link #wake} from committing threads, time-outs on the
 * {@code timer}; the answer always runs on {@code workers}.
 */
final class LongPolls {

    private final Map<PilotKey, List<Parked>> parked = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final Executor workers;

    LongPolls(ScheduledExecutorService timer, Executor workers) {
        this.timer = timer;
        this.workers = workers;
    }

    private final class Parked {
        final PilotKey pilot;
        final Runnable answer;
        final AtomicBoolean done = new AtomicBoolean();

        Parked(PilotKey pilot, Runnable answer) {
            this.pilot = pilot;
            this.answer = answer;
        }

        void fire() {
            if (done.compareAndSet(false, true)) {
                List<Parked> l = parked.get(pilot);
                if (l != null) {
                    l.remove(this);
                }
                try {
                    workers.execute(answer);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    answer.run(); // the workers are full or stopping: answer here rather than never
                }
            }
        }
    }

    /**
     * Runs {@code answer} on a worker after {@code millis}, or sooner when a command for the pilot commits; returns
     * what answers this sync now (once, whoever comes first).
     */
    Runnable park(PilotKey pilot, long millis, Runnable answer) {
        Parked p = new Parked(pilot, answer);
        parked.computeIfAbsent(pilot, k -> new CopyOnWriteArrayList<>()).add(p);
        try {
            timer.schedule(p::fire, millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            p.fire(); // the node stops: answer now
        }
        return p::fire;
    }

    void wake(PilotKey pilot) {
        List<Parked> l = parked.get(pilot);
        if (l != null) {
            l.forEach(Parked::fire);
        }
    }

    /** Answers every parked sync now (the node stops). */
    void wakeAll() {
        parked.values().forEach(l -> l.forEach(Parked::fire));
    }
}
