package org.pilotflow.api;

import org.pilotflow.model.PilotState;

/**
 * Called once per pilot state, in order, on a PilotFlow thread (never inside the engine's transaction). An
 * exception thrown here is logged and changes nothing else.
 */
@FunctionalInterface
public interface PilotCallback {
    void onStateChange(ComputePilot pilot, PilotState state);
}
