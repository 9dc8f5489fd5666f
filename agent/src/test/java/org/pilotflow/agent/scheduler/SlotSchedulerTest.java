package org.pilotflow.agent.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

class SlotSchedulerTest {

    private static SlotScheduler<String> pilot(int cores, int gpus) {
        return new SlotScheduler<>(List.of(Node.localhost(cores, gpus)));
    }

    private static List<String> items(List<SlotScheduler.Placement<String>> ps) {
        return ps.stream().map(SlotScheduler.Placement::item).toList();
    }

    @Test
    void placesUnitsThatFitOnNamedSlots() {
        SlotScheduler<String> s = pilot(4, 2);
        s.submit("a", 2, 1);
        s.submit("b", 2, 1);
        List<SlotScheduler.Placement<String>> ps = s.schedule();
        assertThat(items(ps)).containsExactly("a", "b");
        assertThat(ps.get(0).allocation().slots()).containsExactly("localhost:0", "localhost:1", "localhost:gpu0");
        assertThat(ps.get(1).allocation().slots()).containsExactly("localhost:2", "localhost:3", "localhost:gpu1");
        assertThat(ps.get(1).allocation().gpuList()).isEqualTo("1");
        assertThat(s.freeCores()).isZero();
        assertThat(s.freeGpus()).isZero();
    }

    @Test
    void waitsUntilSlotsAreReleased() {
        SlotScheduler<String> s = pilot(2, 0);
        s.submit("a", 2, 0);
        s.submit("b", 1, 0);
        List<SlotScheduler.Placement<String>> first = s.schedule();
        assertThat(items(first)).containsExactly("a");
        assertThat(s.schedule()).isEmpty();
        assertThat(s.isWaiting("b")).isTrue();
        s.release(first.get(0).allocation());
        assertThat(s.freeCores()).isEqualTo(2);
        List<SlotScheduler.Placement<String>> second = s.schedule();
        assertThat(items(second)).containsExactly("b");
        assertThat(second.get(0).allocation().slots()).containsExactly("localhost:0");
    }

    @Test
    void backfillsSmallUnitsPastABigOneInArrivalOrder() {
        SlotScheduler<String> s = pilot(4, 0);
        s.submit("big1", 3, 0);
        List<SlotScheduler.Placement<String>> started = s.schedule();
        assertThat(items(started)).containsExactly("big1");
        s.submit("big2", 4, 0);   // does not fit until big1 ends
        s.submit("small1", 1, 0); // fits in the one free core: overtakes big2
        s.submit("small2", 1, 0); // no core left
        assertThat(items(s.schedule())).containsExactly("small1");
        assertThat(s.waitingItems()).containsExactly("big2", "small2");
        s.release(started.get(0).allocation()); // 3 free: big2 still does not fit, small2 does
        assertThat(items(s.schedule())).containsExactly("small2");
        assertThat(s.waitingItems()).containsExactly("big2");
    }

    @Test
    void startsInArrivalOrderWhenAllFit() {
        SlotScheduler<String> s = pilot(8, 0);
        for (int i = 0; i < 8; i++) {
            s.submit("u" + i, 1, 0);
        }
        assertThat(items(s.schedule())).containsExactly("u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7");
    }

    @Test
    void refusesUnitsThatCanNeverFit() {
        SlotScheduler<String> s = pilot(4, 1);
        assertThat(s.neverFits(8, 0)).contains("unit needs 8 cores, pilot has 4");
        assertThat(s.neverFits(1, 2)).contains("unit needs 2 gpus, pilot has 1");
        assertThat(s.neverFits(0, 0)).isPresent();
        assertThat(s.neverFits(4, 1)).isEmpty();
        assertThatThrownBy(() -> s.submit("x", 8, 0)).hasMessage("unit needs 8 cores, pilot has 4");
        assertThat(s.waitingCount()).isZero();
    }

