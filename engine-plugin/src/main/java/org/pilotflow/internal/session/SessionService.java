package org.pilotflow.internal.session;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineException;
import org.pilotflow.api.BadParameter;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.internal.lifecycle.FileStager;
import org.pilotflow.internal.lifecycle.PilotFromVariables;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.PilotSubmitter;
import org.pilotflow.internal.lifecycle.Published;
import org.pilotflow.internal.lifecycle.Threads;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.lifecycle.Tx;
import org.pilotflow.internal.lifecycle.UnitFromVariables;
import org.pilotflow.internal.lifecycle.UnitLifecycle;
import org.pilotflow.internal.resources.Resources;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.Uids;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.resource.config.ResourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions open on this engine node, and what their API objects need from the node. Any node can open any
 * session (all of it is in the database); several nodes can have it open at once.
 *
 * <p>Threads: API calls from the application; {@link #published} from committing threads; the refresher
 * ({@code pilotflow-refresh}) re-reads what other nodes changed, every second while other nodes are alive, every
 * ten seconds otherwise (a cheap check that this node's own commits already cover).
 */
public final class SessionService implements PilotSubmitter, FileStager {

    private static final Logger LOG = LoggerFactory.getLogger(SessionService.class);
    private static final Map<ProcessEngine, SessionService> BY_ENGINE = new ConcurrentHashMap<>();

    /** Ends pilots whose agents did not stop when their session closed, and kills their jobs now. */
    public interface Terminator {
        void forceEnd(Collection<PilotKey> pilots, String why);
    }

    private final Transactions txs;
    private final PilotLifecycle pilots;
    private final UnitLifecycle units;
    private final Resources resources;
    private final PilotFlowConfig config;
    private final java.util.function.IntSupplier endpointPort;
    private final Terminator terminator;
    private final Consumer<PilotKey> launchHint;
    private final Predicate<String> startsPending;
    private final Map<String, SessionState> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refresher;
    private final BooleanSupplier otherNodesAlive;
    private long lastRefresh;

    public SessionService(Transactions txs, PilotLifecycle pilots, UnitLifecycle units, Resources resources,
                          PilotFlowConfig config, java.util.function.IntSupplier endpointPort, Terminator terminator,
                          BooleanSupplier otherNodesAlive, Consumer<PilotKey> launchHint,
                          Predicate<String> startsPending) {
        this.txs = txs;
        this.pilots = pilots;
        this.units = units;
        this.resources = resources;
        this.config = config;
        this.endpointPort = endpointPort;
        this.terminator = terminator;
        this.otherNodesAlive = otherNodesAlive;
        this.launchHint = launchHint;
        this.startsPending = startsPending;
        this.refresher = Threads.scheduler("pilotflow-refresh");
    }

    /** The session service of an engine built with {@link org.pilotflow.plugin.PilotFlowPlugin}. */
    public static SessionService of(ProcessEngine engine) {
        SessionService s = BY_ENGINE.get(engine);
        if (s == null) {
            throw new IncorrectState("process engine '" + engine.getName() + "' has no PilotFlowPlugin; add "
                    + "org.pilotflow.plugin.PilotFlowPlugin to its processEnginePlugins");
        }
        return s;
    }

    public void start(ProcessEngine engine) {
        BY_ENGINE.put(engine, this);
        refresher.scheduleWithFixedDelay(this::refreshAll, 1, 1, TimeUnit.SECONDS);
    }

    public void stop(ProcessEngine engine) {
        BY_ENGINE.remove(engine, this);
        Threads.stop(refresher, Duration.ofSeconds(5));
        open.values().forEach(SessionState::stopFollowing);
    }

    // ---------------------------------------------------------------- sessions

    /** A new session, stored at once (its id is what {@link #reconnect} takes). */
    public SessionState create() {
        String id = "session." + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd.HHmmss")) + "."
                + HexFormat.of().formatHex(randomBytes(3));
        txs.runRetrying(tx -> {
            SessionTable.insertSession(tx.connection(), new SessionTable.SessionRow(id, System.currentTimeMillis(),
                    endpointPort.getAsInt(), false));
            return null;
        });
        SessionState s = new SessionState(this, id);
        open.put(id, s);
        LOG.info("session {} created", id);
        return s;
    }

    /**
     * The session {@code id}, from the database; a session already open on this node is returned as it is, with
     * one more holder (each {@code Session} object holds it until it closes; the last one to close detaches it).
     */
    public SessionState reconnect(String id) {
        synchronized (this) {
            SessionState s = open.get(id);
            if (s != null) {
                s.holders++;
                return s;
            }
        }
        SessionTable.SessionRow row = txs.runRetrying(tx -> SessionTable.session(tx.connection(), id));
        if (row == null) {
            throw new BadParameter("sessionId", id, "the id of a session stored in this engine's database");
        }
        synchronized (this) {
            SessionState s = open.get(id);
            if (s == null) {
                s = new SessionState(this, id);
                s.load();
                open.put(id, s);
                LOG.info("session {} opened on this node", id);
            } else {
                s.holders++;
            }
            return s;
        }
    }

    /** One holder lets go; true when it was the last, and the session is no longer followed here. */
    synchronized boolean release(SessionState s) {
        if (--s.holders > 0) {
            return false;
        }
        open.remove(s.id(), s);
        unitNumbers.forget(s.id());
        return true;
    }

    // ---------------------------------------------------------------- what sessions need

    Transactions txs() {
        return txs;
    }

    PilotLifecycle pilots() {
        return pilots;
    }

    UnitLifecycle units() {
        return units;
    }

    Resources resources() {
        return resources;
    }

    PilotFlowConfig config() {
        return config;
    }

    Terminator terminator() {
        return terminator;
    }

    void launchHint(PilotKey pilot) {
        launchHint.accept(pilot);
    }

    /** Takes {@code n} numbers from a session's counter, in a transaction of its own. */
    long take(String sessionId, String counter, int n) {
        return txs.runRetrying(tx -> SessionTable.take(tx.connection(), sessionId, counter, n));
    }

    private final NumberBlocks unitNumbers = new NumberBlocks();

    /** Whether this node still starts the processes of stored units of the session (a large submission's). */
    boolean startsPending(String sessionId) {
        return startsPending.test(sessionId);
    }

    /** The first of {@code n} new unit numbers of a session; small requests come from a block taken earlier. */
    long takeUnitNumbers(String sessionId, int n) {
        return unitNumbers.take(sessionId, n, k -> take(sessionId, SessionTable.Counter.UNIT, k));
    }

    // ---------------------------------------------------------------- pilots BPMN tasks submit

    /**
     * An operator retried a FAILED pilot's incident: a new pilot with its description is submitted, in the current
     * (the "Report failure" job's) transaction, to the same pilot manager, and joins the open unit managers the
     * failed one served. Any node can do it: sessions, managers and counters are in the database, and every node
     * has the same resource configuration.
     */
    @Override
    public String replacement(PilotKey failed) {
        Tx tx = txs.current();
        try {
            Connection c = tx.connection();
            PilotRecord old = tx.pilot(failed);
            if (old == null) {
                throw new ProcessEngineException("pilot " + failed.uid() + " of session " + failed.sessionId()
                        + " is not in PilotFlow's tables; delete this process instance");
            }
            String what = "no replacement for pilot " + old.uid() + ": ";
            String acknowledge = "; delete this process instance to acknowledge the failure";
            if (!isOpen(c, failed.sessionId())) {
                throw new ProcessEngineException(what + "its session " + failed.sessionId() + " is closed (a"
                        + " replacement can only join an open session)" + acknowledge);
            }
            SessionTable.ManagerRow manager = SessionTable.manager(c, failed.sessionId(), old.manager());
            if (manager == null || manager.closed()) {
                throw new ProcessEngineException(what + "its pilot manager " + old.manager() + " is closed"
                        + acknowledge);
            }
            List<String> served = SessionTable.managersOf(c, failed);
            List<String> unitManagers = new java.util.ArrayList<>();
            for (SessionTable.ManagerRow m : SessionTable.managers(c, failed.sessionId())) {
                if (!m.closed() && served.contains(m.uid())) {
                    unitManagers.add(m.uid());
                }
            }
            if (!served.isEmpty() && unitManagers.isEmpty()) {
                // it would hold its allocation with no unit to run
                throw new ProcessEngineException(what + "the unit managers it served " + served + " are closed"
                        + acknowledge);
            }
            String uid;
            try {
                uid = submit(tx, failed.sessionId(), old.manager(), old.description(), unitManagers,
                        "replacement of pilot " + old.uid() + ": pilots[0].");
            } catch (BadParameter e) {
                throw new ProcessEngineException(e.getMessage() + "; fix the resource configuration and retry, or"
                        + " delete this process instance", e);
            }
            LOG.info("pilot {} replaces FAILED pilot {} (an operator retried its incident)", uid, old.uid());
            return uid;
        } catch (SQLException e) {
            throw new ProcessEngineException("PilotFlow database access failed: " + e.getMessage(), e);
        }
    }

    /** A workflow's "Submit pilot" task, in its transaction. */
    @Override
    public String fromWorkflow(String sessionId, ComputePilotDescription d, String pilotManager,
                               String unitManager) {
        Tx tx = txs.current();
        try {
            Connection c = tx.connection();
            if (!isOpen(c, sessionId)) {
                throw new ProcessEngineException("variable " + new BadParameter(BpmnContract.VAR_SESSION, sessionId,
                        "an open session of this engine's database").getMessage());
            }
            String pm = openManager(c, sessionId, "pilot", pilotManager, PilotFromVariables.VAR_PILOT_MANAGER,
                    "the pilot");
            String um = openManager(c, sessionId, "unit", unitManager, UnitFromVariables.VAR_UNIT_MANAGER, null);
            String uid = submit(tx, sessionId, pm, d, um == null ? List.of() : List.of(um), "");
            LOG.info("pilot {} submitted by a workflow's task to {}", uid, d.resource());
            return uid;
        } catch (BadParameter e) {
            throw new ProcessEngineException("variable " + e.getMessage() + " (fix the variable and retry)", e);
        } catch (SQLException e) {
            throw new ProcessEngineException("PilotFlow database access failed: " + e.getMessage(), e);
        }
    }

    /**
     * A workflow's "Stage data" task, in its job's transaction: the pilot's row is read there (no lock: the files
     * move while the job runs, and the pilot's own transactions must not wait for them).
     */
    @Override
    public List<org.pilotflow.api.FileSpec> stage(PilotKey key, boolean in, List<org.pilotflow.api.FileSpec> files) {
        PilotRecord p = txs.run(tx -> tx.pilot(key));
        if (p == null) {
            throw new BadParameter("pilot", key.uid(), "the uid of a pilot of session " + key.sessionId());
        }
        org.pilotflow.api.DataClient data = new DataClientImpl(resources, key.uid(), () -> p);
        return in ? data.stageIn(files) : data.stageOut(files);
    }

    private static boolean isOpen(Connection c, String sessionId) throws SQLException {
        SessionTable.SessionRow session = SessionTable.session(c, sessionId);
        return session != null && !session.closed();
    }

    /**
     * The open manager of {@code kind} the variable names, or the session's first open one when it names none.
     * {@code needed}: what to say when there is none (null: none is fine, the result is null).
     */
    private static String openManager(Connection c, String sessionId, String kind, String wanted, String variable,
                                      String needed) throws SQLException {
        List<String> open = new java.util.ArrayList<>();
        for (SessionTable.ManagerRow m : SessionTable.managers(c, sessionId)) {
            if (kind.equals(m.kind()) && !m.closed()) {
                open.add(m.uid());
            }
        }
        if (wanted != null && !open.contains(wanted)) {
            throw new BadParameter(variable, wanted, "the uid of an open " + kind + " manager of session " + sessionId
                    + " " + open);
        }
        if (wanted == null && open.isEmpty() && needed != null) {
            throw new ProcessEngineException("session " + sessionId + " has no open " + kind + " manager for " + needed
                    + "; create one with session.create" + (kind.equals("pilot") ? "Pilot" : "Unit")
                    + "Manager()");
        }
        return wanted != null ? wanted : open.isEmpty() ? null : open.get(0);
    }

    /**
     * Stores a new pilot of {@code manager} in the current transaction (checked as {@code submitPilots} checks one)
     * and adds it to {@code unitManagers}.
     *
     * @throws BadParameter naming {@code prefix} + the field, its value and what was expected
     */
    private String submit(Tx tx, String sessionId, String manager, ComputePilotDescription d,
                          List<String> unitManagers, String prefix) throws SQLException {
        d.checkLimits(prefix);
        ResourceConfig rc = Validation.resource(resources.registry(), prefix, d);
        String uid = Uids.pilot(txs.runAlone(t -> SessionTable.take(t.connection(), sessionId,
                SessionTable.Counter.PILOT, 1)));
        String sandbox = Validation.sandbox(rc, prefix, d, sessionId, uid);
        pilots.submit(tx, List.of(PilotRecord.created(sessionId, uid, manager, d, sandbox)));
        long now = tx.dbNow();
        for (String m : unitManagers) {
            SessionTable.addManagerPilot(tx.connection(), sessionId, m, uid, now);
        }
        return uid;
    }

    // ---------------------------------------------------------------- keeping views fresh

    /** What a commit on this node changed reaches the sessions open here at once. */
    public void published(List<Published> events) {
        if (open.isEmpty()) {
            return;
        }
        for (Published e : events) {
            if (e instanceof Published.UnitChanged u) {
                SessionState s = open.get(u.unit().sessionId());
                if (s != null) {
                    s.apply(u.unit());
                }
            } else if (e instanceof Published.PilotChanged p) {
                SessionState s = open.get(p.pilot().sessionId());
                if (s != null) {
                    s.apply(p.pilot());
                }
            }
        }
    }

    private void refreshAll() {
        long now = System.nanoTime();
        if (!otherNodesAlive.getAsBoolean() && now - lastRefresh < TimeUnit.SECONDS.toNanos(10)) {
            return;
        }
        lastRefresh = now;
        for (SessionState s : open.values()) {
            try {
                s.refresh();
            } catch (RuntimeException e) {
                LOG.warn("session {}: could not re-read what other nodes changed (next time in 1 s): {}", s.id(),
                        e.toString());
            }
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }
}
