package org.pilotflow.internal.lifecycle;

import java.util.function.Supplier;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.ExecutionListener;
import org.camunda.bpm.engine.impl.bpmn.parser.AbstractBpmnParseListener;
import org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.camunda.bpm.engine.impl.util.xml.Element;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.internal.store.UnitKey;

/**
 * When a unit's process instance is deleted on this node (a workflow's error boundary interrupted the call
 * activity, the API deleted it), the unit is canceled right after the commit, so no agent keeps running work nobody
 * waits for. Deletions on other nodes (Cockpit, REST) are found by the watchdog within seconds; this listener only
 * makes the local case immediate. Attached by parsing, so the models stay plain BPMN.
 */
public final class UnitProcessEndListener extends AbstractBpmnParseListener implements ExecutionListener {

    private final Supplier<Transactions> txs;

    public UnitProcessEndListener(Supplier<Transactions> txs) {
        this.txs = txs;
    }

    @Override
    public void parseProcess(Element processElement, ProcessDefinitionEntity processDefinition) {
        if (BpmnContract.UNIT_PROCESS.equals(processDefinition.getKey())) {
            processDefinition.addListener(ExecutionListener.EVENTNAME_END, this);
        }
    }

    @Override
    public void notify(DelegateExecution execution) {
        Transactions t = txs.get();
        if (!execution.isCanceled() || t == null) {
            return; // ended on one of its end events: the unit is final already
        }
        String sid = (String) execution.getVariable(BpmnContract.VAR_SESSION);
        String uid = (String) execution.getVariable(BpmnContract.VAR_UNIT);
        if (sid != null && uid != null) {
            t.current().publish(new Published.CancelWanted(new UnitKey(sid, uid),
                    "its process instance " + execution.getProcessInstanceId() + " was deleted"));
        }
    }
}
