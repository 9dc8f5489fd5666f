package org.pilotflow.internal.lifecycle;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.pilotflow.internal.store.ChannelTable;
import org.pilotflow.internal.store.CommandTable;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.PilotTable;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.Sql;
import org.pilotflow.internal.store.UnitKey;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.UnitTable;
import org.pilotflow.model.wire.Command;

/**
 * PilotFlow's unit of work inside one engine transaction (one Camunda command context).
 *
 * <p>Reads come from the database, or from this transaction's own pending changes. Changed rows are kept pending
 * and written in batches on the engine's connection just before it commits, after Camunda wrote its own rows;
 * each write checks the row's revision, so a concurrent change makes the transaction fail and retry. What the
 * transaction {@link #publish publishes} reaches the {@link Publisher} only after the commit: a rolled-back
 * transaction leaves no trace, and no agent hears of a unit before its process instance is committed.
 *
 * <p>Locks, to stay free of deadlocks across engine nodes: a pilot's row is the pilot's lock ({@link #lockPilot});
 * take pilot locks first, in key order ({@link #lockPilots}), before changing anything; every change of a
 * pilot's state, and every command queued for its agent, happens under that lock, so command numbers commit in
 * order and no unit is bound to a pilot that is ending. Unit rows and Camunda's rows are written at commit time,
 * after every lock a transaction takes early.
 */
public final class Tx {

    private static final Map<CommandContext, Tx> OPEN = new ConcurrentHashMap<>();

    private final CommandContext context;
    private final Publisher publisher;
    /**
     * The engine's connection of this transaction, taken when the Tx opens: under Spring the transaction commits
     * after the engine closed its MyBatis session, so the COMMITTING flush can no longer ask the session for it (the
     * connection itself stays open, bound to Spring's transaction, until the commit).
     */
    private final Connection connection;
    private final Map<PilotKey, PilotRecord> pilotBase = new HashMap<>();
    private final Set<PilotKey> lockedPilots = new java.util.HashSet<>();
    private final Map<PilotKey, PilotRecord> pilotChanges = new LinkedHashMap<>();
    private final Set<PilotKey> newPilots = new LinkedHashSet<>();
    private final Map<UnitKey, UnitRecord> unitBase = new HashMap<>();
    private final Map<UnitKey, UnitRecord> unitChanges = new LinkedHashMap<>();
    private final Set<UnitKey> newUnits = new LinkedHashSet<>();
    private final List<CommandTable.Queued> commands = new ArrayList<>();
    private final List<Published> published = new ArrayList<>();
    private final Map<Object, Object> attributes = new HashMap<>();
    private final List<SqlStep> beforeWrite = new ArrayList<>();
    private Long dbNow;

    /** A write of another component's own rows, done at commit time with this transaction's writes. */
    @FunctionalInterface
    interface SqlStep {
        void run(Connection c) throws SQLException;
    }

    private Tx(CommandContext context, Publisher publisher) {
        this.context = context;
        this.publisher = publisher;
        this.connection = context.getDbSqlSession().getSqlSession().getConnection();
    }

    /** The unit of work of the engine transaction this thread is in (there must be one). */
    public static Tx current(Publisher publisher) {
        CommandContext ctx = Context.getCommandContext();
        if (ctx == null) {
            throw new IllegalStateException("PilotFlow record changes need an engine transaction");
        }
        return OPEN.computeIfAbsent(ctx, c -> {
            Tx tx = new Tx(c, publisher);
            // before Camunda flushes its own entities: the changed records' variables go with them
            c.registerCommandContextListener(new org.camunda.bpm.engine.impl.interceptor.CommandContextListener() {
                @Override
                public void onCommandContextClose(CommandContext cc) {
                    tx.publishVariables();
                }

                @Override
                public void onCommandFailed(CommandContext cc, Throwable t) {
                    // rolled back: nothing to publish
                }
            });
            c.getTransactionContext().addTransactionListener(TransactionState.COMMITTING, cc -> tx.flush());
            c.getTransactionContext().addTransactionListener(TransactionState.COMMITTED, cc -> {
                OPEN.remove(c);
                tx.commitOwnRows();
                tx.afterCommit();
            });
            c.getTransactionContext().addTransactionListener(TransactionState.ROLLED_BACK, cc -> OPEN.remove(c));
            return tx;
        });
    }

