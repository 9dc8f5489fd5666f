package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;

/**
 * What the delegates need from the engine plugin: the pilot and unit records and their state changes. Every call
 * runs inside the delegate's transaction, so a record change commits or rolls back with the BPMN step. (Launching a
 * pilot is not here: its external call must run outside any transaction, so "Launch pilot" is an external task that
 * the plugin's launch worker takes.)
 */
public interface PilotFlowBackend {

    /**
     * "Ask agent to stop": an ACTIVE pilot becomes CANCELING and its agent gets CANCEL_PILOT; a pilot whose agent
     * has not reported ends CANCELED at once and its job is removed.
     *
     * @return true when an agent was asked to stop (the model waits for it), false when the pilot has ended
     */
    boolean requestStop(DelegateExecution execution);

    /** The agent did not stop within the grace period: the pilot is CANCELED and its job killed. */
    void kill(DelegateExecution execution);

    /**
     * Registers the unit (creating its record when a call activity started the process) and binds it to a pilot
     * when one can take it.
     *
     * @throws UnitRejectedException when the unit can never run (the record is FAILED with the reason)
     */
    void submitUnit(DelegateExecution execution) throws UnitRejectedException;

    /**
     * An operator retried a FAILED unit's incident: its record lets go of the process instance (which submits a new
     * unit), so nothing takes the old unit's end for the new one's.
     */
    void unitSubmittedAgain(DelegateExecution execution);

    /**
     * An operator retried a FAILED pilot's incident: a new pilot with the failed one's description is submitted to
     * its pilot manager and joins the unit managers it served.
     *
     * @return the new pilot's uid
     * @throws org.camunda.bpm.engine.ProcessEngineException when no replacement can be made (its session or pilot
     *         manager is closed, its resource is no longer configured), with the reason
     */
    String replacePilot(DelegateExecution execution);

    /**
     * "Submit pilot" in a user's workflow: a pilot described by the task's own (local) variables is submitted to the session's
     * pilot manager (variable {@code pilotManager}, else the first open one) and added to a unit manager
     * (variable {@code unitManager}, else the first open one, if any), in the task's transaction.
     *
     * @return the new pilot's uid
     * @throws org.camunda.bpm.engine.ProcessEngineException naming the variable, its value and what was expected
     */
    String submitPilot(DelegateExecution execution);

    /**
     * "Release pilot" in a user's workflow: the pilot named by variable {@code pilot} is canceled (through its
     * process, as a cancel from Cockpit is); a pilot that has ended already is left as it is.
     */
    void releasePilot(DelegateExecution execution);

    /**
     * "Stage data" in a user's workflow: moves the files the task's (local) variables {@code files} list between this
     * machine and the resource of the pilot {@code pilot}, {@code direction} {@code in} or {@code out}, through the
     * Data API, in the task's transaction. Every variable is checked before a byte moves.
     *
     * @return the files after the transfer, in order, one map each: {@code source}, {@code target}, {@code status}
     *         ({@code TRANSFERRED} or {@code FAILED}), {@code size}, {@code checksum}, {@code adler32}, {@code md5},
     *         {@code error}, {@code reason}
     * @throws org.camunda.bpm.engine.ProcessEngineException naming the variable, its value and what was expected
     *         (nothing moved); or, when a file failed and {@code tolerateFailedFiles} is not true, listing each failed
     *         file with its error (the files that did arrive stay; a retry moves them again)
     */
    java.util.List<java.util.Map<String, Object>> stageData(DelegateExecution execution);

    /** {@code pilotflow.unit.cancel} arrived: the unit is canceled (through its agent when it has one). */
    void cancelUnit(DelegateExecution execution);

    /**
     * "Transfer input from the client": the unit's {@code client://} input goes to its pilot's resource, then RUN_UNIT
     * to its agent; a file that cannot be moved (missing, a checksum mismatch) FAILS the unit naming the directive.
     * Runs outside the job's transaction while files move; does nothing when the unit moved on meanwhile (canceled,
     * bound elsewhere).
     *
     * @throws org.camunda.bpm.engine.ProcessEngineException when the resource cannot be reached now (the job's
     *         retries try again; an incident after the last)
     */
    void stageUnitInput(DelegateExecution execution);

    /**
     * "Transfer output to the client": the unit's output for {@code client://} comes from its sandbox, then the unit
     * takes the end its agent reported (FAILED STAGING_OUTPUT_FAILED when a file could not be moved); as
     * {@link #stageUnitInput}.
     */
    void stageUnitOutput(DelegateExecution execution);

    /**
     * A pilot process of version 1 of the model (first releases) reached its launch service task, which the
     * launch worker no longer serves: the pilot FAILS with a reason that says to submit it again.
     *
     * @return the reason
     */
    String legacyLaunch(DelegateExecution execution);
}
