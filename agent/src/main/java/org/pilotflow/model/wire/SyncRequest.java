package org.pilotflow.model.wire;

import java.util.List;

/**
 * The agent's half of one exchange with the engine: a heartbeat, the reports not yet acknowledged (in seq
 * order), and the highest command number taken in. Sent as JSON in a POST to
 * {@code <endpoint>/pilots/<pilotId>/sync} with the header {@code Authorization: Bearer <pilot secret>}.
 *
 * @param agentPid the agent's process id, so the engine can tell a dead agent from a slow one
 */
public record SyncRequest(String pilotId, long agentTimeMillis, long agentPid, String host,
                          List<Report> reports, long lastCommandSeq) {

    public SyncRequest {
        reports = reports == null ? List.of() : List.copyOf(reports);
    }
}
