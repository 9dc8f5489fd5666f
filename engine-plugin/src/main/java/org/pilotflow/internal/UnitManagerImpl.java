package org.pilotflow.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The unit manager and its scheduler (ROUND_ROBIN or BACKFILLING over its pilots). */
final class UnitManagerImpl implements UnitManager {

    private static final Logger LOG = LoggerFactory.getLogger(UnitManagerImpl.class);

    private final PilotFlowRuntime runtime;
    private final SessionState session;
    private final String uid;
    private final SchedulerPolicy policy;
    private final List<PilotEntry> pilots = new CopyOnWriteArrayList<>();
    private final Map<String, UnitEntry> units = new LinkedHashMap<>();
    /** Units waiting for a pilot (UNSCHEDULED), in arrival order. */
    private final Set<UnitEntry> waiting = new LinkedHashSet<>();
    /** Cores of unfinished units bound to each pilot (committed binds only). */
    private final Map<String, AtomicInteger> boundCores = new ConcurrentHashMap<>();
    private final List<UnitCallback> callbacks = new CopyOnWriteArrayList<>();
    private final AtomicBoolean drainRequested = new AtomicBoolean();
    private int roundRobin;
    private volatile boolean closed;

    UnitManagerImpl(PilotFlowRuntime runtime, SessionState session, String uid, SchedulerPolicy policy) {
        this.runtime = runtime;
        this.session = session;
        this.uid = uid;
        this.policy = policy;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public SchedulerPolicy policy() {
        return policy;
    }

    boolean isClosed() {
        return closed;
    }

    void restoreClosed(boolean c) {
        closed = c;
    }

    void persist() {
        List<String> p = new ArrayList<>();
        for (PilotEntry pe : pilots) {
            p.add(pe.current.uid());
        }
        runtime.tx(ctx -> {
            runtime.store().upsertManager(PilotFlowRuntime.connection(),
                    new Store.ManagerRow(session.id(), uid, "unit", policy.name(), p, closed));
            return null;
        });
    }

    // ---- pilots

    @Override
    public void addPilots(Collection<? extends ComputePilot> toAdd) {
        requireOpen();
        if (toAdd == null) {
            throw new BadParameter("pilots", null, "a collection of pilots");
        }
        List<PilotEntry> entries = new ArrayList<>();
        int i = 0;
        for (ComputePilot p : toAdd) {
            if (!(p instanceof PilotHandle h) || !h.entry().current.sessionId().equals(session.id())) {
                throw new BadParameter("pilots[" + i + "]", p == null ? null : p.uid(),
                        "a pilot of session " + session.id());
            }
            entries.add(h.entry());
            i++;
        }
        for (PilotEntry pe : entries) {
            if (!hasPilot(pe.current.uid())) {
                pilots.add(pe);
            }
        }
        persist();
        requestDrain();
    }

    void restorePilot(PilotEntry pe) {
        pilots.add(pe);
    }

    @Override
    public void removePilots(Collection<String> uids) {
        requireOpen();
        pilots.removeIf(pe -> uids.contains(pe.current.uid()));
        persist();
    }

    boolean hasPilot(String pilotUid) {
        for (PilotEntry pe : pilots) {
            if (pe.current.uid().equals(pilotUid)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public List<String> listPilots() {
        List<String> out = new ArrayList<>();
        pilots.forEach(pe -> out.add(pe.current.uid()));
        return out;
    }

    // ---- units

    @Override
    public List<ComputeUnit> submitUnits(List<ComputeUnitDescription> descriptions) {
        requireOpen();
        if (descriptions == null) {
            throw new BadParameter("units", null, "a list of ComputeUnitDescription");
        }
        for (int i = 0; i < descriptions.size(); i++) {
            ComputeUnitDescription d = descriptions.get(i);
            if (d == null) {
                throw new BadParameter("units[" + i + "]", null, "a ComputeUnitDescription");
            }
            if (d.pilot() != null && !hasPilot(d.pilot())) {
                throw new BadParameter("units[" + i + "].pilot", d.pilot(), "one of this unit manager's pilots "
                        + listPilots());
            }
        }
        List<UnitEntry> entries = runtime.submitUnits(session, this, descriptions);
        List<ComputeUnit> out = new ArrayList<>(entries.size());
        for (UnitEntry e : entries) {
            out.add(runtime.handle(e));
        }
        return out;
    }

    synchronized void add(UnitEntry e) {
        units.put(e.current.uid(), e);
    }

    synchronized void addWaiting(UnitEntry e) {
        waiting.add(e);
    }

    @Override
    public synchronized List<String> listUnits() {
        return new ArrayList<>(units.keySet());
    }

    @Override
    public List<ComputeUnit> getUnits(Collection<String> uids) {
        List<ComputeUnit> out = new ArrayList<>();
        for (UnitEntry e : entries(uids)) {
            out.add(runtime.handle(e));
        }
        return out;
    }

    private synchronized List<UnitEntry> entries(Collection<String> uids) {
        if (uids == null || uids.isEmpty()) {
            return new ArrayList<>(units.values());
        }
        List<UnitEntry> out = new ArrayList<>();
        for (String u : uids) {
            UnitEntry e = units.get(u);
            if (e == null) {
                throw new BadParameter("uids", u, "a unit of unit manager " + uid);
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public List<UnitState> waitUnits(Collection<String> uids, Collection<UnitState> states, Duration timeout) {
        return StateWait.await(session, entries(uids), e -> e.current.state(), e -> e.current.uid(), UnitState.MODEL,
                states, timeout, "unit");
    }

    @Override
    public void cancelUnits(Collection<String> uids) {
        runtime.cancelUnits(entries(uids));
    }

    @Override
    public void registerCallback(UnitCallback callback) {
        if (callback == null) {
            throw new BadParameter("callback", null, "a UnitCallback");
        }
        callbacks.add(callback);
    }

    List<UnitCallback> callbacks() {
        return callbacks;
    }

    @Override
    public void close(boolean terminate) {
        if (closed) {
            return;
        }
        if (terminate) {
            cancelUnits(List.of());
        }
        closed = true;
        persist();
    }

    private void requireOpen() {
        if (closed) {
            throw new IncorrectState("unit manager " + uid + " is closed");
        }
    }

    // ---- scheduling

    /**
     * Binds the unit, leaves it waiting, or returns why it can never run. Runs inside {@code tx}: the binding
     * commits with the transaction and the agent hears of it only after that.
     */
    String schedule(Tx tx, UnitEntry e) {
        UnitSnapshot u = tx.unit(e);
        ComputeUnitDescription d = u.description();
        List<PilotEntry> candidates = new ArrayList<>();
        for (PilotEntry pe : pilots) {
            if (d.pilot() == null || d.pilot().equals(pe.current.uid())) {
                candidates.add(pe);
            }
        }
        List<PilotEntry> alive = new ArrayList<>();
        for (PilotEntry pe : candidates) {
            if (!tx.pilot(pe).isFinal()) {
                alive.add(pe);
            }
        }
        if (alive.isEmpty()) {
            if (d.pilot() != null && !candidates.isEmpty()) {
                return "pinned pilot " + d.pilot() + " is " + tx.pilot(candidates.get(0)).state();
            }
            waitFor(tx, e); // no pilot yet, or every pilot ended: wait for addPilots
            return null;
        }
        int maxCores = 0;
        int maxGpus = 0;
        List<PilotEntry> fit = new ArrayList<>();
        for (PilotEntry pe : alive) {
            int c = tx.pilot(pe).description().cores();
            int g = tx.pilot(pe).description().gpus();
            maxCores = Math.max(maxCores, c);
            maxGpus = Math.max(maxGpus, g);
            if (c >= d.cores() && g >= d.gpus()) {
                fit.add(pe);
            }
        }
        if (fit.isEmpty()) {
            if (d.cores() > maxCores) {
                return "unit needs " + d.cores() + " cores, largest pilot has " + maxCores;
            }
            return "unit needs " + d.gpus() + " gpus, largest pilot has " + maxGpus;
        }
        PilotEntry chosen = policy == SchedulerPolicy.ROUND_ROBIN ? roundRobin(fit) : backfill(tx, fit, d.cores());
        if (chosen == null) {
            waitFor(tx, e);
            return null;
        }
        runtime.bind(tx, e, chosen);
        @SuppressWarnings("unchecked")
        Map<String, Integer> pending = (Map<String, Integer>) tx.attributes.computeIfAbsent(this, k -> new HashMap<>());
        pending.merge(chosen.current.uid(), d.cores(), Integer::sum);
        String pilotUid = chosen.current.uid();
        int cores = d.cores();
        tx.afterCommit(() -> {
            bound(pilotUid, cores);
            synchronized (this) {
                waiting.remove(e);
            }
        });
        return null;
    }

    private void waitFor(Tx tx, UnitEntry e) {
        tx.afterCommit(() -> addWaiting(e));
    }

    private synchronized PilotEntry roundRobin(List<PilotEntry> fit) {
        PilotEntry p = fit.get(Math.floorMod(roundRobin, fit.size()));
        roundRobin++;
        return p;
    }

    private PilotEntry backfill(Tx tx, List<PilotEntry> fit, int cores) {
        @SuppressWarnings("unchecked")
        Map<String, Integer> pending = (Map<String, Integer>) tx.attributes.getOrDefault(this, Map.of());
        PilotEntry best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (PilotEntry pe : fit) {
            PilotSnapshot ps = tx.pilot(pe);
            if (ps.state() != PilotState.ACTIVE) {
                continue;
            }
            int load = load(ps.uid()) + pending.getOrDefault(ps.uid(), 0);
            if (load + cores <= ps.description().cores() * HIGH_WATER_MARK && load < bestLoad) {
                best = pe;
                bestLoad = load;
            }
        }
        return best;
    }

    private int load(String pilotUid) {
        AtomicInteger a = boundCores.get(pilotUid);
        return a == null ? 0 : a.get();
    }

    void bound(String pilotUid, int cores) {
        boundCores.computeIfAbsent(pilotUid, k -> new AtomicInteger()).addAndGet(cores);
    }

    void released(String pilotUid, int cores) {
        AtomicInteger a = boundCores.get(pilotUid);
        if (a != null) {
            a.addAndGet(-cores);
        }
    }

    boolean needsDrainOnFinish() {
        synchronized (this) {
            return policy == SchedulerPolicy.BACKFILLING && !waiting.isEmpty();
        }
    }

    void requestDrain() {
        if (drainRequested.compareAndSet(false, true)) {
            runtime.async(this::drain);
        }
    }

    /** Binds waiting units where pilots can now take them (one transaction for the whole pass). */
    private void drain() {
        drainRequested.set(false);
        List<UnitEntry> candidates;
        synchronized (this) {
            candidates = new ArrayList<>(waiting);
        }
        if (candidates.isEmpty()) {
            return;
        }
        runtime.txRetrying(ctx -> {
            Tx tx = Tx.current(runtime);
            for (UnitEntry e : candidates) {
                UnitSnapshot u = tx.unit(e);
                if (u.state() != UnitState.UNSCHEDULED || u.pilot() != null) {
                    tx.afterCommit(() -> {
                        synchronized (this) {
                            waiting.remove(e);
                        }
                    });
                    continue;
                }
                String reason = schedule(tx, e);
                if (reason != null) {
                    List<UnitState> fa = u.advanceTo(UnitState.FAILED);
                    UnitSnapshot failed = u.withStates(fa, Map.of()).withReason(reason);
                    runtime.correlateUnitEnded(failed);
                    tx.update(e, failed, fa);
                    tx.afterCommit(() -> {
                        synchronized (this) {
                            waiting.remove(e);
                        }
                    });
                }
            }
            return null;
        });
        LOG.debug("unit manager {}: drain pass over {} waiting unit(s)", uid, candidates.size());
    }
}
