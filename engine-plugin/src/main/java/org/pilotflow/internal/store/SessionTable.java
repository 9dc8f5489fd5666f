package org.pilotflow.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code PF_SESSION}, {@code PF_MANAGER}, {@code PF_MANAGER_PILOT} and {@code PF_COUNTER}: sessions, their pilot
 * and unit managers, which pilots each unit manager schedules onto, the counters uids are drawn from and each
 * session's count of stored units.
 */
public final class SessionTable {

    private SessionTable() {
    }

    public record SessionRow(String id, long created, int endpointPort, boolean closed) { }

    /**
     * A pilot or unit manager.
     *
     * @param kind     {@code pilot} or {@code unit}
     * @param policy   the unit manager's scheduling policy name; null for a pilot manager
     * @param rrCursor where ROUND_ROBIN continues
     */
    public record ManagerRow(String sessionId, String uid, String kind, String policy, boolean closed,
                             long rrCursor) { }

    public static void insertSession(Connection c, SessionRow s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PF_SESSION (ID, CREATED, ENDPOINT_PORT, CLOSED) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, s.id());
            ps.setLong(2, s.created());
            ps.setInt(3, s.endpointPort());
            ps.setBoolean(4, s.closed());
            ps.executeUpdate();
        }
        for (String counter : List.of(Counter.PILOT, Counter.UNIT, Counter.MANAGER, Counter.STORED_UNITS)) {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO PF_COUNTER (SESSION_ID, NAME, NEXT_VALUE) VALUES (?, ?, 0)")) {
                ps.setString(1, s.id());
                ps.setString(2, counter);
                ps.executeUpdate();
            }
        }
    }

    public static void closeSession(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_SESSION SET CLOSED = TRUE WHERE ID = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    public static SessionRow session(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT ID, CREATED, ENDPOINT_PORT, CLOSED FROM PF_SESSION WHERE ID = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new SessionRow(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getBoolean(4))
                        : null;
            }
        }
    }

    /** The open sessions, newest first. */
    public static List<SessionRow> openSessions(Connection c) throws SQLException {
        List<SessionRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ID, CREATED, ENDPOINT_PORT, CLOSED FROM PF_SESSION"
                + " WHERE CLOSED = FALSE ORDER BY CREATED DESC");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new SessionRow(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getBoolean(4)));
            }
        }
        return out;
    }

    public static void insertManager(Connection c, ManagerRow m) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_MANAGER (SESSION_ID, UID, KIND, POLICY,"
                + " CLOSED, RR_CURSOR) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, m.sessionId());
            ps.setString(2, m.uid());
            ps.setString(3, m.kind());
            ps.setString(4, m.policy());
            ps.setBoolean(5, m.closed());
            ps.setLong(6, m.rrCursor());
            ps.executeUpdate();
        }
    }

    public static void closeManager(Connection c, String sessionId, String uid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE PF_MANAGER SET CLOSED = TRUE WHERE SESSION_ID = ? AND UID = ?")) {
            ps.setString(1, sessionId);
            ps.setString(2, uid);
            ps.executeUpdate();
        }
    }

    public static void setRoundRobinCursor(Connection c, String sessionId, String uid, long cursor)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE PF_MANAGER SET RR_CURSOR = ? WHERE SESSION_ID = ? AND UID = ?")) {
            ps.setLong(1, cursor);
            ps.setString(2, sessionId);
            ps.setString(3, uid);
            ps.executeUpdate();
        }
    }

    public static List<ManagerRow> managers(Connection c, String sessionId) throws SQLException {
        List<ManagerRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT SESSION_ID, UID, KIND, POLICY, CLOSED, RR_CURSOR"
                + " FROM PF_MANAGER WHERE SESSION_ID = ? ORDER BY UID")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ManagerRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getBoolean(5), rs.getLong(6)));
                }
            }
        }
        return out;
    }

    public static ManagerRow manager(Connection c, String sessionId, String uid) throws SQLException {
        for (ManagerRow m : managers(c, sessionId)) {
            if (m.uid().equals(uid)) {
                return m;
            }
        }
        return null;
    }

    /** Adds the pilot to the unit manager's pilots unless it is there already. */
    public static void addManagerPilot(Connection c, String sessionId, String manager, String pilot, long added)
            throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM PF_MANAGER_PILOT WHERE SESSION_ID = ?"
                + " AND MANAGER = ? AND PILOT = ?")) {
            q.setString(1, sessionId);
            q.setString(2, manager);
            q.setString(3, pilot);
            try (ResultSet rs = q.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_MANAGER_PILOT (SESSION_ID, MANAGER, PILOT,"
                + " ADDED) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, sessionId);
            ps.setString(2, manager);
            ps.setString(3, pilot);
            ps.setLong(4, added);
            ps.executeUpdate();
        }
    }

    public static void removeManagerPilot(Connection c, String sessionId, String manager, String pilot)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PF_MANAGER_PILOT WHERE SESSION_ID = ?"
                + " AND MANAGER = ? AND PILOT = ?")) {
            ps.setString(1, sessionId);
            ps.setString(2, manager);
            ps.setString(3, pilot);
            ps.executeUpdate();
        }
    }

    /** The pilots of a unit manager, in the order they were added. */
    public static List<String> managerPilots(Connection c, String sessionId, String manager) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT PILOT FROM PF_MANAGER_PILOT WHERE SESSION_ID = ?"
                + " AND MANAGER = ? ORDER BY ADDED, PILOT")) {
            ps.setString(1, sessionId);
            ps.setString(2, manager);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The unit managers (of one session) that schedule onto a pilot. */
    public static List<String> managersOf(Connection c, PilotKey pilot) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT MANAGER FROM PF_MANAGER_PILOT WHERE SESSION_ID = ?"
                + " AND PILOT = ? ORDER BY MANAGER")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The names of a session's counters: its uid counters, and the count of its stored units. */
    public static final class Counter {
        public static final String PILOT = "pilot";
        public static final String UNIT = "unit";
        public static final String MANAGER = "manager";
        /**
         * The session's rows in PF_UNIT, counted by the transaction that stores them ({@link #addStoredUnits}), unlike
         * {@link #UNIT}, which numbers are taken from ahead of the insert and which keeps the numbers of transactions
         * that failed. Since 8 (migration 8 counted the rows then).
         */
        public static final String STORED_UNITS = "stored-units";

        private Counter() {
        }
    }

    /**
     * Takes {@code n} consecutive numbers from a session's counter and returns the first. Runs in a transaction of
     * its own (the caller's business), so the counter row is locked only briefly: uids are unique across engine
     * nodes and restarts; numbers of a transaction that later fails are not reused (gaps are harmless).
     */
    public static long take(Connection c, String sessionId, String counter, int n) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_COUNTER SET NEXT_VALUE = NEXT_VALUE + ?"
                + " WHERE SESSION_ID = ? AND NAME = ?")) {
            ps.setInt(1, n);
            ps.setString(2, sessionId);
            ps.setString(3, counter);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("session " + sessionId + " has no '" + counter + "' counter");
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT NEXT_VALUE FROM PF_COUNTER WHERE SESSION_ID = ?"
                + " AND NAME = ?")) {
            ps.setString(1, sessionId);
            ps.setString(2, counter);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) - n;
            }
        }
    }

    /** How many units the session has stored ({@link Counter#STORED_UNITS}; parameter: the session). */
    public static final String STORED_UNITS_OF_SESSION = "SELECT NEXT_VALUE FROM PF_COUNTER WHERE SESSION_ID = ?"
            + " AND NAME = '" + Counter.STORED_UNITS + "'";

    /**
     * Counts {@code n} units the current transaction stored for the session. The counter row is the one row that
     * concurrent submits to a session share: the caller takes it last before its commit, so that it is held briefly
     * and never while the transaction waits for another row. A session without the row (made by a node of a release
     * before schema 8 while this one ran) gets it here, counted from its rows, this transaction's among them; a racing
     * insert fails on the key and its transaction is retried.
     */
    public static void addStoredUnits(Connection c, String sessionId, int n) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_COUNTER SET NEXT_VALUE = NEXT_VALUE + ?"
                + " WHERE SESSION_ID = ? AND NAME = '" + Counter.STORED_UNITS + "'")) {
            ps.setInt(1, n);
            ps.setString(2, sessionId);
            if (ps.executeUpdate() == 1) {
                return;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_COUNTER (SESSION_ID, NAME, NEXT_VALUE)"
                + " VALUES (?, '" + Counter.STORED_UNITS + "', (" + UnitTable.COUNT_OF_SESSION + "))")) {
            ps.setString(1, sessionId);
            ps.setString(2, sessionId);
            ps.executeUpdate();
        }
    }

    /**
     * {@link #STORED_UNITS_OF_SESSION}: how many units the session has stored, without reading them; counted from its
     * rows for a session that has no counter yet (see {@link #addStoredUnits}).
     */
    public static long storedUnits(Connection c, String sessionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(STORED_UNITS_OF_SESSION)) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getLong(1);
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(UnitTable.COUNT_OF_SESSION)) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
