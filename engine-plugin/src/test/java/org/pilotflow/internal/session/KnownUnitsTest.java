package org.pilotflow.internal.session;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.pilotflow.model.UnitState;

class KnownUnitsTest {

    @Test
    void aUnitIsTakenInOnceWithItsManagerAndItsFinalStateOnceItsViewWent() {
        KnownUnits k = new KnownUnits();
        assertThat(k.contains("unit.000007")).isFalse();
        assertThat(k.manager("unit.000007")).isNull();
        assertThat(k.add("unit.000007", "umgr.0001")).isTrue();
        assertThat(k.add("unit.000007", "umgr.0002")).isFalse();
        assertThat(k.contains("unit.000007")).isTrue();
        assertThat(k.manager("unit.000007")).isEqualTo("umgr.0001");
        assertThat(k.goneState("unit.000007")).as("its view is kept").isNull();
        k.gone("unit.000007", UnitState.CANCELED);
        assertThat(k.goneState("unit.000007")).isEqualTo(UnitState.CANCELED);
        assertThat(k.manager("unit.000007")).isEqualTo("umgr.0001");
        k.gone("unit.000008", UnitState.DONE); // never taken in: nothing to remember
        assertThat(k.contains("unit.000008")).isFalse();
        assertThat(k.count()).isEqualTo(1);
    }

    @Test
    void numbersBeyondTheFirstBlockAndUidsOfOtherShapesAreKeptApart() {
        KnownUnits k = new KnownUnits();
        k.add("unit.1234567", "umgr.0002"); // past 999,999: seven digits
        k.add("unit.000042", "umgr.0001");
        k.add("unit.42", "umgr.0003"); // another shape of the same number is another uid
        k.add("unit.0000042", "umgr.0003");
        k.add("task.x", "umgr.0003");
        k.gone("unit.1234567", UnitState.FAILED);
        k.gone("unit.42", UnitState.DONE);
        assertThat(k.count()).isEqualTo(5);
        assertThat(k.goneState("unit.1234567")).isEqualTo(UnitState.FAILED);
        assertThat(k.goneState("unit.000042")).isNull();
        assertThat(k.manager("unit.000042")).isEqualTo("umgr.0001");
        assertThat(k.goneState("unit.42")).isEqualTo(UnitState.DONE);
        assertThat(k.goneState("unit.0000042")).isNull();
        assertThat(k.contains("unit.000043")).isFalse();
        assertThat(k.contains("task.x")).isTrue();
    }

    @Test
    void addAllTakesInWhatAnotherKnowsWithoutCountingAUnitTwice() {
        KnownUnits loaded = new KnownUnits();
        loaded.add("unit.000001", "umgr.0001");
        loaded.add("unit.000002", "umgr.0002");
        loaded.gone("unit.000002", UnitState.FAILED);
        loaded.add("odd", "umgr.0002");
        KnownUnits k = new KnownUnits();
        k.add("unit.000001", "umgr.0001"); // taken in meanwhile from a commit
        k.addAll(loaded);
        assertThat(k.count()).isEqualTo(3);
        assertThat(k.goneState("unit.000002")).isEqualTo(UnitState.FAILED);
        assertThat(k.manager("unit.000002")).isEqualTo("umgr.0002");
        assertThat(k.manager("odd")).isEqualTo("umgr.0002");
    }
}
