package org.pilotflow.internal.session;

import java.util.Locale;

/**
 * What a long {@code submitUnits} tells a person (logger {@code org.pilotflow.progress}, as {@link WaitProgress}): one
 * line every {@link WaitProgress#EVERY_NANOS} while chunks are stored, and one at the end; a submission shorter than
 * the interval says nothing. Used by the submitting thread only.
 */
final class SubmitProgress {

    private final String manager;
    private final int total;
    private final long startNanos;
    private long lastNanos;

    SubmitProgress(String manager, int total, long startNanos) {
        this.manager = manager;
        this.total = total;
        this.startNanos = startNanos;
        this.lastNanos = startNanos;
    }

    /** After a chunk: a line when the interval passed since the last one. */
    void stored(int stored, long nowNanos) {
        if (nowNanos - lastNanos >= WaitProgress.EVERY_NANOS) {
            lastNanos = nowNanos;
            WaitProgress.LOG.info(line(stored, nowNanos));
        }
    }

    /** At the end: a line when the submission took longer than the interval. */
    void finished(long nowNanos) {
        if (nowNanos - startNanos >= WaitProgress.EVERY_NANOS) {
            WaitProgress.LOG.info(line(total, nowNanos));
        }
    }

    /** E.g. "unit manager umgr.0000: 12,400 of 100,000 units stored; 1,240.0/s over 10 s, about 1 min 11 s left". */
    String line(int stored, long nowNanos) {
        double seconds = Math.max(1e-3, (nowNanos - startNanos) / 1e9);
        double rate = stored / seconds;
        String end = stored >= total ? "all stored"
                : rate <= 0 ? "no estimate yet" : "about " + WaitProgress.duration((total - stored) / rate) + " left";
        return String.format(Locale.ROOT, "unit manager %s: %,d of %,d units stored; %,.1f/s over %s, %s", manager,
                stored, total, rate, WaitProgress.duration(seconds), end);
    }
}
