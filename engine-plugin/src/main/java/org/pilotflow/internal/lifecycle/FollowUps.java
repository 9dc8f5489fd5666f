package org.pilotflow.internal.lifecycle;

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
 * long one), canceling units whose process instance was deleted ({@link Published.CancelWanted}).
 *
 * <p>Threads: requests come from committing threads and the watchdog; one thread ({@code pilotflow-followups})
 * does the work. A request for something already queued is merged with it, so a burst of finished units costs
 * one drain pass, not one per unit. Any node may do any follow-up: all of it is in the database.
 */
public final class FollowUps {

    private static final Logger LOG = LoggerFactory.getLogger(FollowUps.class);
    static final int BATCH = 500;

    private final Transactions txs;
    private final UnitLifecycle units;
    private final ExecutorService thread;
    private final Object lock = new Object();
    private final Set<List<String>> drains = new LinkedHashSet<>();
    private final Set<PilotKey> settles = new LinkedHashSet<>();
    private final Map<UnitKey, String> cancels = new LinkedHashMap<>();
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
        while (!stopped) {
            Set<PilotKey> s;
            Map<UnitKey, String> c;
            Set<List<String>> d;
            synchronized (lock) {
                if (drains.isEmpty() && settles.isEmpty() && cancels.isEmpty()) {
                    scheduled = false;
                    return;
                }
                s = new LinkedHashSet<>(settles);
                c = new LinkedHashMap<>(cancels);
                d = new LinkedHashSet<>(drains);
                settles.clear();
                cancels.clear();
                drains.clear();
            }
            s.forEach(this::settleNow);
            if (!c.isEmpty()) {
                cancelNow(c);
            }
            d.forEach(m -> drainNow(m.get(0), m.get(1)));
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
