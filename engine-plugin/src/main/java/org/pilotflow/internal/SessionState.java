package org.pilotflow.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.PilotCallback;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine-side state of one session: its managers, uid counters, callback thread and the monitor waiters
 * block on. Internal: the public face is {@link org.pilotflow.api.Session}.
 */
public final class SessionState {

    private static final Logger LOG = LoggerFactory.getLogger(SessionState.class);

    private final PilotFlowRuntime runtime;
    private final String id;
    private final AtomicInteger pilotCounter = new AtomicInteger();
    private final AtomicInteger unitCounter = new AtomicInteger();
    private final AtomicInteger managerCounter = new AtomicInteger();
    private final Map<String, PilotManagerImpl> pilotManagers = new LinkedHashMap<>();
    private final Map<String, UnitManagerImpl> unitManagers = new LinkedHashMap<>();
    /** Callbacks run here: one thread per session keeps them in order and out of engine transactions. */
    private final ExecutorService callbacks;
    private final Object monitor = new Object();

    SessionState(PilotFlowRuntime runtime, String id) {
        this.runtime = runtime;
        this.id = id;
        this.callbacks = Executors.newSingleThreadExecutor(PilotFlowRuntime.daemon("pilotflow-callbacks-" + id));
    }

    public String id() {
        return id;
    }

    public PilotFlowRuntime runtime() {
        return runtime;
    }

    // ---- managers

    public synchronized PilotManager createPilotManager() {
        PilotManagerImpl m = new PilotManagerImpl(runtime, this, String.format("pmgr.%04d", managerCounter.getAndIncrement()));
        m.persist();
        pilotManagers.put(m.uid(), m);
        return m;
    }

    public synchronized UnitManager createUnitManager(SchedulerPolicy policy) {
        if (policy == null) {
            throw new BadParameter("policy", null, "one of " + List.of(SchedulerPolicy.values()));
        }
        UnitManagerImpl m = new UnitManagerImpl(runtime, this, String.format("umgr.%04d", managerCounter.getAndIncrement()),
                policy);
        m.persist();
        unitManagers.put(m.uid(), m);
        return m;
    }

    public synchronized List<PilotManager> pilotManagers() {
        return List.copyOf(pilotManagers.values());
    }

    public synchronized List<UnitManager> unitManagers() {
        return List.copyOf(unitManagers.values());
    }

    synchronized UnitManagerImpl unitManager(String uid) {
        UnitManagerImpl m = unitManagers.get(uid);
        if (m == null) {
            throw new IllegalStateException("session " + id + " has no unit manager " + uid);
        }
        return m;
    }

    synchronized UnitManagerImpl unitManagerOrNull(String uid) {
        return unitManagers.get(uid);
    }

    /** The first open unit manager: units started by a BPMN call activity are scheduled through it. */
    synchronized UnitManagerImpl defaultUnitManager() {
        for (UnitManagerImpl m : unitManagers.values()) {
            if (!m.isClosed()) {
                return m;
            }
        }
        return null;
    }

    synchronized List<UnitManagerImpl> unitManagersWith(String pilotUid) {
        List<UnitManagerImpl> out = new ArrayList<>();
        for (UnitManagerImpl m : unitManagers.values()) {
            if (m.hasPilot(pilotUid)) {
                out.add(m);
            }
        }
        return out;
    }

    // ---- uids

    String peekPilotUid(int offset) {
        return String.format("pilot.%04d", pilotCounter.get() + offset);
    }

    void pilotUidsUsed(int n) {
        pilotCounter.addAndGet(n);
    }

    String nextUnitUid() {
        return String.format("unit.%06d", unitCounter.getAndIncrement());
    }

    // ---- restore after a restart

