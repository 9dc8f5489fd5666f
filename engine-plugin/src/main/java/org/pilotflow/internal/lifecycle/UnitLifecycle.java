package org.pilotflow.internal.lifecycle;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.pilotflow.internal.scheduling.Placement;
import org.pilotflow.internal.store.ChannelTable;
import org.pilotflow.internal.store.CommandTable;
import org.pilotflow.internal.store.JobPhase;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.UnitKey;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.UnitSpecs;
import org.pilotflow.internal.store.UnitTable;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.IllegalStateTransitionException;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only code that changes a unit's state. Every change runs inside a {@link Tx}, moves through
 * {@link UnitState#MODEL}, and carries out {@link UnitEffect#ON_ENTER} for each state entered. Binding takes the
 * pilot's lock (through the manager's {@link ManagerSchedule}), so no unit is bound to a pilot that is ending.
 */
public final class UnitLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(UnitLifecycle.class);

    private final Bpmn bpmn;
    private final PilotDataShells dataShells;

    public UnitLifecycle(Bpmn bpmn) {
        this(bpmn, PilotDataShells.LOCAL);
    }

    /** @param dataShells where pilot-data and unit sandboxes are reached, for output data */
    public UnitLifecycle(Bpmn bpmn, PilotDataShells dataShells) {
        this.bpmn = bpmn;
        this.dataShells = dataShells;
    }

    /**
     * How a unit moves.
     *
     * @param report            an agent's report (its exit code, tails, sandbox and slots are recorded)
     * @param correlate         whether the unit process gets {@code pilotflow.unit.ended} on a final state. A
     *                          process that does not take it now gets it from the watchdog later: a unit's process
     *                          waits from the transaction that stores the unit, so only an operator keeps it from
     *                          taking the message (a suspended instance, a token moved away), and one such unit
     *                          must not hold up the later reports of its pilot
     */
    private record Move(Report report, ErrorCode code, String reason, String pilot, Map<String, Long> timestamps,
                        boolean correlate, boolean atSubmit) {
        static Move agent(Report r) {
            return new Move(r, null, null, null, r.timestamps(), true, false);
        }

        static Move engine(ErrorCode code, String reason) {
            return new Move(null, code, reason, null, Map.of(), true, false);
        }

        static Move bind(String pilot) {
            return new Move(null, null, null, pilot, Map.of(), true, false);
        }

        /**
         * In the transaction that stores the unit: scheduled at once; rejected, the process (still starting) takes
         * its error path itself, so nothing is correlated.
         */
        static Move atSubmit(ErrorCode code, String reason) {
            return new Move(null, code, reason, null, Map.of(), false, true);
        }
    }

    // ---------------------------------------------------------------- submission

    /** Stores new units (NEW) and starts their processes; each process's first task schedules its unit. */
    public void submit(Tx tx, List<UnitRecord> created) throws SQLException {
        store(tx, created);
        for (UnitRecord u : created) {
            bpmn.startUnit(u);
        }
    }

    /**
     * Stores new units (NEW) without starting their processes: {@link #startLater} asks for that. A stored unit runs
     * even if this node stops before it started it: the watchdog starts what is left
     * ({@code UnitTable.storedNotStarted}).
     */
    public void store(Tx tx, List<UnitRecord> created) {
        for (UnitRecord u : created) {
            tx.insertUnit(u);
        }
    }

    /** Asks this node to start the stored units' processes once this transaction commits ({@link #startStored}). */
    public void startLater(Tx tx, String sessionId, List<String> uids) {
        if (!uids.isEmpty()) {
            tx.publish(new Published.StartWanted(sessionId, List.copyOf(uids)));
        }
    }

    /**
     * Starts the processes of those of the listed stored units that are still NEW without one (another node or an
     * earlier attempt may have started some, a cancel may have ended some); each process's first task schedules its
     * unit.
     */
    public void startStored(Tx tx, String sessionId, List<String> uids) throws SQLException {
        tx.preload(sessionId, uids);
        for (String uid : uids) {
            UnitRecord u = tx.unit(new UnitKey(sessionId, uid));
            if (storedNotStarted(u)) {
                bpmn.startUnit(u);
            }
        }
    }

    /** Stored and never started: what {@code UnitTable.storedNotStarted} selects. */
    private static boolean storedNotStarted(UnitRecord u) {
        return u != null && u.state() == UnitState.NEW && u.processInstanceId() == null;
    }

    /** A stored unit whose process could not be started: FAILED with the reason (nothing else would run it). */
    public void notStarted(Tx tx, UnitKey key, String why) throws SQLException {
        UnitRecord u = tx.unit(key);
        if (storedNotStarted(u)) {
            move(tx, u, UnitState.FAILED, Move.engine(ErrorCode.UNKNOWN, why));
        }
    }

    /** A unit started by a BPMN call activity: stored here, scheduled by {@link #submitted} right after. */
    public void insert(Tx tx, UnitRecord created) {
        tx.insertUnit(created);
    }

    /**
     * The unit process's submit task: the unit is UNSCHEDULED and scheduled at once.
     *
     * @return why the unit can never run (it is FAILED), or null
     */
    public String submitted(Tx tx, UnitKey key, String processInstanceId) throws SQLException {
        UnitRecord u = tx.unit(key);
        if (u == null) {
            return "unit " + key.uid() + " of session " + key.sessionId() + " is not in the database";
        }
        UnitRecord withProcess = u.edit().processInstance(processInstanceId).done();
        tx.updateUnit(withProcess);
        move(tx, withProcess, UnitState.UNSCHEDULED, Move.atSubmit(null, null));
        UnitRecord after = tx.unit(key);
        return after.state() == UnitState.FAILED ? after.reason() : null;
    }

    /** A final unit lets go of its process instance, which runs a new unit (an operator retried its incident). */
    public void detach(Tx tx, UnitKey key) throws SQLException {
        UnitRecord u = tx.unit(key);
        if (u != null && u.isFinal() && u.processInstanceId() != null) {
            tx.updateUnit(u.edit().processInstance(null).done());
        }
    }

    // ---------------------------------------------------------------- the agent

    /** An agent's report about one of its units (preload the batch's units first). */
    public Outcome agentReport(Tx tx, PilotKey pilot, Report r) throws SQLException {
        UnitRecord u = tx.unit(new UnitKey(pilot.sessionId(), r.unitId()));
        if (u == null) {
            return new Outcome.Refused("unit " + r.unitId() + " is unknown");
        }
        if (!pilot.uid().equals(u.pilot())) {
            return new Outcome.Refused("unit " + r.unitId() + " is "
                    + (u.pilot() == null ? "not bound to a pilot" : "bound to pilot " + u.pilot()));
        }
        UnitState target;
        try {
            target = UnitState.valueOf(r.state());
        } catch (IllegalArgumentException | NullPointerException e) {
            return new Outcome.Refused("'" + r.state() + "' is not a unit state");
        }
        if (r.memory() != null && r.memory().samples().size() > MemoryProfile.MAX_SAMPLES) {
            // an agent keeps at most this many; more is garbage, and a row must stay small: the state still counts
            LOG.warn("unit {}: its memory profile of {} samples (at most {}) was dropped", r.unitId(),
                    r.memory().samples().size(), MemoryProfile.MAX_SAMPLES);
            r = new Report(r.seq(), r.unitId(), r.state(), r.timestamps(), r.exitCode(), r.reason(), r.stdoutTail(),
                    r.stderrTail(), r.sandbox(), r.slots(), null, r.errorCode(), r.outputs());
        }
        if (r.outputs().size() > StagedFile.MAX_PER_UNIT) { // the same: an agent records at most this many
            LOG.warn("unit {}: its {} output files (at most {}) were not recorded", r.unitId(), r.outputs().size(),
                    StagedFile.MAX_PER_UNIT);
            r = new Report(r.seq(), r.unitId(), r.state(), r.timestamps(), r.exitCode(), r.reason(), r.stdoutTail(),
                    r.stderrTail(), r.sandbox(), r.slots(), r.memory(), r.errorCode(), null);
        }
        ErrorCode code = ErrorCode.parse(r.errorCode());
        if (target == UnitState.FAILED && runsAgain(u, code) && !u.isFinal()) {
            // the end is not applied, but the steps the agent timed before it are history (when it ran, when it
            // stopped: the run report's figures for this attempt)
            UnitRecord stepped = withTimedSteps(u, r);
            if (code.aboutThePilot()) {
                // the pilot is ending (runtime expired, agent orphaned) but still ACTIVE here: a restart now could
                // bind the unit to it again. The unit stays unfinished; when the pilot is final and its job gone,
                // settle() runs it again elsewhere
                if (stepped != u) {
                    tx.updateUnit(stepped);
                }
                return Outcome.APPLIED;
            }
            // its own run ended for a reason another run may not meet (a broken sandbox)
            restart(tx, stepped, code, r.reason());
            return Outcome.APPLIED;
        }
        if (target == UnitState.FAILED && r.errorCode() != null) {
            String spent = attemptsSpent(u, code);
            if (!spent.isEmpty()) {
                String why = r.reason() == null ? code.name() : r.reason();
                r = r.withEnd(r.state(), why + spent, r.errorCode());
            }
        }
        if (target == UnitState.DONE && u.state() != UnitState.DONE && u.state() != UnitState.FAILED
                && !u.description().outputData().isEmpty() && !u.isFinal() && remoteOutputData(tx, u)) {
            // its files cross the network: the unit process's output step moves them, outside this transaction
            return holdForEngineOutput(tx, u, target, r);
        }
        if (target == UnitState.DONE && u.state() != UnitState.DONE && u.state() != UnitState.FAILED
                && !u.description().outputData().isEmpty()) { // also a DONE that wins over a racing CANCELED
            // output data is part of the unit's output staging: a unit whose data could not be kept is not DONE
            String failed = DataUnits.collectOutput(tx, u, r.sandbox() != null ? r.sandbox() : u.sandbox(),
                    dataShells);
            if (failed != null) {
                LOG.warn("unit {}: {}", u.uid(), failed);
                target = UnitState.FAILED;
                r = r.withEnd(UnitState.FAILED.name(), "output data: " + failed,
                        ErrorCode.STAGING_OUTPUT_FAILED.name());
            }
        }
        if (target.isFinal() && !u.isFinal() && ClientStaging.hasOutput(u)
                && (target == UnitState.DONE || u.description().stageOnError())) {
            return holdForEngineOutput(tx, u, target, r);
        }
        try {
            return move(tx, u, target, Move.agent(r));
        } catch (IllegalStateTransitionException e) {
            return new Outcome.Refused("unit " + r.unitId() + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- cancel

    /**
     * Cancels units: an unbound one, or one whose pilot has ended, at once; a bound one through its agent
     * (CANCEL_UNIT; the agent reports CANCELED). Final units stay as they are.
     */
    public void cancel(Tx tx, Collection<UnitKey> keys, String why) throws SQLException {
        List<UnitRecord> units = new ArrayList<>();
        Set<PilotKey> pilots = new HashSet<>();
        for (UnitKey k : keys) {
            UnitRecord u = tx.unit(k);
            if (u != null && !u.isFinal()) {
                units.add(u);
                if (u.pilot() != null) {
                    pilots.add(u.pilotKey());
                }
            }
        }
        tx.lockPilots(pilots);
        for (UnitRecord u : units) {
            UnitRecord now = tx.unit(u.key());
            if (now.isFinal()) {
                continue;
            }
            PilotRecord p = now.pilot() == null ? null : tx.pilot(now.pilotKey());
            if (p == null) {
                move(tx, now, UnitState.CANCELED, Move.engine(ErrorCode.CANCELED,
                        why + "; canceled before it reached an agent"));
            } else if (p.isFinal()) {
                move(tx, now, UnitState.CANCELED, Move.engine(ErrorCode.CANCELED, why));
            } else if (now.state() == UnitState.PENDING_INPUT_STAGING && ClientStaging.hasInput(now)) {
                // the engine still transfers its input: no agent has it (its job finds it canceled and stops)
                move(tx, now, UnitState.CANCELED, Move.engine(ErrorCode.CANCELED,
                        why + "; canceled while its input came from the client"));
            } else if (p.state() == PilotState.ACTIVE || p.state() == PilotState.CANCELING
                    || ChannelTable.heard(tx.connection(), p.key())) {
                // its agent has the unit, or may have fetched it: the agent kills it and reports CANCELED
                if (!CommandTable.cancelPending(tx.connection(), p.key(), now.uid())) {
                    tx.queueCommand(p.key(), seq -> Command.cancelUnit(seq, now.uid(), why));
                }
                if (now.cancelRequested() == null) { // outlives the command, which goes when the pilot ends
                    tx.updateUnit(now.edit().cancelRequested(why).done());
                }
            } else {
                // no agent yet (its pilot's job may wait in a batch queue for hours): canceled now, run never sent
                CommandTable.deleteRun(tx.connection(), p.key(), now.uid());
                move(tx, now, UnitState.CANCELED, Move.engine(ErrorCode.CANCELED,
                        why + "; canceled before its pilot's agent started"));
            }
        }
    }

    // ---------------------------------------------------------------- a final pilot's units

    /**
     * Ends up to {@code limit} unfinished units of a final pilot: CANCELED with a canceled pilot or when a cancel was
     * asked of its agent, FAILED with a failed or expired one, or, for a restartable unit of a FAILED pilot whose job
     * is gone, a new attempt elsewhere.
     *
     * @param waiting uids of units left as they are (skipped; grown here): restartable units waiting for the pilot's
     *                job to end, and units whose output is on its way to the client
     * @return how many units were ended or restarted
     */
    public int settle(Tx tx, PilotKey key, int limit, Set<String> waiting) throws SQLException {
        PilotRecord p = tx.lockPilot(key);
        if (p == null || !p.isFinal()) {
            return 0;
        }
        List<UnitRecord> rows = tx.adopt(UnitTable.unfinishedOf(tx.connection(), key, limit + waiting.size()));
        int handled = 0;
        for (UnitRecord u : rows) {
            if (handled >= limit) {
                break;
            }
            if (u.isFinal() || waiting.contains(u.uid())) {
                continue;
            }
            if (u.state() == UnitState.STAGING_OUTPUT && ClientStaging.hasEngineOutput(u)
                    && bpmn.outputTransferPending(u)) {
                // its agent was done with it: the engine's transfer of its output to the client ends it, with the
                // end the agent reported, whatever became of the pilot since
                waiting.add(u.uid());
                continue;
            }
            ErrorCode code = switch (p.state()) {
                case CANCELED -> ErrorCode.PILOT_CANCELED;
                case DONE -> ErrorCode.PILOT_RUNTIME_EXPIRED;
                default -> ErrorCode.PILOT_LOST;
            };
            if (u.cancelRequested() != null) {
                move(tx, u, UnitState.CANCELED, Move.engine(ErrorCode.CANCELED, u.cancelRequested() + "; pilot "
                        + p.uid() + " ended (" + p.state() + ") before its agent had canceled the unit"));
            } else if (runsAgain(u, code)) {
                if (p.jobPhase() != JobPhase.ENDED) {
                    waiting.add(u.uid()); // never beside its orphan: only once the old job is gone
                    continue;
                }
                restart(tx, u, code, "pilot " + p.uid() + " ended " + p.state());
            } else {
                UnitState end = p.state() == PilotState.CANCELED ? UnitState.CANCELED : UnitState.FAILED;
                String why = switch (p.state()) {
                    case CANCELED -> "pilot " + p.uid() + " was canceled";
                    case DONE -> "pilot " + p.uid() + " ended (runtime expired) before the unit finished";
                    default -> "pilot lost: " + p.uid() + (p.reason() == null ? "" : " (" + p.reason() + ")");
                };
                move(tx, u, end, Move.engine(code, why + attemptsSpent(u, code)));
            }
            handled++;
        }
        return handled;
    }

    // ---------------------------------------------------------------- waiting units

    /**
     * Binds up to {@code limit} units of the manager that wait for a pilot, oldest first, where its policy allows;
     * a unit no pilot can ever hold FAILS.
     *
     * @return how many units were bound or failed
     */
    public int drain(Tx tx, String sessionId, String manager, int limit) throws SQLException {
        if (UnitTable.waiting(tx.connection(), sessionId, manager, 1).isEmpty()
                || ManagerSchedule.of(tx, sessionId, manager) == null) {
            return 0;
        }
        // read after the manager's pilots are locked: no other drain binds these units meanwhile
        List<UnitRecord> rows = UnitTable.waiting(tx.connection(), sessionId, manager, limit);
        int n = 0;
        for (UnitRecord u : tx.adopt(rows)) {
            if (u.state() != UnitState.UNSCHEDULED || u.pilot() != null) {
                continue;
            }
            if (schedule(tx, u, true)) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- attempts

    /** Whether a restartable unit ending with {@code code} runs again: a recoverable code, and attempts left. */
    private static boolean runsAgain(UnitRecord u, ErrorCode code) {
        return u.description().restartable() && code.recoverable() && u.attempt() < ErrorCode.MAX_ATTEMPTS
                && u.cancelRequested() == null;
    }

    /** Said in the reason of a restartable unit that would have run again but has no attempts left. */
    private static String attemptsSpent(UnitRecord u, ErrorCode code) {
        return u.description().restartable() && code.recoverable() && u.attempt() >= ErrorCode.MAX_ATTEMPTS
                ? "; attempt " + u.attempt() + " of " + ErrorCode.MAX_ATTEMPTS + ", not restarted again" : "";
    }

    /** {@code u} moved through the non-final states an end report timed; {@code u} itself when there are none. */
    private static UnitRecord withTimedSteps(UnitRecord u, Report r) {
        List<UnitState> steps = new ArrayList<>(u.advanceTo(UnitState.FAILED, r.timestamps()));
        steps.removeIf(UnitState::isFinal);
        return steps.isEmpty() ? u : u.edit().states(steps, r.timestamps()).done();
    }

    /** A new attempt: UNSCHEDULED and unbound, bound again by the manager's next drain. */
    private void restart(Tx tx, UnitRecord u, ErrorCode code, String why) throws SQLException {
        UnitRecord again = u.edit().restart("attempt " + u.attempt() + " ended " + code + " (" + why
                + "); restarted as attempt " + (u.attempt() + 1)).done();
        tx.updateUnit(again);
        effects(tx, again, List.of(UnitState.UNSCHEDULED), Move.engine(null, null));
    }

    /** The process of a final unit still waits (it missed {@code pilotflow.unit.ended}): tell it again. */
    public boolean catchUp(Tx tx, UnitRecord u) throws SQLException {
        boolean taken = bpmn.unitEnded(u);
        if (taken) {
            UnitTable.delivered(tx.connection(), u.key());
        }
        return taken;
    }

    // ---------------------------------------------------------------- the engine's staging (client://)

    /** Whether {@code u} is still attempt {@code attempt}, bound to {@code pilot}, in {@code state}. */
    static boolean holds(UnitRecord u, String pilot, int attempt, UnitState state) {
        return u != null && u.state() == state && pilot.equals(u.pilot()) && u.attempt() == attempt;
    }

    private UnitRecord held(Tx tx, UnitKey key, String pilot, int attempt, UnitState state) throws SQLException {
        tx.lockPilot(new PilotKey(key.sessionId(), pilot)); // as the agent's reports, a cancel and settle() do
        UnitRecord u = tx.unit(key);
        return holds(u, pilot, attempt, state) ? u : null;
    }

    /**
     * The engine transferred the unit's input from the client: it is STAGING_INPUT since {@code startedMillis},
     * and RUN_UNIT goes to its agent. Nothing happens when the unit moved on meanwhile.
     */
    void inputStaged(Tx tx, UnitKey key, String pilot, int attempt, long startedMillis) throws SQLException {
        UnitRecord u = held(tx, key, pilot, attempt, UnitState.PENDING_INPUT_STAGING);
        if (u == null) {
            return;
        }
        u.advanceTo(UnitState.STAGING_INPUT, Map.of()); // checks the edge
        UnitRecord next = u.edit().stateAt(UnitState.STAGING_INPUT, java.time.Instant.ofEpochMilli(startedMillis))
                .done();
        tx.updateUnit(next);
        queueRun(tx, next);
    }

    /** A transfer of the engine failed for good: the unit (still where the transfer left it) FAILS. */
    void engineStagingFailed(Tx tx, UnitKey key, String pilot, int attempt, UnitState from, ErrorCode code,
                             String reason) throws SQLException {
        UnitRecord u = held(tx, key, pilot, attempt, from);
        if (u != null) {
            move(tx, u, UnitState.FAILED, Move.engine(code, reason));
        }
    }

    /** What puts a unit's staged output data in place, in the transaction that ends it: why it failed, or null. */
    @FunctionalInterface
    interface OutputDataStep {
        String place(Tx tx, UnitRecord u) throws SQLException;
    }

    /**
     * The engine transferred (or failed to transfer: {@code failure}) the output of a unit that waited for it in
     * STAGING_OUTPUT: it takes the end its agent reported; a failure makes a DONE unit FAILED
     * (STAGING_OUTPUT_FAILED) and is added to the reason of a FAILED or CANCELED one. The files that arrived on the
     * client ({@code arrived}) join the unit's output files; its output data is put in place by {@code data} first
     * (when not null, the unit is still held, the agent said DONE and the transfer did not fail), and a failure there
     * makes the unit FAILED (STAGING_OUTPUT_FAILED).
     *
     * @return whether {@code data} put its files in place
     */
    boolean outputStaged(Tx tx, UnitKey key, String pilot, int attempt, UnitState agentState, String agentReason,
                         ErrorCode agentCode, String failure, List<StagedFile> arrived, OutputDataStep data)
            throws SQLException {
        UnitRecord u = held(tx, key, pilot, attempt, UnitState.STAGING_OUTPUT);
        if (u == null) {
            return false;
        }
        boolean placed = false;
        if (failure == null && data != null && agentState == UnitState.DONE) {
            String why = data.place(tx, u);
            if (why != null) {
                failure = "output data: " + why;
            } else {
                placed = true;
            }
        }
        if (!arrived.isEmpty()) { // after the agent's own output files, in directive order
            u = u.edit().addOutputs(arrived).done();
        }
        if (failure == null) {
            move(tx, u, agentState, Move.engine(agentCode, agentReason));
        } else if (agentState == UnitState.DONE) {
            move(tx, u, UnitState.FAILED, Move.engine(ErrorCode.STAGING_OUTPUT_FAILED, failure));
        } else {
            move(tx, u, agentState, Move.engine(agentCode, (agentReason == null ? agentState.name() : agentReason)
                    + "; " + failure));
        }
        return placed;
    }

    /** Whether a unit's output data goes to or from another machine (its sandbox or a replica is remote). */
    private boolean remoteOutputData(Tx tx, UnitRecord u) throws SQLException {
        PilotRecord p = u.pilot() == null ? null : tx.pilot(u.pilotKey());
        return p != null && !DataUnits.allLocal(tx, u, p, dataShells);
    }

    PilotDataShells dataShells() {
        return dataShells;
    }

    /**
     * The agent ended a unit whose output the engine moves (to the client, or output data to or from another
     * machine): its steps up to STAGING_OUTPUT are applied with the report's facts (exit code, tails, sandbox), and
     * the unit process moves the output ("Output to the client", a job of its own), then ends the unit as the agent
     * said.
     */
    private Outcome holdForEngineOutput(Tx tx, UnitRecord u, UnitState agentEnd, Report r) throws SQLException {
        // the steps the agent timed, through STAGING_OUTPUT (by the engine's clock when the agent had none)
        List<UnitState> steps = u.advanceTo(UnitState.STAGING_OUTPUT, r.timestamps());
        Report facts = new Report(r.seq(), r.unitId(), UnitState.STAGING_OUTPUT.name(), r.timestamps(),
                r.exitCode(), null, r.stdoutTail(), r.stderrTail(), r.sandbox(), r.slots(), r.memory(), null,
                r.outputs()); // what the agent staged out before; the client's files join them
        UnitRecord held = u.edit().states(steps, stepTimes(steps, r.timestamps())).report(facts).done();
        tx.updateUnit(held);
        ErrorCode code = agentEnd == UnitState.DONE ? null : ErrorCode.parse(r.errorCode());
        if (!bpmn.stageOutput(held, agentEnd, r.reason(), code)) {
            String why = ClientStaging.hasOutput(u) ? "its output was not transferred to the client: its process "
                    + "instance " + held.processInstanceId() + " did not take the message (suspended?)" : null;
            String data = agentEnd == UnitState.DONE && !u.description().outputData().isEmpty()
                    && remoteOutputData(tx, held) // (local output data was collected before the hold)
                    ? DataUnits.collectOutput(tx, held, held.sandbox(), dataShells) : null; // here, then
            if (data != null) {
                move(tx, held, UnitState.FAILED, Move.engine(ErrorCode.STAGING_OUTPUT_FAILED, "output data: " + data
                        + (why == null ? "" : "; " + why)));
            } else {
                move(tx, held, agentEnd, Move.engine(code, why == null ? r.reason() : (r.reason() == null ? ""
                        : r.reason() + "; ") + why));
            }
        }
        return Outcome.APPLIED;
    }

    /** The agent's times of {@code steps} (a time for a later state is not one of theirs). */
    private static Map<String, Long> stepTimes(List<UnitState> steps, Map<String, Long> agentTimes) {
        Map<String, Long> t = new java.util.HashMap<>(agentTimes);
        t.keySet().removeIf(k -> steps.stream().noneMatch(s -> s.name().equals(k)));
        return t;
    }

    private static void queueRun(Tx tx, UnitRecord u) throws SQLException {
        var spec = u.description().inputData().isEmpty() ? UnitSpecs.of(u)
                : UnitSpecs.of(u, DataUnits.inputDirectives(tx, u, tx.pilot(u.pilotKey())));
        tx.queueCommand(u.pilotKey(), seq -> Command.run(seq, spec));
    }

    // ---------------------------------------------------------------- moves

    private Outcome move(Tx tx, UnitRecord u, UnitState target, Move m) throws SQLException {
        List<UnitState> ann = u.advanceTo(target, m.timestamps());
        if (ann.isEmpty()) {
            return Outcome.APPLIED;
        }
        UnitRecord.Editor e = u.edit().states(ann, m.timestamps());
        if (m.report() != null) {
            e.report(m.report());
        }
        if (m.reason() != null) {
            e.reason(m.reason());
        }
        if (m.code() != null) {
            e.errorCode(m.code());
        } else if (target.isFinal() && target != UnitState.DONE && u.errorCode() == null
                && (m.report() == null || m.report().errorCode() == null)) {
            e.errorCode(ErrorCode.UNKNOWN); // an agent older than the codes
        }
        if (m.pilot() != null) {
            e.pilot(m.pilot());
        }
        UnitRecord next = e.done();
        tx.updateUnit(next);
        return effects(tx, next, ann, m);
    }

    private Outcome effects(Tx tx, UnitRecord next, List<UnitState> entered, Move m)
            throws SQLException {
        for (UnitState s : entered) {
            for (UnitEffect effect : UnitEffect.ON_ENTER.get(s)) {
                switch (effect) {
                    case SCHEDULE -> {
                        if (m.atSubmit()) {
                            schedule(tx, next, false);
                        } else {
                            // a restart: the manager's next drain binds it (its pilots' locks come first there)
                            tx.publishOnce(new Published.DrainWanted(next.sessionId(), next.manager()));
                        }
                    }
                    case QUEUE_RUN_UNIT -> {
                        if (!ClientStaging.hasInput(next)) {
                            queueRun(tx, next);
                        } else if (!bpmn.stageInput(next)) {
                            // binding is never in the unit process's own transaction (see schedule), so only an
                            // operator keeps it from taking the message: say so rather than wait for ever
                            return move(tx, next, UnitState.FAILED, Move.engine(ErrorCode.STAGING_INPUT_FAILED,
                                    "its process instance " + next.processInstanceId() + " did not take "
                                    + "the message to transfer its input from the client (suspended?)"));
                        }
                    }
                    case CORRELATE_ENDED -> {
                        if (m.correlate() && !bpmn.unitEnded(next)) {
                            // the watchdog tells it again once it can take it
                            UnitTable.markUndelivered(tx.connection(), next.key());
                        }
                    }
                    case DRAIN_MANAGER -> tx.publishOnce(new Published.DrainWanted(next.sessionId(), next.manager()));
                    default -> throw new IllegalStateException(effect + " on entering " + s);
                }
            }
        }
        return Outcome.APPLIED;
    }

    /**
     * Binds the UNSCHEDULED unit, leaves it waiting, or FAILS it when it can never run.
     *
     * @return whether it was bound or failed (false: it waits)
     */
    private boolean schedule(Tx tx, UnitRecord u, boolean correlate) throws SQLException {
        ManagerSchedule schedule = ManagerSchedule.of(tx, u.sessionId(), u.manager());
        Placement placement = schedule == null
                ? new Placement.Reject("unit manager " + u.manager() + " of session " + u.sessionId()
                        + " does not exist")
                : schedule.place(u);
        if (placement instanceof Placement.Bind b) {
            if (!correlate && ClientStaging.hasInput(u)) {
                // in the unit process's own transaction it cannot take the message that starts the transfer of its
                // input yet: the manager's next drain, right after the commit, binds it
                tx.publishOnce(new Published.DrainWanted(u.sessionId(), u.manager()));
                return false;
            }
            move(tx, u, UnitState.PENDING_INPUT_STAGING, Move.bind(b.pilot()));
            return true;
        }
        if (placement instanceof Placement.Reject r) {
            move(tx, u, UnitState.FAILED, correlate ? Move.engine(ErrorCode.NO_PILOT, r.reason())
                    : Move.atSubmit(ErrorCode.NO_PILOT, r.reason()));
            return true;
        }
        return false;
    }
}
