package org.pilotflow.internal.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.model.PilotState;

/** The scheduler's decisions alone: no database, no engine (like the agent's SlotSchedulerTest). */
class UnitPlacementTest {

    private static PilotCapacity pilot(String uid, PilotState state, int cores) {
        return new PilotCapacity(uid, state, cores, 0, 0, 0);
    }

    private static Demand cores(int n) {
        return new Demand(n, 0, null);
    }

    private static List<Placement> placeAll(UnitPlacement p, Demand d, int n) {
        List<Placement> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(p.place(d));
        }
        return out;
    }

    @Test
    void roundRobinTakesPilotsInTurnWhateverTheirState() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(
                pilot("pilot.0000", PilotState.ACTIVE, 2), pilot("pilot.0001", PilotState.PENDING_ACTIVE, 2)), 0);
        assertThat(placeAll(p, cores(1), 4)).containsExactly(
                new Placement.Bind("pilot.0000"), new Placement.Bind("pilot.0001"),
                new Placement.Bind("pilot.0000"), new Placement.Bind("pilot.0001"));
        assertThat(p.cursor()).isEqualTo(4);
    }

    @Test
    void roundRobinContinuesWhereTheStoredCursorStands() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(
                pilot("a", PilotState.ACTIVE, 2), pilot("b", PilotState.ACTIVE, 2)), 7);
        assertThat(p.place(cores(1))).isEqualTo(new Placement.Bind("b"));
    }

    @Test
    void roundRobinSkipsPilotsTooSmallAndFinalOnes() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(
                pilot("small", PilotState.ACTIVE, 1), pilot("gone", PilotState.FAILED, 8),
                pilot("big", PilotState.ACTIVE, 4)), 0);
        assertThat(placeAll(p, cores(3), 3)).containsOnly(new Placement.Bind("big"));
    }

    @Test
    void aUnitBiggerThanEveryUnfinishedPilotIsRejectedWithTheSizes() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.BACKFILLING, 2, List.of(
                pilot("a", PilotState.ACTIVE, 4), pilot("b", PilotState.DONE, 16)), 0);
        assertThat(p.place(cores(8))).isEqualTo(new Placement.Reject("unit needs 8 cores, largest pilot has 4"));
        assertThat(p.place(new Demand(1, 2, null)))
                .isEqualTo(new Placement.Reject("unit needs 2 gpus, largest pilot has 0"));
    }

    @Test
    void withoutUnfinishedPilotsAUnitWaits() {
        assertThat(new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(), 0).place(cores(1)))
                .isEqualTo(new Placement.Wait());
        assertThat(new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2,
                List.of(pilot("a", PilotState.CANCELED, 2)), 0).place(cores(1))).isEqualTo(new Placement.Wait());
    }

    @Test
    void aPinnedUnitGoesToItsPilotOrIsRejectedWhenThatPilotEnded() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(
                pilot("a", PilotState.ACTIVE, 2), pilot("b", PilotState.ACTIVE, 2),
                pilot("c", PilotState.FAILED, 2)), 0);
        assertThat(placeAll(p, new Demand(1, 0, "b"), 3)).containsOnly(new Placement.Bind("b"));
        assertThat(p.place(new Demand(1, 0, "c"))).isEqualTo(new Placement.Reject("pinned pilot c is FAILED"));
    }

    @Test
    void aCancelingPilotTakesNoMoreUnits() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(
                pilot("leaving", PilotState.CANCELING, 4), pilot("staying", PilotState.ACTIVE, 4)), 0);
        assertThat(placeAll(p, cores(1), 3)).containsOnly(new Placement.Bind("staying"));
        assertThat(p.place(new Demand(1, 0, "leaving")))
                .isEqualTo(new Placement.Reject("pinned pilot leaving is CANCELING"));
        assertThat(new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(pilot("leaving", PilotState.CANCELING,
                4)), 0).place(cores(1))).isEqualTo(new Placement.Wait());
    }

    @Test
    void backfillingBindsOnlyToActivePilotsUpToTheHighWaterMark() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.BACKFILLING, 2, List.of(
                pilot("active", PilotState.ACTIVE, 2), pilot("queued", PilotState.PENDING_ACTIVE, 8)), 0);
        assertThat(placeAll(p, cores(1), 4)).containsOnly(new Placement.Bind("active"));
        assertThat(p.place(cores(1))).as("4 cores bound = 2 x 2 cores").isEqualTo(new Placement.Wait());
    }

    @Test
    void backfillingPicksTheLeastLoadedPilotCountingEarlierDecisionsAndCommittedLoad() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.BACKFILLING, 2, List.of(
                new PilotCapacity("busy", PilotState.ACTIVE, 4, 0, 3, 0),
                new PilotCapacity("idle", PilotState.ACTIVE, 4, 0, 0, 0)), 0);
        List<Placement> six = placeAll(p, cores(1), 6);
        assertThat(six.subList(0, 3)).containsOnly(new Placement.Bind("idle"));
        assertThat(p.pilots()).extracting(PilotCapacity::boundCores).containsExactly(5, 4);
        assertThat(placeAll(p, cores(1), 10)).as("room left: 8 - 5 on busy, 8 - 4 on idle")
                .filteredOn(x -> x instanceof Placement.Bind).hasSize(7);
    }

    @Test
    void backfillingRespectsGpuCapacity() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.BACKFILLING, 1, List.of(
                new PilotCapacity("gpu", PilotState.ACTIVE, 8, 1, 0, 0)), 0);
        assertThat(p.place(new Demand(1, 1, null))).isEqualTo(new Placement.Bind("gpu"));
        assertThat(p.place(new Demand(1, 1, null))).as("its one GPU is taken").isEqualTo(new Placement.Wait());
        assertThat(p.place(cores(1))).isEqualTo(new Placement.Bind("gpu"));
    }

    // ---------------------------------------------------------------- data locality (Pilot-Data)

    private static DataLocality data(java.util.Set<String> reaching, java.util.Set<String> near) {
        return new DataLocality(reaching, near, "no pilot reaches its data");
    }

    @Test
    void aUnitWithDataGoesToTheNearPilotWhateverTheRoundRobinTurn() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(
                pilot("far", PilotState.ACTIVE, 2), pilot("near", PilotState.ACTIVE, 2)), 0);
        DataLocality d = data(java.util.Set.of("far", "near"), java.util.Set.of("near"));
        for (int i = 0; i < 3; i++) {
            assertThat(p.place(cores(1), d)).isEqualTo(new Placement.Bind("near"));
        }
        assertThat(p.place(cores(1))).as("a unit without data takes its turn").isEqualTo(new Placement.Bind("near"));
        assertThat(p.place(cores(1))).isEqualTo(new Placement.Bind("far"));
    }

    @Test
    void backfillingFallsBackToAReachingPilotWhenTheNearOneIsFullOrGone() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.BACKFILLING, 2, List.of(
                pilot("far", PilotState.ACTIVE, 1), pilot("near", PilotState.ACTIVE, 1),
                pilot("unreaching", PilotState.ACTIVE, 8)), 0);
        DataLocality d = data(java.util.Set.of("far", "near"), java.util.Set.of("near"));
        List<Placement> out = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            out.add(p.place(cores(1), d));
        }
        assertThat(out).containsExactly(new Placement.Bind("near"), new Placement.Bind("near"),
                new Placement.Bind("far"), new Placement.Bind("far"), new Placement.Wait());

        UnitPlacement gone = new UnitPlacement(SchedulerPolicy.BACKFILLING, 2, List.of(
                pilot("far", PilotState.ACTIVE, 1), pilot("near", PilotState.CANCELED, 1)), 0);
        assertThat(gone.place(cores(1), d)).isEqualTo(new Placement.Bind("far"));
    }

    @Test
    void aUnitWhoseDataNoPilotReachesIsRejectedWithTheGivenReason() {
        UnitPlacement p = new UnitPlacement(SchedulerPolicy.ROUND_ROBIN, 2, List.of(
                pilot("a", PilotState.ACTIVE, 2)), 0);
        assertThat(p.place(cores(1), data(java.util.Set.of(), java.util.Set.of())))
                .isEqualTo(new Placement.Reject("no pilot reaches its data"));
        assertThat(p.cursor()).as("a rejected unit takes no turn").isZero();
    }
}
