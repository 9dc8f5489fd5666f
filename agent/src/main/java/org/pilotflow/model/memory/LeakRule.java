package org.pilotflow.model.memory;

import java.util.List;
import org.pilotflow.model.analytics.LinearFit;

/**
 * When a unit's memory series counts as a leak. The series is conditioned as the PanDA pilot conditions its final
 * fit: the first {@value #TRIM_START} samples (allocation at start-up) and the last {@value #TRIM_END} (release at
 * the end) are dropped, and at least {@value #MIN_POINTS} must remain (so a series needs
 * {@value #TRIM_START} + {@value #TRIM_END} + {@value #MIN_POINTS} samples); the line is fitted to
 * {@code pss + swap} in bytes over time in seconds, so its slope is in bytes per second.
 *
 * <p>PanDA reports slope and χ² and leaves the judgement to its server; PilotFlow flags a leak when all of these hold:
 * <ul>
 *   <li>the slope is at least {@value #MIN_SLOPE_BYTES_PER_SECOND} bytes/s (64 KiB/s);</li>
 *   <li>the line grows by at least {@value #MIN_GROWTH} of its start value over the fitted window (a slow drift
 *       of a large process is not a leak);</li>
 *   <li>the line explains the series: {@link LinearFit#meanChi2()} at most {@value #MAX_MEAN_CHI2} (about a 10 %
 *       root-mean-square deviation from the line), so a step or a burst is not taken for steady growth.</li>
 * </ul>
 */
public final class LeakRule {

    public static final int TRIM_START = 5;
    public static final int TRIM_END = 2;
    public static final int MIN_POINTS = 8;
    public static final double MIN_SLOPE_BYTES_PER_SECOND = 65536;
    public static final double MIN_GROWTH = 0.10;
    public static final double MAX_MEAN_CHI2 = 0.01;

    private LeakRule() {
    }

    /** The line through the conditioned series, or null when fewer than {@value #MIN_POINTS} samples remain. */
    public static LinearFit fit(List<MemorySample> samples) {
        int from = TRIM_START;
        int to = samples.size() - TRIM_END;
        if (to - from < MIN_POINTS) {
            return null;
        }
        double[] x = new double[to - from];
        double[] y = new double[to - from];
        for (int i = from; i < to; i++) {
            x[i - from] = samples.get(i).atMillis() / 1000.0;
            y[i - from] = samples.get(i).used();
        }
        try {
            return LinearFit.fit(x, y);
        } catch (IllegalArgumentException sameTime) { // all samples at one instant: no line
            return null;
        }
    }

    /** Whether the series is a leak by the rule above (false when it is too short for a fit). */
    public static boolean leaking(List<MemorySample> samples) {
        LinearFit fit = fit(samples);
        if (fit == null || fit.slope() < MIN_SLOPE_BYTES_PER_SECOND || fit.meanChi2() > MAX_MEAN_CHI2) {
            return false;
        }
        double start = samples.get(TRIM_START).atMillis() / 1000.0;
        double end = samples.get(samples.size() - TRIM_END - 1).atMillis() / 1000.0;
        double atStart = fit.at(start);
        return atStart > 0 && (fit.at(end) - atStart) >= MIN_GROWTH * atStart;
    }
}
