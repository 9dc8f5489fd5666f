package org.pilotflow.model.analytics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The fit against values computed by hand (the working is in each test). */
class LinearFitTest {

    @Test
    void aLineThroughFourPointsMatchesTheHandComputedValues() {
        // x = 1..4, y = 2, 4, 5, 4: x̄ = 2.5, ȳ = 3.75; Σ(x−x̄)(y−ȳ) = (−1.5)(−1.75) + (−0.5)(0.25) + (0.5)(1.25)
        // + (1.5)(0.25) = 2.625 − 0.125 + 0.625 + 0.375 = 3.5; Σ(x−x̄)² = 2.25 + 0.25 + 0.25 + 2.25 = 5
        // slope = 0.7, intersect = 3.75 − 0.7 · 2.5 = 2.0; the line: 2.7, 3.4, 4.1, 4.8
        // chi2 = (−0.7/2.7)² + (0.6/3.4)² + (0.9/4.1)² + (−0.8/4.8)²
        //      = 0.0672154 + 0.0311419 + 0.0481856 + 0.0277778 = 0.1743207
        LinearFit f = LinearFit.fit(new double[] {1, 2, 3, 4}, new double[] {2, 4, 5, 4});
        assertThat(f.slope()).isCloseTo(0.7, within(1e-12));
        assertThat(f.intersect()).isCloseTo(2.0, within(1e-12));
        assertThat(f.chi2()).isCloseTo(0.1743207, within(1e-6));
        assertThat(f.points()).isEqualTo(4);
        assertThat(f.meanChi2()).isCloseTo(0.1743207 / 4, within(1e-6));
        assertThat(f.at(10)).isCloseTo(9.0, within(1e-12));
    }

    @Test
    void pointsOnALineFitExactlyWithZeroChi2() {
        // y = 3x − 5 at x = 2, 4, 6: slope 3, intersect −5, every residual 0
        LinearFit f = LinearFit.fit(new double[] {2, 4, 6}, new double[] {1, 7, 13});
        assertThat(f.slope()).isCloseTo(3, within(1e-12));
        assertThat(f.intersect()).isCloseTo(-5, within(1e-12));
        assertThat(f.chi2()).isZero();
    }

    @Test
    void aLineThatIsZeroAtAPointHasChi2ZeroAsInPanDA() {
        // y = x at x = 0, 1, 2 with y = 0, 1.5, 1.5: x̄ = 1, ȳ = 1; slope = (−1·−1 + 0 + 1·0.5)/2 = 0.75,
        // intersect = 0.25: never 0 at these x. Shifted so the line is 0 at x = 0: y = 0, 2, 4 → e = 0 there
        LinearFit f = LinearFit.fit(new double[] {0, 1, 2}, new double[] {0, 2, 4});
        assertThat(f.chi2()).isZero();
        LinearFit g = LinearFit.fit(new double[] {0, 1, 2}, new double[] {0, 1.5, 1.5});
        assertThat(g.slope()).isCloseTo(0.75, within(1e-12));
        assertThat(g.intersect()).isCloseTo(0.25, within(1e-12));
        // e = 0.25, 1.0, 1.75: ((0 − 0.25)/0.25)² + (0.5/1)² + (−0.25/1.75)² = 1 + 0.25 + 0.0204082
        assertThat(g.chi2()).isCloseTo(1.2704082, within(1e-6));
    }

    @Test
    void unusableSeriesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> LinearFit.fit(new double[] {1, 2}, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x has 2 values and y 1");
        assertThatThrownBy(() -> LinearFit.fit(new double[] {1}, new double[] {1}))
                .hasMessageContaining("at least 2 points, not 1");
        assertThatThrownBy(() -> LinearFit.fit(new double[] {3, 3, 3}, new double[] {1, 2, 3}))
                .hasMessageContaining("all 3 x values are 3.0");
        assertThatThrownBy(() -> LinearFit.fit(new double[] {1, 2}, new double[] {1, Double.NaN}))
                .hasMessageContaining("point 1 is (2.0, NaN)");
    }
}
