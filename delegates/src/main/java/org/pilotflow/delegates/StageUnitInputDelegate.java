package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** "Transfer input from the client" of the unit model: the engine's part of the unit's input staging. */
public final class StageUnitInputDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public StageUnitInputDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        backend.stageUnitInput(execution);
    }
}
