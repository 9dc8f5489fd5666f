package org.pilotflow.delegates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** "Cancel unit": {@code pilotflow.unit.cancel} arrived; the unit's process keeps waiting for its end. */
public final class CancelUnitDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public CancelUnitDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        backend.cancelUnit(execution);
    }
}
