package org.pilotflow.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * The PilotFlow record changes of one engine transaction. Changes are kept as pending snapshots, written in
 * batches on the engine's connection just before it commits, and published (live records, callbacks, waiters,
 * agent commands) only after the commit: a rolled-back transaction leaves no trace, and no agent hears of a unit
 * before the unit's process instance is committed at its wait state.
 */
final class Tx {

    private static final Map<CommandContext, Tx> OPEN = new ConcurrentHashMap<>();

    private final PilotFlowRuntime runtime;
    private final Map<UnitEntry, UnitSnapshot> units = new LinkedHashMap<>();
    private final Set<UnitEntry> newUnits = new LinkedHashSet<>();
    private final Map<String, UnitEntry> newUnitsByKey = new LinkedHashMap<>();
    private final Map<PilotEntry, PilotSnapshot> pilots = new LinkedHashMap<>();
    private final Set<PilotEntry> newPilots = new LinkedHashSet<>();
    private final Map<String, PilotEntry> newPilotsByKey = new LinkedHashMap<>();
    private final List<Object[]> events = new ArrayList<>();
    private final List<Runnable> afterCommit = new ArrayList<>();
    /** Per-transaction working data of other components (e.g. cores a scheduler bound in this transaction). */
    final Map<Object, Object> attributes = new java.util.HashMap<>();

    private Tx(PilotFlowRuntime runtime) {
        this.runtime = runtime;
    }

    /** The changes of the transaction this thread is in; there must be one (inside an engine command). */
    static Tx current(PilotFlowRuntime runtime) {
        CommandContext ctx = Context.getCommandContext();
        if (ctx == null) {
            throw new IllegalStateException("PilotFlow record changes need an engine transaction");
        }
        return OPEN.computeIfAbsent(ctx, c -> {
            Tx tx = new Tx(runtime);
            c.getTransactionContext().addTransactionListener(TransactionState.COMMITTING, cc -> tx.flush(cc));
            c.getTransactionContext().addTransactionListener(TransactionState.COMMITTED, cc -> {
                OPEN.remove(c);
                tx.publish();
            });
            c.getTransactionContext().addTransactionListener(TransactionState.ROLLED_BACK, cc -> OPEN.remove(c));
            return tx;
        });
    }

    /** The changes of this thread's transaction, if it has any. */
    static Tx peek() {
        CommandContext ctx = Context.getCommandContext();
        return ctx == null ? null : OPEN.get(ctx);
    }

    UnitSnapshot unit(UnitEntry e) {
        UnitSnapshot s = units.get(e);
        return s != null ? s : e.current;
    }

    PilotSnapshot pilot(PilotEntry e) {
        PilotSnapshot s = pilots.get(e);
        return s != null ? s : e.current;
    }

    UnitEntry newUnit(String key) {
        return newUnitsByKey.get(key);
    }

    PilotEntry newPilot(String key) {
        return newPilotsByKey.get(key);
    }

    void insert(UnitEntry e, List<UnitState> announced) {
        newUnits.add(e);
        newUnitsByKey.put(e.key, e);
        units.put(e, e.current);
        for (UnitState s : announced) {
            events.add(new Object[] {e, s});
        }
    }

    void insert(PilotEntry e, List<PilotState> announced) {
        newPilots.add(e);
        newPilotsByKey.put(e.key, e);
        pilots.put(e, e.current);
        for (PilotState s : announced) {
            events.add(new Object[] {e, s});
        }
    }

    void update(UnitEntry e, UnitSnapshot s, List<UnitState> announced) {
        units.put(e, s);
        for (UnitState st : announced) {
            events.add(new Object[] {e, st});
        }
    }

    void update(PilotEntry e, PilotSnapshot s, List<PilotState> announced) {
        pilots.put(e, s);
        for (PilotState st : announced) {
            events.add(new Object[] {e, st});
        }
    }

    void afterCommit(Runnable r) {
        afterCommit.add(r);
    }

    private void flush(CommandContext cc) {
        Connection c = cc.getDbSqlSession().getSqlSession().getConnection();
        try {
            List<PilotSnapshot> insP = new ArrayList<>();
            List<PilotSnapshot> updP = new ArrayList<>();
            pilots.forEach((e, s) -> (newPilots.contains(e) ? insP : updP).add(s));
            List<UnitSnapshot> insU = new ArrayList<>();
            List<UnitSnapshot> updU = new ArrayList<>();
            units.forEach((e, s) -> (newUnits.contains(e) ? insU : updU).add(s));
            if (!insP.isEmpty()) {
                runtime.store().insertPilots(c, insP);
            }
            if (!updP.isEmpty()) {
                runtime.store().updatePilots(c, updP);
            }
            if (!insU.isEmpty()) {
                runtime.store().insertUnits(c, insU);
            }
            if (!updU.isEmpty()) {
                runtime.store().updateUnits(c, updU);
            }
        } catch (SQLException e) {
            throw new org.camunda.bpm.engine.ProcessEngineException("PilotFlow could not write its records: "
                    + e.getMessage(), e);
        }
    }

    private void publish() {
        pilots.forEach((e, s) -> e.current = s);
        units.forEach((e, s) -> e.current = s);
        runtime.committed(newPilots, newUnits, events, afterCommit);
    }
}
