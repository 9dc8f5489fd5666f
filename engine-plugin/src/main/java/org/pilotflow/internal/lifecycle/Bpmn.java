package org.pilotflow.internal.lifecycle;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.camunda.bpm.engine.RuntimeService;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.UnitRecord;

/**
 * The lifecycle models' side of a transition: starting the process instances and correlating the messages they
 * wait for. Correlation is by process instance id (the cheapest lookup, no variable scans).
 */
public final class Bpmn {

    private final RuntimeService runtime;

    public Bpmn(RuntimeService runtime) {
        this.runtime = runtime;
    }

    String startPilot(PilotRecord p, Duration cancelGrace) {
        return runtime.createProcessInstanceByKey(BpmnContract.PILOT_PROCESS)
                .businessKey(p.uid())
                .setVariable(BpmnContract.VAR_SESSION, p.sessionId())
                .setVariable(BpmnContract.VAR_PILOT, p.uid())
                .setVariable(BpmnContract.VAR_CANCEL_GRACE, cancelGrace.toString())
                .execute().getId();
    }

    /** Starts a unit's process; its first task (submit) runs in this transaction and schedules the unit. */
    String startUnit(UnitRecord u) {
        return runtime.createProcessInstanceByKey(BpmnContract.UNIT_PROCESS)
                .businessKey(u.uid())
                .setVariable(BpmnContract.VAR_SESSION, u.sessionId())
                .setVariable(BpmnContract.VAR_UNIT, u.uid())
                .execute().getId();
    }

    /**
     * Tells the unit's process its final state. False when the instance exists but does not wait for the
     * message yet (the caller must try again later); true when it took it or no longer exists.
     */
    boolean unitEnded(UnitRecord u) {
        if (u.processInstanceId() == null) {
            return true;
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put(BpmnContract.VAR_UNIT_STATE, u.state().name());
        vars.put(BpmnContract.VAR_EXIT_CODE, u.exitCode());
        vars.put(BpmnContract.VAR_FAILURE_REASON, u.reason());
        vars.put(BpmnContract.VAR_ERROR_CODE, u.errorCode() == null ? null : u.errorCode().name());
        return correlate(BpmnContract.MSG_UNIT_ENDED, u.processInstanceId(), vars);
    }

    boolean pilotActive(PilotRecord p) {
        return correlate(BpmnContract.MSG_PILOT_ACTIVE, p.processInstanceId(),
                Map.of(BpmnContract.VAR_PILOT_STATE, p.state().name()));
    }

    boolean pilotEnded(PilotRecord p) {
        Map<String, Object> vars = new HashMap<>();
        vars.put(BpmnContract.VAR_PILOT_STATE, p.state().name());
        vars.put(BpmnContract.VAR_FAILURE_REASON, p.reason());
        return correlate(BpmnContract.MSG_PILOT_ENDED, p.processInstanceId(), vars);
    }

    void cancelPilot(PilotRecord p) {
        runtime.createMessageCorrelation(BpmnContract.MSG_PILOT_CANCEL).processInstanceId(p.processInstanceId())
                .correlateAllWithResult();
    }

    private boolean correlate(String message, String processInstanceId, Map<String, Object> vars) {
        if (processInstanceId == null) {
            return true;
        }
        var result = runtime.createMessageCorrelation(message).processInstanceId(processInstanceId)
                .setVariables(vars).correlateAllWithResult();
        return !result.isEmpty() || !exists(processInstanceId);
    }

    boolean exists(String processInstanceId) {
        return runtime.createProcessInstanceQuery().processInstanceId(processInstanceId).count() > 0;
    }
}