    /** The unit of work of this thread's engine transaction, null when it has none. */
    static Tx open() {
        CommandContext ctx = Context.getCommandContext();
        return ctx == null ? null : OPEN.get(ctx);
    }

    /** The engine's connection of this transaction. */
    public Connection connection() {
        return connection;
    }

    /** The database's clock (ms), read once per transaction. */
    public long dbNow() throws SQLException {
        if (dbNow == null) {
            dbNow = Sql.dbNow(connection());
        }
        return dbNow;
    }

    // ---------------------------------------------------------------- pilots

    /** The pilot as this transaction sees it (its own change, or the row as read); null when there is none. */
    public PilotRecord pilot(PilotKey key) throws SQLException {
        PilotRecord p = pilotChanges.get(key);
        if (p != null) {
            return p;
        }
        p = pilotBase.get(key);
        if (p == null && !pilotBase.containsKey(key)) {
            p = PilotTable.get(connection(), key);
            pilotBase.put(key, p);
        }
        return p;
    }

    /**
     * Locks the pilot's row until the transaction ends and returns the pilot as this transaction sees it; null
     * when there is no such pilot. Take pilot locks before changing anything, in key order.
     */
    public PilotRecord lockPilot(PilotKey key) throws SQLException {
        if (lockedPilots.contains(key) || newPilots.contains(key)) {
            return pilot(key);
        }
        PilotRecord locked = PilotTable.lock(connection(), key);
        lockedPilots.add(key);
        PilotRecord before = pilotBase.get(key);
        PilotRecord change = pilotChanges.get(key);
        if (change != null && locked != null && locked.rev() != change.rev()) {
            throw new OptimisticLockingException("pilot " + key + " changed before this transaction locked it");
        }
        if (before == null || locked == null || locked.rev() != before.rev()) {
            pilotBase.put(key, locked);
        }
        return pilot(key);
    }

    /** Locks several pilots, in key order (the order every transaction uses). */
    public Map<PilotKey, PilotRecord> lockPilots(Collection<PilotKey> keys) throws SQLException {
        Map<PilotKey, PilotRecord> out = new LinkedHashMap<>();
        for (PilotKey k : new TreeSet<>(keys)) {
            out.put(k, lockPilot(k));
        }
        return out;
    }

    public boolean holdsLock(PilotKey key) {
        return lockedPilots.contains(key) || newPilots.contains(key);
    }

    void insertPilot(PilotRecord p) {
        newPilots.add(p.key());
        pilotChanges.put(p.key(), p);
    }

    /** Records a change of a pilot this transaction holds the lock of (the row as read: no change). */
    void updatePilot(PilotRecord p) {
        if (!holdsLock(p.key())) {
            throw new IllegalStateException("pilot " + p.key() + " changed without its lock");
        }
        if (pilotBase.get(p.key()) == p && !newPilots.contains(p.key())) {
            pilotChanges.remove(p.key());
        } else {
            pilotChanges.put(p.key(), p);
        }
    }

    /**
     * Queues a command for the pilot's agent, numbered after the last one (the pilot must be locked here).
     *
     * @param command makes the command from its number
     */
    void queueCommand(PilotKey key, LongFunction<Command> command) throws SQLException {
        PilotRecord p = lockPilot(key);
        long seq = p.nextCommandSeq() + 1;
        updatePilot(p.edit().nextCommandSeq(seq).done());
        commands.add(new CommandTable.Queued(key, command.apply(seq)));
        publishOnce(new Published.CommandsQueued(key));
    }

    // ---------------------------------------------------------------- units

    /** The unit as this transaction sees it; null when there is none. */
    public UnitRecord unit(UnitKey key) throws SQLException {
        UnitRecord u = unitChanges.get(key);
        if (u != null) {
            return u;
        }
        u = unitBase.get(key);
        if (u == null && !unitBase.containsKey(key)) {
            u = UnitTable.get(connection(), key);
            unitBase.put(key, u);
        }
        return u;
    }

