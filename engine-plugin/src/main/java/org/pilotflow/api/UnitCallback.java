package org.pilotflow.api;

import org.pilotflow.model.UnitState;

/**
 * Called once per unit state, in order, on a PilotFlow thread (never inside the engine's transaction). An
 * exception thrown here is logged and changes nothing else.
 */
@FunctionalInterface
public interface UnitCallback {
    void onStateChange(ComputeUnit unit, UnitState state);
}
