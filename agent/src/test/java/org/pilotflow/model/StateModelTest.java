package org.pilotflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.pilotflow.model.UnitState.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StateModelTest {

    @Test
    void laterStateImpliesTheSkippedOnesInOrder() {
        assertThat(UnitState.MODEL.advance(PENDING_INPUT_STAGING, DONE)).containsExactly(STAGING_INPUT,
                PENDING_EXECUTION, ALLOCATING, EXECUTING, PENDING_OUTPUT_STAGING, STAGING_OUTPUT, DONE);
        assertThat(UnitState.MODEL.advance(null, SCHEDULING)).containsExactly(UNSCHEDULED, SCHEDULING);
    }

    @Test
    void exitsNeedNoImpliedStates() {
        assertThat(UnitState.MODEL.advance(EXECUTING, FAILED)).containsExactly(FAILED);
        assertThat(UnitState.MODEL.advance(NEW, CANCELED)).containsExactly(CANCELED);
    }

    @Test
    void anExitPassesThroughTheStatesTheReporterTimed() {
        // an agent that merged STAGING_INPUT .. EXECUTING into its FAILED report: the history keeps them
        assertThat(UnitState.MODEL.advance(PENDING_INPUT_STAGING, FAILED,
                List.of(STAGING_INPUT, PENDING_EXECUTION, ALLOCATING, EXECUTING, FAILED)))
                .containsExactly(STAGING_INPUT, PENDING_EXECUTION, ALLOCATING, EXECUTING, FAILED);
        // the furthest timed state counts, the ones between are implied, order of the list does not matter
        assertThat(UnitState.MODEL.advance(PENDING_INPUT_STAGING, CANCELED, List.of(PENDING_EXECUTION, STAGING_INPUT)))
                .containsExactly(STAGING_INPUT, PENDING_EXECUTION, CANCELED);
        // nothing after the current state, an earlier state, or a race from a final state: as without times
        assertThat(UnitState.MODEL.advance(EXECUTING, FAILED, List.of(ALLOCATING, EXECUTING)))
                .containsExactly(FAILED);
        assertThat(UnitState.MODEL.advance(CANCELED, FAILED, List.of(EXECUTING))).containsExactly(FAILED);
        assertThat(UnitState.MODEL.advance(FAILED, FAILED, List.of(EXECUTING))).isEmpty();
        // a normal forward move is not changed by times for states beyond it
        assertThat(UnitState.MODEL.advance(ALLOCATING, EXECUTING, List.of(PENDING_OUTPUT_STAGING)))
                .containsExactly(EXECUTING);
        assertThat(UnitState.MODEL.advance(PENDING_INPUT_STAGING, FAILED, List.of())).containsExactly(FAILED);
    }

    @Test
    void equalOrEarlierStatesAreIgnored() {
        assertThat(UnitState.MODEL.advance(EXECUTING, EXECUTING)).isEmpty();
        assertThat(UnitState.MODEL.advance(EXECUTING, ALLOCATING)).isEmpty();
        assertThat(UnitState.MODEL.advance(DONE, EXECUTING)).isEmpty();
        assertThat(UnitState.MODEL.advance(FAILED, STAGING_INPUT)).isEmpty();
    }

    @Test
    void doneOrFailedWinOverARacingCancel() {
        assertThat(UnitState.MODEL.advance(CANCELED, DONE)).containsExactly(DONE);
        assertThat(UnitState.MODEL.advance(CANCELED, FAILED)).containsExactly(FAILED);
        assertThat(UnitState.MODEL.advance(DONE, CANCELED)).isEmpty();
        assertThat(UnitState.MODEL.advance(FAILED, CANCELED)).isEmpty();
    }

    @Test
    void otherMovesOutOfAFinalStateAreErrors() {
        assertThatThrownBy(() -> UnitState.MODEL.advance(DONE, FAILED))
                .isInstanceOf(IllegalStateTransitionException.class).hasMessageContaining("DONE");
        assertThatThrownBy(() -> UnitState.MODEL.advance(FAILED, DONE))
                .isInstanceOf(IllegalStateTransitionException.class);
    }

    @Test
    void pilotCancelGoesThroughCanceling() {
        assertThat(PilotState.MODEL.advance(PilotState.ACTIVE, PilotState.CANCELED))
                .containsExactly(PilotState.CANCELING, PilotState.CANCELED);
        assertThat(PilotState.MODEL.advance(PilotState.NEW, PilotState.ACTIVE)).containsExactly(
                PilotState.PENDING_LAUNCH, PilotState.LAUNCHING, PilotState.PENDING_ACTIVE, PilotState.ACTIVE);
        assertThat(PilotState.MODEL.advance(PilotState.CANCELING, PilotState.DONE)).containsExactly(PilotState.DONE);
        assertThat(PilotState.MODEL.advance(PilotState.CANCELING, PilotState.ACTIVE)).isEmpty();
        assertThat(PilotState.MODEL.advance(PilotState.CANCELING, PilotState.FAILED)).containsExactly(PilotState.FAILED);
    }

    @Test
    void everyNonFinalStateCanFailAndBeCanceled() {
        for (UnitState s : UnitState.values()) {
            if (!s.isFinal()) {
                assertThat(UnitState.MODEL.advance(s, FAILED)).containsExactly(FAILED);
                assertThat(UnitState.MODEL.advance(s, CANCELED)).containsExactly(CANCELED);
            }
        }
        for (PilotState s : PilotState.values()) {
            if (!s.isFinal()) {
                assertThat(PilotState.MODEL.advance(s, PilotState.FAILED)).containsExactly(PilotState.FAILED);
            }
        }
    }

    /**
     * Property: however a run's reports are shuffled and duplicated, applying them keeps the state monotone and
     * announces each state at most once, and the final state is reached when the last report arrives.
     */
    @Test
    void shuffledAndDuplicatedUpdatesAnnounceEachStateOnceInOrder() {
        Random random = new Random(42);
        List<UnitState> run = List.of(UNSCHEDULED, SCHEDULING, PENDING_INPUT_STAGING, ALLOCATING, EXECUTING, DONE);
        for (int round = 0; round < 5000; round++) {
            List<UnitState> delivered = new ArrayList<>(run);
            for (int d = random.nextInt(4); d > 0; d--) {
                delivered.add(run.get(random.nextInt(run.size())));
            }
            Collections.shuffle(delivered, random);
            UnitState current = NEW;
            List<UnitState> announced = new ArrayList<>();
            for (UnitState target : delivered) {
                List<UnitState> a = UnitState.MODEL.advance(current, target);
                announced.addAll(a);
                if (!a.isEmpty()) {
                    current = a.get(a.size() - 1);
                }
            }
            assertThat(current).isEqualTo(DONE);
            assertThat(announced).doesNotHaveDuplicates();
            assertThat(announced).isSortedAccordingTo(java.util.Comparator.comparingInt(Enum::ordinal));
            assertThat(announced).endsWith(DONE).doesNotContain(CANCELED, FAILED);
        }
    }

    @Test
    void mermaidDiagramComesFromTheTable() {
        String m = PilotState.MODEL.toMermaid();
        assertThat(m).startsWith("stateDiagram-v2").contains("ACTIVE --> DONE").contains("CANCELING --> CANCELED")
                .contains("ANY --> FAILED").contains("CANCELED --> DONE : a late DONE wins over a racing cancel");
    }
}
