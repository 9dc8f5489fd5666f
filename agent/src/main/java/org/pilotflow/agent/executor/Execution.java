package org.pilotflow.agent.executor;

import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;

/** A unit being run, as the agent holds it: a chain of processes ({@link UnitExecution}) or a function. */
public interface Execution {

    String unitId();

    /**
     * Ends the unit in {@code state} with {@code reason}, unless it already ended or is being ended; its listener's
     * {@code finished} follows once what it ran is gone. Safe from any thread.
     */
    void kill(UnitState state, ErrorCode code, String reason);
}
