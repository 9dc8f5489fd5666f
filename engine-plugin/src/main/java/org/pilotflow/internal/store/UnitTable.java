package org.pilotflow.internal.store;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.memory.MemoryProfile;

/**
 * {@code PF_UNIT}: one row per unit. Every update checks the row's revision. {@code CORES} and {@code GPUS} copy
 * the description's values so the scheduler can sum a pilot's load in SQL.
 */
public final class UnitTable {

    private static final String COLUMNS = "SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY, PILOT, PROC_INST,"
            + " EXIT_CODE, REASON, STDOUT_TAIL, STDERR_TAIL, SANDBOX, SLOTS, ATTEMPT, CANCEL_REQUESTED, ERROR_CODE, MEMORY, OUTPUTS,"
            + " REV";
    private static final String SELECT = "SELECT " + COLUMNS + " FROM PF_UNIT";
    private static final TypeReference<List<StateEntry<UnitState>>> HISTORY = new TypeReference<>() { };
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() { };
    private static final TypeReference<ComputeUnitDescription> DESCRIPTION = new TypeReference<>() { };
    private static final TypeReference<MemoryProfile> MEMORY = new TypeReference<>() { };
    private static final TypeReference<List<StagedFile>> OUTPUTS = new TypeReference<>() { };
    static final String NON_FINAL = Sql.names(nonFinal());
    private static final int IN_LIST = 500;
    /** Pilots per load query: a tuple for each pilot and unfinished state, two parameters each. */
    private static final int LOAD_PILOTS = 50;

    /** The unfinished states, one tuple each in {@link #unfinishedTuples}. */
    private static final List<UnitState> UNFINISHED = List.copyOf(nonFinal());

    /**
     * A pilot's unfinished units as H2 can look them up: {@code (SESSION_ID, PILOT, STATE) IN} a tuple per unfinished
     * state, all of PF_UNIT_PILOT's columns. H2 uses an IN list in an index lookup only when it covers the index's
     * leading columns (a row value: all of them); {@code SESSION_ID = ? AND PILOT = ? AND STATE IN (...)} made it
     * read every unit the pilot ever ran, and scheduling asks for the load of a manager's pilots every time it places
     * units: light-load latency grew with a session's history. Parameters: the session and the pilot, for each tuple
     * ({@link #bindUnfinishedOf}).
     */
    private static String unfinishedTuples(int pilots) {
        StringBuilder b = new StringBuilder("(SESSION_ID, PILOT, STATE) IN (");
        for (int p = 0; p < pilots; p++) {
            for (UnitState s : UNFINISHED) {
                b.append(p == 0 && s == UNFINISHED.get(0) ? "" : ", ")
                        .append("(?, ?, '").append(s.name()).append("')");
            }
        }
        return b.append(')').toString();
    }

    /**
     * Binds the parameters of {@link #UNFINISHED_OF_PILOT}, {@link #UNFINISHED_COUNT_OF_PILOT} and
     * {@link #loadsOf loadsOf(pilots.size())}: the session and a pilot for each tuple, pilot by pilot.
     */
    public static void bindUnfinishedOf(PreparedStatement ps, String sessionId, List<String> pilots)
            throws SQLException {
        int i = 1;
        for (String pilot : pilots) {
            for (int s = 0; s < UNFINISHED.size(); s++) {
                ps.setString(i++, sessionId);
                ps.setString(i++, pilot);
            }
        }
    }

    /** A pilot's unfinished units (parameters: {@link #bindUnfinishedOf}); UnfinishedUnitPlansTest has H2 plan it. */
    public static final String UNFINISHED_OF_PILOT = SELECT + " WHERE " + unfinishedTuples(1);
    /**
     * How many units a session has stored, counted from its rows (parameter: the session): what
     * {@link SessionTable#storedUnits} falls back on for a session without its counter.
     */
    public static final String COUNT_OF_SESSION = "SELECT COUNT(*) FROM PF_UNIT WHERE SESSION_ID = ?";
    /** How many unfinished units a pilot has (parameters: {@link #bindUnfinishedOf}). */
    public static final String UNFINISHED_COUNT_OF_PILOT = "SELECT COUNT(*) FROM PF_UNIT WHERE " + unfinishedTuples(1);
    /** One pilot's load, the common case of {@link #loadsOf}. */
    private static final String LOAD_OF_PILOT = loadSql(1);

