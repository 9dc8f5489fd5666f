package org.pilotflow.internal.session;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.PilotCallback;
import org.pilotflow.api.PilotDataCallback;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.WaitTimeout;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.Uids;
import org.pilotflow.model.PilotState;
import org.pilotflow.resource.config.ResourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The pilot manager: submits pilots as BPMN process instances and follows them. */
final class PilotManagerImpl implements PilotManager {

    private static final Logger LOG = LoggerFactory.getLogger(PilotManagerImpl.class);

    private final SessionState session;
    private final String uid;
    private final Callbacks<PilotCallback> callbacks = new Callbacks<>("PilotCallback");
    private volatile boolean closed;

    PilotManagerImpl(SessionState session, String uid, boolean closed) {
        this.session = session;
        this.uid = uid;
        this.closed = closed;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public List<ComputePilot> submitPilots(List<ComputePilotDescription> descriptions) {
        session.requireOpen(closed, "pilot manager " + uid);
        if (descriptions == null) {
            throw new BadParameter("pilots", null, "a list of ComputePilotDescription");
        }
        List<ResourceConfig> resources = new ArrayList<>();
        for (int i = 0; i < descriptions.size(); i++) {
            ComputePilotDescription d = descriptions.get(i);
            if (d == null) {
                throw new BadParameter("pilots[" + i + "]", null, "a ComputePilotDescription");
            }
            d.checkLimits("pilots[" + i + "].");
            resources.add(Validation.resource(session.resources().registry(), "pilots[" + i + "].", d));
        }
        if (descriptions.isEmpty()) {
            return List.of();
        }
        long first = session.service().take(session.id(), SessionTable.Counter.PILOT, descriptions.size());
        List<PilotRecord> created = new ArrayList<>();
        for (int i = 0; i < descriptions.size(); i++) {
            String pilotUid = Uids.pilot(first + i);
            String sandbox = Validation.sandbox(resources.get(i), "pilots[" + i + "].", descriptions.get(i),
                    session.id(), pilotUid);
            created.add(PilotRecord.created(session.id(), pilotUid, uid, descriptions.get(i), sandbox));
        }
        session.service().txs().runRetrying(tx -> {
            session.service().pilots().submit(tx, created);
            return null;
        });
        List<ComputePilot> out = new ArrayList<>();
        for (PilotRecord p : created) {
            session.service().launchHint(p.key());
            out.add(session.handle(session.pilotView(p.uid())));
        }
        return out;
    }

    @Override
    public List<String> listPilots() {
        List<String> out = new ArrayList<>();
        session.pilotsOf(uid).forEach(v -> out.add(v.current.uid()));
        return out;
    }

    private List<PilotView> views(Collection<String> uids) {
        if (uids == null || uids.isEmpty()) {
            return session.pilotsOf(uid);
        }
        BadParameter.requireNoNulls(uids, "uids", "a pilot uid");
        List<PilotView> out = new ArrayList<>();
        for (String u : uids) {
            PilotView v = session.pilotView(u);
            if (v == null || !uid.equals(v.current.manager())) {
                throw new BadParameter("uids", u, "a pilot of pilot manager " + uid + " " + listPilots());
            }
            out.add(v);
        }
        return out;
    }

    @Override
    public List<ComputePilot> getPilots(Collection<String> uids) {
        List<ComputePilot> out = new ArrayList<>();
        for (PilotView v : views(uids)) {
            out.add(session.handle(v));
        }
        return out;
    }

    @Override
    public List<PilotState> waitPilots(Collection<String> uids, Collection<PilotState> states, Duration timeout) {
        return waitFor(session, views(uids), states, timeout);
    }

    static List<PilotState> waitFor(SessionState session, List<PilotView> views, Collection<PilotState> states,
                                    Duration timeout) {
        return StateWait.await(session, views, v -> v.current.state(), v -> v.current.uid(), PilotState.MODEL,
                states, timeout, "pilot");
    }

    @Override
    public List<PilotState> cancelPilots(Collection<String> uids, Duration timeout) {
        List<PilotView> views = requestCancels(uids);
        return waitFor(session, views, null, timeout);
    }

    @Override
    public CompletableFuture<List<PilotState>> cancelPilotsAsync(Collection<String> uids) {
        List<PilotView> views = requestCancels(uids);
        return CompletableFuture.supplyAsync(() -> waitFor(session, views, null, null),
                AsyncResults.EXECUTOR); // a pilot view has no completion future: a thread waits, cheap for a few
    }

    private List<PilotView> requestCancels(Collection<String> uids) {
        List<PilotView> views = views(uids);
        for (PilotView v : views) {
            if (!v.current.isFinal()) {
                cancel(session, v.current.key());
            }
        }
        return views;
    }

    static void cancel(SessionState session, PilotKey key) {
        session.service().txs().runRetrying(tx -> {
            session.service().pilots().cancel(tx, key);
            return null;
        });
    }

    @Override
    public void registerCallback(PilotCallback callback) {
        callbacks.add(callback);
    }

    @Override
    public <T> void registerCallback(PilotDataCallback<T> callback, T data) {
        BadParameter.requireNonNull(callback, "callback", "a PilotDataCallback");
        callbacks.add(new Callbacks.BoundPilot<>(callback, data));
    }

    @Override
    public boolean unregisterCallback(PilotCallback callback) {
        return callbacks.remove(callback);
    }

    @Override
    public boolean unregisterCallback(PilotDataCallback<?> callback) {
        return callbacks.remove(callback);
    }

    Callbacks<PilotCallback> callbacks() {
        return callbacks;
    }

    /**
     * With {@code terminate}: cancels the pilots and waits for them to end (the cancel grace and a margin); a pilot
     * whose agent did not stop by then is ended and its job killed, so no agent outlives a terminated manager.
     */
    @Override
    public void close(boolean terminate) {
        if (closed) {
            return;
        }
        if (terminate) {
            session.refresh(); // pilots submitted through this manager on other nodes too
            List<PilotView> views = session.pilotsOf(uid);
            requestCancels(List.of());
            Duration grace = session.service().config().cancelGrace().plusSeconds(30);
            try {
                waitFor(session, views, List.of(), grace);
            } catch (WaitTimeout e) {
                List<PilotKey> left = new ArrayList<>();
                views.stream().filter(v -> !v.current.isFinal()).forEach(v -> left.add(v.current.key()));
                LOG.warn("pilot manager {}: {} pilot(s) did not end within {} of the cancel; ending them and killing"
                        + " their jobs", uid, left.size(), grace);
                session.service().terminator().forceEnd(left, "its agent did not stop within " + grace
                        + " of the cancel when its manager closed");
            }
        }
        closed = true;
        session.service().txs().runRetrying(tx -> {
            SessionTable.closeManager(tx.connection(), session.id(), uid);
            return null;
        });
    }
}
