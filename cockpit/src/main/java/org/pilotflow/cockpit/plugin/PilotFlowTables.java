package org.pilotflow.cockpit.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Reads PilotFlow's own tables ({@code PF_SESSION}, {@code PF_PILOT}, {@code PF_UNIT}) for the Cockpit view: read
 * only, bounded (a page of at most {@link Params#MAX_LIMIT} rows), every value a bound parameter. Newest first: the
 * newest session's rows, then by uid (uids are a kind and a zero-padded number, so longer is newer).
 */
final class PilotFlowTables {

    /** Reasons and tails are cut to their last this many characters (a tail's end is what tells). */
    static final int TEXT_CAP = org.pilotflow.delegates.BpmnContract.VAR_TEXT_CHARS;
    private static final ObjectMapper JSON = new ObjectMapper();

    record SessionRow(String id, long created, boolean closed, long pilots, long units) { }

    record PilotRow(String session, String uid, String resource, String state, String reason, String job,
                    String jobPhase, String processInstanceId, boolean instanceRunning) {
        PilotRow running(boolean r) {
            return new PilotRow(session, uid, resource, state, reason, job, jobPhase, processInstanceId, r);
        }
    }

    record UnitRow(String session, String uid, String name, String pilot, String state, Integer exitCode,
                   String reason, String stdoutTail, String stderrTail, String processInstanceId,
                   boolean instanceRunning) {
        UnitRow running(boolean r) {
            return new UnitRow(session, uid, name, pilot, state, exitCode, reason, stdoutTail, stderrTail,
                    processInstanceId, r);
        }
    }

    record Page<T>(long total, int offset, int limit, List<T> items) { }

    /** Filters of a page; null or empty means any. */
    record Filter(String session, List<String> states, String pilot, int limit, int offset) { }

    private final DataSource dataSource;

    PilotFlowTables(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    List<SessionRow> sessions(int limit) throws SQLException {
        String sql = "SELECT s.ID, s.CREATED, s.CLOSED,"
                + " (SELECT COUNT(*) FROM PF_PILOT p WHERE p.SESSION_ID = s.ID),"
                + " (SELECT COUNT(*) FROM PF_UNIT u WHERE u.SESSION_ID = s.ID)"
                + " FROM PF_SESSION s ORDER BY s.CREATED DESC, s.ID DESC LIMIT ?";
        List<SessionRow> out = new ArrayList<>();
        try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new SessionRow(rs.getString(1), rs.getLong(2), rs.getBoolean(3), rs.getLong(4),
                            rs.getLong(5)));
                }
            }
        }
        return out;
    }

    Page<PilotRow> pilots(Filter f) throws SQLException {
        Where w = where("p", f);
        String from = " FROM PF_PILOT p JOIN PF_SESSION s ON s.ID = p.SESSION_ID" + w.sql;
        List<PilotRow> rows = new ArrayList<>();
        long total;
        try (Connection c = connection()) {
            total = count(c, from, w.args);
            try (PreparedStatement ps = c.prepareStatement("SELECT p.SESSION_ID, p.UID, p.DESCRIPTION, p.STATE,"
                    + " p.REASON, p.JOB, p.JOB_PHASE, p.PROC_INST" + from
                    + " ORDER BY s.CREATED DESC, p.SESSION_ID DESC, LENGTH(p.UID) DESC, p.UID DESC LIMIT ? OFFSET ?")) {
                int i = bind(ps, w.args);
                ps.setInt(i++, f.limit());
                ps.setInt(i, f.offset());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new PilotRow(rs.getString(1), rs.getString(2), field(rs.getString(3), "resource"),
                                rs.getString(4), tail(rs.getString(5)), rs.getString(6), rs.getString(7),
                                rs.getString(8), false));
                    }
                }
            }
        }
        return new Page<>(total, f.offset(), f.limit(), rows);
    }

    Page<UnitRow> units(Filter f) throws SQLException {
        Where w = where("u", f);
        String from = " FROM PF_UNIT u JOIN PF_SESSION s ON s.ID = u.SESSION_ID" + w.sql;
        List<UnitRow> rows = new ArrayList<>();
        long total;
        try (Connection c = connection()) {
            total = count(c, from, w.args);
            try (PreparedStatement ps = c.prepareStatement("SELECT u.SESSION_ID, u.UID, u.DESCRIPTION, u.PILOT,"
                    + " u.STATE, u.EXIT_CODE, u.REASON, u.STDOUT_TAIL, u.STDERR_TAIL, u.PROC_INST" + from
                    + " ORDER BY s.CREATED DESC, u.SESSION_ID DESC, LENGTH(u.UID) DESC, u.UID DESC LIMIT ? OFFSET ?")) {
                int i = bind(ps, w.args);
                ps.setInt(i++, f.limit());
                ps.setInt(i, f.offset());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int exit = rs.getInt(6);
                        // right after its read: wasNull() answers for the last column read
                        Integer exitCode = rs.wasNull() ? null : exit;
                        rows.add(new UnitRow(rs.getString(1), rs.getString(2), field(rs.getString(3), "name"),
                                rs.getString(4), rs.getString(5), exitCode, tail(rs.getString(7)),
                                tail(rs.getString(8)), tail(rs.getString(9)), rs.getString(10), false));
                    }
                }
            }
        }
        return new Page<>(total, f.offset(), f.limit(), rows);
    }

    /** Pilots and units by state, for the dashboard. */
    Map<String, Map<String, Long>> summary() throws SQLException {
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        try (Connection c = connection()) {
            out.put("pilots", byState(c, "PF_PILOT"));
            out.put("units", byState(c, "PF_UNIT"));
        }
        return out;
    }

    private static Map<String, Long> byState(Connection c, String table) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        // table is one of two constants above, never input
        try (PreparedStatement ps = c.prepareStatement("SELECT STATE, COUNT(*) FROM " + table
                + " GROUP BY STATE ORDER BY STATE");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    private record Where(String sql, List<String> args) { }

    private static Where where(String alias, Filter f) {
        List<String> clauses = new ArrayList<>();
        List<String> args = new ArrayList<>();
        if (f.session() != null) {
            clauses.add(alias + ".SESSION_ID = ?");
            args.add(f.session());
        }
        if (f.pilot() != null) {
            clauses.add(alias + ".PILOT = ?");
            args.add(f.pilot());
        }
        if (!f.states().isEmpty()) {
            clauses.add(alias + ".STATE IN (" + String.join(", ", Collections.nCopies(f.states().size(), "?")) + ")");
            args.addAll(f.states());
        }
        return new Where(clauses.isEmpty() ? "" : " WHERE " + String.join(" AND ", clauses), args);
    }

    private static long count(Connection c, String from, List<String> args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*)" + from)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Binds args from 1; returns the next index. */
    private static int bind(PreparedStatement ps, List<String> args) throws SQLException {
        int i = 1;
        for (String a : args) {
            ps.setString(i++, a);
        }
        return i;
    }

    private Connection connection() throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setReadOnly(true); // the pool resets it when the connection goes back
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** A text field of a description's JSON, or null (a description this code cannot read shows no field). */
    private static String field(String json, String name) {
        if (json == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(json).get(name);
            return n == null || n.isNull() ? null : n.asText();
        } catch (IOException e) {
            return null;
        }
    }

    static String tail(String s) {
        return s == null || s.length() <= TEXT_CAP ? s : "..." + s.substring(s.length() - TEXT_CAP);
    }
}
