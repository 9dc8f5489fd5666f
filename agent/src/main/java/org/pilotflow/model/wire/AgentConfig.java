package org.pilotflow.model.wire;

import java.util.List;
import java.util.Map;

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
 * @param launchMethods          the resource's launch methods in order of preference ({@code FORK}, {@code SRUN},
 *                               {@code MPIEXEC}, {@code MPIRUN}, {@code SSH}); the agent uses the first one that
 *                               can run a unit on the nodes it was given
 * @param launchMethodOptions    per method, the resource config's options for it (free-form JSON values)
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
        long orphanTimeoutMillis,
        List<String> launchMethods,
        Map<String, Map<String, Object>> launchMethodOptions) {

    public AgentConfig {
        launchMethods = launchMethods == null || launchMethods.isEmpty() ? List.of("FORK") : List.copyOf(launchMethods);
        launchMethodOptions = launchMethodOptions == null ? Map.of() : Map.copyOf(launchMethodOptions);
    }

    /** A configuration with the default launch methods ({@code FORK} only). */
    public AgentConfig(String sessionId, String pilotId, String endpoint, String secret, String sandbox, int cores,
                       int gpus, long runtimeSeconds, long heartbeatIntervalMillis, long orphanTimeoutMillis) {
        this(sessionId, pilotId, endpoint, secret, sandbox, cores, gpus, runtimeSeconds, heartbeatIntervalMillis,
                orphanTimeoutMillis, null, null);
    }

    /** The same configuration with another sandbox (once {@code $HOME} is resolved on the resource). */
    public AgentConfig withSandbox(String newSandbox) {
        return new AgentConfig(sessionId, pilotId, endpoint, secret, newSandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions);
    }

    /** The same configuration with another endpoint (the near end of an SSH reverse tunnel). */
    public AgentConfig withEndpoint(String newEndpoint) {
        return new AgentConfig(sessionId, pilotId, newEndpoint, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions);
    }

    @Override
    public String toString() { // keeps the secret out of any log line that prints the config
        return "AgentConfig[session=" + sessionId + ", pilot=" + pilotId + ", endpoint=" + endpoint
                + ", sandbox=" + sandbox + ", cores=" + cores + ", gpus=" + gpus + ", runtime=" + runtimeSeconds
                + "s, heartbeat=" + heartbeatIntervalMillis + "ms, orphanTimeout=" + orphanTimeoutMillis + "ms, launchMethods="
                + launchMethods + "]";
    }
}
