package org.pilotflow.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.report.RunData.PilotRun;
import org.pilotflow.report.RunData.UnitRun;

/**
 * The figures of a run report, after radical.analytics: what each pilot's cores did over time, how many units ran at
 * once, how long units ran and waited, how fast they finished, why they failed, and their memory.
 *
 * <p>Times are seconds since the run's first entry, each taken from the clock that saw the state (the agent's for
 * ALLOCATING, EXECUTING and a unit's end; the engine's for submission): queue waits mix both clocks, so on a pilot
 * whose host's clock is off they are off by as much. Time series are cut into {@link #BINS} equal bins and hold the
 * mean over each bin (a unit running half a bin counts as half a unit there), so a plot's size does not grow with
 * the number of units.
 */
final class RunAnalytics {

    /** The bins of every time series. */
    static final int BINS = 200;

    private final RunData run;
    private final Instant start;
    private final double span;
    private final double binWidth;
    private final List<Attempt> attempts;
    /** Intervals that ran backwards (an agent's clock behind the engine's) and were cut to zero. */
    private int skewed;
    private List<Utilization> utilization;

    /**
     * One run of a unit: attempt 1 from submission, a restart's from the entry that started it.
     *
     * @param pilot       the pilot it ran on when known: the unit's pilot for its last attempt, null for earlier ones
     *                    (the history does not keep which pilot an earlier attempt had)
     * @param submitted   when the attempt began waiting (NEW, or the restart's UNSCHEDULED)
     * @param allocated   when the agent began placing it on cores (ALLOCATING); NaN when it never did
     * @param executing   when its process started (EXECUTING); NaN when it never did
     * @param stopped     when it stopped executing (the entry after EXECUTING, the next attempt's start, or the end
     *                    of the run for a unit still executing); NaN when it never executed
     * @param ended       when the attempt reached a final state; NaN when it did not
     * @param open        still executing when the run was read: {@code stopped} is the end of the run
     */
    record Attempt(UnitRun unit, int number, String pilot, double submitted, double allocated, double executing,
                   double stopped, UnitState finalState, double ended, boolean open) {

        boolean ran() {
            return !Double.isNaN(executing);
        }
    }

    /**
     * What a pilot's cores did, per bin, in cores (busy + overhead + idle = the pilot's cores while it is ACTIVE).
     *
     * @param busy             cores of units executing
     * @param overhead         cores held by units not executing: placed but not started yet (ALLOCATING →
     *                         EXECUTING), or exited and not yet collected (the entry after EXECUTING → the end)
     * @param idle             the rest of its cores while ACTIVE
     * @param busyCoreSeconds  the integral of {@code busy}
     * @param overheadCoreSeconds the integral of {@code overhead}
     * @param activeCoreSeconds cores × the time the pilot was ACTIVE
     */
    record Utilization(PilotRun pilot, double[] busy, double[] overhead, double[] idle, double busyCoreSeconds,
                       double overheadCoreSeconds, double activeCoreSeconds) {

        double busyShare() {
            return activeCoreSeconds > 0 ? busyCoreSeconds / activeCoreSeconds : 0;
        }

        double overheadShare() {
            return activeCoreSeconds > 0 ? overheadCoreSeconds / activeCoreSeconds : 0;
        }
    }

    RunAnalytics(RunData run) {
        this.run = run;
        Instant first = run.firstEntry();
        Instant last = run.lastEntry();
        this.start = first == null ? Instant.EPOCH : first;
        // a run of one instant still gets a time axis
        this.span = first == null ? 1 : Math.max(0.001, seconds(last));
        this.binWidth = span / BINS;
        List<Attempt> as = new ArrayList<>();
        for (UnitRun u : run.units()) {
            as.addAll(attemptsOf(u));
        }
        this.attempts = List.copyOf(as);
    }

    RunData run() {
        return run;
    }

    Instant start() {
        return start;
    }

    /** Seconds from the first to the last entry of the run. */
    double span() {
        return span;
    }

    double binWidth() {
        return binWidth;
    }

    /** The middle of bin {@code i}, in seconds since the start. */
    double binCenter(int i) {
        return (i + 0.5) * binWidth;
    }

    List<Attempt> attempts() {
        return attempts;
    }

    /** How many intervals ran backwards between two clocks and were cut to zero. */
    int skewed() {
        return skewed;
    }

    private double seconds(Instant t) {
        return Duration.between(start, t).toNanos() / 1e9;
    }

    // ------------------------------------------------------------------------------------------------ attempts

