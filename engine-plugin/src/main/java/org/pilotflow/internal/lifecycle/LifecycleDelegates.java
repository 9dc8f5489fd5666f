package org.pilotflow.internal.lifecycle;

import java.util.List;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.delegates.PilotFlowBackend;
import org.pilotflow.delegates.UnitRejectedException;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.UnitKey;
import org.pilotflow.internal.store.UnitRecord;

/**
 * What the lifecycle models' delegates call: each call runs in the delegate's transaction (so the record change
 * and the BPMN step commit together) and reads the pilot or unit named by the process variables.
 */
public final class LifecycleDelegates implements PilotFlowBackend {

    private final Transactions txs;
    private final PilotLifecycle pilots;
    private final UnitLifecycle units;
    private final PilotSubmitter submitter;
    private final ClientStaging clientStaging;

    public LifecycleDelegates(Transactions txs, PilotLifecycle pilots, UnitLifecycle units, PilotSubmitter submitter,
                              ClientStaging clientStaging) {
        this.txs = txs;
        this.pilots = pilots;
        this.units = units;
        this.submitter = submitter;
        this.clientStaging = clientStaging;
    }

    @Override
    public void stageUnitInput(DelegateExecution execution) {
        clientStaging.input(unit(execution), (String) execution.getVariable(BpmnContract.VAR_STAGING_PILOT),
                attempt(execution));
    }

    @Override
    public void stageUnitOutput(DelegateExecution execution) {
        String code = (String) execution.getVariable(BpmnContract.VAR_AGENT_ERROR_CODE);
        clientStaging.output(unit(execution), (String) execution.getVariable(BpmnContract.VAR_STAGING_PILOT),
                attempt(execution),
                org.pilotflow.model.UnitState.valueOf((String) execution.getVariable(BpmnContract.VAR_AGENT_STATE)),
                (String) execution.getVariable(BpmnContract.VAR_AGENT_REASON),
                code == null ? null : org.pilotflow.model.ErrorCode.parse(code));
    }

    private static UnitKey unit(DelegateExecution execution) {
        return new UnitKey((String) execution.getVariable(BpmnContract.VAR_SESSION),
                (String) execution.getVariable(BpmnContract.VAR_UNIT));
    }

    private static int attempt(DelegateExecution execution) {
        return ((Number) execution.getVariable(BpmnContract.VAR_STAGING_ATTEMPT)).intValue();
    }

    @Override
    public boolean requestStop(DelegateExecution execution) {
        PilotKey key = pilot(execution);
        PilotLifecycle.StopOutcome o = txs.run(tx -> pilots.requestStop(tx, key));
        if (o == PilotLifecycle.StopOutcome.ENDED) {
            PilotRecord p = txs.run(tx -> tx.pilot(key));
            execution.setVariable(BpmnContract.VAR_PILOT_STATE, p.state().name());
        }
        return o == PilotLifecycle.StopOutcome.WAIT_FOR_AGENT;
    }

    @Override
    public void kill(DelegateExecution execution) {
        PilotKey key = pilot(execution);
        PilotRecord p = txs.run(tx -> {
            pilots.killedAfterGrace(tx, key);
            return tx.pilot(key);
        });
        execution.setVariable(BpmnContract.VAR_PILOT_STATE, p.state().name());
    }

