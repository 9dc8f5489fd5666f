package org.pilotflow.internal.store;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.model.wire.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PilotFlow's tables and their numbered migrations. {@code PF_SCHEMA} records each migration applied; an engine
 * node that starts applies the missing ones in order, one transaction each, while holding the schema lock (the row
 * {@code VERSION = 0}, so two nodes starting together on PostgreSQL do not both migrate; H2 commits DDL at once,
 * so there a JVM-wide lock stands in, which suffices for a database only one JVM opens).
 *
 * <p>Migration 1 is the schema the first releases created without a version table ({@code PF_SESSION},
 * {@code PF_MANAGER}, {@code PF_PILOT}, {@code PF_UNIT}); a database that has those tables and no
 * {@code PF_SCHEMA} is at version 1. Migration 2 makes the database the truth for a cluster of engine nodes; 3 keeps
 * on a unit's row a requested cancel, its memory profile and its error code; 4 lists the final units whose process
 * did not take their end message, so the watchdog tells them again without scanning every waiting instance; 5 adds
 * Pilot-Data; 6 keeps on a unit's row the files its output staging put in place, with their sizes and checksums;
 * 7 gives two of Camunda's lookups on H2 an index that fits them ({@link #v7}); 8 lets a node learn what others changed
 * in a session without reading the session's history or other sessions' units ({@link #v8}).
 */
public final class Schema {

    private static final Logger LOG = LoggerFactory.getLogger(Schema.class);
    private static final Object JVM_LOCK = new Object();

    /** The newest schema version this code writes. */
    public static final int CURRENT = 8;
    /**
     * Command numbers of pilots that were running when their database was migrated to version 2 start above this:
     * the first releases kept the numbering in memory, so a running agent may have seen any number below it.
     */
    static final long LEGACY_COMMAND_BASE = 1_000_000L;

    private static final String TEXT = Sql.TEXT;

    private interface Step {
        void run(Connection c) throws SQLException;
    }

    private record Migration(int version, String description, Step step) { }

    private static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "sessions, managers, pilots and units", Schema::v1),
            new Migration(2, "the database is the truth: revisions, commands, report cursors, contacts, counters,"
                    + " nodes, leases", Schema::v2),
            new Migration(3, "units: a requested cancel, the memory profile, the error code", Schema::v3),
            new Migration(4, "units whose process did not take their end message", Schema::v4),
            new Migration(5, "Pilot-Data: pilot-data, data units, replicas", Schema::v5),
            new Migration(6, "units: the files their output staging put in place", Schema::v6),
            new Migration(7, "H2: Camunda's variables and event subscriptions indexed by execution", Schema::v7),
            new Migration(8, "sessions: a count of their stored units; units: unfinished ones indexed by session",
                    Schema::v8));

    private Schema() {
    }

    /**
     * Brings the database to {@link #CURRENT}.
     *
     * @return the version the database had before
     */
    public static int migrate(DataSource dataSource) throws SQLException {
        synchronized (JVM_LOCK) {
            try (Connection c = dataSource.getConnection()) {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    return migrate(c);
                } finally {
                    c.setAutoCommit(autoCommit);
                }
            }
        }
    }

    private static int migrate(Connection c) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS PF_SCHEMA (VERSION INT NOT NULL PRIMARY KEY,"
                        + " DESCRIPTION VARCHAR(400) NOT NULL, APPLIED_AT BIGINT NOT NULL)");
                c.commit();
                break;
            } catch (SQLException raced) { // PostgreSQL: two nodes creating it at once, one gets a duplicate key
                c.rollback();
                if (attempt >= 5) {
                    throw raced;
                }
            }
        }
        try {
            record(c, 0, "schema lock");
            c.commit();
        } catch (SQLException raced) { // another node inserted it first
            c.rollback();
        }
        int before = lockAndReadVersion(c);
        if (before == 0 && Sql.tableExists(c, "PF_PILOT")) {
            record(c, 1, MIGRATIONS.get(0).description() + " (found, written before versioned migrations)");
            c.commit();
            before = lockAndReadVersion(c);
        }
        if (before > CURRENT) {
            c.rollback();
            throw new SQLException("the PilotFlow tables are at schema version " + before + ", newer than this "
                    + "PilotFlow (" + CURRENT + "); upgrade PilotFlow on every engine node");
        }
        int version = before;
        for (Migration m : MIGRATIONS) {
            if (m.version() <= version) {
                continue;
            }
            long t0 = System.nanoTime();
            m.step().run(c);
            record(c, m.version(), m.description());
            c.commit();
            LOG.info("PilotFlow schema migrated to version {} ({}) in {} ms", m.version(), m.description(),
                    (System.nanoTime() - t0) / 1_000_000);
            // the commit let the lock go: another node may have migrated further meanwhile
            version = lockAndReadVersion(c);
        }
        c.commit();
        return before;
    }

    /** The version of the PilotFlow tables, read without changing anything; 0 when the database has none. */
    public static int readVersion(Connection c) throws SQLException {
        if (!Sql.tableExists(c, "PF_SCHEMA")) {
            return 0;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT MAX(VERSION) FROM PF_SCHEMA");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int lockAndReadVersion(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT VERSION FROM PF_SCHEMA WHERE VERSION = 0 FOR UPDATE");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT MAX(VERSION) FROM PF_SCHEMA");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void record(Connection c, int version, String description) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO PF_SCHEMA (VERSION, DESCRIPTION, APPLIED_AT) VALUES (?, ?, ?)")) {
            ps.setInt(1, version);
            ps.setString(2, description);
            ps.setLong(3, System.currentTimeMillis());
            ps.executeUpdate();
        }
    }

    /** The applied versions (for tests and operators). */
    public static List<Integer> appliedVersions(Connection c) throws SQLException {
        List<Integer> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT VERSION FROM PF_SCHEMA WHERE VERSION > 0 ORDER BY VERSION");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getInt(1));
            }
        }
        return out;
    }

    private static void execute(Connection c, String... ddl) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : ddl) {
                st.execute(s);
            }
        }
    }

    // ---------------------------------------------------------------- 1: the first releases' tables

    private static void v1(Connection c) throws SQLException {
        execute(c,
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
                        + " SLOTS " + TEXT + ", ATTEMPT INT NOT NULL, PRIMARY KEY (SESSION_ID, UID))");
    }

    // ---------------------------------------------------------------- 4: end messages to tell again

    private static void v4(Connection c) throws SQLException {
        execute(c, "CREATE TABLE IF NOT EXISTS PF_UNIT_UNDELIVERED (SESSION_ID VARCHAR(100) NOT NULL,"
                + " UID VARCHAR(100) NOT NULL, PRIMARY KEY (SESSION_ID, UID))");
    }

    // ---------------------------------------------------------------- 3: what a unit's end tells

    private static void v3(Connection c) throws SQLException {
        // a requested cancel outlives its CANCEL_UNIT command, which goes when the pilot ends: without it a
        // restartable unit would run again
        execute(c, "ALTER TABLE PF_UNIT ADD COLUMN IF NOT EXISTS CANCEL_REQUESTED " + TEXT,
                "ALTER TABLE PF_UNIT ADD COLUMN IF NOT EXISTS MEMORY " + TEXT,
                "ALTER TABLE PF_UNIT ADD COLUMN IF NOT EXISTS ERROR_CODE VARCHAR(40)");
    }

    // ---------------------------------------------------------------- 5: Pilot-Data (DataTable)

    private static void v5(Connection c) throws SQLException {
        execute(c,
                "CREATE TABLE IF NOT EXISTS PF_PILOT_DATA (SESSION_ID VARCHAR(100) NOT NULL, UID VARCHAR(100) NOT NULL,"
                        + " DESCRIPTION " + TEXT + " NOT NULL, RESOURCE VARCHAR(200) NOT NULL, PATH VARCHAR(4000) NOT NULL,"
                        + " CREATED BIGINT NOT NULL, PRIMARY KEY (SESSION_ID, UID))",
                "CREATE TABLE IF NOT EXISTS PF_DATA_UNIT (SESSION_ID VARCHAR(100) NOT NULL, UID VARCHAR(100) NOT NULL,"
                        + " DESCRIPTION " + TEXT + " NOT NULL, STATE VARCHAR(20) NOT NULL, REASON " + TEXT + ","
                        + " FILES " + TEXT + " NOT NULL, CREATED BIGINT NOT NULL, PRIMARY KEY (SESSION_ID, UID))",
                "CREATE TABLE IF NOT EXISTS PF_DATA_REPLICA (SESSION_ID VARCHAR(100) NOT NULL,"
                        + " DATA_UNIT VARCHAR(100) NOT NULL, PILOT_DATA VARCHAR(100) NOT NULL, BYTES BIGINT NOT NULL,"
                        + " ADDED BIGINT NOT NULL, PRIMARY KEY (SESSION_ID, DATA_UNIT, PILOT_DATA))");
    }

    private static void v6(Connection c) throws SQLException {
        execute(c, "ALTER TABLE PF_UNIT ADD COLUMN IF NOT EXISTS OUTPUTS " + TEXT);
    }

    /**
     * Camunda's H2 schema has no index that fits two lookups it makes for every unit, and H2 (without statistics,
     * which it gathers late or never on a busy database) picks one that scans a row of every waiting unit: loading an
     * instance's variables ({@code EXECUTION_ID_ = ? AND TASK_ID_ IS NULL}: the task index, all rows being null) and
     * the message correlation's {@code EXISTS} on the event subscriptions ({@code EVENT_NAME_ = ?}: every waiting unit
     * has one named {@code pilotflow.unit.ended}). So the cost of a unit grew with the units in flight. With these
     * indexes both are lookups by execution. PostgreSQL plans them from statistics and has an index on each
     * {@code EXECUTION_ID_}: nothing to do there.
     */
    private static void v7(Connection c) throws SQLException {
        if (!c.getMetaData().getDatabaseProductName().startsWith("H2")) {
            return;
        }
        if (Sql.tableExists(c, "ACT_RU_VARIABLE")) {
            execute(c, "CREATE INDEX IF NOT EXISTS PF_IDX_ACT_VAR_EXE_TASK ON ACT_RU_VARIABLE (EXECUTION_ID_, TASK_ID_)");
        }
        if (Sql.tableExists(c, "ACT_RU_EVENT_SUBSCR")) {
            execute(c, "CREATE INDEX IF NOT EXISTS PF_IDX_ACT_EVT_EXE_TYPE_NAME ON ACT_RU_EVENT_SUBSCR (EXECUTION_ID_,"
                    + " EVENT_TYPE_, EVENT_NAME_)");
        }
    }

    /**
     * What a node reads each second, per open session, while other nodes are alive, to learn what they changed:
     * the session's unfinished units, and whether it has units the node has not seen. The first read every session's
     * unfinished units (PF_UNIT_STATE had the state only), the second counted the session's rows, its whole history
     * (H2: 23,021 rows read for a session of 23,020 units). Now PF_UNIT_STATE_SESSION, in place of PF_UNIT_STATE (its
     * leading column, so lookups by state alone still use it), finds a session's unfinished units, and the
     * {@code stored-units} counter, counted by each transaction that stores units, says how many there are.
     */
    private static void v8(Connection c) throws SQLException {
        execute(c,
                "DROP INDEX IF EXISTS PF_UNIT_STATE",
                "CREATE INDEX IF NOT EXISTS PF_UNIT_STATE_SESSION ON PF_UNIT (STATE, SESSION_ID)",
                // the name as it was then (SessionTable.Counter.STORED_UNITS today)
                "INSERT INTO PF_COUNTER (SESSION_ID, NAME, NEXT_VALUE) SELECT s.ID, 'stored-units',"
                        + " (SELECT COUNT(*) FROM PF_UNIT u WHERE u.SESSION_ID = s.ID) FROM PF_SESSION s"
                        + " WHERE NOT EXISTS (SELECT 1 FROM PF_COUNTER k WHERE k.SESSION_ID = s.ID"
                        + " AND k.NAME = 'stored-units')");
    }

    // ---------------------------------------------------------------- 2: the database is the truth

    private static void v2(Connection c) throws SQLException {
        execute(c,
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS REV INT DEFAULT 1 NOT NULL",
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS NEXT_CMD_SEQ BIGINT DEFAULT 0 NOT NULL",
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS JOB_PHASE VARCHAR(20) DEFAULT 'NONE' NOT NULL",
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS SECRET_HASHES VARCHAR(4000)",
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS JOB_RUNNING_SINCE BIGINT DEFAULT 0 NOT NULL",
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS ENDED_AT BIGINT DEFAULT 0 NOT NULL",
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS LAUNCH_ATTEMPT INT DEFAULT 0 NOT NULL",
                "ALTER TABLE PF_PILOT ADD COLUMN IF NOT EXISTS ACTIVE_SINCE BIGINT DEFAULT 0 NOT NULL",
                "ALTER TABLE PF_UNIT ADD COLUMN IF NOT EXISTS REV INT DEFAULT 1 NOT NULL",
                "ALTER TABLE PF_UNIT ADD COLUMN IF NOT EXISTS CORES INT DEFAULT 1 NOT NULL",
                "ALTER TABLE PF_UNIT ADD COLUMN IF NOT EXISTS GPUS INT DEFAULT 0 NOT NULL",
                "ALTER TABLE PF_MANAGER ADD COLUMN IF NOT EXISTS RR_CURSOR BIGINT DEFAULT 0 NOT NULL",
                "CREATE TABLE IF NOT EXISTS PF_MANAGER_PILOT (SESSION_ID VARCHAR(100) NOT NULL,"
                        + " MANAGER VARCHAR(100) NOT NULL, PILOT VARCHAR(100) NOT NULL, ADDED BIGINT NOT NULL,"
                        + " PRIMARY KEY (SESSION_ID, MANAGER, PILOT))",
                "CREATE TABLE IF NOT EXISTS PF_COUNTER (SESSION_ID VARCHAR(100) NOT NULL, NAME VARCHAR(20) NOT NULL,"
                        + " NEXT_VALUE BIGINT NOT NULL, PRIMARY KEY (SESSION_ID, NAME))",
                "CREATE TABLE IF NOT EXISTS PF_COMMAND (SESSION_ID VARCHAR(100) NOT NULL, PILOT VARCHAR(100) NOT NULL,"
                        + " SEQ BIGINT NOT NULL, TYPE VARCHAR(20) NOT NULL, UNIT_ID VARCHAR(100), BODY " + TEXT + ","
                        + " PRIMARY KEY (SESSION_ID, PILOT, SEQ))",
                "CREATE TABLE IF NOT EXISTS PF_REPORT_CURSOR (SESSION_ID VARCHAR(100) NOT NULL,"
                        + " PILOT VARCHAR(100) NOT NULL, LAST_SEQ BIGINT NOT NULL, PRIMARY KEY (SESSION_ID, PILOT))",
                "CREATE TABLE IF NOT EXISTS PF_CONTACT (SESSION_ID VARCHAR(100) NOT NULL, PILOT VARCHAR(100) NOT NULL,"
                        + " LAST_CONTACT BIGINT NOT NULL, NODE VARCHAR(100), PRIMARY KEY (SESSION_ID, PILOT))",
                "CREATE TABLE IF NOT EXISTS PF_NODE (ID VARCHAR(100) NOT NULL PRIMARY KEY, ENDPOINT VARCHAR(500),"
                        + " STARTED BIGINT NOT NULL, LAST_SEEN BIGINT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS PF_LEASE (NAME VARCHAR(50) NOT NULL PRIMARY KEY, OWNER VARCHAR(100),"
                        + " EXPIRES BIGINT NOT NULL, SINCE BIGINT NOT NULL)",
                "CREATE INDEX IF NOT EXISTS PF_UNIT_PILOT ON PF_UNIT (SESSION_ID, PILOT, STATE)",
                "CREATE INDEX IF NOT EXISTS PF_UNIT_STATE ON PF_UNIT (STATE)",
                "CREATE INDEX IF NOT EXISTS PF_UNIT_MANAGER ON PF_UNIT (SESSION_ID, MANAGER, STATE)",
                "CREATE INDEX IF NOT EXISTS PF_PILOT_STATE ON PF_PILOT (STATE)",
                "CREATE INDEX IF NOT EXISTS PF_UNIT_PROC_INST ON PF_UNIT (PROC_INST)",
                "CREATE INDEX IF NOT EXISTS PF_PILOT_PROC_INST ON PF_PILOT (PROC_INST)");
        v3(c); // the rows below are read through today's UnitTable, which selects the columns migrations 3 and 6 add
        v6(c);
        migratePilotRows(c);
        migrateUnitRows(c);
        migrateManagerRows(c);
        startCounters(c);
        execute(c,
                "ALTER TABLE PF_PILOT DROP COLUMN LAST_SEQ",
                "ALTER TABLE PF_PILOT DROP COLUMN SECRET_HASH",
                "ALTER TABLE PF_MANAGER DROP COLUMN PILOTS");
    }

    /** Report cursors and contacts from the old columns; command numbering above the old in-memory one. */
    private static void migratePilotRows(Connection c) throws SQLException {
        long now = Sql.dbNow(c);
        record Old(PilotKey key, String state, String job, String secretHash, long lastSeq) { }
        List<Old> old = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT SESSION_ID, UID, STATE, JOB, SECRET_HASH, LAST_SEQ"
                + " FROM PF_PILOT");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                old.add(new Old(new PilotKey(rs.getString(1), rs.getString(2)), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getLong(6)));
            }
        }
        List<CommandTable.Queued> commands = new ArrayList<>();
        try (PreparedStatement upd = c.prepareStatement("UPDATE PF_PILOT SET JOB_PHASE = ?, SECRET_HASHES = ?,"
                + " NEXT_CMD_SEQ = ? WHERE SESSION_ID = ? AND UID = ?");
             PreparedStatement cur = c.prepareStatement(
                     "INSERT INTO PF_REPORT_CURSOR (SESSION_ID, PILOT, LAST_SEQ) VALUES (?, ?, ?)")) {
            for (Old p : old) {
                boolean live = !List.of("DONE", "FAILED", "CANCELED").contains(p.state());
                JobPhase phase = !live ? JobPhase.ENDED : p.job() != null ? JobPhase.SUBMITTED : JobPhase.NONE;
                long seq = live ? LEGACY_COMMAND_BASE : 0;
                if (live && "CANCELING".equals(p.state())) {
                    commands.add(new CommandTable.Queued(p.key(), Command.cancelPilot(++seq)));
                }
                if (live) {
                    for (UnitRecord u : UnitTable.unfinishedOf(c, p.key(), Integer.MAX_VALUE)) {
                        if (u.state() == org.pilotflow.model.UnitState.PENDING_INPUT_STAGING) {
                            commands.add(new CommandTable.Queued(p.key(), Command.run(++seq, UnitSpecs.of(u))));
                        }
                    }
                }
                upd.setString(1, phase.name());
                upd.setString(2, Json.write(p.secretHash() == null ? List.of() : List.of(p.secretHash())));
                upd.setLong(3, seq);
                upd.setString(4, p.key().sessionId());
                upd.setString(5, p.key().uid());
                upd.addBatch();
                cur.setString(1, p.key().sessionId());
                cur.setString(2, p.key().uid());
                cur.setLong(3, p.lastSeq());
                cur.addBatch();
            }
            upd.executeBatch();
            cur.executeBatch();
        }
        try (PreparedStatement con = c.prepareStatement(
                "INSERT INTO PF_CONTACT (SESSION_ID, PILOT, LAST_CONTACT, NODE) VALUES (?, ?, ?, NULL)")) {
            for (Old p : old) {
                con.setString(1, p.key().sessionId());
                con.setString(2, p.key().uid());
                con.setLong(3, now);
                con.addBatch();
            }
            con.executeBatch();
        }
        if (!commands.isEmpty()) {
            CommandTable.insert(c, commands);
        }
    }

    private static void migrateUnitRows(Connection c) throws SQLException {
        TypeReference<ComputeUnitDescription> type = new TypeReference<>() { };
        try (PreparedStatement ps = c.prepareStatement("SELECT SESSION_ID, UID, DESCRIPTION FROM PF_UNIT");
             ResultSet rs = ps.executeQuery();
             PreparedStatement upd = c.prepareStatement(
                     "UPDATE PF_UNIT SET CORES = ?, GPUS = ? WHERE SESSION_ID = ? AND UID = ?")) {
            int n = 0;
            while (rs.next()) {
                ComputeUnitDescription d = Json.read(rs.getString(3), type);
                upd.setInt(1, d.cores());
                upd.setInt(2, d.gpus());
                upd.setString(3, rs.getString(1));
                upd.setString(4, rs.getString(2));
                upd.addBatch();
                if (++n % 1000 == 0) {
                    upd.executeBatch();
                }
            }
            upd.executeBatch();
        }
    }

    private static void migrateManagerRows(Connection c) throws SQLException {
        TypeReference<List<String>> strings = new TypeReference<>() { };
        try (PreparedStatement ps = c.prepareStatement("SELECT SESSION_ID, UID, PILOTS FROM PF_MANAGER"
                + " WHERE PILOTS IS NOT NULL");
             ResultSet rs = ps.executeQuery();
             PreparedStatement ins = c.prepareStatement(
                     "INSERT INTO PF_MANAGER_PILOT (SESSION_ID, MANAGER, PILOT, ADDED) VALUES (?, ?, ?, ?)")) {
            while (rs.next()) {
                List<String> pilots = Json.read(rs.getString(3), strings);
                for (int i = 0; i < pilots.size(); i++) {
                    ins.setString(1, rs.getString(1));
                    ins.setString(2, rs.getString(2));
                    ins.setString(3, pilots.get(i));
                    ins.setLong(4, i);
                    ins.addBatch();
                }
            }
            ins.executeBatch();
        }
    }

    /** Each session's counters continue after the highest uid of each kind (uids end in a number). */
    private static void startCounters(Connection c) throws SQLException {
        Map<String, Map<String, Long>> next = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ID FROM PF_SESSION");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Map<String, Long> m = new HashMap<>();
                m.put(SessionTable.Counter.PILOT, 0L);
                m.put(SessionTable.Counter.UNIT, 0L);
                m.put(SessionTable.Counter.MANAGER, 0L);
                next.put(rs.getString(1), m);
            }
        }
        scanUids(c, "SELECT SESSION_ID, UID FROM PF_PILOT", SessionTable.Counter.PILOT, next);
        scanUids(c, "SELECT SESSION_ID, UID FROM PF_UNIT", SessionTable.Counter.UNIT, next);
        scanUids(c, "SELECT SESSION_ID, UID FROM PF_MANAGER", SessionTable.Counter.MANAGER, next);
        try (PreparedStatement ins = c.prepareStatement(
                "INSERT INTO PF_COUNTER (SESSION_ID, NAME, NEXT_VALUE) VALUES (?, ?, ?)")) {
            for (var s : next.entrySet()) {
                for (var counter : s.getValue().entrySet()) {
                    ins.setString(1, s.getKey());
                    ins.setString(2, counter.getKey());
                    ins.setLong(3, counter.getValue());
                    ins.addBatch();
                }
            }
            ins.executeBatch();
        }
    }

    private static void scanUids(Connection c, String sql, String counter, Map<String, Map<String, Long>> next)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Map<String, Long> m = next.get(rs.getString(1));
                String uid = rs.getString(2);
                if (m == null) {
                    continue;
                }
                try {
                    long n = Long.parseLong(uid.substring(uid.lastIndexOf('.') + 1));
                    m.merge(counter, n + 1, Math::max);
                } catch (RuntimeException e) {
                    LOG.warn("uid {} does not end in a number; the counter ignores it", uid);
                }
            }
        }
    }
}