    /** Reads the units not read yet in one query per 500 (so a batch of reports costs a few queries). */
    public void preload(String sessionId, Collection<String> uids) throws SQLException {
        List<String> missing = new ArrayList<>();
        for (String uid : uids) {
            UnitKey k = new UnitKey(sessionId, uid);
            if (!unitBase.containsKey(k) && !unitChanges.containsKey(k)) {
                missing.add(uid);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        Map<String, UnitRecord> found = UnitTable.get(connection(), sessionId, missing);
        for (String uid : missing) {
            unitBase.put(new UnitKey(sessionId, uid), found.get(uid));
        }
    }

    /** Takes rows read by a query into this transaction (unless it has them already) and returns its view. */
    public List<UnitRecord> adopt(List<UnitRecord> rows) {
        List<UnitRecord> out = new ArrayList<>(rows.size());
        for (UnitRecord r : rows) {
            UnitKey k = r.key();
            unitBase.putIfAbsent(k, r);
            UnitRecord change = unitChanges.get(k);
            out.add(change != null ? change : unitBase.get(k));
        }
        return out;
    }

    void insertUnit(UnitRecord u) {
        newUnits.add(u.key());
        unitChanges.put(u.key(), u);
    }

    /** Records a change of a unit (the row as read: no change). */
    void updateUnit(UnitRecord u) {
        if (unitBase.get(u.key()) == u && !newUnits.contains(u.key())) {
            unitChanges.remove(u.key());
        } else {
            unitChanges.put(u.key(), u);
        }
    }

    // ---------------------------------------------------------------- publishing and per-transaction data

    public void publish(Published event) {
        published.add(event);
    }

    void publishOnce(Published event) {
        if (!published.contains(event)) {
            published.add(event);
        }
    }

    /** Working data of one component for this transaction; null when none was set. */
    @SuppressWarnings("unchecked")
    <T> T attribute(Object key) {
        return (T) attributes.get(key);
    }

    void attribute(Object key, Object value) {
        attributes.put(key, value);
    }

    /** Runs {@code step} at commit time, before the pilot and unit rows are written. */
    void beforeWrite(SqlStep step) {
        beforeWrite.add(step);
    }

    // ---------------------------------------------------------------- what an operator sees

    /** Process instances that got their variables with a message this transaction (nothing more to set). */
    private final Set<String> variablesSent = new java.util.HashSet<>();

    void variablesSent(String processInstanceId) {
        variablesSent.add(processInstanceId);
    }

    /**
     * Sets the operator's variables ({@link Bpmn#pilotVariables}, {@link Bpmn#unitVariables}) that changed on the
     * process instances of the records this transaction changed: once per instance and transaction, however many
     * moves the records made, and only the values that changed.
     */
    private void publishVariables() {
        pilotChanges.forEach((k, p) -> {
            PilotRecord before = newPilots.contains(k) ? null : pilotBase.get(k);
            setVariables(p.processInstanceId(), Bpmn.pilotVariables(p),
                    before == null || !java.util.Objects.equals(p.processInstanceId(), before.processInstanceId())
                            ? null : Bpmn.pilotVariables(before));
        });
        unitChanges.forEach((k, u) -> {
            UnitRecord before = newUnits.contains(k) ? null : unitBase.get(k);
            setVariables(u.processInstanceId(), Bpmn.unitVariables(u),
                    before == null || !java.util.Objects.equals(u.processInstanceId(), before.processInstanceId())
                            ? null : Bpmn.unitVariables(before));
        });
    }

    private void setVariables(String processInstanceId, Map<String, Object> now, Map<String, Object> before) {
        if (processInstanceId == null || variablesSent.contains(processInstanceId)) {
            return;
        }
        Map<String, Object> changed = new HashMap<>();
        now.forEach((name, v) -> {
            // a new record's empty values are left out: each variable is a row, written when it has a value
            if (before == null ? v != null : !java.util.Objects.equals(before.get(name), v)) {
                changed.put(name, v);
            }
        });
        if (changed.isEmpty()) {
            return;
        }
        var instance = context.getExecutionManager().findExecutionById(processInstanceId);
        if (instance != null && !instance.isEnded()) {
            instance.setVariables(changed);
        }
    }

    // ---------------------------------------------------------------- commit

    private void flush() {
        Connection c = connection();
        try {
            for (SqlStep step : beforeWrite) {
                step.run(c);
            }
            // rows in key order: two transactions writing the same rows lock them in the same order
            List<PilotRecord> insP = new ArrayList<>();
            List<PilotRecord> updP = new ArrayList<>();
            pilotChanges.forEach((k, p) -> (newPilots.contains(k) ? insP : updP).add(p));
            updP.sort(java.util.Comparator.comparing(PilotRecord::key));
            List<UnitRecord> insU = new ArrayList<>();
            List<UnitRecord> updU = new ArrayList<>();
            unitChanges.forEach((k, u) -> (newUnits.contains(k) ? insU : updU).add(u));
            updU.sort(java.util.Comparator.comparing(UnitRecord::sessionId).thenComparing(UnitRecord::uid));
            if (!insP.isEmpty()) {
                PilotTable.insert(c, insP);
                List<PilotKey> keys = new ArrayList<>();
                insP.forEach(p -> keys.add(p.key()));
                ChannelTable.insert(c, keys, dbNow());
            }
            if (!updP.isEmpty()) {
                PilotTable.update(c, updP);
            }
            if (!insU.isEmpty()) {
                UnitTable.insert(c, insU);
            }
            if (!updU.isEmpty()) {
                UnitTable.update(c, updU);
            }
            if (!commands.isEmpty()) {
                CommandTable.insert(c, commands);
            }
            // last (see addStoredUnits), in session order. Last in this command's transaction: when a transaction
            // manager (Spring, JTA) runs several commands in one database transaction, a later command's rows are
            // taken after the counter, and two such transactions may deadlock (the database aborts one)
            if (!insU.isEmpty()) {
                SortedMap<String, Integer> stored = new TreeMap<>();
                insU.forEach(u -> stored.merge(u.sessionId(), 1, Integer::sum));
                for (var e : stored.entrySet()) {
                    SessionTable.addStoredUnits(c, e.getKey(), e.getValue());
                }
            }
        } catch (SQLException e) {
            throw new ProcessEngineException("PilotFlow could not write its records: " + e.getMessage(), e);
        }
    }

    /**
     * Camunda's commit goes through MyBatis, which commits the connection only when it wrote through it: a
     * transaction in which only PilotFlow wrote (units stored, a report applied without a correlation) would be
     * committed only when the connection is handed back (MyBatis turns auto-commit on), after its events went out
     * (a callback told of units a crash then lost). Committed here, before anything is published; when Camunda did
     * commit there is nothing left, and neither H2 nor PostgreSQL's driver does anything for an idle connection.
     */
    private void commitOwnRows() {
        if (context.getProcessEngineConfiguration().isTransactionsExternallyManaged()) {
            return; // Spring's or JTA's transaction manager commits the connection itself
        }
        try {
            if (connection.getAutoCommit()) {
                return;
            }
            connection.commit();
        } catch (SQLException e) {
            throw new ProcessEngineException("PilotFlow could not commit its records: " + e.getMessage() + " (SQL state "
                    + e.getSQLState() + ")", e);
        }
    }

    private void afterCommit() {
        List<Published> events = new ArrayList<>(pilotChanges.size() + unitChanges.size() + published.size());
        pilotChanges.forEach((k, p) -> events.add(new Published.PilotChanged(committed(p, newPilots.contains(k)))));
        unitChanges.forEach((k, u) -> events.add(new Published.UnitChanged(committed(u, newUnits.contains(k)))));
        events.addAll(published);
        publisher.published(events);
    }

    private static PilotRecord committed(PilotRecord p, boolean inserted) {
        int rev = inserted ? 1 : p.rev() + 1;
        return new PilotRecord(p.sessionId(), p.uid(), p.manager(), p.description(), p.state(), p.history(),
                p.processInstanceId(), p.job(), p.jobPhase(), p.secretHashes(), p.sandbox(), p.reason(), rev,
                p.nextCommandSeq(), p.jobRunningSince(), p.endedAt(), p.launchAttempt(), p.activeSince());
    }

    private static UnitRecord committed(UnitRecord u, boolean inserted) {
        int rev = inserted ? 1 : u.rev() + 1;
        return new UnitRecord(u.sessionId(), u.uid(), u.manager(), u.description(), u.state(), u.history(),
                u.pilot(), u.processInstanceId(), u.exitCode(), u.reason(), u.stdoutTail(), u.stderrTail(),
                u.sandbox(), u.slots(), u.attempt(), u.cancelRequested(), u.errorCode(), u.memory(),
                u.outputs(), rev);
    }
}
