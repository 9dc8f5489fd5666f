package org.pilotflow.internal.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.UnitSpec;
import org.pilotflow.model.wire.Wire;

/**
 * {@code PF_COMMAND}: the commands queued for each pilot's agent, numbered per pilot. Any engine node hands them
 * out; a command stays until the agent acknowledges its number. Numbers are taken from the pilot row
 * ({@code NEXT_CMD_SEQ}) under the pilot's lock, so they commit in order: an agent that acknowledged n never
 * misses a command numbered below n.
 */
public final class CommandTable {

    private CommandTable() {
    }

    /** A command to insert. */
    public record Queued(PilotKey pilot, Command command) { }

    public static void insert(Connection c, Collection<Queued> commands) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_COMMAND (SESSION_ID, PILOT, SEQ, TYPE, UNIT_ID,"
                + " BODY) VALUES (?, ?, ?, ?, ?, ?)")) {
            for (Queued q : commands) {
                Command cmd = q.command();
                ps.setString(1, q.pilot().sessionId());
                ps.setString(2, q.pilot().uid());
                ps.setLong(3, cmd.seq());
                ps.setString(4, cmd.type().name());
                ps.setString(5, cmd.unitId());
                ps.setString(6, cmd.unit() != null ? body(cmd.unit()) : cmd.reason()); // RUN: the spec, else the reason
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The commands above {@code afterSeq}, in order, at most {@code limit}. */
    public static List<Command> after(Connection c, PilotKey pilot, long afterSeq, int limit) throws SQLException {
        List<Command> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT SEQ, TYPE, UNIT_ID, BODY FROM PF_COMMAND"
                + " WHERE SESSION_ID = ? AND PILOT = ? AND SEQ > ? ORDER BY SEQ LIMIT " + limit)) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            ps.setLong(3, afterSeq);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String body = rs.getString(4);
                    Command.Type type = Command.Type.valueOf(rs.getString(2));
                    out.add(type == Command.Type.RUN_UNIT
                            ? new Command(rs.getLong(1), type, spec(body), rs.getString(3), null)
                            : new Command(rs.getLong(1), type, null, rs.getString(3), body));
                }
            }
        }
        return out;
    }

    /** Drops the commands the agent has acknowledged. */
    public static int deleteUpTo(Connection c, PilotKey pilot, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PF_COMMAND WHERE SESSION_ID = ? AND PILOT = ?"
                + " AND SEQ <= ?")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            ps.setLong(3, seq);
            return ps.executeUpdate();
        }
    }

    /** Drops a unit's run command that no agent has acknowledged yet; false when there is none. */
    public static boolean deleteRun(Connection c, PilotKey pilot, String unitId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM PF_COMMAND WHERE SESSION_ID = ? AND PILOT = ?"
                + " AND TYPE = 'RUN_UNIT' AND UNIT_ID = ?")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            ps.setString(3, unitId);
            return ps.executeUpdate() > 0;
        }
    }

    /** Whether a cancel of this unit waits for its agent (queued, not acknowledged yet). */
    public static boolean cancelPending(Connection c, PilotKey pilot, String unitId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM PF_COMMAND WHERE SESSION_ID = ? AND PILOT = ?"
                + " AND TYPE = 'CANCEL_UNIT' AND UNIT_ID = ?")) {
            ps.setString(1, pilot.sessionId());
            ps.setString(2, pilot.uid());
            ps.setString(3, unitId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Drops every command of a pilot whose agent is gone for good. */
    public static void deleteAll(Connection c, PilotKey pilot) throws SQLException {
        deleteUpTo(c, pilot, Long.MAX_VALUE);
    }

    static String body(UnitSpec spec) {
        try {
            return Wire.mapper().writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise the spec of unit " + spec.unitId(), e);
        }
    }

    private static UnitSpec spec(String body) {
        try {
            return Wire.mapper().readValue(body, UnitSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt command body: " + e.getOriginalMessage(), e);
        }
    }
}