    private List<Attempt> attemptsOf(UnitRun u) {
        List<Attempt> out = new ArrayList<>();
        List<StateEntry<UnitState>> h = u.history();
        int i = 0;
        while (i < h.size()) {
            int number = h.get(i).attempt();
            int j = i;
            while (j < h.size() && h.get(j).attempt() == number) {
                j++;
            }
            // entries i .. j-1 are this attempt's; the next attempt (if any) starts at j
            double submitted = seconds(h.get(i).time());
            double allocated = Double.NaN;
            double executing = Double.NaN;
            double executed = Double.NaN;
            double ended = Double.NaN;
            UnitState finalState = null;
            for (int k = i; k < j; k++) {
                StateEntry<UnitState> e = h.get(k);
                double t = seconds(e.time());
                if (e.state() == UnitState.ALLOCATING) {
                    allocated = t;
                } else if (e.state() == UnitState.EXECUTING) {
                    executing = t;
                } else if (!Double.isNaN(executing) && Double.isNaN(executed)) {
                    executed = t;
                }
                if (e.state().isFinal()) {
                    finalState = e.state();
                    ended = t;
                }
            }
            boolean last = j == h.size();
            boolean open = false;
            if (!Double.isNaN(executing) && Double.isNaN(executed)) {
                open = last;
                executed = last ? span : seconds(h.get(j).time()); // still executing, or restarted
            }
            // entries from two clocks (the engine's end of an attempt after the agent's start) may run backwards
            if (!Double.isNaN(allocated) && !Double.isNaN(executing) && allocated > executing) {
                allocated = executing;
                skewed++;
            }
            if (!Double.isNaN(executing) && executed < executing) {
                executed = executing;
                skewed++;
            }
            if (!Double.isNaN(executing) && ended < executed) {
                ended = executed;
                skewed++;
            }
            out.add(new Attempt(u, number, last ? u.pilot() : null, submitted, allocated, executing, executed,
                    finalState, ended, open));
            i = j;
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ series

    /** Adds {@code weight} over {@code [from, to)} to the bins, as a mean per bin. */
    private void spread(double[] bins, double from, double to, double weight) {
        if (!(to > from)) {
            return;
        }
        from = Math.max(0, from);
        to = Math.min(span, to);
        int first = Math.max(0, (int) Math.floor(from / binWidth));
        int last = Math.min(BINS - 1, (int) Math.floor(to / binWidth));
        for (int b = first; b <= last; b++) {
            double lo = Math.max(from, b * binWidth);
            double hi = Math.min(to, (b + 1) * binWidth);
            if (hi > lo) {
                bins[b] += weight * (hi - lo) / binWidth;
            }
        }
    }

    /** Per pilot, in the order of the run's pilots. */
    List<Utilization> utilization() {
        if (utilization == null) {
            Map<String, List<Attempt>> byPilot = new java.util.HashMap<>();
            for (Attempt a : attempts) {
                if (a.pilot() != null) {
                    byPilot.computeIfAbsent(a.pilot(), k -> new ArrayList<>()).add(a);
                }
            }
            List<Utilization> out = new ArrayList<>();
            for (PilotRun p : run.pilots()) {
                out.add(utilization(p, byPilot.getOrDefault(p.uid(), List.of())));
            }
            utilization = List.copyOf(out);
        }
        return utilization;
    }

    /**
     * Only what falls into the pilot's ACTIVE window counts: its cores are there for that long. A unit the agent
     * ends after the pilot began CANCELING (the engine's clock) is cut at that point.
     */
    private Utilization utilization(PilotRun p, List<Attempt> onPilot) {
        double[] busy = new double[BINS];
        double[] overhead = new double[BINS];
        double[] active = new double[BINS];
        double[] window = activeWindow(p);
        if (window == null) {
            return new Utilization(p, busy, overhead, new double[BINS], 0, 0, 0);
        }
        double busyCs = 0;
        double overheadCs = 0;
        for (Attempt a : onPilot) {
            if (!a.ran()) {
                continue;
            }
            int cores = a.unit().cores();
            if (!Double.isNaN(a.allocated())) {
                overheadCs += clipped(overhead, window, a.allocated(), a.executing(), cores);
            }
            busyCs += clipped(busy, window, a.executing(), a.stopped(), cores);
            if (!Double.isNaN(a.ended())) { // the agent frees the cores once it collected the unit
                overheadCs += clipped(overhead, window, a.stopped(), a.ended(), cores);
            }
        }
        spread(active, window[0], window[1], p.cores());
        double[] idle = new double[BINS];
        for (int b = 0; b < BINS; b++) {
            idle[b] = Math.max(0, active[b] - busy[b] - overhead[b]);
        }
        return new Utilization(p, busy, overhead, idle, busyCs, overheadCs, p.cores() * (window[1] - window[0]));
    }

    /** Spreads {@code [from, to)} cut to {@code window}; returns the core-seconds spread. */
    private double clipped(double[] bins, double[] window, double from, double to, int cores) {
        double lo = Math.max(from, window[0]);
        double hi = Math.min(to, window[1]);
        if (!(hi > lo)) {
            return 0;
        }
        spread(bins, lo, hi, cores);
        return cores * (hi - lo);
    }

    /** From ACTIVE to the entry that ended it (CANCELING or a final state), or the end of the run; null if never. */
    private double[] activeWindow(PilotRun p) {
        double from = Double.NaN;
        for (StateEntry<PilotState> e : p.history()) {
            double t = seconds(e.time());
            if (e.state() == PilotState.ACTIVE) {
                from = t;
            } else if (!Double.isNaN(from) && (e.state() == PilotState.CANCELING || e.state().isFinal())) {
                return new double[] {from, t};
            }
        }
        return Double.isNaN(from) ? null : new double[] {from, span};
    }

    /** The mean number of units executing, per bin. */
    double[] concurrency() {
        double[] c = new double[BINS];
        for (Attempt a : attempts) {
            if (a.ran()) {
                spread(c, a.executing(), a.stopped(), 1);
            }
        }
        return c;
    }

    /** The most units executing at one instant. */
    int peakConcurrency() {
        List<double[]> events = new ArrayList<>(); // {time, +1 start / -1 stop}; at a tie, stops come first
        for (Attempt a : attempts) {
            if (a.ran()) {
                events.add(new double[] {a.executing(), 1});
                events.add(new double[] {a.stopped(), -1});
            }
        }
        events.sort(Comparator.<double[]>comparingDouble(e -> e[0]).thenComparingDouble(e -> e[1]));
        int now = 0;
        int peak = 0;
        for (double[] e : events) {
            now += (int) e[1];
            peak = Math.max(peak, now);
        }
        return peak;
    }

    /** Units reaching {@code states} per second, per bin (a unit counts once, at its final entry). */
    double[] finishedPerSecond(UnitState... states) {
        double[] f = new double[BINS];
        List<UnitState> wanted = Arrays.asList(states);
        for (Attempt a : attempts) {
            if (a.finalState() != null && wanted.contains(a.finalState())) {
                int b = Math.min(BINS - 1, Math.max(0, (int) Math.floor(a.ended() / binWidth)));
                f[b] += 1 / binWidth;
            }
        }
        return f;
    }

    // ------------------------------------------------------------------------------------------------ distributions

    /**
     * Seconds each attempt executed (EXECUTING to the entry after it, or to the restart that ended it), sorted;
     * attempts still executing are left out.
     */
    double[] durations() {
        return attempts.stream()
                .filter(a -> a.ran() && !a.open())
                .mapToDouble(a -> a.stopped() - a.executing())
                .sorted().toArray();
    }

    /** Seconds each attempt waited from submission (or restart) until EXECUTING, sorted. */
    double[] queueWaits() {
        return attempts.stream()
                .filter(Attempt::ran)
                .mapToDouble(a -> a.executing() - a.submitted())
                .sorted().toArray();
    }

    /** The {@code q}-quantile (0..1) of sorted values by linear interpolation (numpy's default); NaN when empty. */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    // ------------------------------------------------------------------------------------------------ counts

    /** Units by state, in the state model's order. */
    Map<UnitState, Integer> unitsByState() {
        Map<UnitState, Integer> m = new EnumMap<>(UnitState.class);
        for (UnitRun u : run.units()) {
            m.merge(u.state(), 1, Integer::sum);
        }
        return m;
    }

    /** FAILED and CANCELED units by error code, by code number; units without a code count as UNKNOWN. */
    Map<ErrorCode, List<UnitRun>> failuresByCode() {
        Map<ErrorCode, List<UnitRun>> m = new TreeMap<>(Comparator.comparingInt(ErrorCode::number));
        for (UnitRun u : run.units()) {
            if (u.state() == UnitState.FAILED || u.state() == UnitState.CANCELED) {
                m.computeIfAbsent(u.errorCode() == null ? ErrorCode.UNKNOWN : u.errorCode(),
                        c -> new ArrayList<>()).add(u);
            }
        }
        return m;
    }

    /**
     * Units with a memory profile (an agent sends one once it took a sample): leaking ones first, then by peak
     * {@code pss + swap}, largest first.
     */
    List<UnitRun> memoryUnits() {
        return run.units().stream()
                .filter(u -> u.memory() != null)
                .sorted(Comparator.comparing((UnitRun u) -> !u.memory().leaking())
                        .thenComparing(u -> -u.memory().peakUsed()))
                .toList();
    }
}
