package org.pilotflow.internal.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PartialSubmission;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.api.UnitDataCallback;
import org.pilotflow.api.UnitManager;
import org.pilotflow.internal.lifecycle.Published;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.UnitKey;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.Uids;
import org.pilotflow.model.UnitState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unit manager. Its pilots and policy are in the database; scheduling happens in the transactions that store
 * units and apply reports (see the lifecycle package), so any engine node schedules for any manager.
 */
final class UnitManagerImpl implements UnitManager {

    private static final Logger LOG = LoggerFactory.getLogger(UnitManagerImpl.class);

    /** Units stored per transaction by {@link #submitUnits}: a crash leaves a prefix of whole chunks. */
    static final int CHUNK = 1000;
    /**
     * The most units whose processes {@code submitUnits} starts in the transaction that stores them (one commit, no
     * hand-over: a lone unit's latency). A larger submission returns once its units are stored; this node's
     * follow-up thread starts their processes in order, and the watchdog those a stopped node left.
     */
    static final int START_AT_ONCE = 200;

    private final SessionState session;
    private final String uid;
    private final SchedulerPolicy policy;
    private final Callbacks<UnitCallback> callbacks = new Callbacks<>("UnitCallback");
    private volatile boolean closed;

    UnitManagerImpl(SessionState session, String uid, SchedulerPolicy policy, boolean closed) {
        this.session = session;
        this.uid = uid;
        this.policy = policy;
        this.closed = closed;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public SchedulerPolicy policy() {
        return policy;
    }

    // ---- pilots

    @Override
    public void addPilots(Collection<? extends ComputePilot> toAdd) {
        session.requireOpen(closed, "unit manager " + uid);
        if (toAdd == null) {
            throw new BadParameter("pilots", null, "a collection of pilots");
        }
        List<String> uids = new ArrayList<>();
        int i = 0;
        for (ComputePilot p : toAdd) {
            if (!(p instanceof PilotHandle h) || !h.sessionId().equals(session.id())) {
                throw new BadParameter("pilots[" + i + "]", p == null ? null : p.uid(),
                        "a pilot of session " + session.id());
            }
            uids.add(p.uid());
            i++;
        }
        session.service().txs().runRetrying(tx -> {
            long now = tx.dbNow();
            for (String p : uids) {
                SessionTable.addManagerPilot(tx.connection(), session.id(), uid, p, now);
            }
            tx.publish(new Published.DrainWanted(session.id(), uid));
            return null;
        });
    }

    @Override
    public void removePilots(Collection<String> uids, boolean drain) {
        session.requireOpen(closed, "unit manager " + uid);
        BadParameter.requireNoNulls(uids, "pilotUids", "a pilot uid");
        for (String p : uids) {
            if (session.pilotView(p) == null) { // one this manager no longer has is removed already: no error
                throw new BadParameter("pilotUids", p, "a pilot of session " + session.id());
            }
        }
        session.service().txs().runRetrying(tx -> {
            for (String p : uids) {
                SessionTable.removeManagerPilot(tx.connection(), session.id(), uid, p);
            }
            return null;
        });
        if (drain) {
            Set<String> removed = Set.copyOf(uids);
            session.refresh(); // units bound on other nodes too
            List<UnitView> bound = refs(List.of()).stream().map(UnitRef::view) // a gone view's unit is final
                    .filter(v -> v != null && v.current.pilot() != null && removed.contains(v.current.pilot()))
                    .toList();
            StateWait.await(session, bound, v -> v.current.state(), v -> v.current.uid(), UnitState.MODEL, null,
                    null, "unit");
        }
    }

    @Override
    public List<String> listPilots() {
        return session.service().txs().runRetrying(tx -> SessionTable.managerPilots(tx.connection(), session.id(),
                uid));
    }

    // ---- units

    @Override
    public List<ComputeUnit> submitUnits(List<ComputeUnitDescription> descriptions) {
        session.requireOpen(closed, "unit manager " + uid);
        if (descriptions == null) {
            throw new BadParameter("units", null, "a list of ComputeUnitDescription");
        }
        List<String> pilots = null;
        for (int i = 0; i < descriptions.size(); i++) {
            ComputeUnitDescription d = descriptions.get(i);
            if (d == null) {
                throw new BadParameter("units[" + i + "]", null, "a ComputeUnitDescription");
            }
            d.checkLimits("units[" + i + "].");
            session.pilotData().checkUnitData("units[" + i + "].", d);
            if (d.pilot() != null) {
                pilots = pilots == null ? listPilots() : pilots;
                if (!pilots.contains(d.pilot())) {
                    throw new BadParameter("units[" + i + "].pilot", d.pilot(), "one of this unit manager's pilots "
                            + pilots);
                }
            }
        }
        // behind units of this session whose processes this node still starts, rather than overtake them
        boolean startNow = descriptions.size() <= START_AT_ONCE && !session.service().startsPending(session.id());
        List<ComputeUnit> out = new ArrayList<>(descriptions.size());
        SubmitProgress progress = new SubmitProgress(uid, descriptions.size(), System.nanoTime());
        for (int from = 0; from < descriptions.size(); from += CHUNK) {
            List<ComputeUnitDescription> part = descriptions.subList(from, Math.min(descriptions.size(), from + CHUNK));
            try {
                long first = session.service().takeUnitNumbers(session.id(), part.size());
                List<UnitRecord> created = new ArrayList<>(part.size());
                for (int k = 0; k < part.size(); k++) {
                    created.add(UnitRecord.created(session.id(), Uids.unit(first + k), uid, part.get(k)));
                }
                boolean last = from + part.size() == descriptions.size();
                session.service().txs().runRetrying(tx -> {
                    if (startNow) {
                        session.service().units().submit(tx, created);
                    } else {
                        session.service().units().store(tx, created);
                        if (last) { // started once all are stored: starting them meanwhile slows the storing down
                            session.service().units().startLater(tx, session.id(), deferred(out, created));
                        }
                    }
                    return null;
                });
                for (UnitRecord u : created) {
                    out.add(session.handle(session.unitView(u.uid())));
                }
                progress.stored(out.size(), System.nanoTime());
            } catch (RuntimeException e) {
                if (out.isEmpty()) {
                    throw e;
                }
                if (!startNow) {
                    startStoredLater(out);
                }
                throw new PartialSubmission("stored " + out.size() + " of " + descriptions.size() + " units ("
                        + out.get(0).uid() + " to " + out.get(out.size() - 1).uid() + ") before storing the next "
                        + part.size() + " failed: " + e.getMessage() + "; the stored ones run, submit the rest again",
                        out, e);
            }
        }
        progress.finished(System.nanoTime());
        return out;
    }

    private static List<String> deferred(List<ComputeUnit> before, List<UnitRecord> last) {
        List<String> uids = new ArrayList<>(before.size() + last.size());
        before.forEach(u -> uids.add(u.uid()));
        last.forEach(u -> uids.add(u.uid()));
        return uids;
    }

    /** The stored part of a submission that failed half-way runs too; if even this fails, the watchdog starts it. */
    private void startStoredLater(List<ComputeUnit> stored) {
        try {
            session.service().txs().runRetrying(tx -> {
                session.service().units().startLater(tx, session.id(), deferred(stored, List.of()));
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("unit manager {}: could not ask for the processes of {} stored unit(s) to be started ({}); the"
                    + " watchdog starts them", uid, stored.size(), e.toString());
        }
    }

    @Override
    public List<String> listUnits() {
        return session.unitUidsOf(uid);
    }

    @Override
    public List<ComputeUnit> getUnits(Collection<String> uids) {
        List<String> wanted = wanted(uids);
        List<UnitView> views = session.unitViews(wanted);
        List<ComputeUnit> out = new ArrayList<>(views.size());
        for (int i = 0; i < views.size(); i++) {
            UnitView v = views.get(i);
            requireMine(wanted.get(i), v == null ? null : v.current.manager());
            out.add(session.handle(v));
        }
        return out;
    }

    /**
     * The listed units, or all of this manager's when {@code uids} is null or empty: their views, and for finished
     * units whose views went only their final states (all a wait or a cancel needs).
     */
    private List<UnitRef> refs(Collection<String> uids) {
        List<String> wanted = wanted(uids);
        List<UnitRef> refs = session.unitRefs(wanted);
        for (int i = 0; i < refs.size(); i++) {
            requireMine(wanted.get(i), refs.get(i) == null ? null : refs.get(i).manager());
        }
        return refs;
    }

    /** The listed uids; all of this manager's when {@code uids} is null or empty. */
    private List<String> wanted(Collection<String> uids) {
        if (uids == null || uids.isEmpty()) {
            return session.unitUidsOf(uid);
        }
        BadParameter.requireNoNulls(uids, "uids", "a unit uid");
        return List.copyOf(uids);
    }

    /** {@code manager}: the unit's, null for a uid the session does not have. */
    private void requireMine(String unit, String manager) {
        if (!uid.equals(manager)) {
            throw new BadParameter("uids", unit, "a unit of unit manager " + uid);
        }
    }

    @Override
    public List<UnitState> waitUnits(Collection<String> uids, Collection<UnitState> states, Duration timeout) {
        return StateWait.await(session, refs(uids), UnitRef::state, UnitRef::uid, UnitState.MODEL, states, timeout,
                "unit");
    }

    @Override
    public List<UnitState> cancelUnits(Collection<String> uids, Duration timeout) {
        List<UnitRef> refs = refs(uids);
        cancel(session, views(refs), "canceled on request");
        return StateWait.await(session, refs, UnitRef::state, UnitRef::uid, UnitState.MODEL, null, timeout, "unit");
    }

    @Override
    public CompletableFuture<List<UnitState>> cancelUnitsAsync(Collection<String> uids) {
        List<UnitRef> refs = refs(uids);
        List<UnitView> views = views(refs);
        cancel(session, views, "canceled on request");
        // the views' completion futures end when each unit is final: no thread waits for them
        CompletableFuture<?>[] ends = views.stream().map(v -> v.completion).toArray(CompletableFuture[]::new);
        CompletableFuture<Void> all = CompletableFuture.allOf(ends);
        Supplier<List<UnitState>> states = () -> refs.stream().map(UnitRef::state).toList();
        return all.isDone() ? CompletableFuture.completedFuture(states.get())
                : all.thenApplyAsync(x -> states.get(), AsyncResults.EXECUTOR);
    }

    /** The views among {@code refs}: a ref without one is a final unit, which a cancel leaves alone. */
    private static List<UnitView> views(List<UnitRef> refs) {
        return refs.stream().map(UnitRef::view).filter(java.util.Objects::nonNull).toList();
    }

    static void cancel(SessionState session, List<UnitView> views, String why) {
        List<UnitKey> keys = new ArrayList<>();
        for (UnitView v : views) {
            if (!v.current.isFinal()) {
                keys.add(v.current.key());
            }
        }
        for (int from = 0; from < keys.size(); from += 500) {
            List<UnitKey> part = keys.subList(from, Math.min(keys.size(), from + 500));
            session.service().txs().runRetrying(tx -> {
                session.service().units().cancel(tx, part, why);
                return null;
            });
        }
    }

    @Override
    public void registerCallback(UnitCallback callback) {
        callbacks.add(callback);
    }

    @Override
    public <T> void registerCallback(UnitDataCallback<T> callback, T data) {
        BadParameter.requireNonNull(callback, "callback", "a UnitDataCallback");
        callbacks.add(new Callbacks.BoundUnit<>(callback, data));
    }

    @Override
    public boolean unregisterCallback(UnitCallback callback) {
        return callbacks.remove(callback);
    }

    @Override
    public boolean unregisterCallback(UnitDataCallback<?> callback) {
        return callbacks.remove(callback);
    }

    Callbacks<UnitCallback> callbacks() {
        return callbacks;
    }

    @Override
    public void close(boolean terminate) {
        if (closed) {
            return;
        }
        if (terminate) {
            session.refresh(); // units submitted through this manager on other nodes too
            cancel(session, views(refs(List.of())), "canceled on request"); // requested; they end on their own
        }
        closed = true;
        session.service().txs().runRetrying(tx -> {
            SessionTable.closeManager(tx.connection(), session.id(), uid);
            return null;
        });
    }
}
