package org.pilotflow.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.delegates.UnitRejectedException;
import org.pilotflow.model.UnitState;

/**
 * Builds a unit from the variables a BPMN call activity passed in (the "PilotFlow: run compute unit" element
 * template): {@code executable}, {@code arguments} (a JSON array or a list), {@code environment} (a JSON object
 * or a map), {@code cores}, {@code gpus}, {@code pilot}, {@code name}, {@code timeoutSeconds}, {@code restartable}.
 */
final class UnitFromVariables {
    private UnitFromVariables() {
    }

    static UnitEntry create(PilotFlowRuntime runtime, Tx tx, String sessionId, DelegateExecution ex)
            throws UnitRejectedException {
        if (sessionId == null) {
            throw new UnitRejectedException("variable pilotflowSession is missing; pass the session id into the "
                    + "call activity");
        }
        SessionState session;
        try {
            session = runtime.session(sessionId);
        } catch (BadParameter e) {
            throw new UnitRejectedException("session " + sessionId + " is unknown to this engine");
        }
        UnitManagerImpl um = session.defaultUnitManager();
        if (um == null) {
            throw new UnitRejectedException("session " + sessionId + " has no open UnitManager to run units");
        }
        ComputeUnitDescription d;
        try {
            d = ComputeUnitDescription.builder()
                    .name(string(ex, "name"))
                    .executable(string(ex, "executable"))
                    .arguments(list(ex, "arguments"))
                    .environment(map(ex, "environment"))
                    .cores(integer(ex, "cores", 1))
                    .gpus(integer(ex, "gpus", 0))
                    .pilot(blankToNull(string(ex, "pilot")))
                    .timeout(integer(ex, "timeoutSeconds", 0) > 0
                            ? Duration.ofSeconds(integer(ex, "timeoutSeconds", 0)) : null)
                    .restartable(Boolean.parseBoolean(String.valueOf(ex.getVariable("restartable"))))
                    .build();
        } catch (BadParameter e) {
            throw new UnitRejectedException("variable " + e.getMessage());
        }
        UnitEntry e = new UnitEntry(UnitSnapshot.created(sessionId, session.nextUnitUid(), um.uid(), d));
        tx.insert(e, List.of(UnitState.NEW));
        return e;
    }

    private static String string(DelegateExecution ex, String name) {
        Object v = ex.getVariable(name);
        return v == null ? null : v.toString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static int integer(DelegateExecution ex, String name, int dflt) throws UnitRejectedException {
        Object v = ex.getVariable(name);
        if (v == null || v.toString().isBlank()) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new UnitRejectedException("variable " + name + " is '" + v + "', expected an integer");
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(DelegateExecution ex, String name) throws UnitRejectedException {
        Object v = ex.getVariable(name);
        if (v == null || v.toString().isBlank()) {
            return List.of();
        }
        if (v instanceof List<?> l) {
            return l.stream().map(String::valueOf).toList();
        }
        try {
            return Store.JSON.readValue(v.toString(), new TypeReference<List<String>>() { });
        } catch (Exception e) {
            throw new UnitRejectedException("variable " + name + " is '" + v + "', expected a JSON array of strings"
                    + " such as [\"-c\", \"echo hi\"]");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> map(DelegateExecution ex, String name) throws UnitRejectedException {
        Object v = ex.getVariable(name);
        if (v == null || v.toString().isBlank()) {
            return Map.of();
        }
        if (v instanceof Map<?, ?> m) {
            return (Map<String, String>) m;
        }
        try {
            return Store.JSON.readValue(v.toString(), new TypeReference<Map<String, String>>() { });
        } catch (Exception e) {
            throw new UnitRejectedException("variable " + name + " is '" + v + "', expected a JSON object of strings");
        }
    }
}
