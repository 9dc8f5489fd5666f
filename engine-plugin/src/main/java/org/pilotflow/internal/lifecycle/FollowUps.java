package org.pilotflow.internal.lifecycle;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.UnitKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The follow-up work a committed change asks for, each in bounded transactions of its own: binding a manager's
 * waiting units ({@link Published.DrainWanted}), ending the unfinished units of an ended pilot
 * ({@link Published.SettleWanted}; 10,000 units take many short transactions, with progress logged, never one
 * long one), canceling units whose process instance was deleted ({@link Published.CancelWanted}), starting the
 * processes of units a large submission stored ({@link Published.StartWanted}, {@link #START_BATCH} a transaction,
 * oldest first, one batch between the other requests so a long backlog holds none of them up).
 *
 * <p>Threads: requests come from committing threads and the watchdog; one thread ({@code pilotflow-followups})
 * does the work. A request for something already queued is merged with it, so a burst of finished units costs
 * one drain pass, not one per unit. Any node may do any follow-up: all of it is in the database.
 */
public final class FollowUps {

    private static final Logger LOG = LoggerFactory.getLogger(FollowUps.class);
    static final int BATCH = 500;
    /** Processes started per transaction: as many as {@code submitUnits} started in one before they moved here. */
    static final int START_BATCH = 200;

    private final Transactions txs;
    private final UnitLifecycle units;
    private final ExecutorService thread;
    private final Object lock = new Object();
    private final Set<List<String>> drains = new LinkedHashSet<>();
    private final Set<PilotKey> settles = new LinkedHashSet<>();
    private final Map<UnitKey, String> cancels = new LinkedHashMap<>();
    private final ArrayDeque<Start> starts = new ArrayDeque<>();
    /** Units in {@link #starts}, by session. */
    private final Map<String, Integer> unitsToStartBySession = new HashMap<>();
    private final StartProgress startProgress = new StartProgress();
    private boolean scheduled;
    private volatile boolean stopped;

    public FollowUps(Transactions txs, UnitLifecycle units) {
        this.txs = txs;
        this.units = units;
        this.thread = Executors.newSingleThreadExecutor(Threads.named("pilotflow-followups"));
    }

    public void drain(String sessionId, String manager) {
        request(() -> drains.add(List.of(sessionId, manager)));
    }

    public void settle(PilotKey pilot) {
        request(() -> settles.add(pilot));
    }

    public void cancel(UnitKey unit, String why) {
        request(() -> cancels.putIfAbsent(unit, why));
    }

    /** Starts the processes of stored units of one session, in the order given (after those asked for before). */
    public void start(String sessionId, List<String> uids) {
        request(() -> {
            for (int from = 0; from < uids.size(); from += START_BATCH) {
                List<String> part = List.copyOf(uids.subList(from, Math.min(uids.size(), from + START_BATCH)));
                starts.add(new Start(sessionId, part));
                unitsToStartBySession.merge(sessionId, part.size(), Integer::sum);
            }
        });
    }

    /** Whether stored units wait for this node to start their processes. */
    public boolean startsPending() {
        synchronized (lock) {
            return !unitsToStartBySession.isEmpty();
        }
    }

    /** Whether stored units of this session wait for this node to start their processes (a later one waits too). */
    public boolean startsPending(String sessionId) {
        synchronized (lock) {
            return unitsToStartBySession.containsKey(sessionId);
        }
    }

    private record Start(String sessionId, List<String> uids) { }

    private void request(Runnable add) {
        synchronized (lock) {
            add.run();
            if (!scheduled && !stopped) {
                scheduled = true;
                thread.execute(this::work);
            }
        }
    }

    private void work() {
        try {
            workUntilIdle();
        } catch (RuntimeException | Error e) {
            synchronized (lock) {
                scheduled = false; // the next request starts the thread again
            }
            throw e;
        }
    }

    private void workUntilIdle() {
        while (!stopped) {
            Set<PilotKey> s;
            Map<UnitKey, String> c;
            Set<List<String>> d;
            Start start;
            synchronized (lock) {
                if (drains.isEmpty() && settles.isEmpty() && cancels.isEmpty() && starts.isEmpty()) {
                    scheduled = false;
                    return;
                }
                s = new LinkedHashSet<>(settles);
                c = new LinkedHashMap<>(cancels);
                d = new LinkedHashSet<>(drains);
                settles.clear();
                cancels.clear();
                drains.clear();
                start = starts.peek(); // counted as waiting until it is done: the watchdog must not take it meanwhile
            }
            s.forEach(this::settleNow);
            if (!c.isEmpty()) {
                cancelNow(c);
            }
            d.forEach(m -> drainNow(m.get(0), m.get(1)));
            if (start != null) {
                try {
                    startNow(start);
                } finally {
                    synchronized (lock) {
                        starts.poll();
                        unitsToStartBySession.computeIfPresent(start.sessionId(),
                                (k, n) -> n == start.uids().size() ? null : n - start.uids().size());
                        startProgress.batchDone(start.uids().size(),
                                unitsToStartBySession.values().stream().mapToInt(Integer::intValue).sum());
                    }
                }
            }
        }
    }

    private void startNow(Start start) {
        String range = start.uids().get(0) + " to " + start.uids().get(start.uids().size() - 1);
        try {
            txs.runRetrying(tx -> {
                units.startStored(tx, start.sessionId(), start.uids());
                return null;
            });
            return;
        } catch (RuntimeException e) {
            LOG.debug("session {}: starting the processes of units {} failed, trying them one by one: {}",
                    start.sessionId(), range, e.toString());
        }
        int failed = 0;
        String firstWhy = null;
        for (String uid : start.uids()) {
            if (stopped) {
                return; // the watchdog starts what is left
            }
            try {
                txs.runRetrying(tx -> {
                    units.startStored(tx, start.sessionId(), List.of(uid));
                    return null;
                });
            } catch (RuntimeException e) {
                if (stopped || Thread.currentThread().isInterrupted() || Transactions.aboutTheDatabase(e)) {
                    // the database or this node, not the unit: it stays stored, the watchdog starts it later
                    LOG.warn("session {}: starting the processes of units {} failed, they wait for the watchdog to"
                            + " start them: {}", start.sessionId(), range, e.toString());
                    return;
                }
                // it fails alone, not for the database: nothing would ever run it, so it ends with the reason
                String why = "its process could not be started: " + e.getMessage();
                try {
                    txs.runRetrying(tx -> {
                        units.notStarted(tx, new UnitKey(start.sessionId(), uid), why);
                        return null;
                    });
                    failed++;
                    firstWhy = firstWhy == null ? why : firstWhy;
                } catch (RuntimeException again) {
                    LOG.warn("unit {} of session {}: {}; recording it failed as well (the watchdog tries again): {}",
                            uid, start.sessionId(), why, again.toString());
                }
            }
        }
        if (failed > 0) {
            LOG.warn("session {}: {} of units {} FAILED, {} (look at the unit process definition in Cockpit: is it"
                    + " deployed and active?)", start.sessionId(), failed, range, firstWhy);
        }
    }

    /**
     * One line every 10 s while a backlog of stored units is being started (the follow-up thread's own; called
     * under {@link #lock}).
     */
    private static final class StartProgress {
        private long since;
        private long lastLog;
        private int started;

        void batchDone(int n, int waiting) {
            long now = System.nanoTime();
            if (started == 0) {
                since = now;
                lastLog = now;
            }
            started += n;
            if (waiting == 0) {
                if (now - since > TimeUnit.SECONDS.toNanos(10)) {
                    LOG.info("started the processes of {} stored unit(s) in {} s", started,
                            TimeUnit.NANOSECONDS.toSeconds(now - since));
                }
                started = 0;
            } else if (now - lastLog > TimeUnit.SECONDS.toNanos(10)) {
                LOG.info("started the processes of {} stored unit(s) so far, {} wait", started, waiting);
                lastLog = now;
            }
        }
    }

    private void settleNow(PilotKey pilot) {
        try {
            Set<String> waiting = new HashSet<>();
            long t0 = System.nanoTime();
            long lastLog = t0;
            int total = 0;
            while (!stopped) {
                int n = txs.runRetrying(tx -> units.settle(tx, pilot, BATCH, waiting));
                total += n;
                if (n == 0) {
                    break;
                }
                if (System.nanoTime() - lastLog > TimeUnit.SECONDS.toNanos(10)) {
                    LOG.info("pilot {}: {} unfinished unit(s) ended so far", pilot.uid(), total);
                    lastLog = System.nanoTime();
                }
            }
            if (total > 0 || !waiting.isEmpty()) {
                LOG.info("pilot {}: {} unfinished unit(s) ended or restarted in {} ms{}", pilot.uid(), total,
                        (System.nanoTime() - t0) / 1_000_000, waiting.isEmpty() ? ""
                                : "; " + waiting.size() + " unit(s) wait: restartable ones for the old job to end, "
                                + "finished ones for their output to reach the client");
            }
        } catch (RuntimeException e) {
            LOG.warn("pilot {}: ending its unfinished units failed (the watchdog tries again): {}", pilot.uid(),
                    e.toString());
        }
    }

    private void cancelNow(Map<UnitKey, String> byUnit) {
        try {
            for (Map.Entry<UnitKey, String> e : byUnit.entrySet()) {
                txs.runRetrying(tx -> {
                    units.cancel(tx, List.of(e.getKey()), e.getValue());
                    return null;
                });
            }
        } catch (RuntimeException e) {
            LOG.warn("canceling {} unit(s) failed (the watchdog tries again): {}", byUnit.size(), e.toString());
        }
    }

    private void drainNow(String sessionId, String manager) {
        try {
            int n;
            do {
                n = txs.runRetrying(tx -> units.drain(tx, sessionId, manager, BATCH));
            } while (n == BATCH && !stopped);
        } catch (RuntimeException e) {
            LOG.warn("unit manager {}: binding waiting units failed (the watchdog tries again): {}", manager,
                    e.toString());
        }
    }

    public void stop() {
        stopped = true;
        Threads.stop(thread, java.time.Duration.ofSeconds(5));
    }
}
