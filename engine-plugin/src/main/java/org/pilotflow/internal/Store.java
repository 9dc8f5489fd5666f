package org.pilotflow.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * PilotFlow's own tables, in the engine's database and written on the engine's connection inside the engine's
 * transaction, so a unit's record and its process instance commit or roll back together. Plain SQL that H2 and
 * PostgreSQL both accept.
 */
final class Store {

    static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final String TEXT = "VARCHAR(1000000)";
    private static final String[] DDL = {
            "CREATE TABLE IF NOT EXISTS PF_SESSION (ID VARCHAR(100) NOT NULL PRIMARY KEY, CREATED BIGINT NOT NULL,"
                    + " ENDPOINT_PORT INT NOT NULL, CLOSED BOOLEAN NOT NULL)",
            "CREATE TABLE IF NOT EXISTS PF_MANAGER (SESSION_ID VARCHAR(100) NOT NULL, UID VARCHAR(100) NOT NULL,"
                    + " KIND VARCHAR(10) NOT NULL, POLICY VARCHAR(20), PILOTS " + TEXT + ", CLOSED BOOLEAN NOT NULL,"
                    + " PRIMARY KEY (SESSION_ID, UID))",
            "CREATE TABLE IF NOT EXISTS PF_PILOT (SESSION_ID VARCHAR(100) NOT NULL, UID VARCHAR(100) NOT NULL,"
                    + " MANAGER VARCHAR(100) NOT NULL, DESCRIPTION " + TEXT + " NOT NULL, STATE VARCHAR(30) NOT NULL,"
                    + " HISTORY " + TEXT + " NOT NULL, PROC_INST VARCHAR(64), JOB VARCHAR(200), SECRET_HASH VARCHAR(100),"
                    + " LAST_SEQ BIGINT NOT NULL, SANDBOX VARCHAR(4000), REASON " + TEXT + ","
                    + " PRIMARY KEY (SESSION_ID, UID))",
            "CREATE TABLE IF NOT EXISTS PF_UNIT (SESSION_ID VARCHAR(100) NOT NULL, UID VARCHAR(100) NOT NULL,"
                    + " MANAGER VARCHAR(100) NOT NULL, DESCRIPTION " + TEXT + " NOT NULL, STATE VARCHAR(30) NOT NULL,"
                    + " HISTORY " + TEXT + " NOT NULL, PROC_INST VARCHAR(64), PILOT VARCHAR(100), EXIT_CODE INT,"
                    + " REASON " + TEXT + ", STDOUT_TAIL " + TEXT + ", STDERR_TAIL " + TEXT + ", SANDBOX VARCHAR(4000),"
                    + " SLOTS " + TEXT + ", ATTEMPT INT NOT NULL, PRIMARY KEY (SESSION_ID, UID))",
    };

