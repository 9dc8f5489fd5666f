package org.pilotflow.delegates;

import java.util.List;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.engine.impl.bpmn.helper.BpmnProperties;
import org.camunda.bpm.engine.impl.bpmn.parser.ErrorEventDefinition;
import org.camunda.bpm.engine.impl.persistence.entity.ExecutionEntity;
import org.camunda.bpm.engine.impl.pvm.process.ScopeImpl;
import org.camunda.bpm.engine.runtime.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Unit FAILED" (asynchronous, one attempt): makes a failed unit impossible to miss. Camunda 7 ends an execution
 * silently when nothing catches the BPMN error it throws (unless the engine-wide
 * {@code enableExceptionsAfterUnhandledBpmnError} is set), so this task decides before throwing:
 * <ul>
 *   <li>a workflow that called the unit catches {@code pilotflow.unit.failed} (a boundary event or an error event
 *       subprocess on the way up): the BPMN error is thrown, with the failure reason as its message;</li>
 *   <li>a workflow called it and nothing catches the error: the task fails with the reason, and its job, which has
 *       one attempt, becomes an incident. An operator's retry (Cockpit's "Increment retries",
 *       {@code managementService.setJobRetries}) runs the task again, which submits the unit again, built anew from
 *       the call activity's variables (fix one in Cockpit first if it was the cause);</li>
 *   <li>no workflow called it (a unit of the Java API, whose caller sees FAILED there): the process ends.</li>
 * </ul>
 */
public final class UnitFailedDelegate implements JavaDelegate {

    private static final Logger LOG = LoggerFactory.getLogger(UnitFailedDelegate.class);

    private final PilotFlowBackend backend;

    public UnitFailedDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        execution.setVariable(BpmnContract.VAR_SUBMIT_AGAIN, false);
        ExecutionEntity caller = ((ExecutionEntity) execution).getProcessInstance().getSuperExecution();
        if (caller == null) {
            return;
        }
        String unit = (String) execution.getVariable(BpmnContract.VAR_UNIT);
        String reason = (String) execution.getVariable(BpmnContract.VAR_FAILURE_REASON);
        if (catches(caller, BpmnContract.ERR_UNIT_FAILED)) {
            throw new BpmnError(BpmnContract.ERR_UNIT_FAILED, reason);
        }
        if (retriedByOperator(execution)) {
            LOG.info("unit {} FAILED and is submitted again (an operator retried its incident)", unit);
            if (unit != null) {
                backend.unitSubmittedAgain(execution);
            }
            execution.setVariable(BpmnContract.VAR_SUBMIT_AGAIN, true);
            // the failed unit's results go: the new unit's are written as it gets them; so do its client transfers'
            // (an old agentState with the new unit's attempt 1 would say its output is on its way to the client)
            execution.removeVariables(List.of(BpmnContract.VAR_UNIT, BpmnContract.VAR_UNIT_PILOT,
                    BpmnContract.VAR_EXIT_CODE, BpmnContract.VAR_ERROR_CODE, BpmnContract.VAR_FAILURE_REASON,
                    BpmnContract.VAR_STDOUT_TAIL, BpmnContract.VAR_STDERR_TAIL, BpmnContract.VAR_STAGING_PILOT,
                    BpmnContract.VAR_STAGING_ATTEMPT, BpmnContract.VAR_AGENT_STATE, BpmnContract.VAR_AGENT_REASON,
                    BpmnContract.VAR_AGENT_ERROR_CODE));
            return;
        }
        Object exit = execution.getVariable(BpmnContract.VAR_EXIT_CODE);
        Object code = execution.getVariable(BpmnContract.VAR_ERROR_CODE);
        throw new ProcessEngineException("unit " + unit + " FAILED" + (code == null ? "" : " " + code)
                + (exit == null ? "" : ", exit code " + exit) + ": " + reason + " (nothing in the calling workflow "
                + "catches " + BpmnContract.ERR_UNIT_FAILED + "; retry to submit the unit again)");
    }

    /**
     * Whether an error boundary event or error event subprocess catches {@code errorCode} on the way up from the
     * call activity's execution {@code caller} (its scopes, then those of the workflows that called its workflow):
     * the same error event definitions Camunda's own propagation looks at.
     */
    static boolean catches(ExecutionEntity caller, String errorCode) {
        for (ExecutionEntity e = caller; e != null; e = e.getProcessInstance().getSuperExecution()) {
            for (ScopeImpl scope = e.getActivity(); scope != null; scope = scope.getFlowScope()) {
                List<ErrorEventDefinition> defs = scope.getProperties().get(BpmnProperties.ERROR_EVENT_DEFINITIONS);
                if (defs != null && defs.stream().anyMatch(d -> d.catchesError(errorCode))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * A "Report failure" task has one attempt: when its job failed before, an operator asked for this run (Cockpit's
     * "Increment retries", {@code managementService.setJobRetries}).
     */
    static boolean retriedByOperator(DelegateExecution execution) {
        Job job = execution.getProcessEngineServices().getManagementService().createJobQuery()
                .executionId(execution.getId()).singleResult();
        return job != null && job.getExceptionMessage() != null;
    }
}
