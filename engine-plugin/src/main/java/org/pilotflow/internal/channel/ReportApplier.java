package org.pilotflow.internal.channel;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.pilotflow.internal.lifecycle.Outcome;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.lifecycle.Tx;
import org.pilotflow.internal.lifecycle.UnitLifecycle;
import org.pilotflow.internal.store.ChannelTable;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.model.wire.Report;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies an agent's reports exactly once and in order, in transactions of at most {@link #CHUNK} reports. The
 * pilot's report cursor ({@code PF_REPORT_CURSOR}, locked by each transaction) says which report comes next, so a
 * batch delivered twice, or to two engine nodes at once, is applied once: the second transaction waits for the
 * first, then finds nothing new. A report is acknowledged only once the transaction that applied it committed.
 *
 * <p>Threads: called by the endpoint's sync workers; a node-local lock per pilot keeps one worker per pilot
 * applying at a time (a retried sync waits instead of redoing the work), taken before any database connection.
 */
public final class ReportApplier {

    private static final Logger LOG = LoggerFactory.getLogger(ReportApplier.class);
    static final int CHUNK = 250;

    private final Transactions txs;
    private final PilotLifecycle pilots;
    private final UnitLifecycle units;
    private final Map<PilotKey, ReentrantLock> locks = new ConcurrentHashMap<>();

    public ReportApplier(Transactions txs, PilotLifecycle pilots, UnitLifecycle units) {
        this.txs = txs;
        this.pilots = pilots;
        this.units = units;
    }

    /**
     * Applies what it can of {@code reports}; returns the highest report number now committed, or -1 when another
     * sync of this pilot is being applied on this node (an agent's retry of a slow sync: it gets the cursor as it
     * stands instead of holding a worker while it waits).
     */
    public long apply(PilotKey pilot, List<Report> reports) {
        ReentrantLock lock = locks.computeIfAbsent(pilot, k -> new ReentrantLock());
        if (!lock.tryLock()) {
            return -1;
        }
        try {
            List<Report> sorted = new ArrayList<>(reports);
            sorted.sort(Comparator.comparingLong(Report::seq));
            long t0 = System.nanoTime();
            long last = -1;
            int transactions = 0;
            while (true) {
                Chunk c = txs.runRetrying(tx -> applyChunk(tx, pilot, sorted));
                transactions++;
                if (!c.refused().isEmpty()) {
                    LOG.warn("pilot {}: refused {} report(s) (they change nothing), e.g. {}", pilot.uid(),
                            c.refused().size(), c.refused().subList(0, Math.min(3, c.refused().size())));
                }
                if (c.last() == last || c.stopped() || c.last() >= sorted.get(sorted.size() - 1).seq()) {
                    last = c.last();
                    break;
                }
                last = c.last();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (transactions > 4) {
                LOG.debug("pilot {}: {} report(s) applied in {} transactions, {} ms", pilot.uid(), sorted.size(),
                        transactions, ms);
            }
            return last;
        } finally {
            lock.unlock();
        }
    }

    /** What one transaction did: the last report applied, whether it stopped early, what it refused. */
    private record Chunk(long last, boolean stopped, List<String> refused) { }

    private Chunk applyChunk(Tx tx, PilotKey pilot, List<Report> sorted) throws SQLException {
        long last = ChannelTable.lockCursor(tx.connection(), pilot);
        long before = last;
        List<Report> todo = new ArrayList<>(CHUNK);
        for (Report r : sorted) {
            if (r.seq() > last && todo.size() < CHUNK) {
                todo.add(r);
            }
        }
        Set<String> uids = new HashSet<>();
        todo.forEach(r -> {
            if (!r.isPilotReport()) {
                uids.add(r.unitId());
            }
        });
        tx.preload(pilot.sessionId(), uids);
        List<String> refused = new ArrayList<>();
        boolean stopped = false;
        for (Report r : todo) {
            if (r.seq() != last + 1) {
                stopped = true; // a gap: the missing report comes again with the next sync
                break;
            }
            Outcome o = r.isPilotReport() ? pilots.agentReport(tx, pilot, r) : units.agentReport(tx, pilot, r);
            if (o instanceof Outcome.NotYet n) {
                LOG.debug("pilot {}: report #{} not applied yet: {}", pilot.uid(), r.seq(), n.why());
                stopped = true;
                break;
            }
            if (o instanceof Outcome.Refused f) {
                refused.add("#" + r.seq() + " (" + f.why() + ")");
            }
            last = r.seq();
        }
        if (last != before) {
            ChannelTable.setCursor(tx.connection(), pilot, last);
        }
        return new Chunk(last, stopped, refused);
    }

    public void forget(PilotKey pilot) {
        locks.remove(pilot);
    }
}
