package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;

/**
 * What the delegates need from the engine plugin: the pilot and unit records and their state changes. Every call
 * runs inside the delegate's transaction, so a record change commits or rolls back with the BPMN step.
 */
public interface PilotFlowBackend {

    /** The adapter and launch parameters for a pilot, after marking it LAUNCHING. */
    record LaunchPlan(ResourceAdapter adapter, PilotLaunch launch) { }

    LaunchPlan beginLaunch(DelegateExecution execution) throws org.pilotflow.resource.ResourceException;

    /** The job was accepted (it may still be queued); the pilot is PENDING_ACTIVE until its agent reports. */
    void launched(DelegateExecution execution, org.pilotflow.resource.Submitted submitted);

    /** The launch failed; the pilot becomes FAILED with this reason. */
    void launchFailed(DelegateExecution execution, String reason);

    /** Marks the pilot CANCELING and asks its agent to stop (or, with no agent yet, ends it CANCELED). */
    void requestStop(DelegateExecution execution);

    /** The agent did not stop in time: kill its job and end the pilot CANCELED. */
    void kill(DelegateExecution execution);

    /**
     * Registers the unit (creating its record when a call activity started the process) and binds it to a pilot
     * when one can take it.
     *
     * @throws UnitRejectedException when the unit can never run (the record is FAILED with the reason)
     */
    void submitUnit(DelegateExecution execution) throws UnitRejectedException;

    /** The handle of a pilot's job, or null if none was started. */
    JobHandle jobOf(DelegateExecution execution);
}
