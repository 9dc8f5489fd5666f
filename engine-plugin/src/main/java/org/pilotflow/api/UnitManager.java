package org.pilotflow.api;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.pilotflow.model.UnitState;

/** Binds units to pilots and tracks them (RADICAL-Pilot's {@code UnitManager}). */
public interface UnitManager extends AutoCloseable {

    /** BACKFILLING keeps a pilot's unfinished units at most this many times its cores. */
    int HIGH_WATER_MARK = 2;

    String uid();

    SchedulerPolicy policy();

    void addPilots(Collection<? extends ComputePilot> pilots);

    default void addPilot(ComputePilot pilot) {
        addPilots(List.of(pilot));
    }

    /** Stops binding new units to these pilots; units already bound stay where they are. */
    default void removePilots(Collection<String> pilotUids) {
        removePilots(pilotUids, false);
    }

    /**
     * Stops binding new units to these pilots (each must be one of this manager's); with {@code drain}, then
     * waits until every unit bound to them is final (RADICAL-Pilot's {@code remove_pilots(drain=True)}).
     */
    void removePilots(Collection<String> pilotUids, boolean drain);

    List<String> listPilots();

    /**
     * Validates every description, then submits them all; each becomes a BPMN process instance. Throws
     * {@link BadParameter} naming the field (e.g. {@code units[7].cores}) and submits nothing when one is
     * invalid. A unit that no pilot of this manager can ever hold is FAILED with a reason saying so.
     *
     * <p>Up to 200 units are stored, their processes started and the units scheduled before this returns. A larger
     * submission returns once its units are stored (NEW, durable: they run even if this engine stops now); their
     * processes start right after, in the order given, and a later submission of this session on this engine,
     * however small, waits behind them (it returns with its units NEW too).
     */
    List<ComputeUnit> submitUnits(List<ComputeUnitDescription> descriptions);

    default ComputeUnit submitUnit(ComputeUnitDescription description) {
        return submitUnits(List.of(description)).get(0);
    }

    List<String> listUnits();

    List<ComputeUnit> getUnits(Collection<String> uids);

    /**
     * Blocks until every listed unit (all when empty) has reached or passed one of {@code states}, or is final
     * (any final state when {@code states} is empty), and returns their states in order; throws
     * {@link WaitTimeout} when time runs out (null: no limit). As in RADICAL-Pilot, waiting for EXECUTING returns
     * for a unit already DONE, and waiting for DONE returns for a unit that FAILED: the returned states say which.
     */
    List<UnitState> waitUnits(Collection<String> uids, Collection<UnitState> states, Duration timeout);

    /**
     * Cancels the listed units (all when empty) and waits until each is final; units already final are left as
     * they are. A unit that ends DONE or FAILED before its cancel reaches the agent keeps that state.
     */
    default void cancelUnits(Collection<String> uids) {
        cancelUnits(uids, null);
    }

    /**
     * Cancels the listed units (all when empty) and waits at most {@code timeout} (null: no limit) until each is
     * final; returns their states in order; {@link WaitTimeout} when time runs out (the cancels stay requested).
     */
    List<UnitState> cancelUnits(Collection<String> uids, Duration timeout);

    /**
     * Requests the cancels at once and completes with the units' final states (never with a timeout): at once when
     * all are final, otherwise on one of PilotFlow's own threads, as {@link ComputeUnit#completion()} does.
     */
    java.util.concurrent.CompletableFuture<List<UnitState>> cancelUnitsAsync(Collection<String> uids);

    void registerCallback(UnitCallback callback);

    /** Like {@link #registerCallback(UnitCallback)}, passing {@code data} to every call (RP's {@code cb_data}). */
    <T> void registerCallback(UnitDataCallback<T> callback, T data);

    /** Removes every registration of {@code callback}; false when it was not registered. */
    boolean unregisterCallback(UnitCallback callback);

    /** Removes every registration of {@code callback} (whatever its data); false when it was not registered. */
    boolean unregisterCallback(UnitDataCallback<?> callback);

    /** Closes the manager; with {@code terminate}, cancels its unfinished units. */
    void close(boolean terminate);

    @Override
    default void close() {
        close(false);
    }
}
