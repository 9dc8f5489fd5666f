package org.pilotflow.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.pilotflow.report.SampleRuns.e;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.report.RunData.PilotRun;
import org.pilotflow.report.RunData.UnitRun;

/**
 * The figures of a small run computed by hand. Pilot p (2 cores) is ACTIVE from 0 to 10 s; bins are 0.05 s wide.
 * <pre>
 *   u1 1 core   submitted 0, ALLOCATING 1, EXECUTING 2, exited 6, DONE 6.5
 *   u2 2 cores  submitted 0, ALLOCATING 6.5, EXECUTING 7, exited 9, FAILED 9 (EXIT_CODE)
 *   u3 1 core   submitted 1, FAILED 1 (NO_PILOT), never bound
 *   u4 1 core   attempt 1: submitted 0, EXECUTING 1, restarted 3 (pilot not kept);
 *               attempt 2 on p: EXECUTING 4, DONE 5
 * </pre>
 */
class RunAnalyticsTest {

    private static final double EPS = 1e-9;

    static RunData handMade() {
        PilotRun p = new PilotRun("p", "local.localhost", 2, PilotState.DONE,
                List.of(e(PilotState.NEW, 0), e(PilotState.ACTIVE, 0), e(PilotState.DONE, 10)), null);
        UnitRun u1 = new UnitRun("u1", "u1", "p", 1, UnitState.DONE, List.of(e(UnitState.NEW, 0),
                e(UnitState.PENDING_EXECUTION, 0.5), e(UnitState.ALLOCATING, 1), e(UnitState.EXECUTING, 2),
                e(UnitState.PENDING_OUTPUT_STAGING, 6), e(UnitState.DONE, 6.5)), null, null, null);
        UnitRun u2 = new UnitRun("u2", "u2", "p", 2, UnitState.FAILED, List.of(e(UnitState.NEW, 0),
                e(UnitState.ALLOCATING, 6.5), e(UnitState.EXECUTING, 7), e(UnitState.PENDING_OUTPUT_STAGING, 9),
                e(UnitState.FAILED, 9)), ErrorCode.EXIT_CODE, "exit code 3", null);
        UnitRun u3 = new UnitRun("u3", "u3", null, 1, UnitState.FAILED, List.of(e(UnitState.NEW, 1),
                e(UnitState.FAILED, 1)), ErrorCode.NO_PILOT, "no pilot can hold it", null);
        UnitRun u4 = new UnitRun("u4", "u4", "p", 1, UnitState.DONE, List.of(e(UnitState.NEW, 0, 1),
                e(UnitState.EXECUTING, 1, 1), e(UnitState.UNSCHEDULED, 3, 2), e(UnitState.EXECUTING, 4, 2),
                e(UnitState.DONE, 5, 2)), null, null, null);
        return new RunData("s", List.of(p), List.of(u1, u2, u3, u4));
    }

    @Test
    void timeAxisSpansTheRunInEqualBins() {
        RunAnalytics a = new RunAnalytics(handMade());
        assertThat(a.start()).isEqualTo(SampleRuns.T0);
        assertThat(a.span()).isCloseTo(10, within(EPS));
        assertThat(a.binWidth()).isCloseTo(0.05, within(EPS));
        assertThat(a.binCenter(0)).isCloseTo(0.025, within(EPS));
    }

    @Test
    void attemptsAreSplitAtRestartsAndOnlyTheLastKnowsItsPilot() {
        List<RunAnalytics.Attempt> u4 = new RunAnalytics(handMade()).attempts().stream()
                .filter(x -> x.unit().uid().equals("u4")).toList();
        assertThat(u4).hasSize(2);
        assertThat(u4.get(0).pilot()).isNull();
        assertThat(u4.get(0).executing()).isCloseTo(1, within(EPS));
        assertThat(u4.get(0).stopped()).as("an attempt ends where the next begins").isCloseTo(3, within(EPS));
        assertThat(u4.get(0).finalState()).isNull();
        assertThat(u4.get(1).pilot()).isEqualTo("p");
        assertThat(u4.get(1).submitted()).isCloseTo(3, within(EPS));
        assertThat(u4.get(1).stopped()).isCloseTo(5, within(EPS));
        assertThat(u4.get(1).finalState()).isEqualTo(UnitState.DONE);
    }

