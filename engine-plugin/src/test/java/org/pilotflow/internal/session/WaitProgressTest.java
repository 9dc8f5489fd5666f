package org.pilotflow.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.pilotflow.model.UnitState;

class WaitProgressTest {

    @Test
    void oneLineWithCountsByStateTheRateAndTheTimeLeft() {
        UnitState[] states = new UnitState[10];
        java.util.Arrays.fill(states, UnitState.PENDING_EXECUTION);
        states[0] = UnitState.DONE;
        states[1] = UnitState.FAILED;
        List<Integer> entries = IntStream.range(0, 10).boxed().toList();
        WaitProgress<Integer, UnitState> p = new WaitProgress<>(entries, i -> states[i], UnitState::isFinal,
                UnitState.class, "unit", 0);
        // 4 s later four more are DONE and two run: 4 in 4 s is 1/s, and 4 are left
        for (int i = 2; i < 6; i++) {
            states[i] = UnitState.DONE;
        }
        states[6] = UnitState.EXECUTING;
        states[7] = UnitState.EXECUTING;
        assertThat(p.line(4_000_000_000L)).isEqualTo("waiting for 10 units: 6 there {DONE=5, FAILED=1}, 4 not yet "
                + "{PENDING_EXECUTION=2, EXECUTING=2}; 1.0/s over 4 s, about 4 s left");
    }

    @Test
    void noEstimateBeforeAnythingArrived() {
        List<Integer> entries = List.of(0, 1);
        WaitProgress<Integer, UnitState> p = new WaitProgress<>(entries, i -> UnitState.EXECUTING,
                UnitState::isFinal, UnitState.class, "unit", 0);
        assertThat(p.line(90_000_000_000L)).endsWith("0.0/s over 1 min 30 s, no estimate yet");
    }

    @Test
    void durationsReadAsAPersonWouldSayThem() {
        assertThat(WaitProgress.duration(59.4)).isEqualTo("59 s");
        assertThat(WaitProgress.duration(96)).isEqualTo("1 min 36 s");
        assertThat(WaitProgress.duration(7322)).isEqualTo("2 h 2 min");
    }
}
