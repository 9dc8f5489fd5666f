package org.pilotflow.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.PilotState;

/** One committed (or pending) version of a pilot's record. Immutable. */
record PilotSnapshot(
        String sessionId,
        String uid,
        String manager,
        ComputePilotDescription description,
        PilotState state,
        List<StateEntry<PilotState>> history,
        String processInstanceId,
        String job,
        String secretHash,
        long lastSeq,
        String sandbox,
        String reason) {

    static PilotSnapshot created(String sessionId, String uid, String manager, ComputePilotDescription d,
                                 String sandbox) {
        return new PilotSnapshot(sessionId, uid, manager, d, PilotState.NEW,
                List.of(new StateEntry<>(PilotState.NEW, Instant.now(), 1)), null, null, null, 0, sandbox, null);
    }

    List<PilotState> advanceTo(PilotState target) {
        return PilotState.MODEL.advance(state, target);
    }

    PilotSnapshot withStates(List<PilotState> announced, Map<String, Long> timestamps) {
        if (announced.isEmpty()) {
            return this;
        }
        List<StateEntry<PilotState>> h = new ArrayList<>(history);
        Instant now = Instant.now();
        for (PilotState s : announced) {
            Long t = timestamps.get(s.name());
            h.add(new StateEntry<>(s, t == null ? now : Instant.ofEpochMilli(t), 1));
        }
        return new PilotSnapshot(sessionId, uid, manager, description, announced.get(announced.size() - 1),
                List.copyOf(h), processInstanceId, job, secretHash, lastSeq, sandbox, reason);
    }

    PilotSnapshot withReason(String r) {
        return new PilotSnapshot(sessionId, uid, manager, description, state, history, processInstanceId, job,
                secretHash, lastSeq, sandbox, r);
    }

    PilotSnapshot withProcessInstance(String pid) {
        return new PilotSnapshot(sessionId, uid, manager, description, state, history, pid, job, secretHash,
                lastSeq, sandbox, reason);
    }

    PilotSnapshot withJob(String j) {
        return new PilotSnapshot(sessionId, uid, manager, description, state, history, processInstanceId, j,
                secretHash, lastSeq, sandbox, reason);
    }

    /** The sandbox as resolved on the resource at launch ({@code $HOME} expanded there). */
    PilotSnapshot withSandbox(String sb) {
        return new PilotSnapshot(sessionId, uid, manager, description, state, history, processInstanceId, job,
                secretHash, lastSeq, sb, reason);
    }

    PilotSnapshot withSecretHash(String h) {
        return new PilotSnapshot(sessionId, uid, manager, description, state, history, processInstanceId, job, h,
                lastSeq, sandbox, reason);
    }

    PilotSnapshot withLastSeq(long seq) {
        return new PilotSnapshot(sessionId, uid, manager, description, state, history, processInstanceId, job,
                secretHash, seq, sandbox, reason);
    }

    boolean isFinal() {
        return state.isFinal();
    }
}
