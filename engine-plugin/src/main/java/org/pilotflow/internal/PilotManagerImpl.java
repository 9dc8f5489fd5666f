package org.pilotflow.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.api.PilotCallback;
import org.pilotflow.api.PilotManager;
import org.pilotflow.model.PilotState;

/** The pilot manager: submits pilots as BPMN process instances and follows them. */
final class PilotManagerImpl implements PilotManager {

    private final PilotFlowRuntime runtime;
    private final SessionState session;
    private final String uid;
    private final Map<String, PilotEntry> pilots = new LinkedHashMap<>();
    private final List<PilotCallback> callbacks = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    PilotManagerImpl(PilotFlowRuntime runtime, SessionState session, String uid) {
        this.runtime = runtime;
        this.session = session;
        this.uid = uid;
    }

    @Override
    public String uid() {
        return uid;
    }

    void restoreClosed(boolean c) {
        closed = c;
    }

    void persist() {
        runtime.tx(ctx -> {
            runtime.store().upsertManager(PilotFlowRuntime.connection(),
                    new Store.ManagerRow(session.id(), uid, "pilot", null, List.of(), closed));
            return null;
        });
    }

    synchronized void add(PilotEntry pe) {
        pilots.put(pe.current.uid(), pe);
    }

    @Override
    public List<ComputePilot> submitPilots(List<ComputePilotDescription> descriptions) {
        if (closed) {
            throw new IncorrectState("pilot manager " + uid + " is closed");
        }
        if (descriptions == null) {
            throw new BadParameter("pilots", null, "a list of ComputePilotDescription");
        }
        List<PilotEntry> entries;
        synchronized (session) { // uids are handed out in order
            entries = runtime.submitPilots(session, uid, descriptions);
        }
        List<ComputePilot> out = new ArrayList<>();
        for (PilotEntry e : entries) {
            out.add(runtime.handle(e));
        }
        return out;
    }

    @Override
    public synchronized List<String> listPilots() {
        return new ArrayList<>(pilots.keySet());
    }

    private synchronized List<PilotEntry> entries(Collection<String> uids) {
        if (uids == null || uids.isEmpty()) {
            return new ArrayList<>(pilots.values());
        }
        List<PilotEntry> out = new ArrayList<>();
        for (String u : uids) {
            PilotEntry e = pilots.get(u);
            if (e == null) {
                throw new BadParameter("uids", u, "a pilot of pilot manager " + uid);
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public List<ComputePilot> getPilots(Collection<String> uids) {
        List<ComputePilot> out = new ArrayList<>();
        for (PilotEntry e : entries(uids)) {
            out.add(runtime.handle(e));
        }
        return out;
    }

    @Override
    public List<PilotState> waitPilots(Collection<String> uids, Collection<PilotState> states, Duration timeout) {
        return waitFor(session, entries(uids), states, timeout);
    }

    static List<PilotState> waitFor(SessionState session, List<PilotEntry> es, Collection<PilotState> states,
                                    Duration timeout) {
        return StateWait.await(session, es, e -> e.current.state(), e -> e.current.uid(), PilotState.MODEL, states,
                timeout, "pilot");
    }

    @Override
    public void cancelPilots(Collection<String> uids) {
        for (PilotEntry e : entries(uids)) {
            runtime.cancelPilot(e);
        }
    }

    @Override
    public void registerCallback(PilotCallback callback) {
        if (callback == null) {
            throw new BadParameter("callback", null, "a PilotCallback");
        }
        callbacks.add(callback);
    }

    List<PilotCallback> callbacks() {
        return callbacks;
    }

    @Override
    public void close(boolean terminate) {
        if (closed) {
            return;
        }
        if (terminate) {
            List<PilotEntry> es = entries(List.of());
            cancelPilots(List.of());
            waitFor(session, es, List.of(), runtime.config().cancelGrace().plusSeconds(30));
        }
        closed = true;
        persist();
    }
}
