package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** "Transfer output to the client" of the unit model: the engine's part of the unit's output staging. */
public final class StageUnitOutputDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public StageUnitOutputDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        backend.stageUnitOutput(execution);
    }
}
