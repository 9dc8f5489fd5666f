package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * "Ask agent to stop": sets {@code pilotflowAgentRunning} for the model's gateway (wait for the agent, or the
 * pilot ended at once) and {@code pilotState}.
 */
public final class CancelPilotDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public CancelPilotDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        execution.setVariable(BpmnContract.VAR_AGENT_RUNNING, backend.requestStop(execution));
    }
}
