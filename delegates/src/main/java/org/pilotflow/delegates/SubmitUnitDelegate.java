package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * "Submit unit": registers the unit and binds it to a pilot when one can take it. Runs in the caller's
 * transaction, so the unit's wait state is committed before any agent can hear of the unit.
 */
public final class SubmitUnitDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public SubmitUnitDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        try {
            backend.submitUnit(execution);
        } catch (UnitRejectedException e) {
            execution.setVariable(BpmnContract.VAR_UNIT_STATE, "FAILED");
            execution.setVariable(BpmnContract.VAR_FAILURE_REASON, e.getMessage());
            throw new BpmnError(BpmnContract.ERR_UNIT_REJECTED, e.getMessage());
        }
    }
}
