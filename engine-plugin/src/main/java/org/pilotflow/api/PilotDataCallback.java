package org.pilotflow.api;

import org.pilotflow.model.PilotState;

/**
 * A pilot callback that gets the data it was registered with (RADICAL-Pilot's {@code cb_data}), on the same thread
 * and with the same guarantees as a {@link PilotCallback}.
 */
@FunctionalInterface
public interface PilotDataCallback<T> {
    void onStateChange(ComputePilot pilot, PilotState state, T data);
}
