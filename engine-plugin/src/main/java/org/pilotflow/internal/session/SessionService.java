package org.pilotflow.internal.session;

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
import org.camunda.bpm.engine.ProcessEngine;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.Published;
import org.pilotflow.internal.lifecycle.Threads;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.lifecycle.UnitLifecycle;
import org.pilotflow.internal.resources.Resources;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.plugin.PilotFlowConfig;
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
public final class SessionService {

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
    private final Map<String, SessionState> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refresher;
    private final BooleanSupplier otherNodesAlive;
    private long lastRefresh;

    public SessionService(Transactions txs, PilotLifecycle pilots, UnitLifecycle units, Resources resources,
                          PilotFlowConfig config, java.util.function.IntSupplier endpointPort, Terminator terminator,
                          BooleanSupplier otherNodesAlive, Consumer<PilotKey> launchHint) {
        this.txs = txs;
        this.pilots = pilots;
        this.units = units;
        this.resources = resources;
        this.config = config;
        this.endpointPort = endpointPort;
        this.terminator = terminator;
        this.otherNodesAlive = otherNodesAlive;
        this.launchHint = launchHint;
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
