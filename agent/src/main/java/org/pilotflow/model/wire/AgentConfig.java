package org.pilotflow.model.wire;

/**
 * Everything an agent needs to start, written by the resource adapter as {@code agent.json} (mode 0600, it holds
 * the pilot secret) into the pilot sandbox. The agent is started as
 * {@code java -cp <classpath> org.pilotflow.agent.AgentMain <sandbox>/agent.json}.
 *
 * @param endpoint               base URL of the engine's agent endpoint, e.g. {@code http://127.0.0.1:41234}
 * @param secret                 the per-pilot secret, sent as a bearer token; never logged
 * @param cores                  cores the agent may schedule units onto
 * @param gpus                   GPUs the agent may schedule units onto
 * @param runtimeSeconds         the pilot's runtime; at expiry the agent ends its units (FAILED, "pilot runtime
 *                               expired") and reports the pilot DONE
 * @param heartbeatIntervalMillis how often the agent syncs when it has nothing to report
 * @param orphanTimeoutMillis    how long the agent keeps going without hearing from the engine
 */
public record AgentConfig(
        String sessionId,
        String pilotId,
        String endpoint,
        String secret,
        String sandbox,
        int cores,
        int gpus,
        long runtimeSeconds,
        long heartbeatIntervalMillis,
        long orphanTimeoutMillis) {

    @Override
    public String toString() { // keeps the secret out of any log line that prints the config
        return "AgentConfig[session=" + sessionId + ", pilot=" + pilotId + ", endpoint=" + endpoint
                + ", sandbox=" + sandbox + ", cores=" + cores + ", gpus=" + gpus + ", runtime=" + runtimeSeconds
                + "s, heartbeat=" + heartbeatIntervalMillis + "ms, orphanTimeout=" + orphanTimeoutMillis + "ms]";
    }
}
