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
        Map<String, Object> vars = unitVariables(u);
        vars.values().removeIf(java.util.Objects::isNull); // a variable is a row: none for an empty value
        boolean taken = correlate(BpmnContract.MSG_UNIT_ENDED, u.processInstanceId(), vars);
        sent(taken, u.processInstanceId());
        if (taken && (ClientStaging.hasInput(u) || ClientStaging.hasEngineOutput(u))) {
            rearmSpentTransfers(u.processInstanceId());
        }
        return taken;
    }

    /**
     * A client transfer whose job ran out of retries (an incident: its resource stayed out of reach) has nothing left
     * to do once its unit ended, but its event subprocess would keep the instance, and a workflow calling it, waiting
     * for an operator: one more run finds the unit moved on, does nothing, and lets the instance end.
     */
    private static void rearmSpentTransfers(String processInstanceId) {
        var management = org.camunda.bpm.engine.impl.context.Context.getProcessEngineConfiguration()
                .getManagementService();
        for (String activity : new String[] {"transferInput", "transferOutput"}) {
            for (var job : management.createJobQuery().processInstanceId(processInstanceId).activityId(activity)
                    .noRetriesLeft().list()) {
                management.setJobRetries(job.getId(), 1);
            }
        }
    }

    /** Starts "Input from the client" for the unit's current binding; false when the instance did not take it. */
    boolean stageInput(UnitRecord u) {
        return correlateStaging(BpmnContract.MSG_UNIT_STAGE_INPUT, u, Map.of(
                BpmnContract.VAR_STAGING_PILOT, u.pilot(), BpmnContract.VAR_STAGING_ATTEMPT, u.attempt()));
    }

    /** Starts "Output to the client" with the end the agent reported; false when the instance did not take it. */
    boolean stageOutput(UnitRecord u, org.pilotflow.model.UnitState agentState, String agentReason,
                        org.pilotflow.model.ErrorCode agentCode) {
        Map<String, Object> vars = new HashMap<>();
        vars.put(BpmnContract.VAR_STAGING_PILOT, u.pilot());
        vars.put(BpmnContract.VAR_STAGING_ATTEMPT, u.attempt());
        vars.put(BpmnContract.VAR_AGENT_STATE, agentState.name());
        vars.put(BpmnContract.VAR_AGENT_REASON, agentReason == null ? null : head(agentReason));
        vars.put(BpmnContract.VAR_AGENT_ERROR_CODE, agentCode == null ? null : agentCode.name());
        return correlateStaging(BpmnContract.MSG_UNIT_STAGE_OUTPUT, u, vars);
    }

    /**
     * Whether the unit's process transfers its output to the client for its current attempt ("Output to the client"
     * took the agent's end; the transfer then ends the unit).
     */
    boolean outputTransferPending(UnitRecord u) {
        if (u.processInstanceId() == null) {
            return false;
        }
        try {
            Object attempt = runtime.getVariable(u.processInstanceId(), BpmnContract.VAR_STAGING_ATTEMPT);
            return runtime.getVariable(u.processInstanceId(), BpmnContract.VAR_AGENT_STATE) != null
                    && attempt instanceof Number n && n.intValue() == u.attempt();
        } catch (org.camunda.bpm.engine.ProcessEngineException e) { // the instance is gone
            return false;
        }
    }

    /**
     * A message to a unit's event subprocess. Its variables are the instance's (a message start event takes them
     * on the process instance): a later binding overwrites them, which is harmless, since the transfer checks the
     * unit's record and does only what its current binding still needs.
     */
    private boolean correlateStaging(String message, UnitRecord u, Map<String, Object> vars) {
        if (u.processInstanceId() == null) {
            return false;
        }
        return !runtime.createMessageCorrelation(message).processInstanceId(u.processInstanceId())
                .setVariables(vars).correlateAllWithResult().isEmpty();
    }

    boolean pilotActive(PilotRecord p) {
        return correlate(BpmnContract.MSG_PILOT_ACTIVE, p.processInstanceId(),
                Map.of(BpmnContract.VAR_PILOT_STATE, p.state().name()));
    }

    boolean pilotEnded(PilotRecord p) {
        boolean taken = correlate(BpmnContract.MSG_PILOT_ENDED, p.processInstanceId(), pilotVariables(p));
        sent(taken, p.processInstanceId());
        return taken;
    }

    /** The message carried the record's variables: the transaction need not set them again. */
    private static void sent(boolean taken, String processInstanceId) {
        Tx tx = taken && processInstanceId != null ? Tx.open() : null;
        if (tx != null) {
            tx.variablesSent(processInstanceId);
        }
    }

    /**
     * What an operator sees on a unit's process instance (Cockpit's variables), as the unit stands; kept current by
     * every transaction that changes the unit ({@link Tx}).
     */
    static Map<String, Object> unitVariables(UnitRecord u) {
        Map<String, Object> vars = new HashMap<>();
        vars.put(BpmnContract.VAR_UNIT_STATE, u.state().name());
        vars.put(BpmnContract.VAR_UNIT_PILOT, u.pilot());
        vars.put(BpmnContract.VAR_EXIT_CODE, u.exitCode());
        vars.put(BpmnContract.VAR_FAILURE_REASON, head(u.reason()));
        vars.put(BpmnContract.VAR_ERROR_CODE, u.errorCode() == null ? null : u.errorCode().name());
        vars.put(BpmnContract.VAR_STDOUT_TAIL, tail(u.stdoutTail()));
        vars.put(BpmnContract.VAR_STDERR_TAIL, tail(u.stderrTail()));
        return vars;
    }

    /** What an operator sees on a pilot's process instance, as the pilot stands. */
    static Map<String, Object> pilotVariables(PilotRecord p) {
        Map<String, Object> vars = new HashMap<>();
        vars.put(BpmnContract.VAR_PILOT_STATE, p.state().name());
        vars.put(BpmnContract.VAR_FAILURE_REASON, head(p.reason()));
        return vars;
    }

    private static String head(String s) {
        return s == null || s.length() <= BpmnContract.VAR_TEXT_CHARS ? s
                : s.substring(0, BpmnContract.VAR_TEXT_CHARS - 1) + "\u2026";
    }

    private static String tail(String s) {
        return s == null || s.length() <= BpmnContract.VAR_TEXT_CHARS ? s
                : "\u2026" + s.substring(s.length() - BpmnContract.VAR_TEXT_CHARS + 1);
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

    /**
     * Ends a FAILED pilot's instance that waits on its "Report failure" incident (the session closed: no
     * replacement can join it any more); true when there was one.
     */
    boolean endFailureReport(PilotRecord p, String why) {
        if (p.processInstanceId() == null || runtime.createProcessInstanceQuery()
                .processInstanceId(p.processInstanceId()).activityIdIn("reportFailure").count() == 0) {
            return false;
        }
        runtime.deleteProcessInstance(p.processInstanceId(), why);
        return true;
    }

    boolean exists(String processInstanceId) {
        return runtime.createProcessInstanceQuery().processInstanceId(processInstanceId).count() > 0;
    }
}
