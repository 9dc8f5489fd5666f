package org.pilotflow.internal.session;

import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.api.PilotCallback;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.api.UnitManager;
import org.pilotflow.internal.lifecycle.Threads;
import org.pilotflow.internal.resources.Resources;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.PilotTable;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.UnitTable;
import org.pilotflow.internal.store.Uids;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session as this engine node sees it: its managers, and a cache of its pilots and units kept fresh from this
 * node's own commits and, for changes made on other nodes, by re-reading the rows whose revision moved
 * ({@link #refresh}). Callbacks fire once per state, in order, on the session's own thread, outside any
 * transaction. Internal: the public face is {@link org.pilotflow.api.Session}.
 *
 * <p>Threads: API calls from the application's threads; {@link #apply} from committing threads and the
 * refresher; the callback thread {@code pilotflow-callbacks-<session>}. Views change under {@link #viewLock};
 * waiters block on {@link #monitor}.
 */
public final class SessionState {

    private static final Logger LOG = LoggerFactory.getLogger(SessionState.class);

    private final SessionService service;
    private final String id;
    private final Map<String, PilotView> pilots = new ConcurrentHashMap<>();
    private final Map<String, UnitView> units = new ConcurrentHashMap<>();
    private final Map<String, PilotManagerImpl> pilotManagers = new LinkedHashMap<>();
    private final Map<String, UnitManagerImpl> unitManagers = new LinkedHashMap<>();
    private final ExecutorService callbacks;
    /** The Session objects of this node holding this state; guarded by the service's lock. */
    int holders = 1;
    /** False once this node stops following the session: waits end with IncorrectState instead of hanging. */
    private volatile boolean followed = true;
    private final Object viewLock = new Object();
    private final Object monitor = new Object();

    SessionState(SessionService service, String id) {
        this.service = service;
        this.id = id;
        this.callbacks = Executors.newSingleThreadExecutor(Threads.named("pilotflow-callbacks-" + id));
    }

    public String id() {
        return id;
    }

    SessionService service() {
        return service;
    }

    Resources resources() {
        return service.resources();
    }

    /** The resource configurations this node knows (shared by the node's sessions). */
    public org.pilotflow.resource.config.ResourceRegistry resourceRegistry() {
        return service.resources().registry();
    }

    /** The resource configurations as the API offers them. */
    public org.pilotflow.api.ResourceConfigs resourceConfigs() {
        return new ResourceConfigsImpl(this);
    }

    /** Tells the adapters about resource entries loaded after the start. */
    public void resourcesChanged() {
        service.resources().configureAdapters();
    }

    /** This node's SSH connections and credentials (memory only). */
    public org.pilotflow.resource.ssh.SshConnections sshConnections() {
        return service.resources().shells();
    }

    // ---------------------------------------------------------------- managers

    private final PilotDataManagerImpl pilotData = new PilotDataManagerImpl(this);

    /** The session's Pilot-Data (one per session, as BigJob's PilotDataService per application). */
    public org.pilotflow.api.PilotDataManager pilotDataManager() {
        return pilotData;
    }

    PilotDataManagerImpl pilotData() {
        return pilotData;
    }

    public PilotManager createPilotManager() {
        String uid = Uids.pilotManager(service.take(id, SessionTable.Counter.MANAGER, 1));
        service.txs().runRetrying(tx -> {
            SessionTable.insertManager(tx.connection(), new SessionTable.ManagerRow(id, uid, "pilot", null, false, 0));
            return null;
        });
        synchronized (this) {
            return pilotManagers.computeIfAbsent(uid, u -> new PilotManagerImpl(this, u, false));
        }
    }

    public UnitManager createUnitManager(SchedulerPolicy policy) {
        if (policy == null) {
            throw new BadParameter("policy", null, "one of " + List.of(SchedulerPolicy.values()));
        }
        String uid = Uids.unitManager(service.take(id, SessionTable.Counter.MANAGER, 1));
        service.txs().runRetrying(tx -> {
            SessionTable.insertManager(tx.connection(),
                    new SessionTable.ManagerRow(id, uid, "unit", policy.name(), false, 0));
            return null;
        });
        synchronized (this) {
            return unitManagers.computeIfAbsent(uid, u -> new UnitManagerImpl(this, u, policy, false));
        }
    }

    public List<PilotManager> pilotManagers() {
        refreshManagers();
        synchronized (this) {
            return List.copyOf(pilotManagers.values());
        }
    }

    public List<UnitManager> unitManagers() {
        refreshManagers();
        synchronized (this) {
            return List.copyOf(unitManagers.values());
        }
    }

    /** Managers made on other nodes (or before a restart) join this view. */
    void refreshManagers() {
        List<SessionTable.ManagerRow> rows = service.txs().runRetrying(tx ->
                SessionTable.managers(tx.connection(), id));
        synchronized (this) {
            for (SessionTable.ManagerRow r : rows) {
                if ("pilot".equals(r.kind())) {
                    pilotManagers.computeIfAbsent(r.uid(), u -> new PilotManagerImpl(this, u, r.closed()));
                } else {
                    unitManagers.computeIfAbsent(r.uid(), u -> new UnitManagerImpl(this, u,
                            SchedulerPolicy.valueOf(r.policy()), r.closed()));
                }
            }
        }
    }

    // ---------------------------------------------------------------- views

    /** Loads every pilot and unit of the session (when it is opened on this node). */
    void load() {
        record Rows(List<PilotRecord> pilots, List<UnitRecord> units) { }
        Rows rows = service.txs().runRetrying(tx -> new Rows(PilotTable.ofSession(tx.connection(), id),
                UnitTable.ofSession(tx.connection(), id)));
        synchronized (viewLock) {
            for (PilotRecord p : rows.pilots()) {
                pilots.put(p.uid(), new PilotView(p));
            }
            for (UnitRecord row : rows.units()) {
                UnitRecord u = row.withoutBulk();
                UnitView v = new UnitView(u);
                units.put(u.uid(), v);
                if (u.isFinal()) {
                    v.completion.complete(handle(v));
                }
            }
        }
        refreshManagers();
    }

    PilotView pilotView(String uid) {
        return pilots.get(uid);
    }

    UnitView unitView(String uid) {
        return units.get(uid);
    }

    List<UnitView> unitsOf(String manager) {
        List<UnitView> out = new ArrayList<>();
        for (UnitView v : units.values()) {
            if (manager.equals(v.current.manager())) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparing(v -> v.current.uid()));
        return out;
    }

    List<PilotView> pilotsOf(String manager) {
        List<PilotView> out = new ArrayList<>();
        for (PilotView v : pilots.values()) {
            if (manager.equals(v.current.manager())) {
                out.add(v);
            }
        }
        out.sort(Comparator.comparing(v -> v.current.uid()));
        return out;
    }

    /**
     * Takes a committed pilot row into the view; every state it passed since the view's version is announced to
     * the callbacks, in order. Older or equal revisions are ignored (two sources may race).
     */
    void apply(PilotRecord p) {
        List<StateEntry<PilotState>> announced;
        PilotView v;
        synchronized (viewLock) {
            v = pilots.get(p.uid());
            int seen = 0;
            if (v == null) {
                v = new PilotView(p);
                pilots.put(p.uid(), v);
            } else if (p.rev() <= v.current.rev()) {
                return;
            } else {
                seen = v.current.history().size();
                v.current = p;
            }
            announced = p.history().subList(Math.min(seen, p.history().size()), p.history().size());
            if (!announced.isEmpty()) {
                firePilot(v, announced); // queued under the lock: callbacks keep the order of the versions
            }
        }
        signal();
    }

    /**
     * The unit's row as stored, with what the view does not keep (its memory profile, its output files); null when
     * there is none.
     */
    UnitRecord stored(String uid) {
        return service.txs().runRetrying(tx -> UnitTable.get(tx.connection(),
                new org.pilotflow.internal.store.UnitKey(id, uid)));
    }

    /** Takes a committed unit row into the view (see {@link #apply(PilotRecord)}). */
    void apply(UnitRecord committed) {
        UnitRecord u = committed.withoutBulk(); // a profile is up to ~30 KB: read from the database when asked
        List<StateEntry<UnitState>> announced;
        UnitView v;
        synchronized (viewLock) {
            v = units.get(u.uid());
            int seen = 0;
            if (v == null) {
                v = new UnitView(u);
                units.put(u.uid(), v);
            } else if (u.rev() <= v.current.rev()) {
                return;
            } else {
                seen = v.current.history().size();
                v.current = u;
            }
            announced = u.history().subList(Math.min(seen, u.history().size()), u.history().size());
            if (!announced.isEmpty()) {
                fireUnit(v, announced); // queued under the lock: callbacks keep the order of the versions
            }
        }
        if (u.isFinal()) {
            v.completion.complete(handle(v));
        }
        signal();
    }

    /**
     * Re-reads what changed in the database since this view last saw it: rows whose revision moved (changes made
     * by other engine nodes), rows this node has not seen at all, and unfinished units that finished.
     */
    void refresh() {
        Map<String, Integer> pilotRevs = service.txs().runRetrying(tx -> PilotTable.revisions(tx.connection(), id));
        Set<String> changedPilots = new HashSet<>();
        pilotRevs.forEach((uid, rev) -> {
            PilotView v = pilots.get(uid);
            if (v == null || v.current.rev() < rev) {
                changedPilots.add(uid);
            }
        });
        record Read(Map<String, Integer> unitRevs, int count) { }
        Read r = service.txs().runRetrying(tx -> new Read(UnitTable.unfinishedRevisions(tx.connection(), id),
                UnitTable.count(tx.connection(), id)));
        Set<String> changedUnits = new HashSet<>();
        r.unitRevs().forEach((uid, rev) -> {
            UnitView v = units.get(uid);
            if (v == null || v.current.rev() < rev) {
                changedUnits.add(uid);
            }
        });
        for (UnitView v : units.values()) {
            if (!v.current.isFinal() && !r.unitRevs().containsKey(v.current.uid())) {
                changedUnits.add(v.current.uid()); // finished elsewhere
            }
        }
        if (r.count() > units.size()) {
            for (String uid : service.txs().runRetrying(tx -> UnitTable.uids(tx.connection(), id))) {
                if (!units.containsKey(uid)) {
                    changedUnits.add(uid);
                }
            }
        }
        if (!changedPilots.isEmpty()) {
            List<PilotRecord> rows = service.txs().runRetrying(tx -> {
                List<PilotRecord> out = new ArrayList<>();
                for (String uid : changedPilots) {
                    PilotRecord p = PilotTable.get(tx.connection(), new org.pilotflow.internal.store.PilotKey(id, uid));
                    if (p != null) {
                        out.add(p);
                    }
                }
                return out;
            });
            rows.forEach(this::apply);
        }
        if (!changedUnits.isEmpty()) {
            Map<String, UnitRecord> rows = service.txs().runRetrying(tx ->
                    UnitTable.get(tx.connection(), id, changedUnits));
            rows.values().stream().sorted(Comparator.comparing(UnitRecord::uid)).forEach(this::apply);
            LOG.debug("session {}: {} unit(s) changed on other nodes", id, rows.size());
        }
    }

    UnitHandle handle(UnitView v) {
        UnitHandle h = v.handle;
        if (h == null) {
            h = new UnitHandle(this, v);
            v.handle = h;
        }
        return h;
    }

    PilotHandle handle(PilotView v) {
        PilotHandle h = v.handle;
        if (h == null) {
            h = new PilotHandle(this, v);
            v.handle = h;
        }
        return h;
    }

    // ---------------------------------------------------------------- callbacks

    private void fireUnit(UnitView v, List<StateEntry<UnitState>> announced) {
        UnitManagerImpl m;
        synchronized (this) {
            m = unitManagers.get(v.current.manager());
        }
        List<UnitCallback> cbs = new ArrayList<>(v.callbacks.snapshot());
        if (m != null) {
            cbs.addAll(m.callbacks().snapshot());
        }
        if (cbs.isEmpty()) {
            return;
        }
        UnitHandle h = handle(v);
        List<UnitState> states = announced.stream().map(StateEntry::state).toList();
        callbacks.execute(() -> {
            for (UnitState s : states) {
                for (UnitCallback cb : cbs) {
                    try {
                        cb.onStateChange(h, s);
                    } catch (RuntimeException e) {
                        LOG.error("unit callback for {} ({}) threw; ignored: {}", h.uid(), s, e.toString(), e);
                    }
                }
            }
        });
    }

    private void firePilot(PilotView v, List<StateEntry<PilotState>> announced) {
        PilotManagerImpl m;
        synchronized (this) {
            m = pilotManagers.get(v.current.manager());
        }
        List<PilotCallback> cbs = new ArrayList<>(v.callbacks.snapshot());
        if (m != null) {
            cbs.addAll(m.callbacks().snapshot());
        }
        if (cbs.isEmpty()) {
            return;
        }
        PilotHandle h = handle(v);
        List<PilotState> states = announced.stream().map(StateEntry::state).toList();
        callbacks.execute(() -> {
            for (PilotState s : states) {
                for (PilotCallback cb : cbs) {
                    try {
                        cb.onStateChange(h, s);
                    } catch (RuntimeException e) {
                        LOG.error("pilot callback for {} ({}) threw; ignored: {}", h.uid(), s, e.toString(), e);
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- waiting

    void signal() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** Waits until {@code condition} holds or {@code timeout} passes; true when it holds. */
    boolean await(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (monitor) {
            while (!condition.getAsBoolean()) {
                if (!followed) { // nothing updates the views any more: waiting on would be forever
                    throw new IncorrectState("session " + id + " is no longer followed on this node (closed, or its"
                            + " engine stopped): reconnect to wait for it");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    monitor.wait(Math.max(1, Math.min(left / 1_000_000, 1000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return condition.getAsBoolean();
                }
            }
            return true;
        }
    }

    // ---------------------------------------------------------------- closing

    /** The pilot's current record; BadParameter when the pilot is not one of this session's. */
    PilotRecord pilotRecord(String uid) {
        PilotView v = uid == null ? null : pilots.get(uid);
        if (v == null) {
            throw new BadParameter("pilot", uid, "a pilot of session " + id);
        }
        return v.current;
    }

    /** The Data API for one of this session's pilots. */
    public org.pilotflow.api.DataClient dataClient(String pilotUid) {
        pilotRecord(pilotUid); // refuse a stranger now, not at the first transfer
        return new DataClientImpl(resources(), pilotUid, () -> pilotRecord(pilotUid));
    }

    /** Marks the session closed in the database (its pilots were canceled before, if asked). */
    public void markClosed() {
        service.txs().runRetrying(tx -> {
            SessionTable.closeSession(tx.connection(), id);
            service.pilots().sessionClosing(tx, id);
            return null;
        });
    }

    /** This node's work directory (PilotFlowConfig.workDirectory). */
    public Path workDirectory() {
        return service.config().workDirectory();
    }

    /** The largest part of one file {@link #download} copies (its last bytes, where it is larger). */
    static final long DOWNLOAD_MAX_BYTES = 64L << 20;

    /**
     * RADICAL-Pilot's {@code session.close(download=True)}: copies each pilot's agent log and each unit's stdout and
     * stderr files into {@code <into>/<pilot>/agent.log} and {@code <into>/<pilot>/<unit>/<file>}, over SFTP for
     * remote resources. Files that are not there (a cleaned-up sandbox, a unit that never started) are counted, not
     * errors; an unreachable resource is logged and the others are still fetched.
     *
     * @return the number of files written
     */
    public int download(Path into) {
        List<PilotRecord> ps;
        List<UnitRecord> us;
        synchronized (viewLock) {
            ps = pilots.values().stream().map(v -> v.current).toList();
            us = units.values().stream().map(v -> v.current).toList();
        }
        Map<String, PilotRecord> byUid = new HashMap<>();
        ps.forEach(p -> byUid.put(p.uid(), p));
        int written = 0;
        int missing = 0;
        long bytes = 0;
        List<String> unreachable = new ArrayList<>();
        for (PilotRecord p : ps) {
            List<String[]> files = new ArrayList<>(); // remote path, local path
            if (p.sandbox() != null) {
                files.add(new String[] {p.sandbox() + "/agent.log", p.uid() + "/agent.log"});
            }
            for (UnitRecord u : us) {
                if (p.uid().equals(u.pilot()) && u.sandbox() != null) {
                    for (String name : List.of(u.description().stdout(), u.description().stderr())) {
                        files.add(new String[] {u.sandbox() + "/" + name, p.uid() + "/" + u.uid() + "/" + name});
                    }
                }
            }
            try {
                for (String[] f : files) {
                    Path local = into.resolve(f[1]);
                    if (service.resources().fetch(p, f[0], local, DOWNLOAD_MAX_BYTES)) {
                        written++;
                        bytes += java.nio.file.Files.size(local);
                    } else {
                        missing++;
                    }
                }
            } catch (org.pilotflow.resource.ResourceException | java.io.IOException | RuntimeException e) {
                unreachable.add(p.uid() + " (" + e.getMessage() + ")");
            }
        }
        LOG.info("session {}: downloaded {} file(s), {} KiB, of {} pilot(s) into {}{}{}", id, written, bytes / 1024,
                ps.size(), into, missing == 0 ? "" : "; " + missing + " not there (cleaned up or never written)",
                unreachable.isEmpty() ? "" : "; could not fetch from " + unreachable);
        return written;
    }

    /**
     * Writes every state entry of the session's pilots and units as one profile in RADICAL-Pilot's {@code *.prof}
     * CSV shape ({@link ProfileWriter}).
     *
     * @return the number of events written
     */
    public int exportProfile(Path file) {
        ProfileWriter w = new ProfileWriter();
        synchronized (viewLock) {
            pilots.values().forEach(v -> w.add(v.current.uid(), v.current.history(), null));
            units.values().forEach(v -> w.add(v.current.uid(), v.current.history(), v.current.pilot()));
        }
        try {
            return w.write(file);
        } catch (java.io.IOException e) {
            throw new org.pilotflow.api.BadParameter("file", file, "a file this process can write ("
                    + e.getMessage() + ")");
        }
    }

    /** One Session object lets go; after the last, this node stops following the session (its data stays). */
    public void detach() {
        if (service.release(this)) {
            stopFollowing();
        }
    }

    /** The engine stops: whoever still holds the session, this node follows it no more. */
    void stopFollowing() {
        followed = false;
        callbacks.shutdown();
        signal(); // waiters see it at once
    }

    void requireOpen(boolean closed, String what) {
        if (closed) {
            throw new IncorrectState(what + " is closed");
        }
    }
}
