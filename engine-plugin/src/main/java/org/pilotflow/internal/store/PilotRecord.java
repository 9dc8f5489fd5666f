package org.pilotflow.internal.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.PilotState;

/**
 * One version of a pilot's row in {@code PF_PILOT}. Immutable; {@link #edit()} makes a changed copy. {@code rev}
 * is the row's revision: every write checks and increments it.
 *
 * @param job             the job handle ({@code slurm:4711}), null before the launch recorded one
 * @param secretHashes    SHA-256 of the secret of every launch attempt (an adopted job's agent holds an earlier one)
 * @param nextCommandSeq  the number of the last command queued for the agent (0: none yet)
 * @param jobRunningSince when the batch-job watcher first saw the job running (database clock, ms; 0: not seen)
 * @param endedAt         when the pilot became final (database clock, ms; 0 while it is not)
 * @param activeSince     when the pilot became ACTIVE (database clock, ms; 0 before): the earliest its agent's
 *                        silence can count from
 */
public record PilotRecord(
        String sessionId,
        String uid,
        String manager,
        ComputePilotDescription description,
        PilotState state,
        List<StateEntry<PilotState>> history,
        String processInstanceId,
        String job,
        JobPhase jobPhase,
        List<String> secretHashes,
        String sandbox,
        String reason,
        int rev,
        long nextCommandSeq,
        long jobRunningSince,
        long endedAt,
        int launchAttempt,
        long activeSince) {

    public PilotRecord {
        history = List.copyOf(history);
        secretHashes = secretHashes == null ? List.of() : List.copyOf(secretHashes);
    }

    /** A new pilot in state NEW (revision 0: not yet written). */
    public static PilotRecord created(String sessionId, String uid, String manager, ComputePilotDescription d,
                                      String sandbox) {
        return new PilotRecord(sessionId, uid, manager, d, PilotState.NEW,
                List.of(new StateEntry<>(PilotState.NEW, Instant.now(), 1)), null, null, JobPhase.NONE, List.of(),
                sandbox, null, 0, 0, 0, 0, 0, 0);
    }

    public PilotKey key() {
        return new PilotKey(sessionId, uid);
    }

    public boolean isFinal() {
        return state.isFinal();
    }

    /** The states to announce when moving to {@code target} (empty for a duplicate or stale update). */
    public List<PilotState> advanceTo(PilotState target) {
        return PilotState.MODEL.advance(state, target);
    }

    public Editor edit() {
        return new Editor(this);
    }

    /** A changed copy in the making. */
    public static final class Editor {
        private final PilotRecord r;
        private PilotState state;
        private List<StateEntry<PilotState>> history;
        private String processInstanceId;
        private String job;
        private JobPhase jobPhase;
        private List<String> secretHashes;
        private String sandbox;
        private String reason;
        private long nextCommandSeq;
        private long jobRunningSince;
        private long endedAt;
        private int launchAttempt;
        private long activeSince;

        private Editor(PilotRecord r) {
            this.r = r;
            state = r.state;
            history = r.history;
            processInstanceId = r.processInstanceId;
            job = r.job;
            jobPhase = r.jobPhase;
            secretHashes = r.secretHashes;
            sandbox = r.sandbox;
            reason = r.reason;
            nextCommandSeq = r.nextCommandSeq;
            jobRunningSince = r.jobRunningSince;
            endedAt = r.endedAt;
            launchAttempt = r.launchAttempt;
            activeSince = r.activeSince;
        }

        /** Appends the announced states to the history (the agent's timestamps where it gave them). */
        public Editor states(List<PilotState> announced, Map<String, Long> timestamps) {
            if (announced.isEmpty()) {
                return this;
            }
            List<StateEntry<PilotState>> h = new ArrayList<>(history);
            Instant now = Instant.now();
            for (PilotState s : announced) {
                Long t = timestamps.get(s.name());
                h.add(t == null ? new StateEntry<>(s, now, 1)
                        : new StateEntry<>(s, Instant.ofEpochMilli(t), 1, StateEntry.AGENT));
            }
            history = h;
            state = announced.get(announced.size() - 1);
            return this;
        }

        public Editor processInstance(String v) { processInstanceId = v; return this; }
        public Editor job(String v) { job = v; return this; }
        public Editor jobPhase(JobPhase v) { jobPhase = v; return this; }
        public Editor addSecretHash(String v) {
            List<String> l = new ArrayList<>(secretHashes);
            l.add(v);
            secretHashes = l;
            return this;
        }
        public Editor sandbox(String v) { sandbox = v; return this; }
        public Editor reason(String v) { reason = v; return this; }
        public Editor nextCommandSeq(long v) { nextCommandSeq = v; return this; }
        public Editor jobRunningSince(long v) { jobRunningSince = v; return this; }
        public Editor endedAt(long v) { endedAt = v; return this; }
        public Editor launchAttempt(int v) { launchAttempt = v; return this; }
        public Editor activeSince(long v) { activeSince = v; return this; }

        public PilotRecord done() {
            return new PilotRecord(r.sessionId, r.uid, r.manager, r.description, state, history, processInstanceId,
                    job, jobPhase, secretHashes, sandbox, reason, r.rev, nextCommandSeq, jobRunningSince, endedAt,
                    launchAttempt, activeSince);
        }
    }
}
