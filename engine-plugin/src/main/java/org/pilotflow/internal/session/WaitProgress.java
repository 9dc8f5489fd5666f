package org.pilotflow.internal.session;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a long wait tells a person: one log line every {@link #EVERY_NANOS} (logger {@code org.pilotflow.progress}),
 * never one per unit: how many entries are there, by state, how many are not yet, by state, the rate since the wait
 * began and an estimate of the time left. A wait shorter than the interval says nothing.
 */
final class WaitProgress<E, S extends Enum<S>> {

    /** The logger of every progress line (waits and submissions), so that a person can turn them all on or off. */
    static final Logger LOG = LoggerFactory.getLogger("org.pilotflow.progress");
    static final long EVERY_NANOS = 10_000_000_000L;

    private final List<E> entries;
    private final Function<E, S> state;
    private final Predicate<S> arrived;
    private final Class<S> type;
    private final String kind;
    private final long startNanos;
    private final int arrivedAtStart;

    WaitProgress(List<E> entries, Function<E, S> state, Predicate<S> arrived, Class<S> type, String kind,
                 long startNanos) {
        this.entries = entries;
        this.state = state;
        this.arrived = arrived;
        this.type = type;
        this.kind = kind;
        this.startNanos = startNanos;
        int n = 0;
        for (E e : entries) {
            n += arrived.test(state.apply(e)) ? 1 : 0;
        }
        this.arrivedAtStart = n;
    }

    void log(long nowNanos) {
        if (LOG.isInfoEnabled()) {
            LOG.info(line(nowNanos));
        }
    }

    /** E.g. "waiting for 10,000 units: 812 there (DONE 800, FAILED 12), 9,188 not yet (...); 95.3/s, ...". */
    String line(long nowNanos) {
        Map<S, Integer> there = new EnumMap<>(type);
        Map<S, Integer> notYet = new EnumMap<>(type);
        for (E e : entries) {
            S s = state.apply(e);
            (arrived.test(s) ? there : notYet).merge(s, 1, Integer::sum);
        }
        int done = there.values().stream().mapToInt(Integer::intValue).sum();
        int left = entries.size() - done;
        double seconds = Math.max(1e-3, (nowNanos - startNanos) / 1e9);
        double rate = (done - arrivedAtStart) / seconds;
        String eta = rate <= 0 ? "no estimate yet" : "about " + duration(left / rate) + " left";
        return String.format(Locale.ROOT, "waiting for %,d %ss: %,d there %s, %,d not yet %s; %.1f/s over %s, %s",
                entries.size(), kind, done, there, left, notYet, rate, duration(seconds), eta);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + (s % 3600) / 60 + " min";
    }
}
