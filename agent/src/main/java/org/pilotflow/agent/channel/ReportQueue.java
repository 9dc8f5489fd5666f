package org.pilotflow.agent.channel;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.pilotflow.model.StagedFile;
import org.pilotflow.model.wire.Report;

/**
 * The agent's outbox. A report offered here is first <em>pending</em>: not numbered, and merged with a later
 * report about the same unit (the later state wins, timestamps are merged, non-null fields win). When a sync takes
 * it ({@link #nextBatch}) it gets the next sequence number (1, 2, 3, ... for the whole pilot) and is never changed
 * again; it stays <em>unacknowledged</em> and goes out again with every sync until {@link #ack} covers it.
 * Thread-safe.
 */
public final class ReportQueue {
    private static final String PILOT_KEY = "\u0000pilot";

    private final LinkedHashMap<String, Report> pending = new LinkedHashMap<>();
    private final ArrayDeque<Report> unacked = new ArrayDeque<>();
    private long nextSeq = 1;
    private long ackedSeq;
    private long offered;

    /** Queues a report (its seq is ignored); merges it into a pending report about the same unit. */
    public synchronized void offer(Report r) {
        String key = r.unitId() == null ? PILOT_KEY : r.unitId();
        Report old = pending.get(key);
        pending.put(key, old == null ? r : merge(old, r));
        offered++;
        notifyAll();
    }

    private static Report merge(Report old, Report r) {
        Map<String, Long> ts = new HashMap<>(old.timestamps());
        ts.putAll(r.timestamps());
        return new Report(0, r.unitId(), r.state(), ts,
                r.exitCode() != null ? r.exitCode() : old.exitCode(),
                r.reason() != null ? r.reason() : old.reason(),
                r.stdoutTail() != null ? r.stdoutTail() : old.stdoutTail(),
                r.stderrTail() != null ? r.stderrTail() : old.stderrTail(),
                r.sandbox() != null ? r.sandbox() : old.sandbox(),
                !r.slots().isEmpty() ? r.slots() : old.slots(),
                r.memory() != null ? r.memory() : old.memory(),
                r.errorCode() != null ? r.errorCode() : old.errorCode(),
                !r.outputs().isEmpty() ? r.outputs() : old.outputs());
    }

    /** The reports for the next sync, at most {@code max}, without a bound on their size. */
    public synchronized List<Report> nextBatch(int max) {
        return nextBatch(max, Long.MAX_VALUE);
    }

    /**
     * The reports for the next sync, in seq order: every unacknowledged one first, then pending ones numbered now,
     * at most {@code max} in all and about {@code maxBytes} of JSON (at least one report, however large): a
     * pilot ending many long units at once sends their memory profiles in several syncs, each under the engine's
     * request size limit.
     */
    public synchronized List<Report> nextBatch(int max, long maxBytes) {
        List<Report> out = new ArrayList<>(Math.min(max, unacked.size() + pending.size()));
        long bytes = 0;
        for (Report r : unacked) {
            bytes += estimatedBytes(r);
            if (out.size() >= max || (!out.isEmpty() && bytes > maxBytes)) {
                return out;
            }
            out.add(r);
        }
        Iterator<Report> it = pending.values().iterator();
        while (out.size() < max && it.hasNext()) {
            Report p = it.next();
            bytes += estimatedBytes(p);
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            it.remove();
            Report numbered = p.withSeq(nextSeq++);
            unacked.add(numbered);
            out.add(numbered);
        }
        return out;
    }

    /** An upper estimate of a report's JSON size: its texts, slots and memory samples, plus the field names. */
    static long estimatedBytes(Report r) {
        long n = 400 + length(r.unitId()) + length(r.reason()) + length(r.stdoutTail()) + length(r.stderrTail())
                + length(r.sandbox()) + 40L * r.timestamps().size();
        for (String s : r.slots()) {
            n += s.length() + 3;
        }
        if (r.memory() != null) {
            n += 400 + 90L * r.memory().samples().size(); // {"atMillis":..,"rss":..,"pss":..,"swap":..}
        }
        for (StagedFile f : r.outputs()) {
            n += 80 + length(f.target()); // {"target":..,"size":..,"checksum":"adler32:.."}
        }
        return n;
    }

    private static long length(String s) {
        return s == null ? 0 : 2L * s.length(); // most escapes double a character; the margin to the limit covers the rest
    }

    /** Drops every report with seq <= {@code seq}. */
    public synchronized void ack(long seq) {
        if (seq <= ackedSeq) {
            return;
        }
        ackedSeq = seq;
        while (!unacked.isEmpty() && unacked.peekFirst().seq() <= seq) {
            unacked.pollFirst();
        }
        notifyAll();
    }

    public synchronized boolean hasPending() {
        return !pending.isEmpty();
    }

    public synchronized boolean hasUnacked() {
        return !unacked.isEmpty();
    }

    /** True when nothing is pending and everything sent was acknowledged. */
    public synchronized boolean allAcked() {
        return pending.isEmpty() && unacked.isEmpty();
    }

    public synchronized long ackedSeq() {
        return ackedSeq;
    }

    /** Sequence numbers given out so far. */
    public synchronized long lastSeq() {
        return nextSeq - 1;
    }

    public synchronized long offeredCount() {
        return offered;
    }

    /** Waits until a report is pending or {@link #wakeUp} is called, at most {@code millis}. */
    public synchronized void awaitPending(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (pending.isEmpty()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return;
            }
            long before = offered;
            wait(left);
            if (wakeUps > 0) {
                wakeUps = 0;
                return;
            }
            if (offered != before) {
                return;
            }
        }
    }

    private int wakeUps;

    /**
     * Waits until a report is pending or {@code done} is true, at most {@code millis}; whoever makes {@code done} true
     * calls {@link #wakeUp} after (the condition is checked under the queue's lock, so that call is never missed).
     */
    public synchronized void awaitPendingOr(java.util.function.BooleanSupplier done, long millis)
            throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (pending.isEmpty() && !done.getAsBoolean()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return;
            }
            wait(left);
        }
        wakeUps = 0; // this wait's own wake-up, or a stale one: either way spent
    }

    /** Ends an {@link #awaitPending} early. */
    public synchronized void wakeUp() {
        wakeUps++;
        notifyAll();
    }

    /** Waits until {@link #allAcked}, at most {@code millis}; returns whether it is. */
    public synchronized boolean awaitAllAcked(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!allAcked()) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }
}
