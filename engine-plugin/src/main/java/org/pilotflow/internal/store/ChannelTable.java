package org.pilotflow.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The channel's state per pilot, in two tables so that neither waits for the other:
 * {@code PF_REPORT_CURSOR} (the last report applied; locked by the transaction that applies the next ones, which
 * makes "exactly once" hold across engine nodes) and {@code PF_CONTACT} (when some engine node last heard the
 * agent, database clock; written in batches by each node's contact recorder, read by the watchdog).
 */
public final class ChannelTable {

    private ChannelTable() {
    }

    /** Creates the channel rows of a new pilot. */
    public static void insert(Connection c, Collection<PilotKey> pilots, long now) throws SQLException {
        try (PreparedStatement cur = c.prepareStatement(
                "INSERT INTO PF_REPORT_CURSOR (SESSION_ID, PILOT, LAST_SEQ) VALUES (?, ?, 0)");
             PreparedStatement con = c.prepareStatement(
                     "INSERT INTO PF_CONTACT (SESSION_ID, PILOT, LAST_CONTACT, NODE) VALUES (?, ?, ?, NULL)")) {
            for (PilotKey p : pilots) {
                cur.setString(1, p.sessionId());
                cur.setString(2, p.uid());
                cur.addBatch();
                con.setString(1, p.sessionId());
                con.setString(2, p.uid());
                con.setLong(3, now);
                con.addBatch();
            }
            cur.executeBatch();
            con.executeBatch();
        }
    }

    /** The last report number applied, read and locked until the transaction ends. */
    public static long lockCursor(Connection c, PilotKey pilot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT LAST_SEQ FROM PF_REPORT_CURSOR WHERE SESSION_ID = ?"
                + " AND PILOT = ? FOR UPDATE")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("pilot " + pilot + " has no report cursor");
                }
                return rs.getLong(1);
            }
        }
    }

    public static long cursor(Connection c, PilotKey pilot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT LAST_SEQ FROM PF_REPORT_CURSOR WHERE SESSION_ID = ?"
                + " AND PILOT = ?")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    public static void setCursor(Connection c, PilotKey pilot, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_REPORT_CURSOR SET LAST_SEQ = ? WHERE SESSION_ID = ?"
                + " AND PILOT = ?")) {
            ps.setLong(1, seq);
            ps.setString(2, pilot.sessionId());
            ps.setString(3, pilot.uid());
            ps.executeUpdate();
        }
    }

    /** Records that {@code node} heard these pilots' agents at {@code now} (never moves a stamp backwards). */
    public static void stampContacts(Connection c, Collection<PilotKey> pilots, long now, String node)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_CONTACT SET LAST_CONTACT = ?, NODE = ?"
                + " WHERE SESSION_ID = ? AND PILOT = ? AND LAST_CONTACT < ?")) {
            for (PilotKey p : pilots) {
                ps.setLong(1, now);
                ps.setString(2, node);
                ps.setString(3, p.sessionId());
                ps.setString(4, p.uid());
                ps.setLong(5, now);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Last contact (database clock, ms) of every pilot that is waiting for its agent or running. */
    public static Map<PilotKey, Long> contactsOfLivePilots(Connection c) throws SQLException {
        Map<PilotKey, Long> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT c.SESSION_ID, c.PILOT, c.LAST_CONTACT FROM PF_CONTACT c"
                + " JOIN PF_PILOT p ON p.SESSION_ID = c.SESSION_ID AND p.UID = c.PILOT"
                + " WHERE p.STATE IN ('PENDING_ACTIVE', 'ACTIVE')");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(new PilotKey(rs.getString(1), rs.getString(2)), rs.getLong(3));
            }
        }
        return out;
    }

    /** Last contact (database clock, ms) with one pilot's agent; 0 when there is no row. */
    public static long contact(Connection c, PilotKey pilot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT LAST_CONTACT FROM PF_CONTACT WHERE SESSION_ID = ?"
                + " AND PILOT = ?")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** Drops the contact row of a pilot whose agent is gone for good (final, its job ended). */
    public static void forgetContact(Connection c, PilotKey pilot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PF_CONTACT WHERE SESSION_ID = ? AND PILOT = ?")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            ps.executeUpdate();
        }
    }

    /** Whether any node has recorded hearing the pilot's agent (recorded every half heartbeat interval). */
    public static boolean heard(Connection c, PilotKey pilot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT NODE FROM PF_CONTACT WHERE SESSION_ID = ?"
                + " AND PILOT = ?")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) != null;
            }
        }
    }

    /** The node that last heard each of a session's pilots (for tests and operators). */
    public static Map<String, String> contactNodes(Connection c, String sessionId) throws SQLException {
        Map<String, String> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT PILOT, NODE FROM PF_CONTACT WHERE SESSION_ID = ?")) {
            ps.setString(1, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    static List<PilotKey> keys(Collection<PilotRecord> pilots) {
        List<PilotKey> out = new ArrayList<>();
        pilots.forEach(p -> out.add(p.key()));
        return out;
    }
}
