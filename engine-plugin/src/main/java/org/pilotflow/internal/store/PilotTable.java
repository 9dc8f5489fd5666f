package org.pilotflow.internal.store;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.PilotState;

/** {@code PF_PILOT}: one row per pilot. Every update checks the row's revision. */
public final class PilotTable {

    private static final String COLUMNS = "SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY, PROC_INST, JOB,"
            + " JOB_PHASE, SECRET_HASHES, SANDBOX, REASON, REV, NEXT_CMD_SEQ, JOB_RUNNING_SINCE, ENDED_AT,"
            + " LAUNCH_ATTEMPT, ACTIVE_SINCE";
    private static final String SELECT = "SELECT " + COLUMNS + " FROM PF_PILOT";
    private static final TypeReference<List<StateEntry<PilotState>>> HISTORY = new TypeReference<>() { };
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() { };
    private static final String NON_FINAL = Sql.names(nonFinal());

    private PilotTable() {
    }

    static List<PilotState> nonFinal() {
        List<PilotState> out = new ArrayList<>();
        for (PilotState s : PilotState.values()) {
            if (!s.isFinal()) {
                out.add(s);
            }
        }
        return out;
    }

    public static void insert(Connection c, Collection<PilotRecord> pilots) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_PILOT (" + COLUMNS + ") VALUES ("
                + Sql.marks(18) + ")")) {
            for (PilotRecord p : pilots) {
                int i = 1;
                ps.setString(i++, p.sessionId());
                ps.setString(i++, p.uid());
                ps.setString(i++, p.manager());
                ps.setString(i++, Json.write(p.description()));
                i = bindMutable(ps, i, p);
                ps.setInt(i++, 1);
                ps.setLong(i++, p.nextCommandSeq());
                ps.setLong(i++, p.jobRunningSince());
                ps.setLong(i++, p.endedAt());
                ps.setInt(i++, p.launchAttempt());
                ps.setLong(i, p.activeSince());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Writes the rows; each must still have the revision it was read with (else the transaction must retry). */
    public static void update(Connection c, Collection<PilotRecord> pilots) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_PILOT SET STATE = ?, HISTORY = ?, PROC_INST = ?,"
                + " JOB = ?, JOB_PHASE = ?, SECRET_HASHES = ?, SANDBOX = ?, REASON = ?, REV = ?, NEXT_CMD_SEQ = ?,"
                + " JOB_RUNNING_SINCE = ?, ENDED_AT = ?, LAUNCH_ATTEMPT = ?, ACTIVE_SINCE = ?"
                + " WHERE SESSION_ID = ? AND UID = ? AND REV = ?")) {
            List<PilotRecord> order = new ArrayList<>(pilots);
            for (PilotRecord p : order) {
                int i = bindMutable(ps, 1, p);
                ps.setInt(i++, p.rev() + 1);
                ps.setLong(i++, p.nextCommandSeq());
                ps.setLong(i++, p.jobRunningSince());
                ps.setLong(i++, p.endedAt());
                ps.setInt(i++, p.launchAttempt());
                ps.setLong(i++, p.activeSince());
                ps.setString(i++, p.sessionId());
                ps.setString(i++, p.uid());
                ps.setInt(i, p.rev());
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int k = 0; k < counts.length; k++) {
                if (counts[k] == 0) {
                    PilotRecord p = order.get(k);
                    throw new OptimisticLockingException("pilot " + p.key() + " changed concurrently (revision "
                            + p.rev() + " is no longer current)");
                }
            }
        }
    }

    private static int bindMutable(PreparedStatement ps, int i, PilotRecord p) throws SQLException {
        ps.setString(i++, p.state().name());
        ps.setString(i++, Json.write(p.history()));
        ps.setString(i++, p.processInstanceId());
        ps.setString(i++, p.job());
        ps.setString(i++, p.jobPhase().name());
        ps.setString(i++, Json.write(p.secretHashes()));
        ps.setString(i++, p.sandbox());
        ps.setString(i++, p.reason());
        return i;
    }

    public static PilotRecord get(Connection c, PilotKey key) throws SQLException {
        return one(c, SELECT + " WHERE SESSION_ID = ? AND UID = ?", key);
    }

    /** The few fields a sync needs: the state and the last command number (no JSON to read). */
    public record Head(org.pilotflow.model.PilotState state, long nextCommandSeq) { }

    /** The pilot's {@link Head}, or null when there is no such pilot. */
    public static Head head(Connection c, PilotKey key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT STATE, NEXT_CMD_SEQ FROM PF_PILOT WHERE SESSION_ID = ?"
                + " AND UID = ?")) {
            ps.setString(1, key.sessionId());
            ps.setString(2, key.uid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Head(PilotState.valueOf(rs.getString(1)), rs.getLong(2)) : null;
            }
        }
    }

    /** Reads the row and locks it until the transaction ends (the pilot's lock: see the lifecycle package). */
    public static PilotRecord lock(Connection c, PilotKey key) throws SQLException {
        return one(c, SELECT + " WHERE SESSION_ID = ? AND UID = ? FOR UPDATE", key);
    }

    private static PilotRecord one(Connection c, String sql, PilotKey key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key.sessionId());
            ps.setString(2, key.uid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? read(rs) : null;
            }
        }
    }

    public static List<PilotRecord> ofSession(Connection c, String sessionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE SESSION_ID = ? ORDER BY UID")) {
            ps.setString(1, sessionId);
            return all(ps);
        }
    }

    /**
     * The pilots the watchdog looks after, in every open session: the unfinished ones, and final ones whose job
     * is not known to have ended.
     */
    public static List<PilotRecord> watched(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE STATE IN (" + NON_FINAL + ")"
                + " OR JOB_PHASE IN ('SUBMITTING', 'SUBMITTED', 'KILL') ORDER BY SESSION_ID, UID")) {
            return all(ps);
        }
    }

    /** Revision of every pilot of a session, by uid (for refreshing a cache). */
    public static Map<String, Integer> revisions(Connection c, String sessionId) throws SQLException {
        Map<String, Integer> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT UID, REV FROM PF_PILOT WHERE SESSION_ID = ?")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return out;
    }

    /**
     * Unfinished pilots whose process instance no longer exists (deleted from Cockpit, REST or another engine
     * node).
     *
     * @param camundaPrefix the engine's table prefix (usually empty)
     */
    public static List<PilotKey> withoutProcessInstance(Connection c, String camundaPrefix) throws SQLException {
        List<PilotKey> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT p.SESSION_ID, p.UID FROM PF_PILOT p"
                + " WHERE p.STATE IN (" + NON_FINAL + ") AND p.PROC_INST IS NOT NULL AND NOT EXISTS"
                + " (SELECT 1 FROM " + camundaPrefix + "ACT_RU_EXECUTION e WHERE e.ID_ = p.PROC_INST)");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new PilotKey(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    /**
     * Final pilots whose process instance still waits for {@code pilotflow.pilot.ended}: it missed it. Suspended
     * instances are left out: they take no message until an operator activates them.
     */
    public static List<PilotRecord> finalStillAwaited(Connection c, String camundaPrefix) throws SQLException {
        StringBuilder cols = new StringBuilder();
        for (String col : COLUMNS.split(",")) {
            cols.append(cols.length() > 0 ? ", " : "").append("p.").append(col.strip());
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT " + cols + " FROM " + camundaPrefix
                + "ACT_RU_EVENT_SUBSCR s JOIN PF_PILOT p ON p.PROC_INST = s.PROC_INST_ID_ JOIN " + camundaPrefix
                + "ACT_RU_EXECUTION e ON e.ID_ = s.EXECUTION_ID_"
                + " WHERE s.EVENT_NAME_ = 'pilotflow.pilot.ended' AND p.STATE IN ('DONE', 'FAILED', 'CANCELED')"
                + " AND e.SUSPENSION_STATE_ = 1")) {
            return all(ps);
        }
    }

    private static List<PilotRecord> all(PreparedStatement ps) throws SQLException {
        List<PilotRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(read(rs));
            }
        }
        return out;
    }

    private static PilotRecord read(ResultSet rs) throws SQLException {
        String hashes = rs.getString(10);
        return new PilotRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                Json.read(rs.getString(4), new TypeReference<ComputePilotDescription>() { }),
                PilotState.valueOf(rs.getString(5)), Json.read(rs.getString(6), HISTORY), rs.getString(7),
                rs.getString(8), JobPhase.valueOf(rs.getString(9)),
                hashes == null ? List.of() : Json.read(hashes, STRINGS), rs.getString(11), rs.getString(12),
                rs.getInt(13), rs.getLong(14), rs.getLong(15), rs.getLong(16), rs.getInt(17), rs.getLong(18));
    }
}
