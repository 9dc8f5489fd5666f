package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** "Ask agent to stop": the pilot becomes CANCELING; its agent gets a CANCEL_PILOT command. */
public final class CancelPilotDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public CancelPilotDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        backend.requestStop(execution);
    }
}
