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
    void removePilots(Collection<String> pilotUids);

    List<String> listPilots();

    /**
     * Validates every description, then submits them all; each becomes a BPMN process instance. Throws
     * {@link BadParameter} naming the field (e.g. {@code units[7].cores}) and submits nothing when one is
     * invalid. A unit that no pilot of this manager can ever hold is FAILED at once with a reason saying so.
     */
    List<ComputeUnit> submitUnits(List<ComputeUnitDescription> descriptions);

    default ComputeUnit submitUnit(ComputeUnitDescription description) {
        return submitUnits(List.of(description)).get(0);
    }

    List<String> listUnits();

    List<ComputeUnit> getUnits(Collection<String> uids);

    /**
     * Blocks until every listed unit (all when empty) is in one of {@code states} (any final state when empty),
     * and returns their states in order; throws {@link WaitTimeout} when time runs out.
     */
    List<UnitState> waitUnits(Collection<String> uids, Collection<UnitState> states, Duration timeout);

    /** Cancels the listed units (all when empty). Units already final are left as they are. */
    void cancelUnits(Collection<String> uids);

    void registerCallback(UnitCallback callback);

    /** Closes the manager; with {@code terminate}, cancels its unfinished units. */
    void close(boolean terminate);

    @Override
    default void close() {
        close(false);
    }
}
