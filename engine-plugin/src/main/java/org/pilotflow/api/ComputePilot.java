package org.pilotflow.api;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.pilotflow.model.PilotState;

/** A pilot (RADICAL-Pilot's {@code ComputePilot}): a live view; every getter reads the latest committed state. */
public interface ComputePilot {

    String uid();

    PilotState state();

    /** Every state the pilot passed, each once, in order, with the time it was entered. */
    List<StateEntry<PilotState>> stateHistory();

    ComputePilotDescription description();

    /** Why the pilot FAILED or was CANCELED, in words a person can act on; empty otherwise. */
    Optional<String> reason();

    /** The pilot sandbox on its resource (where {@code agent.log} lies). */
    String sandbox();

    /** The resource label and the job handle, e.g. {@code local.localhost fork:node1/12345}. */
    String resourceDetails();

    /** The last lines of the agent's log, when the resource is reachable from here; empty otherwise. */
    String log();

    /** Blocks until the pilot has reached or passed one of {@code states}, or is final (any final state when empty). */
    PilotState waitFor(Duration timeout, PilotState... states);

    /** Requests the cancel and returns; {@link #waitFor} sees it end ({@link PilotManager#cancelPilots} waits). */
    void cancel();

    void registerCallback(PilotCallback callback);

    /** Like {@link #registerCallback(PilotCallback)}, passing {@code data} to every call (RP's {@code cb_data}). */
    <T> void registerCallback(PilotDataCallback<T> callback, T data);

    /** Removes every registration of {@code callback}; false when it was not registered. */
    boolean unregisterCallback(PilotCallback callback);

    /** Removes every registration of {@code callback} (whatever its data); false when it was not registered. */
    boolean unregisterCallback(PilotDataCallback<?> callback);
}
