package org.pilotflow.delegates;

import java.util.ArrayList;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/**
 * "Stage data", a service task of a user's workflow (element template {@code org.pilotflow.StageData}): moves files
 * between this machine and a pilot's resource with the Data API (PanDA's stage-in and stage-out clients), no unit
 * involved. The template makes it asynchronous, so a bad variable or a failed file is an incident (retried per the
 * task's retry cycle; a file that arrived before is simply moved again), and maps the files after the transfer
 * (status, size, checksums, error) to a variable of the modeler's choice.
 */
public final class StageDataDelegate implements JavaDelegate {

    private final PilotFlowBackend backend;

    public StageDataDelegate(PilotFlowBackend backend) {
        this.backend = backend;
    }

    @Override
    public void execute(DelegateExecution execution) {
        // an ArrayList of LinkedHashMaps: a serializable value expressions can read (${stagedFiles[0].status})
        execution.setVariableLocal(BpmnContract.VAR_STAGED_FILES, new ArrayList<>(backend.stageData(execution)));
    }
}
