package org.pilotflow.internal.lifecycle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.FileSpec;
import org.pilotflow.api.IncorrectState;
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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LifecycleDelegates.class);

    private final Transactions txs;
    private final PilotLifecycle pilots;
    private final UnitLifecycle units;
    private final PilotSubmitter submitter;
    private final FileStager stager;
    private final ClientStaging clientStaging;

    public LifecycleDelegates(Transactions txs, PilotLifecycle pilots, UnitLifecycle units, PilotSubmitter submitter,
                              FileStager stager, ClientStaging clientStaging) {
        this.txs = txs;
        this.pilots = pilots;
        this.units = units;
        this.submitter = submitter;
        this.stager = stager;
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

    @Override
    public List<Map<String, Object>> stageData(DelegateExecution execution) {
        String sessionId = session(execution);
        FilesFromVariables.Request r;
        List<FileSpec> moved;
        try {
            // the task's own input parameters only, as for "Submit pilot"
            r = FilesFromVariables.read(execution::getVariableLocal);
            moved = stage(new PilotKey(sessionId, r.pilot()), r.in(), r.files());
        } catch (BadParameter e) {
            throw new ProcessEngineException("variable " + e.getMessage() + " (fix the variable and retry)", e);
        } catch (IncorrectState e) {
            throw new ProcessEngineException(e.getMessage(), e); // no sandbox yet, resource unreachable: a retry may do
        }
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < moved.size(); i++) {
            FileSpec f = moved.get(i);
            if (f.failed()) {
                failed.add(FilesFromVariables.VAR_FILES + "[" + i + "] '" + f.source() + "' " + f.error() + ": "
                        + f.reason());
            }
        }
        String what = r.direction() + " pilot " + r.pilot() + ": " + (moved.size() - failed.size()) + " of "
                + moved.size() + " files transferred";
        if (failed.isEmpty()) {
            LOG.info("{} (process instance {})", what, execution.getProcessInstanceId());
        } else if (r.tolerate()) {
            LOG.warn("{}, failed files tolerated (process instance {}): {}", what, execution.getProcessInstanceId(),
                    String.join("; ", failed));
        } else {
            // an incident once the retries are spent; the files that arrived are moved again by a retry
            throw new ProcessEngineException(what + ", " + failed.size() + " FAILED: " + String.join("; ", failed)
                    + " (fix the cause and retry, or set '" + FilesFromVariables.VAR_TOLERATE + "' to go on)");
        }
        return FilesFromVariables.result(moved);
    }

    private static final java.util.regex.Pattern FILE_FIELD = java.util.regex.Pattern.compile("files\\[(\\d+)\\](.*)");

    /**
     * The files moved by the Data API, where a missing source is one failed file (MISSING_SOURCE) rather than bad
     * input: to a workflow a file that is not there yet is a run-time failure a retry may cure, and "tolerate failed
     * files" must be able to go on without it. The Data API checks every source before it moves a byte, so each
     * missing one costs one more check of the others.
     */
    private List<FileSpec> stage(PilotKey pilot, boolean in, List<FileSpec> files) {
        List<FileSpec> out = new ArrayList<>(files);
        List<Integer> remaining = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            remaining.add(i);
        }
        while (!remaining.isEmpty()) {
            List<FileSpec> batch = remaining.stream().map(files::get).toList();
            try {
                List<FileSpec> moved = stager.stage(pilot, in, batch);
                for (int j = 0; j < moved.size(); j++) {
                    out.set(remaining.get(j), moved.get(j));
                }
                break;
            } catch (BadParameter e) {
                java.util.regex.Matcher m = FILE_FIELD.matcher(e.field());
                if (!m.matches()) {
                    throw e;
                }
                int k = remaining.get(Integer.parseInt(m.group(1))); // the batch's index -> the task's
                if (!m.group(2).equals(".source") || !e.expected().startsWith("an existing file")) {
                    throw new BadParameter("files[" + k + "]" + m.group(2), e.value(), e.expected(), e);
                }
                remaining.remove(Integer.valueOf(k));
                out.set(k, files.get(k).failed(FileSpec.TransferError.MISSING_SOURCE, "expected " + e.expected()));
            }
        }
        return out;
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
