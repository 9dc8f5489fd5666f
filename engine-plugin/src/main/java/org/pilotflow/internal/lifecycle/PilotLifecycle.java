package org.pilotflow.internal.lifecycle;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.pilotflow.internal.store.ChannelTable;
import org.pilotflow.internal.store.CommandTable;
import org.pilotflow.internal.store.JobPhase;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.PilotTable;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.model.IllegalStateTransitionException;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only code that changes a pilot's state. Every change runs inside a {@link Tx} under the pilot's lock, moves
 * through {@link PilotState#MODEL}, and carries out {@link PilotEffect#ON_ENTER} for each state entered.
 */
public final class PilotLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(PilotLifecycle.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Bpmn bpmn;
    private final Duration cancelGrace;

    public PilotLifecycle(Bpmn bpmn, Duration cancelGrace) {
        this.bpmn = bpmn;
        this.cancelGrace = cancelGrace;
    }

    /** Who ended a pilot: its agent said so, or the engine decided (then the job is killed at once). */
    private record Move(String reason, Map<String, Long> timestamps, boolean byEngine) {
        static Move engine(String reason) {
            return new Move(reason, Map.of(), true);
        }
    }

    // ---------------------------------------------------------------- submission and launch

    /** Stores new pilots (NEW, then PENDING_LAUNCH) and starts their process instances. */
    public void submit(Tx tx, List<PilotRecord> created) throws SQLException {
        for (PilotRecord p : created) {
            tx.insertPilot(p);
            String pi = bpmn.startPilot(p, cancelGrace);
            List<PilotState> ann = p.advanceTo(PilotState.PENDING_LAUNCH);
            tx.insertPilot(p.edit().processInstance(pi).states(ann, Map.of()).done());
        }
        tx.publishOnce(new Published.LaunchWanted());
    }

    /**
     * A launch attempt about to start: the pilot and the secret its agent will prove itself with. A null secret: an
     * earlier attempt launched the pilot already (its task lock had expired before it could complete the task), so
     * this attempt has nothing to do but complete the task.
     */
    public record LaunchStart(PilotRecord pilot, String secret) {
        public boolean launchedAlready() {
            return secret == null;
        }
    }

    /**
     * Records a launch attempt before the resource is asked for anything (LAUNCHING, a fresh secret, job phase
     * SUBMITTING). Null when the pilot must not launch (it is canceling or ended meanwhile).
     */
    public LaunchStart beginLaunch(Tx tx, PilotKey key) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p == null || p.isFinal() || p.state() == PilotState.CANCELING) {
            return null;
        }
        if (p.job() != null && (p.state() == PilotState.PENDING_ACTIVE || p.state() == PilotState.ACTIVE)) {
            return new LaunchStart(p, null);
        }
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(32));
        List<PilotState> ann = p.advanceTo(PilotState.LAUNCHING);
        PilotRecord next = p.edit().states(ann, Map.of()).addSecretHash(hash(secret))
                .launchAttempt(p.launchAttempt() + 1).jobPhase(JobPhase.SUBMITTING).done();
        tx.updatePilot(next);
        return new LaunchStart(next, secret);
    }

    /**
     * The resource accepted the job (or an earlier attempt's job was found): PENDING_ACTIVE until the agent
     * reports. A pilot canceled or ended meanwhile keeps the handle so its job is killed.
     *
     * @param attempt the launch attempt that started the job (that of {@link LaunchStart#pilot()})
     */
    public LaunchResult launched(Tx tx, PilotKey key, int attempt, String job, String sandbox) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p.launchAttempt() != attempt) {
            // a later attempt took over (this worker's task lock had expired)
            if (job.equals(p.job())) {
                return LaunchResult.ENDED; // it found this very job and adopted it
            }
            if (p.job() == null && !p.isFinal()) {
                return LaunchResult.UNDECIDED; // it is still at work: it may yet find and adopt this job
            }
            LOG.warn("pilot {}: launch attempt {} started job {} after attempt {} took over with {}; killing it",
                    key.uid(), attempt, job, p.launchAttempt(), p.job() == null ? "none (the pilot is " + p.state()
                            + ")" : "job " + p.job());
            return LaunchResult.SUPERSEDED;
        }
        if (p.isFinal() || p.state() == PilotState.CANCELING) {
            tx.updatePilot(p.edit().job(job).sandbox(sandbox).jobPhase(JobPhase.KILL).done());
            tx.publish(new Published.KillWanted(key));
            LOG.info("pilot {}: job {} started after the pilot was {}; killing it", key.uid(), job, p.state());
            return LaunchResult.ENDED;
        }
        List<PilotState> ann = p.advanceTo(PilotState.PENDING_ACTIVE);
        tx.updatePilot(p.edit().job(job).sandbox(sandbox).jobPhase(JobPhase.SUBMITTED).states(ann, Map.of()).done());
        LOG.info("pilot {}: job {} accepted, sandbox {}", key.uid(), job, sandbox);
        return LaunchResult.GOES_ON;
    }

    /** What became of a launched job. */
    public enum LaunchResult {
        /** The pilot waits for its agent. */
        GOES_ON,
        /** Nothing more to do here: the pilot ended or is canceling (the job is recorded and will be killed), or a
         *  later attempt adopted this job. */
        ENDED,
        /** A later launch attempt of the pilot took over with another job, or the pilot ended without this job:
         *  the caller must kill this attempt's job itself. */
        SUPERSEDED,
        /** A later launch attempt is still at work and has recorded no job yet: ask again shortly. */
        UNDECIDED
    }

    /** The launch cannot succeed: FAILED (the process takes its error path, so nothing is correlated). */
    public void launchFailed(Tx tx, PilotKey key, String reason) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p == null || p.isFinal()) {
            return;
        }
        LOG.warn("pilot {}: launch failed: {}", key.uid(), reason);
        end(tx, p, PilotState.FAILED, new Move("launch failed: " + reason, Map.of(), true), false);
    }

    // ---------------------------------------------------------------- the agent

    /** A report about the pilot itself from its agent. */
    public Outcome agentReport(Tx tx, PilotKey key, Report r) throws SQLException {
        PilotState target;
        try {
            target = PilotState.valueOf(r.state());
        } catch (IllegalArgumentException | NullPointerException e) {
            return new Outcome.Refused("'" + r.state() + "' is not a pilot state");
        }
        PilotRecord p = tx.lockPilot(key);
        try {
            return move(tx, p, target, new Move(r.reason(), r.timestamps(), false), true);
        } catch (IllegalStateTransitionException e) {
            return new Outcome.Refused(e.getMessage());
        }
    }

    // ---------------------------------------------------------------- cancel

    /** What the cancel path of the pilot model does next. */
    public enum StopOutcome {
        /** The agent was asked to stop; wait for it (and kill the job after the grace period). */
        WAIT_FOR_AGENT,
        /** No agent had reported: the pilot is CANCELED and its job (if any) is being removed. */
        ENDED
    }

    /**
     * Cancel requested: an ACTIVE pilot's agent is asked to stop (CANCELING); a pilot whose agent has not reported
     * (its job may wait in a batch queue) ends CANCELED at once and its job is removed.
     */
    public StopOutcome requestStop(Tx tx, PilotKey key) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p.isFinal()) {
            return StopOutcome.ENDED;
        }
        if (p.state() == PilotState.ACTIVE || p.state() == PilotState.CANCELING) {
            move(tx, p, PilotState.CANCELING, Move.engine(null), false);
            return StopOutcome.WAIT_FOR_AGENT;
        }
        String why = p.job() == null ? "canceled before its job started"
                : "canceled before its agent started; job " + p.job() + " removed";
        move(tx, p, PilotState.CANCELED, Move.engine(why), false);
        return StopOutcome.ENDED;
    }

    /** The agent did not stop within the grace period: CANCELED, and the job is killed. */
    public void killedAfterGrace(Tx tx, PilotKey key) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p.isFinal()) {
            return; // the agent's own end came first
        }
        move(tx, p, PilotState.CANCELED, Move.engine("the agent did not stop within " + cancelGrace
                + " of the cancel request; its job was killed"), false);
    }

    /**
     * A cancel asked through the API: the pilot process gets {@code pilotflow.pilot.cancel} (its cancel path
     * does the rest, as for a cancel sent from Cockpit or REST).
     */
    public void cancel(Tx tx, PilotKey key) throws SQLException {
        PilotRecord p = tx.pilot(key);
        if (p != null && !p.isFinal() && p.state() != PilotState.CANCELING) {
            bpmn.cancelPilot(p);
        }
    }

    // ---------------------------------------------------------------- the watchdog

    /**
     * The engine gave up on the pilot (silent agent, vanished job, launch timeout): FAILED, or CANCELED when it
     * was canceling; the job is killed.
     */
    public void lost(Tx tx, PilotKey key, String why) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p == null || p.isFinal()) {
            return;
        }
        boolean canceling = p.state() == PilotState.CANCELING;
        LOG.warn("pilot {} lost: {}", key.uid(), why);
        move(tx, p, canceling ? PilotState.CANCELED : PilotState.FAILED,
                Move.engine(canceling ? "agent gone while canceling: " + why : "pilot lost: " + why), false);
    }

    /**
     * Its process instance was deleted (Cockpit, REST, another node): CANCELED. A running agent hears CANCEL_PILOT
     * at its next sync (as every agent of a final pilot does) and gets cancelGrace to stop before its job is
     * killed; a job whose agent never reported is removed at once.
     */
    public void processDeleted(Tx tx, PilotKey key) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p == null || p.isFinal()) {
            return;
        }
        boolean agentRunning = p.state() == PilotState.ACTIVE || p.state() == PilotState.CANCELING;
        move(tx, p, PilotState.CANCELED, new Move("its process instance " + p.processInstanceId()
                + " was deleted", Map.of(), !agentRunning), false);
    }

    /** The batch-job watcher saw the job running for the first time (database clock). */
    public void jobRunning(Tx tx, PilotKey key, long since) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p != null && p.jobRunningSince() == 0) {
            tx.updatePilot(p.edit().jobRunningSince(since).done());
        }
    }

    /** The job is gone (ended, killed, never found): nothing more to end. Unfinished units may now restart. */
    public void jobEnded(Tx tx, PilotKey key) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p != null && p.jobPhase() != JobPhase.ENDED) {
            tx.updatePilot(p.edit().jobPhase(JobPhase.ENDED).done());
            if (p.isFinal()) {
                CommandTable.deleteAll(tx.connection(), key); // no agent will take them any more
                ChannelTable.forgetContact(tx.connection(), key);
                tx.publish(new Published.SettleWanted(key));
            }
        }
    }

    /**
     * The watchdog looked for the job of a final pilot's interrupted launch: found (recorded, to be killed) or not
     * (nothing to end).
     */
    public void jobFound(Tx tx, PilotKey key, String job) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p == null || p.job() != null) {
            return;
        }
        if (job != null) {
            tx.updatePilot(p.edit().job(job).jobPhase(JobPhase.KILL).done());
        } else {
            jobEnded(tx, key);
        }
    }

    /**
     * The session closes: the instances of its FAILED pilots that wait on their "Report failure" incident end (a
     * retry could only fail now; the pilots stay FAILED, with their reasons, in PilotFlow's tables and the
     * history), so a closed session leaves no incident behind.
     */
    public void sessionClosing(Tx tx, String sessionId) throws SQLException {
        int ended = 0;
        for (PilotRecord p : PilotTable.ofSession(tx.connection(), sessionId)) {
            if (p.state() == PilotState.FAILED && bpmn.endFailureReport(p, "session " + sessionId + " closed: no"
                    + " replacement can join it")) {
                ended++;
            }
        }
        if (ended > 0) {
            LOG.info("session {} closes: the failure incidents of {} FAILED pilot(s) were resolved", sessionId, ended);
        }
    }

    /** A final pilot's process still waits (it missed {@code pilotflow.pilot.ended}): tell it again. */
    public boolean catchUp(PilotRecord p) {
        return bpmn.pilotEnded(p);
    }

    // ---------------------------------------------------------------- moves

    private Outcome move(Tx tx, PilotRecord p, PilotState target, Move m, boolean fromAgent) throws SQLException {
        List<PilotState> ann = p.advanceTo(target);
        if (ann.isEmpty()) {
            return Outcome.APPLIED;
        }
        if (target.isFinal()) {
            return end(tx, p, target, m, fromAgent);
        }
        for (PilotState s : ann) {
            if (PilotEffect.ON_ENTER.get(s).stream().anyMatch(e -> e == PilotEffect.RECORD_LAUNCH_ATTEMPT
                    || e == PilotEffect.RECORD_JOB)) {
                // only the launch worker enters these (it has the job); an agent that is faster waits for it
                return new Outcome.NotYet("the launch of pilot " + p.uid() + " is not recorded yet");
            }
        }
        PilotRecord.Editor edit = p.edit().states(ann, m.timestamps());
        if (ann.contains(PilotState.ACTIVE)) {
            edit.activeSince(tx.dbNow()); // its agent was heard just now, whatever the contact recorders wrote so far
        }
        PilotRecord next = edit.done();
        tx.updatePilot(next);
        for (PilotState s : ann) {
            for (PilotEffect e : PilotEffect.ON_ENTER.get(s)) {
                switch (e) {
                    case CORRELATE_ACTIVE -> {
                        if (!bpmn.pilotActive(next)) {
                            tx.updatePilot(p); // undone: the report stays unapplied and comes again
                            return new Outcome.NotYet("the pilot process does not wait for its agent yet");
                        }
                        LOG.info("pilot {} is ACTIVE", p.uid());
                    }
                    case QUEUE_CANCEL_PILOT -> tx.queueCommand(p.key(), Command::cancelPilot);
                    case DRAIN_MANAGERS -> drainManagers(tx, p.key());
                    default -> throw new IllegalStateException(e + " on entering " + s);
                }
            }
        }
        return Outcome.APPLIED;
    }

    /**
     * Ends the pilot. Its process gets the ended message (required when the agent reported the end, best effort
     * otherwise: the watchdog repeats it for a process that missed it).
     */
    private Outcome end(Tx tx, PilotRecord p, PilotState state, Move m, boolean correlateRequired)
            throws SQLException {
        List<PilotState> ann = p.advanceTo(state);
        if (ann.isEmpty()) {
            return Outcome.APPLIED;
        }
        PilotRecord.Editor e = p.edit().states(ann, m.timestamps()).endedAt(tx.dbNow());
        if (m.reason() != null) {
            e.reason(m.reason());
        }
        PilotRecord next = e.done();
        tx.updatePilot(next);
        for (PilotEffect effect : PilotEffect.ON_ENTER.get(state)) {
            switch (effect) {
                case CORRELATE_ENDED -> {
                    if (!bpmn.pilotEnded(next) && correlateRequired) {
                        tx.updatePilot(p);
                        return new Outcome.NotYet("the pilot process does not wait for the end yet");
                    }
                }
                case END_JOB -> endJob(tx, next, m.byEngine());
                case SETTLE_UNITS -> tx.publish(new Published.SettleWanted(p.key()));
                case DRAIN_MANAGERS -> drainManagers(tx, p.key());
                default -> throw new IllegalStateException(effect + " on entering " + state);
            }
        }
        LOG.info("pilot {} is {}{}", p.uid(), state, m.reason() == null ? "" : ": " + m.reason());
        return Outcome.APPLIED;
    }

    private void endJob(Tx tx, PilotRecord p, boolean now) throws SQLException {
        JobPhase phase = p.jobPhase();
        if (phase == JobPhase.NONE) {
            tx.updatePilot(tx.pilot(p.key()).edit().jobPhase(JobPhase.ENDED).done());
        } else if (now && phase == JobPhase.SUBMITTED) {
            tx.updatePilot(tx.pilot(p.key()).edit().jobPhase(JobPhase.KILL).done());
            tx.publish(new Published.KillWanted(p.key()));
        } else if (now && phase == JobPhase.SUBMITTING) {
            tx.publish(new Published.KillWanted(p.key())); // a launch may be under way: the watchdog finds its job
        }
    }

    private void drainManagers(Tx tx, PilotKey key) throws SQLException {
        for (String m : SessionTable.managersOf(tx.connection(), key)) {
            tx.publishOnce(new Published.DrainWanted(key.sessionId(), m));
        }
    }

    // ---------------------------------------------------------------- secrets

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** The SHA-256 of a secret, as stored (the secret itself is never stored nor logged). */
    public static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