    @Override
    public void submitUnit(DelegateExecution execution) throws UnitRejectedException {
        String sessionId = (String) execution.getVariable(BpmnContract.VAR_SESSION);
        String uid = (String) execution.getVariable(BpmnContract.VAR_UNIT);
        Tx tx = txs.current();
        try {
            if (uid == null) {
                UnitRecord created = UnitFromVariables.create(txs, tx, sessionId, execution);
                units.insert(tx, created);
                uid = created.uid();
                execution.setVariable(BpmnContract.VAR_UNIT, uid);
                if (execution.getProcessBusinessKey() == null) {
                    // what Cockpit shows an operator: the workflow's own key when it passed one, else the uid
                    execution.setProcessBusinessKey(uid);
                }
            }
            String reason = units.submitted(tx, new UnitKey(sessionId, uid), execution.getProcessInstanceId());
            if (reason != null) {
                throw new UnitRejectedException(reason);
            }
        } catch (java.sql.SQLException e) {
            throw new ProcessEngineException("PilotFlow database access failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void unitSubmittedAgain(DelegateExecution execution) {
        UnitKey key = new UnitKey((String) execution.getVariable(BpmnContract.VAR_SESSION),
                (String) execution.getVariable(BpmnContract.VAR_UNIT));
        txs.run(tx -> {
            units.detach(tx, key);
            return null;
        });
        if (key.uid().equals(execution.getProcessBusinessKey())) {
            execution.setProcessBusinessKey(null); // the key was the failed unit's uid: the new unit's takes its place
        }
    }

    @Override
    public void cancelUnit(DelegateExecution execution) {
        UnitKey key = new UnitKey((String) execution.getVariable(BpmnContract.VAR_SESSION),
                (String) execution.getVariable(BpmnContract.VAR_UNIT));
        txs.run(tx -> {
            units.cancel(tx, List.of(key), "canceled by message " + BpmnContract.MSG_UNIT_CANCEL);
            return null;
        });
    }

    @Override
    public String replacePilot(DelegateExecution execution) {
        return submitter.replacement(pilot(execution));
    }

    @Override
    public String submitPilot(DelegateExecution execution) {
        String sessionId = session(execution);
        ComputePilotDescription d;
        try {
            // the task's own input parameters only: a process variable that happens to be called 'queue' or
            // 'cores' must not slip into the pilot where the task has no such field
            d = PilotFromVariables.describe(execution::getVariableLocal);
        } catch (BadParameter e) {
            throw new ProcessEngineException("variable " + e.getMessage() + " (fix the variable and retry)", e);
        }
        return submitter.fromWorkflow(sessionId, d,
                PilotFromVariables.manager(execution::getVariableLocal, PilotFromVariables.Field.PILOT_MANAGER),
                PilotFromVariables.manager(execution::getVariableLocal, PilotFromVariables.Field.UNIT_MANAGER));
    }

    @Override
    public void releasePilot(DelegateExecution execution) {
        String sessionId = session(execution);
        Object uid = execution.getVariable(BpmnContract.VAR_RELEASED_PILOT);
        if (!(uid instanceof String) || ((String) uid).isBlank()) {
            throw new ProcessEngineException("variable " + new BadParameter(BpmnContract.VAR_RELEASED_PILOT, uid,
                    "the uid of a pilot of session " + sessionId + ", e.g. ${pilot} as 'Submit pilot' set it")
                    .getMessage());
        }
        PilotKey key = new PilotKey(sessionId, (String) uid);
        txs.run(tx -> {
            if (tx.pilot(key) == null) {
                throw new ProcessEngineException("variable " + new BadParameter(BpmnContract.VAR_RELEASED_PILOT, uid,
                        "the uid of a pilot of session " + sessionId).getMessage());
            }
            pilots.cancel(tx, key);
            return null;
        });
    }

    /** The workflow's session (variable pilotflowSession), checked. */
    private static String session(DelegateExecution execution) {
        Object id = execution.getVariable(BpmnContract.VAR_SESSION);
        if (!(id instanceof String) || ((String) id).isBlank()) {
            throw new ProcessEngineException("variable " + new BadParameter(BpmnContract.VAR_SESSION, id,
                    "the session's uid (text); start the workflow with pilotflowSession = session.uid()")
                    .getMessage());
        }
        return (String) id;
    }

    @Override
    public String legacyLaunch(DelegateExecution execution) {
        PilotKey key = pilot(execution);
        String reason = "this pilot was waiting to launch when PilotFlow was upgraded; submit it again";
        txs.run(tx -> {
            pilots.launchFailed(tx, key, reason);
            return null;
        });
        return reason;
    }

    private static PilotKey pilot(DelegateExecution execution) {
        String sessionId = (String) execution.getVariable(BpmnContract.VAR_SESSION);
        String uid = (String) execution.getVariable(BpmnContract.VAR_PILOT);
        if (sessionId == null || uid == null) {
            throw new ProcessEngineException("process instance " + execution.getProcessInstanceId()
                    + " lacks the variables " + BpmnContract.VAR_SESSION + " and " + BpmnContract.VAR_PILOT);
        }
        return new PilotKey(sessionId, uid);
    }
}