    @Test
    void utilizationSplitsThePilotsCoresIntoBusyOverheadAndIdle() {
        RunAnalytics.Utilization u = new RunAnalytics(handMade()).utilization().get(0);
        // busy: u1 1 x 4 s, u2 2 x 2 s, u4's second attempt 1 x 1 s; its first attempt's pilot is unknown
        assertThat(u.busyCoreSeconds()).isCloseTo(9, within(EPS));
        // overhead: u1 placed 1 s before it started and collected 0.5 s after it exited; u2 placed 0.5 s early
        assertThat(u.overheadCoreSeconds()).isCloseTo(1 * 1 + 1 * 0.5 + 2 * 0.5, within(EPS));
        assertThat(u.activeCoreSeconds()).isCloseTo(20, within(EPS));
        assertThat(u.busyShare()).isCloseTo(0.45, within(EPS));
        assertThat(u.overheadShare()).isCloseTo(0.125, within(EPS));
        // per bin, in cores: t = 2.0..2.05 only u1 runs; t = 4.25 u1 and u4; t = 1.5 u1 is being placed
        assertThat(u.busy()[40]).isCloseTo(1, within(EPS));
        assertThat(u.busy()[85]).isCloseTo(2, within(EPS));
        assertThat(u.idle()[85]).isCloseTo(0, within(EPS));
        assertThat(u.busy()[39]).isCloseTo(0, within(EPS));
        assertThat(u.overhead()[30]).isCloseTo(1, within(EPS));
        assertThat(u.idle()[30]).isCloseTo(1, within(EPS));
        assertThat(u.idle()[10]).isCloseTo(2, within(EPS));
        double total = 0;
        for (int b = 0; b < RunAnalytics.BINS; b++) {
            total += (u.busy()[b] + u.overhead()[b] + u.idle()[b]) * 0.05;
        }
        assertThat(total).as("busy + overhead + idle cover the ACTIVE time").isCloseTo(20, within(1e-6));
    }

    @Test
    void concurrencyIntegratesToTheUnitSecondsExecuted() {
        RunAnalytics a = new RunAnalytics(handMade());
        // u1 4 s + u2 2 s + u4 2 s (first attempt) + 1 s (second)
        assertThat(Arrays.stream(a.concurrency()).sum() * a.binWidth()).isCloseTo(9, within(1e-6));
        assertThat(a.concurrency()[50]).as("t = 2.5: u1 and u4's first attempt").isCloseTo(2, within(EPS));
        assertThat(a.peakConcurrency()).isEqualTo(2);
    }

    @Test
    void runTimesCountEndedAttemptsAndQueueWaitsEveryStartedOne() {
        RunAnalytics a = new RunAnalytics(handMade());
        // u4's first attempt ran 2 s until its restart: it counts, though it never ended
        assertThat(a.durations()).containsExactly(1, 2, 2, 4);
        assertThat(a.queueWaits()).containsExactly(1, 1, 2, 7);
    }

    @Test
    void throughputCountsEachUnitOnceAtItsEnd() {
        RunAnalytics a = new RunAnalytics(handMade());
        double[] done = a.finishedPerSecond(UnitState.DONE);
        assertThat(Arrays.stream(done).sum() * a.binWidth()).isCloseTo(2, within(1e-9));
        assertThat(done[100]).as("u4 ends at 5.0 s: bin 100").isCloseTo(20, within(1e-9));
        assertThat(done[130]).as("u1 ends at 6.5 s: bin 130").isCloseTo(20, within(1e-9));
        assertThat(Arrays.stream(a.finishedPerSecond(UnitState.FAILED, UnitState.CANCELED)).sum() * a.binWidth())
                .isCloseTo(2, within(1e-9));
    }

    @Test
    void failuresAreGroupedByCodeInNumberOrder() {
        RunAnalytics a = new RunAnalytics(handMade());
        assertThat(a.failuresByCode().keySet()).containsExactly(ErrorCode.EXIT_CODE, ErrorCode.NO_PILOT);
        assertThat(a.failuresByCode().get(ErrorCode.EXIT_CODE)).extracting(UnitRun::uid).containsExactly("u2");
        assertThat(a.unitsByState()).containsEntry(UnitState.DONE, 2).containsEntry(UnitState.FAILED, 2);
    }

    @Test
    void aFailedUnitWithoutCodeCountsAsUnknown() {
        UnitRun old = new UnitRun("u", "u", null, 1, UnitState.FAILED, List.of(e(UnitState.NEW, 0),
                e(UnitState.FAILED, 1)), null, "from an older version", null);
        RunAnalytics a = new RunAnalytics(new RunData("s", List.of(), List.of(old)));
        assertThat(a.failuresByCode().keySet()).containsExactly(ErrorCode.UNKNOWN);
    }

    @Test
    void quantilesInterpolateBetweenRanks() {
        assertThat(RunAnalytics.quantile(new double[] {1, 2, 4}, 0.5)).isEqualTo(2);
        assertThat(RunAnalytics.quantile(new double[] {1, 1, 2, 7}, 0.95)).isCloseTo(6.25, within(EPS));
        assertThat(RunAnalytics.quantile(new double[] {3}, 0.95)).isEqualTo(3);
        assertThat(RunAnalytics.quantile(new double[0], 0.5)).isNaN();
    }

