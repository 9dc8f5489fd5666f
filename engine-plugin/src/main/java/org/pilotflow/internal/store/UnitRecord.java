package org.pilotflow.internal.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.memory.MemoryProfile;
import org.pilotflow.model.wire.Report;

/**
 * One version of a unit's row in {@code PF_UNIT}. Immutable; {@link #edit()} makes a changed copy. {@code rev} is
 * the row's revision: every write checks and increments it.
 *
 * @param pilot   the pilot the unit is bound to (null while UNSCHEDULED)
 * @param attempt 1 for the first run; a restartable unit whose pilot was lost runs again as attempt 2, 3, ...
 * @param cancelRequested why a cancel was asked of the unit's agent (null: none asked); a unit with one is canceled,
 *                        never restarted, should its pilot end before the agent carries the cancel out
 * @param errorCode       why the unit ended other than DONE (null while it runs and for DONE)
 * @param memory          the agent's memory profile of the unit's (last) run; null before its end or when not sampled
 */
public record UnitRecord(
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
        int attempt,
        String cancelRequested,
        ErrorCode errorCode,
        MemoryProfile memory,
        List<StagedFile> outputs,
        int rev) {

    public UnitRecord {
        history = List.copyOf(history);
        slots = slots == null ? List.of() : List.copyOf(slots);
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    /** A new unit in state NEW (revision 0: not yet written). */
    public static UnitRecord created(String sessionId, String uid, String manager, ComputeUnitDescription d) {
        return new UnitRecord(sessionId, uid, manager, d, UnitState.NEW,
                List.of(new StateEntry<>(UnitState.NEW, Instant.now(), 1)), null, null, null, null, null, null,
                null, List.of(), 1, null, null, null, List.of(), 0);
    }

    public UnitKey key() {
        return new UnitKey(sessionId, uid);
    }

    public PilotKey pilotKey() {
        return pilot == null ? null : new PilotKey(sessionId, pilot);
    }

    public boolean isFinal() {
        return state.isFinal();
    }

    /** The states to announce when moving to {@code target} (empty for a duplicate or stale update). */
    public List<UnitState> advanceTo(UnitState target) {
        return UnitState.MODEL.advance(state, target);
    }

    /**
     * The states to announce when an agent reports {@code target} with times for the states it passed: a FAILED or
     * CANCELED report that carries the earlier steps (its agent merged them into it) keeps them in the history.
     * Only the agent's own states count (STAGING_INPUT on): the engine's, which have effects, are never implied.
     */
    public List<UnitState> advanceTo(UnitState target, Map<String, Long> timestamps) {
        List<UnitState> passed = new ArrayList<>(timestamps.size());
        for (String name : timestamps.keySet()) {
            for (UnitState s : UnitState.values()) {
                if (s.name().equals(name) && UnitState.MODEL.reachedOrPassed(s, UnitState.STAGING_INPUT)) {
                    passed.add(s);
                }
            }
        }
        return UnitState.MODEL.advance(state, target, passed);
    }

    /** This version without its memory profile and output files (for views that keep many units in memory). */
    public UnitRecord withoutBulk() {
        return memory == null && outputs.isEmpty() ? this : new UnitRecord(sessionId, uid, manager, description, state, history, pilot,
                processInstanceId, exitCode, reason, stdoutTail, stderrTail, sandbox, slots, attempt, cancelRequested,
                errorCode, null, List.of(), rev);
    }

    public Editor edit() {
        return new Editor(this);
    }

    /** A changed copy in the making. */
    public static final class Editor {
        private final UnitRecord r;
        private UnitState state;
        private List<StateEntry<UnitState>> history;
        private String pilot;
        private String processInstanceId;
        private Integer exitCode;
        private String reason;
        private String stdoutTail;
        private String stderrTail;
        private String sandbox;
        private List<String> slots;
        private int attempt;
        private String cancelRequested;
        private ErrorCode errorCode;
        private MemoryProfile memory;
        private List<StagedFile> outputs;

        private Editor(UnitRecord r) {
            this.r = r;
            state = r.state;
            history = r.history;
            pilot = r.pilot;
            processInstanceId = r.processInstanceId;
            exitCode = r.exitCode;
            reason = r.reason;
            stdoutTail = r.stdoutTail;
            stderrTail = r.stderrTail;
            sandbox = r.sandbox;
            slots = r.slots;
            attempt = r.attempt;
            cancelRequested = r.cancelRequested;
            errorCode = r.errorCode;
            memory = r.memory;
            outputs = r.outputs;
        }

        /** Appends the announced states to the history (the agent's timestamps where it gave them). */
        public Editor states(List<UnitState> announced, Map<String, Long> timestamps) {
            if (announced.isEmpty()) {
                return this;
            }
            List<StateEntry<UnitState>> h = new ArrayList<>(history);
            Instant now = Instant.now();
            for (UnitState s : announced) {
                Long t = timestamps.get(s.name());
                h.add(t == null ? new StateEntry<>(s, now, attempt)
                        : new StateEntry<>(s, Instant.ofEpochMilli(t), attempt, StateEntry.AGENT));
            }
            history = h;
            state = announced.get(announced.size() - 1);
            return this;
        }

        /** What an agent's report tells besides the state: exit code, output tails, sandbox, slots. */
        /** One state entered at {@code at} by the engine's clock (a step the engine itself timed). */
        public Editor stateAt(UnitState s, Instant at) {
            List<StateEntry<UnitState>> h = new ArrayList<>(history);
            h.add(new StateEntry<>(s, at, attempt));
            history = h;
            state = s;
            return this;
        }

        public Editor report(Report rep) {
            if (rep.exitCode() != null) {
                exitCode = rep.exitCode();
            }
            if (rep.reason() != null) {
                reason = rep.reason();
            }
            if (rep.stdoutTail() != null) {
                stdoutTail = rep.stdoutTail();
            }
            if (rep.stderrTail() != null) {
                stderrTail = rep.stderrTail();
            }
            if (rep.sandbox() != null) {
                sandbox = rep.sandbox();
            }
            if (!rep.slots().isEmpty()) {
                slots = rep.slots();
            }
            if (rep.memory() != null) {
                memory = rep.memory();
            }
            if (!rep.outputs().isEmpty()) {
                outputs = rep.outputs();
            }
            if (rep.errorCode() != null && ("FAILED".equals(rep.state()) || "CANCELED".equals(rep.state()))) {
                errorCode = ErrorCode.parse(rep.errorCode()); // a code belongs to an end other than DONE
            }
            return this;
        }

        /**
         * A new attempt after the unit's pilot was lost: back to UNSCHEDULED, unbound, with the earlier attempt's
         * entries kept in the history.
         */
        public Editor restart(String why) {
            attempt = attempt + 1;
            List<StateEntry<UnitState>> h = new ArrayList<>(history);
            h.add(new StateEntry<>(UnitState.UNSCHEDULED, Instant.now(), attempt));
            history = h;
            state = UnitState.UNSCHEDULED;
            pilot = null;
            exitCode = null;
            reason = why;
            stdoutTail = null;
            stderrTail = null;
            sandbox = null;
            slots = List.of();
            errorCode = null;
            memory = null;
            outputs = List.of();
            return this;
        }

        public Editor pilot(String v) { pilot = v; return this; }
        public Editor processInstance(String v) { processInstanceId = v; return this; }
        public Editor reason(String v) { reason = v; return this; }
        public Editor cancelRequested(String why) { cancelRequested = why; return this; }
        public Editor errorCode(ErrorCode v) { errorCode = v; return this; }
        /** Adds files put in place after the agent's (the engine's transfers to the client). */
        public Editor addOutputs(List<StagedFile> more) {
            List<StagedFile> all = new ArrayList<>(outputs);
            all.addAll(more.subList(0, Math.min(more.size(), Math.max(0, StagedFile.MAX_PER_UNIT - all.size()))));
            outputs = all;
            return this;
        }

        public UnitRecord done() {
            return new UnitRecord(r.sessionId, r.uid, r.manager, r.description, state, history, pilot,
                    processInstanceId, exitCode, reason, stdoutTail, stderrTail, sandbox, slots, attempt, cancelRequested,
                    errorCode, memory, outputs, r.rev);
        }
    }
}
