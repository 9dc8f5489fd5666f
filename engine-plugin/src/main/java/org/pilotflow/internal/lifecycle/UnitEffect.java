package org.pilotflow.internal.lifecycle;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.model.UnitState;

/**
 * What entering a unit state does, beside the state table ({@link UnitState#MODEL}): {@link #ON_ENTER} is the one
 * place that says it, {@link UnitLifecycle} carries it out, and docs/state-models.md shows it (generated).
 */
public enum UnitEffect {
    SCHEDULE("the unit manager's policy binds the unit to a pilot, leaves it waiting, or FAILS it when no pilot can"
            + " ever hold it: at once when the unit is stored, in the manager's next drain when it runs again"),
    QUEUE_RUN_UNIT("RUN_UNIT is queued for the pilot's agent (it reaches the agent after the commit)"),
    CORRELATE_ENDED("the unit process gets `pilotflow.unit.ended` (unitState, exitCode, failureReason, errorCode)"),
    DRAIN_MANAGER("the unit manager binds waiting units (the unit's cores are free again)");

    private final String description;

    UnitEffect(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The effects of entering each state, in the order they happen. */
    public static final Map<UnitState, List<UnitEffect>> ON_ENTER = table();

    private static Map<UnitState, List<UnitEffect>> table() {
        Map<UnitState, List<UnitEffect>> t = new EnumMap<>(UnitState.class);
        for (UnitState s : UnitState.values()) {
            t.put(s, List.of());
        }
        t.put(UnitState.UNSCHEDULED, List.of(SCHEDULE));
        t.put(UnitState.PENDING_INPUT_STAGING, List.of(QUEUE_RUN_UNIT));
        List<UnitEffect> end = List.of(CORRELATE_ENDED, DRAIN_MANAGER);
        t.put(UnitState.DONE, end);
        t.put(UnitState.CANCELED, end);
        t.put(UnitState.FAILED, end);
        return java.util.Collections.unmodifiableMap(t);
    }
}
