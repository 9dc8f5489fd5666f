package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.ResourceException;

/** "Launch pilot": submits the pilot's job through its resource adapter. Runs on a job-executor thread. */
public final class LaunchPilotDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public LaunchPilotDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        try {
            PilotFlowBackend.LaunchPlan plan = backend.beginLaunch(execution);
            Submitted submitted = plan.adapter().submit(plan.launch());
            backend.launched(execution, submitted);
        } catch (ResourceException e) {
            backend.launchFailed(execution, e.getMessage());
            throw new BpmnError(BpmnContract.ERR_PILOT_LAUNCH_FAILED, e.getMessage());
        }
    }
}
