package org.pilotflow.internal.session;

import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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
 * <p>Memory: every unfinished unit has a view here; of the finished ones only the newest
 * {@code PilotFlowConfig.finishedUnitCache} stay, and an older one is read from the database when asked for (a
 * view of its own, as final as the row). A final unit changes no more, so nothing is lost when its view goes: its
 * states were announced, its completion completed. {@link KnownUnits} keeps, at four bytes a unit, which units the
 * view has taken in (so a unit whose view went is not announced again as new), their managers and the final states
 * of those whose views went (so waits and cancels over many finished units read nothing back).
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
    /** Unfinished units and the newest finished ones. */
    private final Map<String, UnitView> units = new ConcurrentHashMap<>();
    /** The finished units in {@link #units}, in the order they finished; guarded by {@link #viewLock}. */
    private final Set<String> finished = new LinkedHashSet<>();
    /** Every unit {@link #units} has held; guarded by {@link #viewLock}. */
    private final KnownUnits known = new KnownUnits();
    private final int finishedCache;
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
        this.finishedCache = service.config().finishedUnitCache();
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

    /**
     * Loads the session's pilots, its unfinished units and its newest finished ones (when it is opened on this
     * node); the rows are read one page at a time, so a long session's are never all in memory at once.
     */
    void load() {
        record Rows(List<PilotRecord> pilots, List<UnitRecord> unfinished, ArrayDeque<UnitRecord> newestFinished,
                    KnownUnits known) { }
        Rows rows = service.txs().runRetrying(tx -> {
            Rows r = new Rows(PilotTable.ofSession(tx.connection(), id), new ArrayList<>(), new ArrayDeque<>(),
                    new KnownUnits());
            UnitTable.forEachOfSession(tx.connection(), id, row -> {
                r.known().add(row.uid(), row.manager());
                if (!row.isFinal()) {
                    r.unfinished().add(row.withoutBulk());
                    return;
                }
                r.newestFinished().addLast(row.withoutBulk());
                if (r.newestFinished().size() > finishedCache) {
                    UnitRecord older = r.newestFinished().removeFirst();
                    r.known().gone(older.uid(), older.state());
                }
            });
            return r;
        });
        synchronized (viewLock) {
            for (PilotRecord p : rows.pilots()) {
                pilots.put(p.uid(), new PilotView(p));
            }
            known.addAll(rows.known());
            rows.unfinished().forEach(u -> units.put(u.uid(), new UnitView(u)));
            for (UnitRecord u : rows.newestFinished()) {
                UnitView v = new UnitView(u);
                v.completion.complete(handle(v));
                units.put(u.uid(), v);
                finished.add(u.uid());
            }
        }
        refreshManagers();
    }

    PilotView pilotView(String uid) {
        return pilots.get(uid);
    }

    /**
     * The unit's view: the one kept here, or, for a finished unit whose view went or a unit another node made since
     * the last {@link #refresh}, one made from its row; null when the session has no such unit.
     */
    UnitView unitView(String uid) {
        UnitView v = uid == null ? null : units.get(uid);
        if (v != null || uid == null) {
            return v;
        }
        UnitRecord row = stored(uid);
        return row == null ? null : viewOf(row);
    }

    /** The uids of a unit manager's units, in uid order (from the database: finished views may have gone). */
    List<String> unitUidsOf(String manager) {
        return service.txs().runRetrying(tx -> UnitTable.uidsOf(tx.connection(), id, manager));
    }

    /**
     * The listed units, in order, each with its view, or, for a finished unit whose view went, its final state only;
     * null for a uid the session does not have. Reads the database only for units this node has not seen.
     */
    List<UnitRef> unitRefs(List<String> uids) {
        return resolve(uids, false);
    }

    /** The listed units' views, in order (the finished ones whose views went read back); null for a stranger. */
    List<UnitView> unitViews(List<String> uids) {
        return resolve(uids, true).stream().map(r -> r == null ? null : r.view()).toList();
    }

    /** How many unit rows one read brings back (each may carry a memory profile of up to ~30 KB). */
    private static final int READ_PAGE = 500;

    private List<UnitRef> resolve(List<String> uids, boolean whole) {
        UnitRef[] out = new UnitRef[uids.size()];
        List<Integer> unread = new ArrayList<>();
        synchronized (viewLock) {
            for (int i = 0; i < out.length; i++) {
                String uid = uids.get(i);
                UnitView v = units.get(uid);
                UnitState gone = v == null ? known.goneState(uid) : null;
                if (v != null) {
                    out[i] = UnitRef.of(v);
                } else if (gone != null && !whole) {
                    out[i] = new UnitRef(uid, known.manager(uid), null, gone);
                } else {
                    unread.add(i);
                }
            }
        }
        for (int from = 0; from < unread.size(); from += READ_PAGE) {
            List<Integer> part = unread.subList(from, Math.min(unread.size(), from + READ_PAGE));
            List<String> partUids = part.stream().map(uids::get).toList();
            Map<String, UnitRecord> rows = service.txs().runRetrying(tx ->
                    UnitTable.get(tx.connection(), id, partUids));
            for (int i : part) {
                UnitRecord row = rows.get(uids.get(i));
                out[i] = row == null ? null : UnitRef.of(viewOf(row));
            }
        }
        return java.util.Arrays.asList(out);
    }

    /**
     * A view for a unit row read from the database: the view kept here (the row taken in first, as from any other
     * source), or, for a finished unit whose view went, a view of its own: final, its completion complete.
     */
    private UnitView viewOf(UnitRecord row) {
        boolean gone;
        synchronized (viewLock) {
            gone = known.goneState(row.uid()) != null;
        }
        if (!gone) {
            apply(row);
            UnitView v = units.get(row.uid());
            if (v != null) {
                return v;
            }
        }
        UnitView v = new UnitView(row.withoutBulk()); // only a final unit's view goes: this one stays as it is
        v.completion.complete(handle(v));
        return v;
    }

    /** The number of unit views this node holds now (unfinished, and finished up to the cache's size). */
    int unitViewsHeld() {
        return units.size();
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

    /**
     * Takes a committed unit row into the view (see {@link #apply(PilotRecord)}). A final unit's view stays among
     * the newest finished ones, and the oldest of those goes when there are more than the cache holds.
     */
    void apply(UnitRecord committed) {
        UnitRecord u = committed.withoutBulk(); // a profile is up to ~30 KB: read from the database when asked
        List<StateEntry<UnitState>> announced;
        UnitView v;
        synchronized (viewLock) {
            v = units.get(u.uid());
            int told = 0;
            if (v == null) {
                if (!known.add(u.uid(), u.manager())) {
                    return; // its view went when it was final; a final unit changes no more: all of it was told
                }
                v = new UnitView(u);
                units.put(u.uid(), v);
            } else if (u.rev() <= v.current.rev()) {
                return;
            } else {
                told = v.current.history().size();
                v.current = u;
            }
            announced = u.history().subList(Math.min(told, u.history().size()), u.history().size());
            if (!announced.isEmpty()) {
                fireUnit(v, announced); // queued under the lock: callbacks keep the order of the versions
            }
        }
        if (u.isFinal()) {
            v.completion.complete(handle(v));
            // after the view's own completion (the callers' futures are handed over from it): a view goes only once
            // all of it is done
            synchronized (viewLock) {
                finished.add(u.uid());
                for (Iterator<String> oldest = finished.iterator(); finished.size() > finishedCache; ) {
                    UnitView gone = units.remove(oldest.next());
                    known.gone(gone.current.uid(), gone.current.state());
                    oldest.remove();
                }
            }
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
        // stored: the session's rows, against known.count(); a counter row, not a count of the session's history
        record Read(Map<String, Integer> unitRevs, long stored) { }
        Read r = service.txs().runRetrying(tx -> new Read(UnitTable.unfinishedRevisions(tx.connection(), id),
                SessionTable.storedUnits(tx.connection(), id)));
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
        int seenCount;
        synchronized (viewLock) {
            seenCount = known.count();
        }
        if (r.stored() > seenCount) { // made on other nodes, perhaps finished there too
            List<String> uids = service.txs().runRetrying(tx -> UnitTable.uids(tx.connection(), id));
            synchronized (viewLock) {
                for (String uid : uids) {
                    if (!known.contains(uid)) {
                        changedUnits.add(uid);
                    }
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
        List<PilotRecord> ps = pilots.values().stream().map(v -> v.current).toList();
        // remote path, local path, by pilot; from the rows, the finished units' views being only the newest
        Map<String, List<String[]>> unitFiles = service.txs().runRetrying(tx -> {
            Map<String, List<String[]>> out = new HashMap<>();
            UnitTable.forEachOfSession(tx.connection(), id, u -> {
                if (u.pilot() != null && u.sandbox() != null) {
                    for (String name : List.of(u.description().stdout(), u.description().stderr())) {
                        out.computeIfAbsent(u.pilot(), p -> new ArrayList<>()).add(new String[] {
                                u.sandbox() + "/" + name, u.pilot() + "/" + u.uid() + "/" + name});
                    }
                }
            });
            return out;
        });
        int written = 0;
        int missing = 0;
        long bytes = 0;
        List<String> unreachable = new ArrayList<>();
        for (PilotRecord p : ps) {
            List<String[]> files = new ArrayList<>(); // remote path, local path
            if (p.sandbox() != null) {
                files.add(new String[] {p.sandbox() + "/agent.log", p.uid() + "/agent.log"});
            }
            files.addAll(unitFiles.getOrDefault(p.uid(), List.of()));
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
        ProfileWriter w = service.txs().runRetrying(tx -> { // the rows: the finished units' views are the newest only
            ProfileWriter out = new ProfileWriter();
            pilots.values().forEach(v -> out.add(v.current.uid(), v.current.history(), null));
            UnitTable.forEachOfSession(tx.connection(), id, u -> out.add(u.uid(), u.history(), u.pilot()));
            return out;
        });
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
