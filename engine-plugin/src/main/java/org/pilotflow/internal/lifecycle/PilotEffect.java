package org.pilotflow.internal.lifecycle;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.model.PilotState;

/**
 * What entering a pilot state does, beside the state table ({@link PilotState#MODEL}): {@link #ON_ENTER} is the one
 * place that says it, {@link PilotLifecycle} carries it out, and docs/state-models.md shows it (generated).
 */
public enum PilotEffect {
    RECORD_LAUNCH_ATTEMPT("a new secret and launch attempt are recorded; the job phase becomes SUBMITTING, before"
            + " the resource is asked for anything"),
    RECORD_JOB("the job's handle and sandbox are recorded"),
    CORRELATE_ACTIVE("the pilot process gets `pilotflow.pilot.active`"),
    QUEUE_CANCEL_PILOT("CANCEL_PILOT is queued for the agent"),
    CORRELATE_ENDED("the pilot process gets `pilotflow.pilot.ended` (pilotState, failureReason)"),
    END_JOB("the job must end: killed at once when the engine ended the pilot, else it ends by itself (killed"
            + " after cancelGrace if not)"),
    SETTLE_UNITS("unfinished units end with the pilot: CANCELED (also any unit whose cancel the agent had not carried"
            + " out), FAILED, or (restartable, a recoverable error code: pilot FAILED or runtime expired, attempts"
            + " left) run again elsewhere once the job is gone"),
    DRAIN_MANAGERS("the unit managers of the pilot bind waiting units");

    private final String description;

    PilotEffect(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    /** The effects of entering each state, in the order they happen. */
    public static final Map<PilotState, List<PilotEffect>> ON_ENTER = table();

    private static Map<PilotState, List<PilotEffect>> table() {
        Map<PilotState, List<PilotEffect>> t = new EnumMap<>(PilotState.class);
        for (PilotState s : PilotState.values()) {
            t.put(s, List.of());
        }
        t.put(PilotState.LAUNCHING, List.of(RECORD_LAUNCH_ATTEMPT));
        t.put(PilotState.PENDING_ACTIVE, List.of(RECORD_JOB));
        t.put(PilotState.ACTIVE, List.of(CORRELATE_ACTIVE, DRAIN_MANAGERS));
        t.put(PilotState.CANCELING, List.of(QUEUE_CANCEL_PILOT));
        List<PilotEffect> end = List.of(CORRELATE_ENDED, END_JOB, SETTLE_UNITS, DRAIN_MANAGERS);
        t.put(PilotState.DONE, end);
        t.put(PilotState.CANCELED, end);
        t.put(PilotState.FAILED, end);
        return java.util.Collections.unmodifiableMap(t);
    }
}
