package org.pilotflow.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.Report;

/** One committed (or, inside a transaction, pending) version of a unit's record. Immutable. */
record UnitSnapshot(
        String sessionId,
        String uid,
        String manager,
        ComputeUnitDescription description,
        UnitState state,
        List<StateEntry<UnitState>> history,
        String pilot,
        String processInstanceId,
        Integer exitCode,
        String reason,
        String stdoutTail,
        String stderrTail,
        String sandbox,
        List<String> slots,
        int attempt) {

    static UnitSnapshot created(String sessionId, String uid, String manager, ComputeUnitDescription d) {
        return new UnitSnapshot(sessionId, uid, manager, d, UnitState.NEW,
                List.of(new StateEntry<>(UnitState.NEW, Instant.now(), 1)), null, null, null, null, null, null,
                null, List.of(), 1);
    }

    /** The states to announce when moving to {@code target} (empty for a duplicate or stale update). */
    List<UnitState> advanceTo(UnitState target) {
        return UnitState.MODEL.advance(state, target);
    }

    UnitSnapshot withStates(List<UnitState> announced, Map<String, Long> timestamps) {
        if (announced.isEmpty()) {
            return this;
        }
        List<StateEntry<UnitState>> h = new ArrayList<>(history);
        Instant now = Instant.now();
        for (UnitState s : announced) {
            Long t = timestamps.get(s.name());
            h.add(new StateEntry<>(s, t == null ? now : Instant.ofEpochMilli(t), attempt));
        }
        return new UnitSnapshot(sessionId, uid, manager, description, announced.get(announced.size() - 1),
                List.copyOf(h), pilot, processInstanceId, exitCode, reason, stdoutTail, stderrTail, sandbox, slots,
                attempt);
    }

    UnitSnapshot withReport(Report r) {
        return new UnitSnapshot(sessionId, uid, manager, description, state, history, pilot, processInstanceId,
                r.exitCode() != null ? r.exitCode() : exitCode,
                r.reason() != null ? r.reason() : reason,
                r.stdoutTail() != null ? r.stdoutTail() : stdoutTail,
                r.stderrTail() != null ? r.stderrTail() : stderrTail,
                r.sandbox() != null ? r.sandbox() : sandbox,
                r.slots().isEmpty() ? slots : r.slots(), attempt);
    }

    UnitSnapshot withReason(String newReason) {
        return new UnitSnapshot(sessionId, uid, manager, description, state, history, pilot, processInstanceId,
                exitCode, newReason, stdoutTail, stderrTail, sandbox, slots, attempt);
    }

    UnitSnapshot withPilot(String newPilot) {
        return new UnitSnapshot(sessionId, uid, manager, description, state, history, newPilot, processInstanceId,
                exitCode, reason, stdoutTail, stderrTail, sandbox, slots, attempt);
    }

    UnitSnapshot withProcessInstance(String pid) {
        return new UnitSnapshot(sessionId, uid, manager, description, state, history, pilot, pid, exitCode, reason,
                stdoutTail, stderrTail, sandbox, slots, attempt);
    }

    /**
     * A new attempt after the unit's pilot was lost: the state machine starts again at UNSCHEDULED (the history
     * keeps the earlier attempt's entries, marked with their attempt number).
     */
    UnitSnapshot restarted(String why) {
        List<StateEntry<UnitState>> h = new ArrayList<>(history);
        h.add(new StateEntry<>(UnitState.UNSCHEDULED, Instant.now(), attempt + 1));
        return new UnitSnapshot(sessionId, uid, manager, description, UnitState.UNSCHEDULED, List.copyOf(h), null,
                processInstanceId, null, why, null, null, null, List.of(), attempt + 1);
    }

    boolean isFinal() {
        return state.isFinal();
    }
}