    @Test
    void memoryUnitsListLeaksFirstThenTheLargest() {
        List<UnitRun> m = new RunAnalytics(SampleRuns.rich()).memoryUnits();
        assertThat(m).extracting(UnitRun::uid).startsWith("unit.000017", "unit.000024");
        assertThat(m.subList(0, 2)).allMatch(u -> u.memory().leaking());
        assertThat(m.subList(2, m.size())).noneMatch(u -> u.memory().leaking());
        for (int i = 3; i < m.size(); i++) {
            assertThat(m.get(i).memory().peakUsed()).isLessThanOrEqualTo(m.get(i - 1).memory().peakUsed());
        }
    }

    @Test
    void onlyThePilotsActiveTimeCounts() {
        // the pilot is ACTIVE 0..4, CANCELING from 4 (engine clock); its unit is killed at 6 (agent clock)
        PilotRun p = new PilotRun("p", "local.localhost", 1, PilotState.CANCELED, List.of(e(PilotState.ACTIVE, 0),
                e(PilotState.CANCELING, 4), e(PilotState.CANCELED, 7)), "pilot canceled");
        UnitRun u = new UnitRun("u", "u", "p", 1, UnitState.CANCELED, List.of(e(UnitState.NEW, 0),
                e(UnitState.ALLOCATING, 1), e(UnitState.EXECUTING, 2), e(UnitState.CANCELED, 6)),
                ErrorCode.PILOT_CANCELED, "pilot canceled", null);
        RunAnalytics.Utilization util = new RunAnalytics(new RunData("s", List.of(p), List.of(u))).utilization()
                .get(0);
        assertThat(util.activeCoreSeconds()).isCloseTo(4, within(EPS));
        assertThat(util.busyCoreSeconds()).as("2..4, not 2..6").isCloseTo(2, within(EPS));
        assertThat(util.overheadCoreSeconds()).isCloseTo(1, within(EPS));
        assertThat(util.busyShare() + util.overheadShare()).isLessThanOrEqualTo(1);
    }

    @Test
    void aPilotNeverActiveHasNoUtilization() {
        PilotRun p = new PilotRun("p", "slurm", 8, PilotState.FAILED, List.of(e(PilotState.NEW, 0),
                e(PilotState.FAILED, 3)), "job rejected");
        RunAnalytics.Utilization util = new RunAnalytics(new RunData("s", List.of(p), List.of())).utilization()
                .get(0);
        assertThat(util.activeCoreSeconds()).isZero();
        assertThat(util.busyShare()).isZero();
        assertThat(Arrays.stream(util.idle()).sum()).isZero();
    }

    @Test
    void intervalsRunningBackwardsBetweenClocksAreCutToZeroAndCounted() {
        // the engine ended the unit (pilot lost) at 1.5 by its clock; the agent had seen it start at 2 by its own
        UnitRun u = new UnitRun("u", "u", "p", 1, UnitState.FAILED, List.of(e(UnitState.NEW, 0),
                e(UnitState.ALLOCATING, 2.5), e(UnitState.EXECUTING, 2), e(UnitState.FAILED, 1.5)),
                ErrorCode.PILOT_LOST, "pilot lost", null);
        RunAnalytics a = new RunAnalytics(new RunData("s", List.of(), List.of(u)));
        assertThat(a.durations()).containsExactly(0);
        assertThat(a.attempts().get(0).allocated()).isCloseTo(2, within(EPS));
        assertThat(a.skewed()).isEqualTo(3);
        assertThat(a.peakConcurrency()).isLessThanOrEqualTo(1);
    }

    @Test
    void aUnitStillExecutingCountsUntilTheEndOfTheRunButHasNoRunTimeYet() {
        UnitRun running = new UnitRun("u", "u", "p", 1, UnitState.EXECUTING, List.of(e(UnitState.NEW, 0),
                e(UnitState.EXECUTING, 1)), null, null, null);
        UnitRun other = new UnitRun("v", "v", null, 1, UnitState.FAILED, List.of(e(UnitState.NEW, 0),
                e(UnitState.FAILED, 5)), ErrorCode.NO_PILOT, "no pilot", null);
        RunAnalytics a = new RunAnalytics(new RunData("s", List.of(), List.of(running, other)));
        assertThat(a.attempts().get(0).open()).isTrue();
        assertThat(a.attempts().get(0).stopped()).isCloseTo(5, within(EPS));
        assertThat(a.durations()).isEmpty();
        assertThat(a.queueWaits()).containsExactly(1);
        assertThat(Arrays.stream(a.concurrency()).sum() * a.binWidth()).isCloseTo(4, within(1e-6));
    }

    @Test
    void anEmptyRunHasFiguresButNoData() {
        RunAnalytics a = new RunAnalytics(new RunData("s", List.of(), List.of()));
        assertThat(a.span()).isPositive();
        assertThat(a.utilization()).isEmpty();
        assertThat(a.peakConcurrency()).isZero();
        assertThat(a.durations()).isEmpty();
        assertThat(a.failuresByCode()).isEmpty();
        assertThat(Arrays.stream(a.concurrency()).sum()).isZero();
    }
}
