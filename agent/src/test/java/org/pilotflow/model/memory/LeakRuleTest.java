package org.pilotflow.model.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

class LeakRuleTest {

    private static final long MIB = 1024 * 1024;

    /** One sample a second; {@code used(t)} bytes at second t, all of it PSS. */
    private static List<MemorySample> series(int n, LongUnaryOperator used) {
        List<MemorySample> out = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            long u = used.applyAsLong(t);
            out.add(new MemorySample(t * 1000L, u, u, 0));
        }
        return out;
    }

    @Test
    void steadyGrowthIsALeakAndTheSlopeIsInBytesPerSecond() {
        // 100 MiB, growing 1 MiB a second; the start-up samples (a 500 MiB spike) are trimmed before the fit
        List<MemorySample> s = series(30, t -> t < 3 ? 500 * MIB : 100 * MIB + t * MIB);
        MemoryProfile p = MemoryProfile.of(0, 1000, s);
        assertThat(p.leak().slope()).isCloseTo(MIB, within(1.0));
        assertThat(p.leak().intersect()).isCloseTo(100.0 * MIB, within(1.0));
        assertThat(p.leak().points()).isEqualTo(30 - LeakRule.TRIM_START - LeakRule.TRIM_END);
        assertThat(p.leaking()).isTrue();
        assertThat(p.peakUsed()).isEqualTo(500 * MIB);
    }

    @Test
    void aFlatSeriesAfterAStartUpAllocationIsNoLeak() {
        List<MemorySample> s = series(30, t -> t < 4 ? t * 50 * MIB : 200 * MIB);
        MemoryProfile p = MemoryProfile.of(0, 1000, s);
        assertThat(p.leak().slope()).isCloseTo(0, within(1.0));
        assertThat(p.leaking()).isFalse();
    }

    @Test
    void slowDriftOfALargeProcessIsNoLeak() {
        // 4 GiB growing 100 KiB/s for 30 s: the slope passes, but it grows 0.07 % over the window
        List<MemorySample> s = series(30, t -> 4096 * MIB + t * 100 * 1024);
        assertThat(MemoryProfile.of(0, 1000, s).leaking()).isFalse();
    }

    @Test
    void aSingleStepIsNoLeakBecauseTheLineDoesNotExplainIt() {
        // 100 MiB, then 300 MiB from second 15: slope > 0 and growth > 10 %, but the points lie far off the line
        List<MemorySample> s = series(30, t -> t < 15 ? 100 * MIB : 300 * MIB);
        MemoryProfile p = MemoryProfile.of(0, 1000, s);
        assertThat(p.leak().slope()).isGreaterThan(LeakRule.MIN_SLOPE_BYTES_PER_SECOND);
        assertThat(p.leak().meanChi2()).isGreaterThan(LeakRule.MAX_MEAN_CHI2);
        assertThat(p.leaking()).isFalse();
    }

    @Test
    void tooFewSamplesGiveNoFitAndNoFlag() {
        int tooFew = LeakRule.TRIM_START + LeakRule.TRIM_END + LeakRule.MIN_POINTS - 1;
        MemoryProfile p = MemoryProfile.of(0, 1000, series(tooFew, t -> t * 10 * MIB + MIB));
        assertThat(p.leak()).isNull();
        assertThat(p.leaking()).isFalse();
        assertThat(MemoryProfile.of(0, 1000, series(tooFew + 1, t -> t * 10 * MIB + MIB)).leaking()).isTrue();
    }

    @Test
    void swapCountsWithPss() {
        MemoryProfile p = MemoryProfile.of(0, 1000, List.of(new MemorySample(0, 10 * MIB, 8 * MIB, 5 * MIB)));
        assertThat(p.peakUsed()).isEqualTo(13 * MIB);
        assertThat(p.peakRss()).isEqualTo(10 * MIB);
        assertThat(p.peakSwap()).isEqualTo(5 * MIB);
    }
}
