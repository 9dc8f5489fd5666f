package org.pilotflow.model.memory;

import java.util.ArrayList;
import java.util.List;
import org.pilotflow.model.analytics.LinearFit;

/**
 * A unit's memory use as its agent sampled it: peaks, the series, and the leak analysis of the series.
 *
 * @param limitBytes       the unit's limit on {@code pss + swap} (0: none)
 * @param intervalMillis   the time between two samples when the series was taken (it doubles each time the series
 *                         is thinned to stay within {@link #MAX_SAMPLES})
 * @param peakRss          the largest RSS sampled
 * @param peakPss          the largest PSS sampled
 * @param peakSwap         the largest swap sampled
 * @param peakUsed         the largest {@code pss + swap} sampled: what a limit is held against
 * @param samples          the series, oldest first
 * @param leak             a line through the series without its start-up and tail samples, null when too few
 *                         samples remain ({@link LeakRule#MIN_POINTS})
 * @param leaking          whether {@link LeakRule} flags the series as a leak
 */
public record MemoryProfile(
        long limitBytes,
        long intervalMillis,
        long peakRss,
        long peakPss,
        long peakSwap,
        long peakUsed,
        List<MemorySample> samples,
        LinearFit leak,
        boolean leaking) {

    /** The longest series kept per unit: older samples are thinned (every other one dropped) beyond it. */
    public static final int MAX_SAMPLES = 512;

    public MemoryProfile {
        samples = samples == null ? List.of() : List.copyOf(samples);
    }

    /** The profile of a series: its peaks and {@link LeakRule}'s analysis. */
    public static MemoryProfile of(long limitBytes, long intervalMillis, List<MemorySample> samples) {
        long rss = 0;
        long pss = 0;
        long swap = 0;
        long used = 0;
        for (MemorySample s : samples) {
            rss = Math.max(rss, s.rss());
            pss = Math.max(pss, s.pss());
            swap = Math.max(swap, s.swap());
            used = Math.max(used, s.used());
        }
        return new MemoryProfile(limitBytes, intervalMillis, rss, pss, swap, used, new ArrayList<>(samples),
                LeakRule.fit(samples), LeakRule.leaking(samples));
    }

    /** Bytes in MiB with one decimal, for messages. */
    public static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
