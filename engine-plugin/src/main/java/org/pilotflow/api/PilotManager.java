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
     * Blocks until every listed pilot (all when {@code uids} is empty) has reached or passed one of
     * {@code states}, or is final (any final state when {@code states} is empty), and returns their states in
     * order; throws {@link WaitTimeout} when time runs out (null: no limit).
     */
    List<PilotState> waitPilots(Collection<String> uids, Collection<PilotState> states, Duration timeout);

    /**
     * Cancels the listed pilots (all when empty) and waits until each is final: CANCELING, then CANCELED when its
     * agent stopped (or the state it reached first, e.g. DONE when its runtime ended).
     */
    default void cancelPilots(Collection<String> uids) {
        cancelPilots(uids, null);
    }

    /**
     * Cancels the listed pilots (all when empty) and waits at most {@code timeout} (null: no limit) until each is
     * final; returns their states in order; {@link WaitTimeout} when time runs out (the cancels stay requested).
     */
    List<PilotState> cancelPilots(Collection<String> uids, Duration timeout);

    /**
     * Requests the cancels at once and completes with the pilots' final states, on one of PilotFlow's own threads
     * ({@code pilotflow-async-*}), never on an engine thread.
     */
    java.util.concurrent.CompletableFuture<List<PilotState>> cancelPilotsAsync(Collection<String> uids);

    /** Called for every state change of every pilot of this manager. */
    void registerCallback(PilotCallback callback);

    /** Like {@link #registerCallback(PilotCallback)}, passing {@code data} to every call (RP's {@code cb_data}). */
    <T> void registerCallback(PilotDataCallback<T> callback, T data);

    /** Removes every registration of {@code callback}; false when it was not registered. */
    boolean unregisterCallback(PilotCallback callback);

    /** Removes every registration of {@code callback} (whatever its data); false when it was not registered. */
    boolean unregisterCallback(PilotDataCallback<?> callback);

    /** Closes the manager; with {@code terminate}, cancels its pilots and waits for them to end. */
    void close(boolean terminate);

    @Override
    default void close() {
        close(true);
    }
}
