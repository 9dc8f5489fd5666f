package org.pilotflow.internal.session;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.PersistenceFailure;
import org.pilotflow.api.SessionSnapshot;
import org.pilotflow.api.SessionSnapshot.PilotSnapshot;
import org.pilotflow.api.SessionSnapshot.UnitSnapshot;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.PilotTable;
import org.pilotflow.internal.store.Schema;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.UnitTable;
import org.pilotflow.model.memory.MemoryProfile;

/** Reads a {@link SessionSnapshot} over one read-only connection: no engine, no writes, no locks taken. */
public final class SessionSnapshots {

    private SessionSnapshots() {
    }

    /**
     * The session {@code sessionId} as {@code c} sees it, in one read-only transaction.
     *
     * @throws BadParameter      when the database holds no such session
     * @throws PersistenceFailure when it holds no PilotFlow tables of this version, or cannot be read
     */
    public static SessionSnapshot read(Connection c, String sessionId, int seriesKept) {
        try {
            boolean readOnly = c.isReadOnly();
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false); // one transaction: a consistent picture (and PostgreSQL fetches in pages)
            c.setReadOnly(true);
            try {
                int version = Schema.readVersion(c);
                if (version == 0) {
                    throw new PersistenceFailure("the database holds no PilotFlow tables: is it the database the"
                            + " application used?", null);
                }
                if (version != Schema.CURRENT) {
                    throw new PersistenceFailure("the database's PilotFlow tables are at schema version " + version
                            + ", this PilotFlow reads version " + Schema.CURRENT + ": "
                            + (version < Schema.CURRENT ? "open the session once with Session.reconnect (which"
                            + " upgrades the tables) before reading it" : "read it with the newer PilotFlow"), null);
                }
                SessionTable.SessionRow row = SessionTable.session(c, sessionId);
                if (row == null) {
                    throw new BadParameter("sessionId", sessionId, "the id of a session stored in this database");
                }
                List<PilotSnapshot> pilots = new ArrayList<>();
                for (PilotRecord p : PilotTable.ofSession(c, sessionId)) {
                    pilots.add(new PilotSnapshot(p.uid(), p.description(), p.state(), p.history(), p.reason()));
                }
                List<UnitSnapshot> units = new ArrayList<>();
                // the kept non-leaking series, smallest peak first: the next larger one evicts the head's samples
                PriorityQueue<Integer> kept = new PriorityQueue<>(
                        Comparator.comparingLong(i -> units.get(i).memory().peakUsed()));
                UnitTable.forEachOfSession(c, sessionId, u -> {
                    units.add(snapshot(u));
                    MemoryProfile m = u.memory();
                    if (m == null || m.leaking()) {
                        return;
                    }
                    kept.add(units.size() - 1);
                    if (kept.size() > seriesKept) {
                        int evicted = kept.poll();
                        units.set(evicted, withoutSeries(units.get(evicted)));
                    }
                });
                return new SessionSnapshot(row.id(), Instant.ofEpochMilli(row.created()), row.closed(), pilots,
                        units);
            } finally {
                c.rollback(); // nothing was written; end the transaction
                c.setReadOnly(readOnly); // a pooled connection goes back as it came
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new PersistenceFailure("cannot read session " + sessionId + ": " + e.getMessage(), e);
        }
    }

    private static UnitSnapshot snapshot(UnitRecord u) {
        return new UnitSnapshot(u.uid(), u.manager(), u.description(), u.pilot(), u.state(), u.history(),
                u.exitCode(), u.errorCode(), u.reason(), u.memory());
    }

    private static UnitSnapshot withoutSeries(UnitSnapshot u) {
        MemoryProfile m = u.memory();
        return new UnitSnapshot(u.uid(), u.manager(), u.description(), u.pilot(), u.state(), u.history(),
                u.exitCode(), u.errorCode(), u.reason(), new MemoryProfile(m.limitBytes(), m.intervalMillis(),
                m.peakRss(), m.peakPss(), m.peakSwap(), m.peakUsed(), List.of(), m.leak(), m.leaking()));
    }
}
