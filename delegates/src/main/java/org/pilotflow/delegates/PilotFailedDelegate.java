package org.pilotflow.delegates;

import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * "Report failure" of a FAILED pilot (asynchronous, one attempt). A pilot is infrastructure an operator looks after,
 * so its failure is an incident with the reason rather than a silent end, whoever submitted it:
 * <ul>
 *   <li>first run: fails with the reason; its job, with one attempt, becomes an incident in Cockpit;</li>
 *   <li>the operator's retry (having fixed the cause, e.g. a full disk or a dead node): a replacement pilot with the
 *       same description joins the same managers, as PanDA's Harvester replaces a failed worker, and the instance
 *       ends (variable {@code replacedBy}). The failed pilot stays FAILED: its units were settled when it ended;</li>
 *   <li>deleting the instance acknowledges the failure without a replacement.</li>
 * </ul>
 */
public final class PilotFailedDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public PilotFailedDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        String pilot = (String) execution.getVariable(BpmnContract.VAR_PILOT);
        if (UnitFailedDelegate.retriedByOperator(execution)) {
            // the backend logs the replacement
            execution.setVariable(BpmnContract.VAR_REPLACED_BY, backend.replacePilot(execution));
            return;
        }
        throw new ProcessEngineException("pilot " + pilot + " FAILED: "
                + execution.getVariable(BpmnContract.VAR_FAILURE_REASON) + " (retry to submit a replacement pilot"
                + " with the same description to the same managers; delete the process instance to acknowledge"
                + " the failure)");
    }
}
