package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * "Submit pilot", a service task of a user's workflow (element template {@code org.pilotflow.SubmitPilot}): acquires
 * a pilot for the units that follow, as {@code pmgr.submitPilots} does. The template makes it asynchronous, so a bad
 * variable or an unknown resource is an incident naming the variable (fix it in Cockpit, then retry), and maps the
 * pilot's uid to a variable of the modeler's choice. The pilot's own lifecycle runs in its own process instance.
 */
public final class SubmitPilotDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public SubmitPilotDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        execution.setVariableLocal(BpmnContract.VAR_SUBMITTED_PILOT, backend.submitPilot(execution));
    }
}
