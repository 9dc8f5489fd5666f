package org.pilotflow.model.wire;

import java.util.List;

/**
 * The engine's half: the highest report number it has committed (every report up to it is applied), new
 * commands, and the heartbeat interval it expects. An agent that has had no SyncResponse for longer than its
 * orphan timeout ends its units and itself.
 */
public record SyncResponse(long ackedSeq, List<Command> commands, long heartbeatIntervalMillis) {

    public SyncResponse {
        commands = commands == null ? List.of() : List.copyOf(commands);
    }
}