    synchronized void restore(List<Store.ManagerRow> managers, List<PilotSnapshot> pilots, List<UnitSnapshot> units) {
        int maxManager = -1;
        for (Store.ManagerRow row : managers) {
            maxManager = Math.max(maxManager, suffix(row.uid()));
            if ("pilot".equals(row.kind())) {
                PilotManagerImpl m = new PilotManagerImpl(runtime, this, row.uid());
                m.restoreClosed(row.closed());
                pilotManagers.put(row.uid(), m);
            } else {
                UnitManagerImpl m = new UnitManagerImpl(runtime, this, row.uid(), SchedulerPolicy.valueOf(row.policy()));
                m.restoreClosed(row.closed());
                for (String p : row.pilots()) {
                    PilotEntry pe = runtime.pilot(id, p);
                    if (pe != null) {
                        m.restorePilot(pe);
                    }
                }
                unitManagers.put(row.uid(), m);
            }
        }
        managerCounter.set(maxManager + 1);
        int maxPilot = -1;
        for (PilotSnapshot p : pilots) {
            maxPilot = Math.max(maxPilot, suffix(p.uid()));
            PilotManagerImpl m = pilotManagers.get(p.manager());
            if (m != null) {
                m.add(runtime.pilot(id, p.uid()));
            }
        }
        pilotCounter.set(maxPilot + 1);
        int maxUnit = -1;
        for (UnitSnapshot u : units) {
            maxUnit = Math.max(maxUnit, suffix(u.uid()));
            UnitManagerImpl m = unitManagers.get(u.manager());
            UnitEntry ue = runtime.unit(id, u.uid());
            if (m != null) {
                m.add(ue);
                if (u.state() == UnitState.UNSCHEDULED && u.pilot() == null) {
                    m.addWaiting(ue);
                }
                if (!u.isFinal() && u.pilot() != null) {
                    m.bound(u.pilot(), u.description().cores());
                }
            }
        }
        unitCounter.set(maxUnit + 1);
    }

    private static int suffix(String uid) {
        try {
            return Integer.parseInt(uid.substring(uid.lastIndexOf('.') + 1));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    // ---- events (called after commit, in commit order)

    void pilotAdded(PilotEntry pe) {
        PilotManagerImpl m;
        synchronized (this) {
            m = pilotManagers.get(pe.current.manager());
        }
        if (m != null) {
            m.add(pe);
        }
    }

    void unitAdded(UnitEntry ue) {
        UnitManagerImpl m = unitManagerOrNull(ue.current.manager());
        if (m != null) {
            m.add(ue);
        }
    }

    void unitEvent(UnitEntry ue, UnitState state) {
        UnitManagerImpl m = unitManagerOrNull(ue.current.manager());
        if (state.isFinal() && m != null && ue.current.pilot() != null) {
            m.released(ue.current.pilot(), ue.current.description().cores());
        }
        List<UnitCallback> cbs = new ArrayList<>(ue.callbacks);
        if (m != null) {
            cbs.addAll(m.callbacks());
        }
        if (cbs.isEmpty()) {
            return;
        }
        UnitHandle h = runtime.handle(ue);
        callbacks.execute(() -> {
            for (UnitCallback cb : cbs) {
                try {
                    cb.onStateChange(h, state);
                } catch (RuntimeException e) {
                    LOG.error("unit callback for {} ({}) threw; ignored: {}", ue.current.uid(), state, e.toString(), e);
                }
            }
        });
    }

    void pilotEvent(PilotEntry pe, PilotState state) {
        PilotManagerImpl m;
        synchronized (this) {
            m = pilotManagers.get(pe.current.manager());
        }
        List<PilotCallback> cbs = new ArrayList<>(pe.callbacks);
        if (m != null) {
            cbs.addAll(m.callbacks());
        }
        if (cbs.isEmpty()) {
            return;
        }
        PilotHandle h = runtime.handle(pe);
        callbacks.execute(() -> {
            for (PilotCallback cb : cbs) {
                try {
                    cb.onStateChange(h, state);
                } catch (RuntimeException e) {
                    LOG.error("pilot callback for {} ({}) threw; ignored: {}", pe.current.uid(), state, e.toString(), e);
                }
            }
        });
    }

    void pilotActive(PilotEntry pe) {
        for (UnitManagerImpl m : unitManagersWith(pe.current.uid())) {
            m.requestDrain();
        }
    }

    void pilotEnded(PilotEntry pe) {
        for (UnitManagerImpl m : unitManagersWith(pe.current.uid())) {
            m.requestDrain();
        }
    }

    void drainAll() {
        List<UnitManagerImpl> ms;
        synchronized (this) {
            ms = new ArrayList<>(unitManagers.values());
        }
        ms.forEach(UnitManagerImpl::requestDrain);
    }

    // ---- waiting

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

    void stopCallbacks() {
        callbacks.shutdown();
    }
}
