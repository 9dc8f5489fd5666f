package org.pilotflow.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code PF_NODE} (the engine nodes and where their agent endpoints are) and {@code PF_LEASE} (who runs the
 * once-per-cluster periodic work). All times are the database's clock (ms).
 */
public final class NodeTable {

    private NodeTable() {
    }

    public record NodeRow(String id, String endpoint, long started, long lastSeen) { }

    public static void register(Connection c, String id, String endpoint, long now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PF_NODE (ID, ENDPOINT, STARTED, LAST_SEEN) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, endpoint);
            ps.setLong(3, now);
            ps.setLong(4, now);
            ps.executeUpdate();
        }
    }

    /** Stamps the node as alive; false when its row is gone (another node forgot it after a long silence). */
    public static boolean seen(Connection c, String id, long now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_NODE SET LAST_SEEN = ? WHERE ID = ?")) {
            ps.setLong(1, now);
            ps.setString(2, id);
            return ps.executeUpdate() == 1;
        }
    }

    public static void remove(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PF_NODE WHERE ID = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }

    /** Nodes seen since {@code since}, oldest first. */
    public static List<NodeRow> seenSince(Connection c, long since) throws SQLException {
        List<NodeRow> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ID, ENDPOINT, STARTED, LAST_SEEN FROM PF_NODE"
                + " WHERE LAST_SEEN >= ? ORDER BY STARTED, ID")) {
            ps.setLong(1, since);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new NodeRow(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)));
                }
            }
        }
        return out;
    }

    /** Removes nodes not seen since {@code before} (they died without saying goodbye). */
    public static int forgetSilent(Connection c, long before) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PF_NODE WHERE LAST_SEEN < ?")) {
            ps.setLong(1, before);
            return ps.executeUpdate();
        }
    }

    /**
     * Takes or renews the lease {@code name} for {@code owner} until {@code now + ttl}: succeeds when the owner
     * holds it already or it has expired.
     *
     * @return when the owner's current tenure began (database clock), or -1 when another node holds the lease
     */
    public static long acquire(Connection c, String name, String owner, long now, long ttl) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_LEASE SET SINCE = CASE WHEN OWNER = ? AND EXPIRES >= ?"
                + " THEN SINCE ELSE ? END, OWNER = ?, EXPIRES = ? WHERE NAME = ? AND (OWNER = ? OR EXPIRES < ?)")) {
            ps.setString(1, owner);
            ps.setLong(2, now);
            ps.setLong(3, now);
            ps.setString(4, owner);
            ps.setLong(5, now + ttl);
            ps.setString(6, name);
            ps.setString(7, owner);
            ps.setLong(8, now);
            if (ps.executeUpdate() == 0) {
                if (leaseOwner(c, name) != null) {
                    return -1;
                }
                try (PreparedStatement ins = c.prepareStatement(
                        "INSERT INTO PF_LEASE (NAME, OWNER, EXPIRES, SINCE) VALUES (?, ?, ?, ?)")) {
                    ins.setString(1, name);
                    ins.setString(2, owner);
                    ins.setLong(3, now + ttl);
                    ins.setLong(4, now);
                    ins.executeUpdate(); // a node racing us here makes this fail; the caller's retry then sees its row
                }
                return now;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT SINCE FROM PF_LEASE WHERE NAME = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Gives the lease up at once (a node that stops lets the next one take over without waiting). */
    public static void release(Connection c, String name, String owner) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_LEASE SET EXPIRES = 0 WHERE NAME = ? AND OWNER = ?")) {
            ps.setString(1, name);
            ps.setString(2, owner);
            ps.executeUpdate();
        }
    }

    /** The lease's holder, or null when there is no such lease. */
    public static String leaseOwner(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT OWNER FROM PF_LEASE WHERE NAME = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
