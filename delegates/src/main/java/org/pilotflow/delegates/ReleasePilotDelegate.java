package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * "Release pilot", a service task of a user's workflow (element template {@code org.pilotflow.ReleasePilot}):
 * cancels the pilot its input {@code pilot} names once the workflow's units are done with it, so its batch job
 * does not hold the allocation until its runtime ends. It does not wait for the pilot to end.
 */
public final class ReleasePilotDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public ReleasePilotDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        backend.releasePilot(execution);
    }
}
