package org.pilotflow.internal.lifecycle;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.api.UnitManager;
import org.pilotflow.internal.scheduling.Demand;
import org.pilotflow.internal.scheduling.PilotCapacity;
import org.pilotflow.internal.scheduling.Placement;
import org.pilotflow.internal.scheduling.UnitPlacement;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.UnitTable;

/**
 * One unit manager's scheduling inside one transaction: its pilots, locked (so none of them ends, and no other
 * transaction binds to them, until this one commits), their loads, and the pure {@link UnitPlacement} that decides.
 * Made on first use in a transaction and kept for the rest of it, so a chunk of units costs one set of queries.
 */
final class ManagerSchedule {

    private final UnitPlacement placement;
    private final Tx tx;
    private final List<PilotRecord> pilots;

    private ManagerSchedule(UnitPlacement placement, Tx tx, List<PilotRecord> pilots) {
        this.placement = placement;
        this.tx = tx;
        this.pilots = pilots;
    }

    /** The schedule of the manager in this transaction; null when the manager does not exist. */
    static ManagerSchedule of(Tx tx, String sessionId, String manager) throws SQLException {
        Key key = new Key(sessionId, manager);
        ManagerSchedule s = tx.attribute(key);
        if (s == null) {
            s = load(tx, sessionId, manager);
            tx.attribute(key, s);
        }
        return s;
    }

    private record Key(String sessionId, String manager) { }

    private static ManagerSchedule load(Tx tx, String sessionId, String manager) throws SQLException {
        SessionTable.ManagerRow row = SessionTable.manager(tx.connection(), sessionId, manager);
        if (row == null || row.policy() == null) {
            return null;
        }
        List<String> uids = SessionTable.managerPilots(tx.connection(), sessionId, manager);
        List<PilotKey> keys = new ArrayList<>();
        uids.forEach(u -> keys.add(new PilotKey(sessionId, u)));
        Map<PilotKey, PilotRecord> locked = tx.lockPilots(keys);
        Map<String, UnitTable.Load> loads = UnitTable.loads(tx.connection(), sessionId, uids);
        List<PilotCapacity> caps = new ArrayList<>();
        List<PilotRecord> records = new ArrayList<>();
        for (String uid : uids) {
            PilotRecord p = locked.get(new PilotKey(sessionId, uid));
            if (p == null) {
                continue;
            }
            records.add(p);
            UnitTable.Load load = loads.getOrDefault(uid, new UnitTable.Load(0, 0));
            caps.add(new PilotCapacity(uid, p.state(), p.description().cores(), p.description().gpus(),
                    load.cores(), load.gpus()));
        }
        SchedulerPolicy policy = SchedulerPolicy.valueOf(row.policy());
        UnitPlacement placement = new UnitPlacement(policy, UnitManager.HIGH_WATER_MARK, caps, row.rrCursor());
        long start = row.rrCursor();
        tx.beforeWrite(c -> {
            if (placement.cursor() != start) {
                SessionTable.setRoundRobinCursor(c, sessionId, manager, placement.cursor());
            }
        });
        return new ManagerSchedule(placement, tx, records);
    }

    Placement place(UnitRecord u) throws SQLException {
        Demand demand = new Demand(u.description().cores(), u.description().gpus(), u.description().pilot());
        if (u.description().inputData().isEmpty() && u.description().outputData().isEmpty()) {
            return placement.place(demand);
        }
        DataUnits.Where where = DataUnits.locate(tx, u, pilots);
        if (where instanceof DataUnits.Where.Never n) {
            return new Placement.Reject(n.reason());
        }
        if (where instanceof DataUnits.Where.NotReady) {
            return new Placement.Wait();
        }
        return placement.place(demand, ((DataUnits.Where.Known) where).locality());
    }
}
