package org.pilotflow.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.PilotCallback;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.PilotState;

/** The API's view of one pilot entry. */
final class PilotHandle implements ComputePilot {
    private final PilotFlowRuntime runtime;
    private final PilotEntry entry;

    PilotHandle(PilotFlowRuntime runtime, PilotEntry entry) {
        this.runtime = runtime;
        this.entry = entry;
    }

    PilotEntry entry() {
        return entry;
    }

    @Override
    public String uid() {
        return entry.current.uid();
    }

    @Override
    public PilotState state() {
        return entry.current.state();
    }

    @Override
    public List<StateEntry<PilotState>> stateHistory() {
        return entry.current.history();
    }

    @Override
    public ComputePilotDescription description() {
        return entry.current.description();
    }

    @Override
    public Optional<String> reason() {
        return Optional.ofNullable(entry.current.reason());
    }

    @Override
    public String sandbox() {
        return entry.current.sandbox();
    }

    @Override
    public String resourceDetails() {
        PilotSnapshot s = entry.current;
        return s.description().resource() + (s.job() == null ? "" : " " + s.job());
    }

    @Override
    public String log() {
        return runtime.agentLog(entry.current, 50);
    }

    @Override
    public PilotState waitFor(Duration timeout, PilotState... states) {
        return PilotManagerImpl.waitFor(runtime.session(entry.current.sessionId()), List.of(entry),
                List.of(states), timeout).get(0);
    }

    @Override
    public void cancel() {
        runtime.cancelPilot(entry);
    }

    @Override
    public void registerCallback(PilotCallback callback) {
        if (callback == null) {
            throw new BadParameter("callback", null, "a PilotCallback");
        }
        entry.callbacks.add(callback);
    }

    @Override
    public String toString() {
        return "ComputePilot[" + uid() + ", " + state() + "]";
    }
}
