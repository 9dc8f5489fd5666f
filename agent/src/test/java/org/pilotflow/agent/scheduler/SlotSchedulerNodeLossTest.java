package org.pilotflow.agent.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link SlotScheduler#loseNode}: a lost node's slots are never given again, and what no longer fits is returned. */
class SlotSchedulerNodeLossTest {

    private static SlotScheduler<String> threeNodes() {
        return new SlotScheduler<>(List.of(new Node("n1", 4, 0), new Node("n2", 8, 1), new Node("n3", 4, 0)));
    }

    private static Map<String, Allocation> placed(SlotScheduler<String> s) {
        return s.schedule().stream().collect(Collectors.toMap(SlotScheduler.Placement::item,
                SlotScheduler.Placement::allocation));
    }

    @Test
    void aLostNodeGetsNoNewUnitsAndItsReleasesAreIgnored() {
        SlotScheduler<String> s = threeNodes();
        s.submit("on-n1", 4, 0);
        s.submit("on-n2", 2, 0);
        Map<String, Allocation> first = placed(s);
        assertThat(first.get("on-n2").hosts()).containsExactly("n2");

        assertThat(s.loseNode("n2")).isEmpty();
        assertThat(s.isLost("n2")).isTrue();
        assertThat(s.freeCores()).as("n3's 4; n2's free 6 are gone").isEqualTo(4);
        assertThat(s.totalCores()).isEqualTo(8);

        s.release(first.get("on-n2")); // its unit ended with the node: harmless, nothing comes back
        assertThat(s.freeCores()).isEqualTo(4);
        for (int i = 0; i < 3; i++) {
            s.submit("u" + i, 2, 0);
        }
        Map<String, Allocation> next = placed(s);
        assertThat(next).containsOnlyKeys("u0", "u1");
        assertThat(next.values()).allMatch(a -> a.hosts().equals(List.of("n3")));

        s.release(first.get("on-n1"));
        assertThat(placed(s).get("u2").hosts()).containsExactly("n1");
    }

    @Test
    void waitingUnitsThatNoLongerFitAreReturnedAndTheOthersWait() {
        SlotScheduler<String> s = threeNodes();
        s.submit("fill-1", 4, 0);
        s.submit("fill-2", 8, 0);
        s.submit("fill-3", 4, 0);
        placed(s);
        s.submit("eight", 8, 0); // only n2 holds it
        s.submit("gpu", 1, 1); // only n2 has a GPU
        s.submit("mpi-16", 16, 0, true); // the whole pilot
        s.submit("mpi-8", 8, 0, true); // n1 and n3 together
        s.submit("four", 4, 0);

        assertThat(s.loseNode("n2")).containsExactly("eight", "gpu", "mpi-16");
        assertThat(s.waitingItems()).containsExactly("mpi-8", "four");
        assertThat(s.neverFits(8, 0)).hasValue("unit needs 8 cores, largest node of the pilot has 4");
        assertThat(s.neverFits(1, 1)).isPresent();
        assertThat(s.loseNode("n2")).as("lost once").isEmpty();
        assertThatThrownBy(() -> s.loseNode("n9")).hasMessage("unknown node n9");
    }

    @Test
    void spanningUnitsAndCoLocatedUnitsGoOnTheNodesLeft() {
        SlotScheduler<String> s = threeNodes();
        s.submit("tagged-1", 1, 0, false, 0, "t");
        Allocation tagged = placed(s).get("tagged-1");
        assertThat(tagged.hosts()).containsExactly("n1");
        s.loseNode("n1");
        s.release(tagged);
        s.submit("tagged-2", 1, 0, false, 0, "t"); // its home went with n1: it goes where it fits
        s.submit("mpi-12", 12, 0, true);
        Map<String, Allocation> next = placed(s);
        assertThat(next.get("tagged-2").hosts()).containsExactly("n2");
        assertThat(next).doesNotContainKey("mpi-12"); // 11 cores left on n2 and n3
        assertThat(s.freeCores()).isEqualTo(11);
        s.release(next.get("tagged-2"));
        assertThat(placed(s).get("mpi-12").hosts()).containsExactly("n2", "n3");
    }
}
