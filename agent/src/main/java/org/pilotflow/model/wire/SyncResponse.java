package org.pilotflow.model.wire;

import java.util.List;
import java.util.Objects;

/**
 * The engine's half: the highest report number it has committed (every report up to it is applied), new
 * commands, the heartbeat interval it expects, and optionally the base URLs of the engine nodes that currently
 * serve the session. An agent that has had no SyncResponse for longer than its orphan timeout ends its units and
 * itself.
 *
 * @param endpoints the live engine nodes' base URLs for this pilot's session, in order of preference; null or
 *                  empty means "no change". An agent whose config has {@code fixedEndpoints} ignores it.
 */
public record SyncResponse(long ackedSeq, List<Command> commands, long heartbeatIntervalMillis,
                           List<String> endpoints) {

    public SyncResponse {
        commands = commands == null ? List.of() : List.copyOf(commands);
        endpoints = endpoints == null ? List.of() : endpoints.stream().filter(Objects::nonNull).toList();
    }

    /** A response that leaves the agent's endpoints as they are. */
    public SyncResponse(long ackedSeq, List<Command> commands, long heartbeatIntervalMillis) {
        this(ackedSeq, commands, heartbeatIntervalMillis, null);
    }
}
