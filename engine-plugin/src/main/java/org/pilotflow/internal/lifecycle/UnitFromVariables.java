package org.pilotflow.internal.lifecycle;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.delegates.UnitRejectedException;
import org.pilotflow.internal.store.Json;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.Uids;

/**
 * Builds a unit from the variables a BPMN call activity passed in (the "PilotFlow: run compute unit" element
 * template): {@code executable}, {@code arguments} (a JSON array or a list), {@code environment} (a JSON object
 * or a map), {@code cores}, {@code gpus}, {@code pilot}, {@code name}, {@code timeoutSeconds}, {@code restartable}.
 * The unit runs through the session's first open unit manager.
 */
final class UnitFromVariables {
    private UnitFromVariables() {
    }

    static UnitRecord create(Transactions txs, Tx tx, String sessionId, DelegateExecution ex)
            throws UnitRejectedException, SQLException {
        if (sessionId == null) {
            throw new UnitRejectedException("variable pilotflowSession is missing; pass the session id into the "
                    + "call activity");
        }
        if (SessionTable.session(tx.connection(), sessionId) == null) {
            throw new UnitRejectedException("variable pilotflowSession is '" + sessionId + "', which is not a session"
                    + " in this engine's database");
        }
        SessionTable.ManagerRow manager = null;
        for (SessionTable.ManagerRow m : SessionTable.managers(tx.connection(), sessionId)) {
            if ("unit".equals(m.kind()) && !m.closed()) {
                manager = m;
                break;
            }
        }
        if (manager == null) {
            throw new UnitRejectedException("session " + sessionId + " has no open UnitManager to run units; create"
                    + " one with session.createUnitManager()");
        }
        ComputeUnitDescription d;
        try {
            int timeout = integer(ex, "timeoutSeconds", 0);
            d = ComputeUnitDescription.builder()
                    .name(string(ex, "name"))
                    .executable(string(ex, "executable"))
                    .arguments(list(ex, "arguments"))
                    .environment(map(ex, "environment"))
                    .cores(integer(ex, "cores", 1))
                    .gpus(integer(ex, "gpus", 0))
                    .pilot(blankToNull(string(ex, "pilot")))
                    .timeout(timeout > 0 ? Duration.ofSeconds(timeout) : null)
                    .restartable(Boolean.parseBoolean(String.valueOf(ex.getVariable("restartable"))))
                    .build();
        } catch (BadParameter e) {
            throw new UnitRejectedException("variable " + e.getMessage());
        }
        long n = txs.runAlone(t -> SessionTable.take(t.connection(), sessionId, SessionTable.Counter.UNIT, 1));
        return UnitRecord.created(sessionId, Uids.unit(n), manager.uid(), d);
    }

    private static String string(DelegateExecution ex, String name) {
        Object v = ex.getVariable(name);
        return v == null ? null : v.toString();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static int integer(DelegateExecution ex, String name, int dflt) {
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
            throw new BadParameter(name, v, "an integer");
        }
    }

    private static List<String> list(DelegateExecution ex, String name) {
        Object v = ex.getVariable(name);
        if (v == null || v.toString().isBlank()) {
            return List.of();
        }
        if (v instanceof List<?> l) {
            return l.stream().map(String::valueOf).toList();
        }
        try {
            return Json.MAPPER.readValue(v.toString(), new TypeReference<List<String>>() { });
        } catch (Exception e) {
            throw new BadParameter(name, v, "a JSON array of strings such as [\"-c\", \"echo hi\"]");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> map(DelegateExecution ex, String name) {
        Object v = ex.getVariable(name);
        if (v == null || v.toString().isBlank()) {
            return Map.of();
        }
        if (v instanceof Map<?, ?> m) {
            return (Map<String, String>) m;
        }
        try {
            return Json.MAPPER.readValue(v.toString(), new TypeReference<Map<String, String>>() { });
        } catch (Exception e) {
            throw new BadParameter(name, v, "a JSON object of strings");
        }
    }
}