    void createTables(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String ddl : DDL) {
                st.execute(ddl);
            }
        }
    }

    // ---- sessions and managers ----

    record SessionRow(String id, long created, int endpointPort, boolean closed) { }

    record ManagerRow(String sessionId, String uid, String kind, String policy, List<String> pilots,
                      boolean closed) { }

    void insertSession(Connection c, SessionRow s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PF_SESSION (ID, CREATED, ENDPOINT_PORT, CLOSED) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, s.id());
            ps.setLong(2, s.created());
            ps.setInt(3, s.endpointPort());
            ps.setBoolean(4, s.closed());
            ps.executeUpdate();
        }
    }

    void closeSession(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_SESSION SET CLOSED = TRUE WHERE ID = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    List<SessionRow> openSessions(Connection c) throws SQLException {
        List<SessionRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT ID, CREATED, ENDPOINT_PORT, CLOSED FROM PF_SESSION WHERE CLOSED = FALSE ORDER BY CREATED DESC");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new SessionRow(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getBoolean(4)));
            }
        }
        return out;
    }

    SessionRow session(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT ID, CREATED, ENDPOINT_PORT, CLOSED FROM PF_SESSION WHERE ID = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new SessionRow(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getBoolean(4)) : null;
            }
        }
    }

    void upsertManager(Connection c, ManagerRow m) throws SQLException {
        try (PreparedStatement del = c.prepareStatement("DELETE FROM PF_MANAGER WHERE SESSION_ID = ? AND UID = ?")) {
            del.setString(1, m.sessionId());
            del.setString(2, m.uid());
            del.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PF_MANAGER (SESSION_ID, UID, KIND, POLICY, PILOTS, CLOSED) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, m.sessionId());
            ps.setString(2, m.uid());
            ps.setString(3, m.kind());
            ps.setString(4, m.policy());
            ps.setString(5, json(m.pilots()));
            ps.setBoolean(6, m.closed());
            ps.executeUpdate();
        }
    }

    List<ManagerRow> managers(Connection c, String sessionId) throws SQLException {
        List<ManagerRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT SESSION_ID, UID, KIND, POLICY, PILOTS, CLOSED FROM PF_MANAGER WHERE SESSION_ID = ? ORDER BY UID")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ManagerRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            parse(rs.getString(5), new TypeReference<List<String>>() { }), rs.getBoolean(6)));
                }
            }
        }
        return out;
    }

    // ---- pilots ----

    void insertPilots(Connection c, Collection<PilotSnapshot> pilots) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_PILOT (DESCRIPTION, STATE, HISTORY, PROC_INST,"
                + " JOB, SECRET_HASH, LAST_SEQ, SANDBOX, REASON, MANAGER, SESSION_ID, UID)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (PilotSnapshot p : pilots) {
                bindPilot(ps, p);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    void updatePilots(Connection c, Collection<PilotSnapshot> pilots) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_PILOT SET DESCRIPTION = ?, STATE = ?, HISTORY = ?,"
                + " PROC_INST = ?, JOB = ?, SECRET_HASH = ?, LAST_SEQ = ?, SANDBOX = ?, REASON = ?, MANAGER = ?"
                + " WHERE SESSION_ID = ? AND UID = ?")) {
            for (PilotSnapshot p : pilots) {
                bindPilot(ps, p);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void bindPilot(PreparedStatement ps, PilotSnapshot p) throws SQLException {
        ps.setString(1, json(p.description()));
        ps.setString(2, p.state().name());
        ps.setString(3, json(p.history()));
        ps.setString(4, p.processInstanceId());
        ps.setString(5, p.job());
        ps.setString(6, p.secretHash());
        ps.setLong(7, p.lastSeq());
        ps.setString(8, p.sandbox());
        ps.setString(9, p.reason());
        ps.setString(10, p.manager());
        ps.setString(11, p.sessionId());
        ps.setString(12, p.uid());
    }

    List<PilotSnapshot> pilots(Connection c, String sessionId) throws SQLException {
        List<PilotSnapshot> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY,"
                + " PROC_INST, JOB, SECRET_HASH, LAST_SEQ, SANDBOX, REASON FROM PF_PILOT WHERE SESSION_ID = ? ORDER BY UID")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new PilotSnapshot(rs.getString(1), rs.getString(2), rs.getString(3),
                            parse(rs.getString(4), new TypeReference<ComputePilotDescription>() { }),
                            PilotState.valueOf(rs.getString(5)),
                            parse(rs.getString(6), new TypeReference<List<StateEntry<PilotState>>>() { }),
                            rs.getString(7), rs.getString(8), rs.getString(9), rs.getLong(10), rs.getString(11),
                            rs.getString(12)));
                }
            }
        }
        return out;
    }

    // ---- units ----

    void insertUnits(Connection c, Collection<UnitSnapshot> units) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_UNIT (DESCRIPTION, STATE, HISTORY, PROC_INST,"
                + " PILOT, EXIT_CODE, REASON, STDOUT_TAIL, STDERR_TAIL, SANDBOX, SLOTS, ATTEMPT, MANAGER, SESSION_ID, UID)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (UnitSnapshot u : units) {
                bindUnit(ps, u, true);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    void updateUnits(Connection c, Collection<UnitSnapshot> units) throws SQLException {
        // the description never changes after insert: not rewritten
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_UNIT SET STATE = ?, HISTORY = ?, PROC_INST = ?,"
                + " PILOT = ?, EXIT_CODE = ?, REASON = ?, STDOUT_TAIL = ?, STDERR_TAIL = ?, SANDBOX = ?, SLOTS = ?,"
                + " ATTEMPT = ?, MANAGER = ? WHERE SESSION_ID = ? AND UID = ?")) {
            for (UnitSnapshot u : units) {
                bindUnit(ps, u, false);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void bindUnit(PreparedStatement ps, UnitSnapshot u, boolean withDescription) throws SQLException {
        int i = 1;
        if (withDescription) {
            ps.setString(i++, json(u.description()));
        }
        ps.setString(i++, u.state().name());
        ps.setString(i++, json(u.history()));
        ps.setString(i++, u.processInstanceId());
        ps.setString(i++, u.pilot());
        if (u.exitCode() == null) {
            ps.setNull(i++, Types.INTEGER);
        } else {
            ps.setInt(i++, u.exitCode());
        }
        ps.setString(i++, u.reason());
        ps.setString(i++, u.stdoutTail());
        ps.setString(i++, u.stderrTail());
        ps.setString(i++, u.sandbox());
        ps.setString(i++, json(u.slots()));
        ps.setInt(i++, u.attempt());
        ps.setString(i++, u.manager());
        ps.setString(i++, u.sessionId());
        ps.setString(i, u.uid());
    }

    List<UnitSnapshot> units(Connection c, String sessionId) throws SQLException {
        List<UnitSnapshot> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY,"
                + " PILOT, PROC_INST, EXIT_CODE, REASON, STDOUT_TAIL, STDERR_TAIL, SANDBOX, SLOTS, ATTEMPT"
                + " FROM PF_UNIT WHERE SESSION_ID = ? ORDER BY UID")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int exit = rs.getInt(9);
                    Integer exitCode = rs.wasNull() ? null : exit;
                    out.add(new UnitSnapshot(rs.getString(1), rs.getString(2), rs.getString(3),
                            parse(rs.getString(4), new TypeReference<ComputeUnitDescription>() { }),
                            UnitState.valueOf(rs.getString(5)),
                            parse(rs.getString(6), new TypeReference<List<StateEntry<UnitState>>>() { }),
                            rs.getString(7), rs.getString(8), exitCode, rs.getString(10), rs.getString(11),
                            rs.getString(12), rs.getString(13),
                            parse(rs.getString(14), new TypeReference<List<String>>() { }), rs.getInt(15)));
                }
            }
        }
        return out;
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + o.getClass().getSimpleName(), e);
        }
    }

    static <T> T parse(String text, TypeReference<T> type) {
        try {
            return JSON.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt PilotFlow record: " + e.getOriginalMessage(), e);
        }
    }
}
