package org.pilotflow.model.analytics;

/**
 * An ordinary least-squares line through a series, as the PanDA pilot's analytics API computes it for memory leaks
 * ({@code fit}, {@code slope}, {@code intersect}, {@code chi2}); usable on any series.
 *
 * <p>{@code slope = Σ(x−x̄)(y−ȳ) / Σ(x−x̄)²}, {@code intersect = ȳ − slope·x̄}. {@code chi2} is PanDA's goodness of
 * fit, {@code Σ((y−e)/e)²} with {@code e} the line's value at each {@code x}: a sum of squared <em>relative</em>
 * residuals (not Pearson's χ²), 0 for a perfect line, and 0 as well, by PanDA's convention, when the line is 0 at
 * any point. {@link #meanChi2()} divides it by the number of points, so series of different lengths compare.
 *
 * @param points how many (x, y) pairs were fitted (at least 2)
 */
public record LinearFit(double slope, double intersect, double chi2, int points) {

    /**
     * Fits a line through {@code (x[i], y[i])}.
     *
     * @throws IllegalArgumentException when the arrays differ in length, hold fewer than 2 points, hold a value
     *                                  that is not finite, or all {@code x} are equal (no line through them)
     */
    public static LinearFit fit(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("x has " + x.length + " values and y " + y.length
                    + ": expected the same number");
        }
        if (x.length < 2) {
            throw new IllegalArgumentException("a line needs at least 2 points, not " + x.length);
        }
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
                throw new IllegalArgumentException("point " + i + " is (" + x[i] + ", " + y[i]
                        + "): expected finite numbers");
            }
            sx += x[i];
            sy += y[i];
        }
        double mx = sx / x.length;
        double my = sy / y.length;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        if (sxx == 0) {
            throw new IllegalArgumentException("all " + x.length + " x values are " + x[0]
                    + ": expected at least two different x values");
        }
        double slope = sxy / sxx;
        double intersect = my - slope * mx;
        double chi2 = 0;
        for (int i = 0; i < x.length; i++) {
            double e = intersect + slope * x[i];
            if (e == 0) {
                chi2 = 0;
                break;
            }
            double r = (y[i] - e) / e;
            chi2 += r * r;
        }
        return new LinearFit(slope, intersect, chi2, x.length);
    }

    /** The line's value at {@code x}. */
    public double at(double x) {
        return intersect + slope * x;
    }

    /** {@link #chi2} per point: the mean squared relative residual. */
    public double meanChi2() {
        return chi2 / points;
    }
}