    /**
     * The cores and GPUs of the unfinished units of {@code pilots} pilots, a row per pilot that has any (parameters:
     * {@link #bindUnfinishedOf}).
     */
    public static String loadsOf(int pilots) {
        return pilots == 1 ? LOAD_OF_PILOT : loadSql(pilots);
    }

    private static String loadSql(int pilots) {
        return "SELECT PILOT, SUM(CORES), SUM(GPUS) FROM PF_UNIT WHERE " + unfinishedTuples(pilots) + " GROUP BY PILOT";
    }

    private UnitTable() {
    }

    static List<UnitState> nonFinal() {
        List<UnitState> out = new ArrayList<>();
        for (UnitState s : UnitState.values()) {
            if (!s.isFinal()) {
                out.add(s);
            }
        }
        return out;
    }

    public static void insert(Connection c, Collection<UnitRecord> units) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_UNIT (" + COLUMNS + ", CORES, GPUS) VALUES ("
                + Sql.marks(22) + ")")) {
            for (UnitRecord u : units) {
                int i = 1;
                ps.setString(i++, u.sessionId());
                ps.setString(i++, u.uid());
                ps.setString(i++, u.manager());
                ps.setString(i++, Json.write(u.description()));
                i = bindMutable(ps, i, u);
                ps.setInt(i++, 1);
                ps.setInt(i++, u.description().cores());
                ps.setInt(i, u.description().gpus());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Writes the rows; each must still have the revision it was read with (else the transaction must retry). */
    public static void update(Connection c, Collection<UnitRecord> units) throws SQLException {
        // the description never changes after insert: not rewritten
        try (PreparedStatement ps = c.prepareStatement("UPDATE PF_UNIT SET STATE = ?, HISTORY = ?, PILOT = ?,"
                + " PROC_INST = ?, EXIT_CODE = ?, REASON = ?, STDOUT_TAIL = ?, STDERR_TAIL = ?, SANDBOX = ?,"
                + " SLOTS = ?, ATTEMPT = ?, CANCEL_REQUESTED = ?, ERROR_CODE = ?, MEMORY = ?,"
                + " OUTPUTS = ?, REV = ? WHERE SESSION_ID = ? AND UID = ? AND REV = ?")) {
            List<UnitRecord> order = new ArrayList<>(units);
            for (UnitRecord u : order) {
                int i = bindMutable(ps, 1, u);
                ps.setInt(i++, u.rev() + 1);
                ps.setString(i++, u.sessionId());
                ps.setString(i++, u.uid());
                ps.setInt(i, u.rev());
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            for (int k = 0; k < counts.length; k++) {
                if (counts[k] == 0) {
                    UnitRecord u = order.get(k);
                    throw new OptimisticLockingException("unit " + u.key() + " changed concurrently (revision "
                            + u.rev() + " is no longer current)");
                }
            }
        }
    }

    private static int bindMutable(PreparedStatement ps, int i, UnitRecord u) throws SQLException {
        ps.setString(i++, u.state().name());
        ps.setString(i++, Json.write(u.history()));
        ps.setString(i++, u.pilot());
        ps.setString(i++, u.processInstanceId());
        Sql.setNullableInt(ps, i++, u.exitCode());
        ps.setString(i++, u.reason());
        ps.setString(i++, u.stdoutTail());
        ps.setString(i++, u.stderrTail());
        ps.setString(i++, u.sandbox());
        ps.setString(i++, Json.write(u.slots()));
        ps.setInt(i++, u.attempt());
        ps.setString(i++, u.cancelRequested());
        ps.setString(i++, u.errorCode() == null ? null : u.errorCode().name());
        ps.setString(i++, u.memory() == null ? null : Json.write(u.memory()));
        ps.setString(i++, u.outputs().isEmpty() ? null : Json.write(u.outputs())); // most units stage nothing out
        return i;
    }

    public static UnitRecord get(Connection c, UnitKey key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE SESSION_ID = ? AND UID = ?")) {
            ps.setString(1, key.sessionId());
            ps.setString(2, key.uid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? read(rs) : null;
            }
        }
    }

    /** The units with these uids in one session that exist, by uid (a query per 500 uids). */
    public static Map<String, UnitRecord> get(Connection c, String sessionId, Collection<String> uids)
            throws SQLException {
        Map<String, UnitRecord> out = new LinkedHashMap<>();
        for (List<String> part : Sql.chunks(new ArrayList<>(uids), IN_LIST)) {
            try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE SESSION_ID = ? AND UID IN ("
                    + Sql.marks(part.size()) + ")")) {
                ps.setString(1, sessionId);
                for (int i = 0; i < part.size(); i++) {
                    ps.setString(i + 2, part.get(i));
                }
                for (UnitRecord u : all(ps)) {
                    out.put(u.uid(), u);
                }
            }
        }
        return out;
    }

    /** What {@link #forEachOfSession} hands each row to. */
    @FunctionalInterface
    public interface RowConsumer {
        void accept(UnitRecord unit) throws SQLException;
    }

    /**
     * Every unit of a session, one row at a time (fetched in pages, not all held at once: with their memory
     * profiles a large session's rows are gigabytes).
     */
    public static void forEachOfSession(Connection c, String sessionId, RowConsumer consumer) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE SESSION_ID = ? ORDER BY UID")) {
            ps.setString(1, sessionId);
            ps.setFetchSize(200);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    consumer.accept(read(rs));
                }
            }
        }
    }

    public static List<String> uids(Connection c, String sessionId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT UID FROM PF_UNIT WHERE SESSION_ID = ?")) {
            ps.setString(1, sessionId);
            return firstColumn(ps);
        }
    }

    /** The uids of a unit manager's units, in uid order. */
    public static List<String> uidsOf(Connection c, String sessionId, String manager) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT UID FROM PF_UNIT WHERE SESSION_ID = ? AND MANAGER = ?"
                + " ORDER BY UID")) {
            ps.setString(1, sessionId);
            ps.setString(2, manager);
            return firstColumn(ps);
        }
    }

    private static List<String> firstColumn(PreparedStatement ps) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /**
     * The uid and revision of a session's unfinished units (parameters: the session, once for each unfinished state):
     * {@code (STATE, SESSION_ID) IN} a tuple per state, all of PF_UNIT_STATE_SESSION's columns, so that H2 reads the
     * session's unfinished units only (see {@link #unfinishedTuples}); {@code SESSION_ID = ? AND STATE IN (...)} read
     * every session's.
     */
    public static final String UNFINISHED_REVISIONS = "SELECT UID, REV FROM PF_UNIT WHERE (STATE, SESSION_ID) IN ("
            + String.join(", ", UNFINISHED.stream().map(st -> "('" + st.name() + "', ?)").toList()) + ")";

    /** Binds {@link #UNFINISHED_REVISIONS}' parameters. */
    public static void bindUnfinishedRevisions(PreparedStatement ps, String sessionId) throws SQLException {
        for (int i = 1; i <= UNFINISHED.size(); i++) {
            ps.setString(i, sessionId);
        }
    }

    /** Revision of every unfinished unit of a session, by uid (for refreshing a cache). */
    public static Map<String, Integer> unfinishedRevisions(Connection c, String sessionId) throws SQLException {
        Map<String, Integer> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(UNFINISHED_REVISIONS)) {
            bindUnfinishedRevisions(ps, sessionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return out;
    }

    /** Up to {@code limit} unfinished units bound to a pilot. */
    public static List<UnitRecord> unfinishedOf(Connection c, PilotKey pilot, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(UNFINISHED_OF_PILOT + " ORDER BY UID LIMIT " + limit)) {
            bindUnfinishedOf(ps, pilot.sessionId(), List.of(pilot.uid()));
            return all(ps);
        }
    }

    public static int countUnfinishedOf(Connection c, PilotKey pilot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(UNFINISHED_COUNT_OF_PILOT)) {
            bindUnfinishedOf(ps, pilot.sessionId(), List.of(pilot.uid()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Up to {@code limit} units of a manager waiting for a pilot (UNSCHEDULED, unbound), oldest first. */
    public static List<UnitRecord> waiting(Connection c, String sessionId, String manager, int limit)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE SESSION_ID = ? AND MANAGER = ?"
                + " AND STATE = 'UNSCHEDULED' AND PILOT IS NULL ORDER BY UID LIMIT " + limit)) {
            ps.setString(1, sessionId);
            ps.setString(2, manager);
            return all(ps);
        }
    }

    /** The (session, manager) pairs that have units waiting for a pilot. */
    public static List<String[]> managersWithWaitingUnits(Connection c) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT SESSION_ID, MANAGER FROM PF_UNIT"
                + " WHERE STATE = 'UNSCHEDULED' AND PILOT IS NULL");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        return out;
    }

    /** A pilot's load: the cores and GPUs of its unfinished units. */
    public record Load(int cores, int gpus) { }

    /** The load of each of these pilots of one session (pilots without unfinished units are absent). */
    public static Map<String, Load> loads(Connection c, String sessionId, Collection<String> pilots)
            throws SQLException {
        Map<String, Load> out = new HashMap<>();
        for (List<String> part : Sql.chunks(new ArrayList<>(pilots), LOAD_PILOTS)) {
            try (PreparedStatement ps = c.prepareStatement(loadsOf(part.size()))) {
                bindUnfinishedOf(ps, sessionId, part);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), new Load(rs.getInt(2), rs.getInt(3)));
                    }
                }
            }
        }
        return out;
    }

    /** Pilots (of any open session) that are final but still have unfinished units bound to them. */
    public static List<PilotKey> finalPilotsWithUnfinishedUnits(Connection c) throws SQLException {
        List<PilotKey> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT u.SESSION_ID, u.PILOT FROM PF_UNIT u"
                + " JOIN PF_PILOT p ON p.SESSION_ID = u.SESSION_ID AND p.UID = u.PILOT"
                + " WHERE u.STATE IN (" + NON_FINAL + ") AND p.STATE IN ('DONE', 'FAILED', 'CANCELED')");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new PilotKey(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    /**
     * Unfinished units whose process instance no longer exists (deleted from Cockpit, REST or another engine
     * node), at most {@code limit}.
     *
     * @param camundaPrefix the engine's table prefix (usually empty)
     */
    public static List<UnitKey> withoutProcessInstance(Connection c, String camundaPrefix, int limit)
            throws SQLException {
        List<UnitKey> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT u.SESSION_ID, u.UID FROM PF_UNIT u"
                + " WHERE u.STATE IN (" + NON_FINAL + ") AND u.PROC_INST IS NOT NULL AND NOT EXISTS"
                + " (SELECT 1 FROM " + camundaPrefix + "ACT_RU_EXECUTION e WHERE e.ID_ = u.PROC_INST) LIMIT " + limit);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new UnitKey(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    /**
     * Up to {@code limit} units stored without their process started yet (NEW, no process instance), by session and
     * uid: the watchdog's view of starts a node did not get to.
     */
    public static List<UnitKey> storedNotStarted(Connection c, int limit) throws SQLException {
        List<UnitKey> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT SESSION_ID, UID FROM PF_UNIT WHERE STATE = 'NEW'"
                + " AND PROC_INST IS NULL ORDER BY SESSION_ID, UID LIMIT " + limit);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new UnitKey(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    /**
     * Notes that the process of the final unit {@code key} did not take its end message (suspended by an operator,
     * its token moved): the watchdog tells it again ({@link #undelivered}) until it does.
     */
    public static void markUndelivered(Connection c, UnitKey key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO PF_UNIT_UNDELIVERED (SESSION_ID, UID) SELECT ?, ?"
                + " WHERE NOT EXISTS (SELECT 1 FROM PF_UNIT_UNDELIVERED WHERE SESSION_ID = ? AND UID = ?)")) {
            ps.setString(1, key.sessionId());
            ps.setString(2, key.uid());
            ps.setString(3, key.sessionId());
            ps.setString(4, key.uid());
            ps.executeUpdate();
        }
    }

    /** Its process took the end message (or no longer exists). */
    public static void delivered(Connection c, UnitKey key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM PF_UNIT_UNDELIVERED WHERE SESSION_ID = ? AND UID = ?")) {
            ps.setString(1, key.sessionId());
            ps.setString(2, key.uid());
            ps.executeUpdate();
        }
    }

    /** Units marked by {@link #markUndelivered}, at most {@code limit}: a lookup, however many units wait. */
    public static List<UnitRecord> undelivered(Connection c, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + prefixed("u") + " FROM PF_UNIT_UNDELIVERED d"
                + " JOIN PF_UNIT u ON u.SESSION_ID = d.SESSION_ID AND u.UID = d.UID LIMIT " + limit)) {
            return all(ps);
        }
    }

    /**
     * Final units whose process instance still waits for {@code pilotflow.unit.ended}: it missed it (the engine
     * ended the unit while the process could not take the message). At most {@code limit}. Suspended instances
     * are left out: they take no message until an operator activates them. A join over every waiting instance, so
     * the watchdog runs it rarely: {@link #undelivered} finds the usual cases at once; this one also finds a token
     * an operator moved back to "Run on a pilot" after the unit ended.
     *
     * @param camundaPrefix the engine's table prefix (usually empty)
     */
    public static List<UnitRecord> finalStillAwaited(Connection c, String camundaPrefix, int limit)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + prefixed("u") + " FROM " + camundaPrefix
                + "ACT_RU_EVENT_SUBSCR s JOIN PF_UNIT u ON u.PROC_INST = s.PROC_INST_ID_ JOIN " + camundaPrefix
                + "ACT_RU_EXECUTION e ON e.ID_ = s.EXECUTION_ID_"
                + " WHERE s.EVENT_NAME_ = 'pilotflow.unit.ended' AND u.STATE IN ('DONE', 'FAILED', 'CANCELED')"
                + " AND e.SUSPENSION_STATE_ = 1"
                + " LIMIT " + limit)) {
            return all(ps);
        }
    }

    private static String prefixed(String alias) {
        StringBuilder b = new StringBuilder();
        for (String col : COLUMNS.split(",")) {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(alias).append('.').append(col.strip());
        }
        return b.toString();
    }

    private static List<UnitRecord> all(PreparedStatement ps) throws SQLException {
        List<UnitRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(read(rs));
            }
        }
        return out;
    }

    private static UnitRecord read(ResultSet rs) throws SQLException {
        return new UnitRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                Json.read(rs.getString(4), DESCRIPTION), UnitState.valueOf(rs.getString(5)),
                Json.read(rs.getString(6), HISTORY), rs.getString(7), rs.getString(8), Sql.nullableInt(rs, 9),
                rs.getString(10), rs.getString(11), rs.getString(12), rs.getString(13),
                Json.read(rs.getString(14), STRINGS), rs.getInt(15), rs.getString(16),
                rs.getString(17) == null ? null : ErrorCode.parse(rs.getString(17)),
                rs.getString(18) == null ? null : Json.read(rs.getString(18), MEMORY),
                rs.getString(19) == null ? List.of() : Json.read(rs.getString(19), OUTPUTS), rs.getInt(20));
    }
}
