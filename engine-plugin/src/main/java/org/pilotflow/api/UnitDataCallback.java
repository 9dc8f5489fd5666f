package org.pilotflow.api;

import org.pilotflow.model.UnitState;

/**
 * A unit callback that gets the data it was registered with (RADICAL-Pilot's {@code cb_data}), on the same thread
 * and with the same guarantees as a {@link UnitCallback}.
 */
@FunctionalInterface
public interface UnitDataCallback<T> {
    void onStateChange(ComputeUnit unit, UnitState state, T data);
}
