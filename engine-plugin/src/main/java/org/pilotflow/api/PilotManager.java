package org.pilotflow.api;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.pilotflow.model.PilotState;

/** Submits and controls pilots (RADICAL-Pilot's {@code PilotManager}). */
public interface PilotManager extends AutoCloseable {

    String uid();

    /**
     * Validates every description against its resource, then submits them all. Throws {@link BadParameter}
     * naming the field (e.g. {@code pilots[1].sandbox}) and starts nothing when any description is invalid.
     */
    List<ComputePilot> submitPilots(List<ComputePilotDescription> descriptions);

    default ComputePilot submitPilot(ComputePilotDescription description) {
        return submitPilots(List.of(description)).get(0);
    }

    List<String> listPilots();

    /** The pilots with these uids (all of this manager's when empty); an unknown uid is a BadParameter. */
    List<ComputePilot> getPilots(Collection<String> uids);

    /**
     * Blocks until every listed pilot (all when {@code uids} is empty) is in one of {@code states} (any final
     * state when empty) and returns their states in order; throws {@link WaitTimeout} when time runs out.
     */
    List<PilotState> waitPilots(Collection<String> uids, Collection<PilotState> states, Duration timeout);

    /** Cancels the listed pilots (all when empty): CANCELING, then CANCELED when the agent stopped. */
    void cancelPilots(Collection<String> uids);

    /** Called for every state change of every pilot of this manager. */
    void registerCallback(PilotCallback callback);

    /** Closes the manager; with {@code terminate}, cancels its pilots and waits for them to end. */
    void close(boolean terminate);

    @Override
    default void close() {
        close(true);
    }
}
