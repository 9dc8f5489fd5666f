package org.pilotflow.agent.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Random submissions, withdrawals, passes and releases on small pilots: {@link SlotScheduler} makes the very
 * placements of {@link ScanningSlotScheduler} (the scheduler before its indexes: every node scanned, every waiting unit
 * walked), and on its own keeps the invariants: no slot given twice, no slot beyond what its node has, free counts
 * that match the slots in use, and after a pass no plain waiting unit that would fit (released slots are reused).
 */
class SlotSchedulerPropertyTest {

    /** Each int is one operation; see {@link #apply}. */
    @Provide
    Arbitrary<List<Integer>> operations() {
        return Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMinSize(1).ofMaxSize(400);
    }

    @Provide
    Arbitrary<List<Integer>> pilots() {
        return Arbitraries.integers().between(0, 4 * 8 * 3 - 1).list().ofMinSize(1).ofMaxSize(5);
    }

    @Property(tries = 400)
    void placesAsTheScanningSchedulerDoesAndKeepsItsInvariants(@ForAll("pilots") List<Integer> pilot,
                                                               @ForAll("operations") List<Integer> operations) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < pilot.size(); i++) { // 1-32 cores, 0-2 GPUs
            int code = pilot.get(i);
            nodes.add(new Node("n" + i, 1 + code % 32, code / 32 % 3));
        }
        Run run = new Run(nodes);
        for (int op : operations) {
            run.apply(op);
        }
        run.passAndCheck();
        PLACED.addAndGet(run.placed);
    }

    /** Placements over all tries: runs that placed nothing would have checked little. */
    private static final AtomicLong PLACED = new AtomicLong();

    @AfterContainer
    static void placedManyUnits() {
        assertThat(PLACED.get()).as("units placed in all tries").isGreaterThan(2_000);
    }

    private static final class Run {
        final List<Node> nodes;
        final Map<String, Node> byName = new HashMap<>();
        final SlotScheduler<Integer> indexed;
        final ScanningSlotScheduler<Integer> scanning;
        final Set<String> busy = new HashSet<>();
        final List<Allocation> running = new ArrayList<>();
        /** Waiting units: cores, gpus, spanning, tag (null when none), for the fits-after-a-pass check. */
        final Map<Integer, int[]> waiting = new HashMap<>();
        final Map<Integer, String> tags = new HashMap<>();
        int next;
        int placed;

        Run(List<Node> nodes) {
            this.nodes = nodes;
            nodes.forEach(n -> byName.put(n.name(), n));
            indexed = new SlotScheduler<>(nodes);
            scanning = new ScanningSlotScheduler<>(nodes);
        }

        /** op % 8: 0-2 submit, 3 withdraw, 4 pass, 5-7 release; the rest of op chooses the details. */
        void apply(int op) {
            int kind = op % 8;
            int rest = op / 8;
            switch (kind) {
                case 0, 1, 2 -> submit(rest);
                case 3 -> {
                    Integer item = waiting.isEmpty() ? next : List.copyOf(waiting.keySet()).get(rest % waiting.size());
                    assertThat(indexed.withdraw(item)).isEqualTo(scanning.withdraw(item));
                    waiting.remove(item);
                }
                case 4 -> passAndCheck();
                default -> {
                    if (!running.isEmpty()) {
                        Allocation a = running.remove(rest % running.size());
                        indexed.release(a);
                        scanning.release(a);
                        busy.removeAll(a.slots());
                    }
                }
            }
        }

        void submit(int rest) {
            boolean span = rest % 3 == 0;
            // mostly small; at times more than any node, or the pilot, has
            int cores = 1 + (rest / 3 % 8 == 0 ? rest / 24 % (span ? 48 : 33) : rest / 24 % 6);
            int gpus = switch (rest / 2000 % 8) {
                case 7 -> 3; // more than any node has
                case 5, 6 -> 1;
                default -> 0;
            };
            int priority = rest / 20_000 % 3 - 1;
            int t = rest / 60_000 % 5;
            String tag = t == 3 ? "a" : t == 4 ? "b" : null;
            int item = next++;
            Throwable refusedIndexed = catchThrowable(() -> indexed.submit(item, cores, gpus, span, priority, tag));
            Throwable refusedScanning = catchThrowable(() -> scanning.submit(item, cores, gpus, span, priority, tag));
            assertThat(refusedIndexed == null ? null : refusedIndexed.getMessage())
                    .isEqualTo(refusedScanning == null ? null : refusedScanning.getMessage());
            if (refusedIndexed == null) {
                waiting.put(item, new int[] {cores, gpus, span && tag == null ? 1 : 0});
                tags.put(item, tag);
            } else {
                assertThat(indexed.isWaiting(item)).as("a refused unit does not wait").isFalse();
            }
        }

        void passAndCheck() {
            List<SlotScheduler.Placement<Integer>> got = indexed.schedule();
            List<ScanningSlotScheduler.Placement<Integer>> want = scanning.schedule();
            assertThat(got).extracting(p -> p.item() + "@" + p.allocation().slots())
                    .containsExactlyElementsOf(want.stream().map(p -> p.item() + "@" + p.allocation().slots())
                            .toList());
            for (SlotScheduler.Placement<Integer> p : got) {
                int[] unit = waiting.remove(p.item());
                Allocation a = p.allocation();
                assertThat(a.coreCount()).isEqualTo(unit[0]);
                assertThat(a.gpuCount()).isEqualTo(unit[1]);
                if (unit[2] == 0) {
                    assertThat(a.isSingleNode()).as("a one-node unit on one node").isTrue();
                }
                for (Allocation.Part part : a.parts()) {
                    Node n = byName.get(part.node().name());
                    assertThat(part.cores()).allMatch(c -> c >= 0 && c < n.cores());
                    assertThat(part.gpus()).allMatch(g -> g >= 0 && g < n.gpus());
                }
                for (String slot : a.slots()) {
                    assertThat(busy.add(slot)).as("slot %s given twice", slot).isTrue();
                }
                running.add(a);
                placed++;
            }
            assertThat(indexed.waitingItems()).isEqualTo(scanning.waitingItems());
            assertThat(indexed.waitingCount()).isEqualTo(waiting.size());
            long busyGpus = busy.stream().filter(s -> s.contains(":gpu")).count();
            assertThat(indexed.freeCores()).isEqualTo(indexed.totalCores() - (busy.size() - busyGpus));
            assertThat(indexed.freeGpus()).isEqualTo(indexed.totalGpus() - busyGpus);
            for (Map.Entry<Integer, int[]> w : waiting.entrySet()) {
                if (tags.get(w.getKey()) == null) { // a tagged unit may wait for its own node
                    int[] unit = w.getValue();
                    assertThat(nodes).as("unit %s (%s cores, %s gpus) left waiting though a node has room",
                            w.getKey(), unit[0], unit[1]).noneMatch(n -> freeOn(n, ":") >= unit[0]
                            && freeOn(n, ":gpu") >= unit[1]);
                }
            }
        }

        private long freeOn(Node n, String kind) {
            boolean gpus = kind.equals(":gpu");
            long used = busy.stream().filter(s -> s.startsWith(n.name() + ":") && s.contains(":gpu") == gpus).count();
            return (gpus ? n.gpus() : n.cores()) - used;
        }
    }
}
