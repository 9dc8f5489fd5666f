package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** "Kill pilot job": the agent did not stop within the grace period, so its job is killed. */
public final class KillPilotDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public KillPilotDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        backend.kill(execution);
    }
}
