package org.pilotflow.internal;

import java.util.List;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.pilotflow.delegates.BpmnContract;

/**
 * When a unit's process instance ends while the unit is not final, the instance was deleted from outside (a
 * workflow's error boundary interrupted the call activity, an operator deleted it in Cockpit): the unit is then
 * canceled, so no agent keeps running work nobody waits for. Attached by parsing, so the models stay plain BPMN.
 */
final class UnitProcessEndListener extends AbstractBpmnParseListener implements ExecutionListener {

    private final PilotFlowRuntime runtime;

    UnitProcessEndListener(PilotFlowRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void parseProcess(Element processElement, ProcessDefinitionEntity processDefinition) {
        if (BpmnContract.UNIT_PROCESS.equals(processDefinition.getKey())) {
            processDefinition.addListener(ExecutionListener.EVENTNAME_END, this);
        }
    }

    @Override
    public void notify(DelegateExecution execution) {
        if (!execution.isCanceled()) {
            return; // ended on one of its end events: the unit is final already
        }
        String sid = (String) execution.getVariable(BpmnContract.VAR_SESSION);
        String uid = (String) execution.getVariable(BpmnContract.VAR_UNIT);
        UnitEntry ue = sid == null || uid == null ? null : runtime.unit(sid, uid);
        if (ue == null || Tx.current(runtime).unit(ue).isFinal()) {
            return;
        }
        Tx.current(runtime).afterCommit(() -> runtime.async(() -> runtime.cancelUnits(List.of(ue),
                "its process instance " + execution.getProcessInstanceId() + " was deleted")));
    }
}
