package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * "Launch pilot" of version 1 of the pilot model only (the first releases ran the launch in a service task;
 * today's model has an external task, taken by the plugin's launch worker outside any transaction). A process of
 * that version that still waits to launch after an upgrade ends on its "launch failed" path.
 */
public final class LaunchPilotDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public LaunchPilotDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        throw new BpmnError(BpmnContract.ERR_PILOT_LAUNCH_FAILED, backend.legacyLaunch(execution));
    }
}