    @Test
    void onTenThousandNodesAUnitThatCanNeverFitIsRefusedAtOnceAndOneThatNeedsAllOfThemWaitsForThem() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            nodes.add(new Node("node" + i, 128, i == 9_999 ? 1 : 0));
        }
        SlotScheduler<String> s = new SlotScheduler<>(nodes);
        assertThatThrownBy(() -> s.submit("too-wide", 129, 0))
                .hasMessage("unit needs 129 cores, largest node of the pilot has 128");
        assertThatThrownBy(() -> s.submit("too-big", 1_280_001, 0, true))
                .hasMessage("unit needs 1280001 cores, pilot has 1280000");
        assertThatThrownBy(() -> s.submit("too-many-gpus", 1, 2, true))
                .hasMessage("unit needs 2 gpus, largest node of the pilot has 1");
        assertThat(s.waitingCount()).isZero();
        s.submit("one", 1, 0);
        Allocation one = s.schedule().get(0).allocation();
        s.submit("all", 1_280_000, 1, true); // fits only on the whole pilot; its GPU is on the last node
        assertThat(s.schedule()).isEmpty();
        s.release(one);
        Allocation all = s.schedule().get(0).allocation();
        assertThat(all.parts()).hasSize(10_000);
        assertThat(all.hosts().get(0)).as("the first node holds the GPU").isEqualTo("node9999");
        assertThat(all.hosts().get(1)).isEqualTo("node0");
        assertThat(s.freeCores()).isZero();
        s.release(all);
        assertThat(s.freeCores()).isEqualTo(1_280_000);
    }

    @Test
    void multiNodePilotsNameTheLargestNode() {
        SlotScheduler<String> s = new SlotScheduler<>(List.of(new Node("n1", 4, 0), new Node("n2", 2, 0)));
        assertThat(s.neverFits(5, 0)).contains("unit needs 5 cores, largest node of the pilot has 4");
        s.submit("a", 4, 0);
        s.submit("b", 2, 0);
        List<SlotScheduler.Placement<String>> ps = s.schedule();
        assertThat(ps.get(0).allocation().slots()).allMatch(x -> x.startsWith("n1:"));
        assertThat(ps.get(1).allocation().slots()).containsExactly("n2:0", "n2:1");
    }

    @Test
    void withdrawRemovesAWaitingUnit() {
        SlotScheduler<String> s = pilot(1, 0);
        s.submit("a", 1, 0);
        s.submit("b", 1, 0);
        s.schedule();
        assertThat(s.withdraw("b")).isTrue();
        assertThat(s.withdraw("b")).isFalse();
        assertThat(s.waitingCount()).isZero();
    }

    @Test
    void doubleReleaseIsRefused() {
        SlotScheduler<String> s = pilot(2, 0);
        s.submit("a", 1, 0);
        Allocation a = s.schedule().get(0).allocation();
        s.release(a);
        assertThatThrownBy(() -> s.release(a)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void neverAllocatesASlotTwiceUnderRandomLoad() {
        Random rnd = new Random(42);
        SlotScheduler<Integer> s = new SlotScheduler<>(List.of(Node.localhost(16, 4)));
        Set<String> busy = new HashSet<>();
        List<SlotScheduler.Placement<Integer>> running = new ArrayList<>();
        int next = 0;
        int finished = 0;
        for (int round = 0; round < 5000; round++) {
            if (rnd.nextBoolean()) {
                s.submit(next++, 1 + rnd.nextInt(16), rnd.nextInt(3));
            }
            for (SlotScheduler.Placement<Integer> p : s.schedule()) {
                for (String slot : p.allocation().slots()) {
                    assertThat(busy.add(slot)).as("slot %s allocated twice", slot).isTrue();
                }
                running.add(p);
            }
            if (!running.isEmpty() && rnd.nextInt(3) == 0) {
                SlotScheduler.Placement<Integer> p = running.remove(rnd.nextInt(running.size()));
                busy.removeAll(p.allocation().slots());
                s.release(p.allocation());
                finished++;
            }
            assertThat(s.freeCores() + busy.stream().filter(x -> !x.contains("gpu")).count()).isEqualTo(16);
        }
        assertThat(finished).isGreaterThan(100);
    }

    // ------------------------------------------------------------------ MPI units spanning nodes

    private static SlotScheduler<String> cluster() {
        return new SlotScheduler<>(List.of(new Node("n1", 4, 0), new Node("n2", 4, 2), new Node("n3", 4, 0)));
    }

    @Test
    void mpiUnitsFillNodesOneAfterAnotherAndReleaseEveryPart() {
        SlotScheduler<String> s = cluster();
        s.submit("one", 1, 0);           // n1:0
        s.submit("mpi", 9, 0, true);     // 3 left on n1, then all of n2, then 2 of n3
        List<SlotScheduler.Placement<String>> ps = s.schedule();
        assertThat(items(ps)).containsExactly("one", "mpi");
        Allocation mpi = ps.get(1).allocation();
        assertThat(mpi.hosts()).containsExactly("n1", "n2", "n3");
        assertThat(mpi.parts()).extracting(p -> p.cores().size()).containsExactly(3, 4, 2);
        assertThat(mpi.coreCount()).isEqualTo(9);
        assertThat(mpi.isSingleNode()).isFalse();
        assertThat(mpi.slots()).containsExactly("n1:1", "n1:2", "n1:3", "n2:0", "n2:1", "n2:2", "n2:3", "n3:0",
                "n3:1");
        assertThat(s.freeCores()).isEqualTo(2);
        s.release(mpi);
        assertThat(s.freeCores()).isEqualTo(11);
        assertThatThrownBy(() -> s.release(mpi)).isInstanceOf(IllegalStateException.class);
        assertThat(s.freeCores()).as("a refused double release changes nothing").isEqualTo(11);
    }

    @Test
    void mpiUnitsStayOnOneNodeWhenOneCanHoldThem() {
        SlotScheduler<String> s = cluster();
        s.submit("a", 3, 0);
        s.submit("mpi", 4, 0, true); // n1 has 1 free: n2 holds all 4 ranks
        List<SlotScheduler.Placement<String>> ps = s.schedule();
        assertThat(ps.get(1).allocation().hosts()).containsExactly("n2");
        assertThat(ps.get(1).allocation().isSingleNode()).isTrue();
    }

    @Test
    void anMpiUnitsGpusAreOnItsFirstNode() {
        SlotScheduler<String> s = cluster();
        s.submit("mpi", 10, 2, true);
        Allocation a = s.schedule().get(0).allocation();
        assertThat(a.hosts()).containsExactly("n2", "n1", "n3");
        assertThat(a.parts()).extracting(p -> p.cores().size()).containsExactly(4, 4, 2);
        assertThat(a.gpuList()).isEqualTo("0,1");
        assertThat(a.slots()).endsWith("n2:gpu0", "n2:gpu1");
    }

    @Test
    void mpiUnitsWaitUntilThePilotHasEnoughFreeCoresAndNonMpiUnitsBackfill() {
        SlotScheduler<String> s = cluster();
        s.submit("a", 4, 0);
        s.submit("b", 4, 0);
        List<SlotScheduler.Placement<String>> first = s.schedule();
        s.submit("mpi", 6, 0, true); // 4 free in all
        s.submit("small", 2, 0);
        assertThat(items(s.schedule())).containsExactly("small");
        s.release(first.get(0).allocation()); // 6 free: n1 4 + n3 2
        List<SlotScheduler.Placement<String>> ps = s.schedule();
        assertThat(items(ps)).containsExactly("mpi");
        assertThat(ps.get(0).allocation().hosts()).containsExactly("n1", "n3");
    }

    @Test
    void neverFitsForMpiUnitsComparesWithThePilotsTotalCores() {
        SlotScheduler<String> s = cluster();
        assertThat(s.neverFits(12, 0, true)).isEmpty();
        assertThat(s.neverFits(13, 0, true)).contains("unit needs 13 cores, pilot has 12");
        assertThat(s.neverFits(5, 0)).contains("unit needs 5 cores, largest node of the pilot has 4");
        assertThat(s.neverFits(2, 3, true)).contains("unit needs 3 gpus, largest node of the pilot has 2");
        assertThatThrownBy(() -> s.submit("x", 13, 0, true)).hasMessage("unit needs 13 cores, pilot has 12");
    }

    @Test
    void nodesMustHaveDistinctNames() {
        assertThatThrownBy(() -> new SlotScheduler<>(List.of(new Node("n1", 1, 0), new Node("n1", 2, 0))))
                .hasMessage("node n1 is listed twice");
    }

    @Test
    void neverAllocatesASlotTwiceWithMpiUnitsOnManyNodes() {
        Random rnd = new Random(7);
        SlotScheduler<Integer> s = new SlotScheduler<>(List.of(new Node("a", 4, 1), new Node("b", 8, 2),
                new Node("c", 4, 0)));
        Set<String> busy = new HashSet<>();
        List<SlotScheduler.Placement<Integer>> running = new ArrayList<>();
        int next = 0;
        int spanning = 0;
        for (int round = 0; round < 5000; round++) {
            if (rnd.nextBoolean()) {
                boolean mpi = rnd.nextBoolean();
                s.submit(next++, 1 + rnd.nextInt(mpi ? 16 : 8), rnd.nextInt(2), mpi);
            }
            for (SlotScheduler.Placement<Integer> p : s.schedule()) {
                for (String slot : p.allocation().slots()) {
                    assertThat(busy.add(slot)).as("slot %s allocated twice", slot).isTrue();
                }
                if (!p.allocation().isSingleNode()) {
                    spanning++;
                }
                running.add(p);
            }
            if (!running.isEmpty() && rnd.nextInt(3) == 0) {
                SlotScheduler.Placement<Integer> p = running.remove(rnd.nextInt(running.size()));
                busy.removeAll(p.allocation().slots());
                s.release(p.allocation());
            }
            assertThat(s.freeCores() + busy.stream().filter(x -> !x.contains("gpu")).count()).isEqualTo(16);
        }
        assertThat(spanning).isGreaterThan(50);
    }

    // ------------------------------------------------------------------ priority and co-location

    @Test
    void higherPriorityGoesFirstThenArrivalOrder() {
        SlotScheduler<String> s = pilot(1, 0);
        s.submit("running", 1, 0);
        List<SlotScheduler.Placement<String>> ps = s.schedule();
        assertThat(items(ps)).containsExactly("running");
        s.submit("low-1", 1, 0, false, 0, null);
        s.submit("low-2", 1, 0, false, 0, null);
        s.submit("high", 1, 0, false, 5, null);
        s.submit("negative", 1, 0, false, -1, null);
        s.submit("high-2", 1, 0, false, 5, null);
        assertThat(s.waitingItems()).containsExactly("high", "high-2", "low-1", "low-2", "negative");
        List<String> started = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            s.release(ps.get(0).allocation()); // one core: each start waits for the one before to end
            ps = s.schedule();
            assertThat(ps).hasSize(1);
            started.add(ps.get(0).item());
        }
        assertThat(started).containsExactly("high", "high-2", "low-1", "low-2", "negative");
        assertThat(s.withdraw("high")).isFalse();
    }

    @Test
    void unitsWithTheSameColocationTagShareTheNodeTheFirstOneGot() {
        SlotScheduler<String> s = cluster(); // n1, n2 (2 GPUs), n3: 4 cores each
        s.submit("filler", 3, 0);                            // n1: 1 core left
        s.submit("a1", 2, 1, false, 0, "a");                 // needs a GPU: n2, and "a" lives there now
        s.submit("b1", 1, 0, false, 0, "b");                 // first fit: n1
        assertThat(s.schedule()).extracting(p -> p.item() + "@" + p.allocation().hosts())
                .containsExactly("filler@[n1]", "a1@[n2]", "b1@[n1]");
        s.submit("a2", 2, 0, false, 0, "a");                 // fits n2 (2 left)
        s.submit("b2", 1, 0, false, 0, "b");                 // n1 is full: waits, though n3 is empty
        s.submit("free", 1, 0);                              // no tag: n2 or n3
        List<SlotScheduler.Placement<String>> ps = s.schedule();
        assertThat(ps).extracting(p -> p.item() + "@" + p.allocation().hosts())
                .containsExactly("a2@[n2]", "free@[n3]");
        assertThat(s.waitingItems()).containsExactly("b2");
        // a co-located MPI unit stays on its tag's node
        s.submit("a3", 4, 0, true, 0, "a");
        assertThat(s.schedule()).isEmpty();
        assertThatThrownBy(() -> s.submit("a-too-big", 5, 0, true, 0, "a"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node n2")
                .hasMessageContaining("colocate=a");
    }
}
