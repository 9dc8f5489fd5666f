package org.pilotflow.internal.session;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.PilotCallback;
import org.pilotflow.api.PilotDataCallback;
import org.pilotflow.api.StateEntry;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.model.PilotState;

/** The API's view of one pilot: every getter reads the newest version this node has seen. */
final class PilotHandle implements ComputePilot {
    private final SessionState session;
    private final PilotView view;

    PilotHandle(SessionState session, PilotView view) {
        this.session = session;
        this.view = view;
    }

    String sessionId() {
        return view.current.sessionId();
    }

    @Override
    public String uid() {
        return view.current.uid();
    }

    @Override
    public PilotState state() {
        return view.current.state();
    }

    @Override
    public List<StateEntry<PilotState>> stateHistory() {
        return view.current.history();
    }

    @Override
    public ComputePilotDescription description() {
        return view.current.description();
    }

    @Override
    public Optional<String> reason() {
        return Optional.ofNullable(view.current.reason());
    }

    @Override
    public String sandbox() {
        return view.current.sandbox();
    }

    @Override
    public String resourceDetails() {
        PilotRecord p = view.current;
        return p.description().resource() + (p.job() == null ? "" : " " + p.job());
    }

    @Override
    public String log() {
        return session.resources().agentLog(view.current, 50);
    }

    @Override
    public PilotState waitFor(Duration timeout, PilotState... states) {
        return PilotManagerImpl.waitFor(session, List.of(view), states == null ? null : java.util.Arrays.asList(states),
                timeout).get(0);
    }

    @Override
    public void cancel() {
        PilotManagerImpl.cancel(session, view.current.key());
    }

    @Override
    public void registerCallback(PilotCallback callback) {
        view.callbacks.add(callback);
    }

    @Override
    public <T> void registerCallback(PilotDataCallback<T> callback, T data) {
        BadParameter.requireNonNull(callback, "callback", "a PilotDataCallback");
        view.callbacks.add(new Callbacks.BoundPilot<>(callback, data));
    }

    @Override
    public boolean unregisterCallback(PilotCallback callback) {
        return view.callbacks.remove(callback);
    }

    @Override
    public boolean unregisterCallback(PilotDataCallback<?> callback) {
        return view.callbacks.remove(callback);
    }

    @Override
    public String toString() {
        return "ComputePilot[" + uid() + ", " + state() + "]";
    }
}
