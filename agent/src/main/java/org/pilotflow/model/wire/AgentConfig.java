package org.pilotflow.model.wire;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Everything an agent needs to start, written by the resource adapter as {@code agent.json} (mode 0600, it holds
 * the pilot secret) into the pilot sandbox. The agent is started as
 * {@code java -cp <classpath> org.pilotflow.agent.AgentMain <sandbox>/agent.json}.
 *
 * @param endpoints              base URLs of the engine nodes' agent endpoints in order of preference, e.g.
 *                               {@code http://10.0.0.5:41234/sessions/<sessionId>}; never empty. The agent syncs
 *                               with one at a time and fails over to the next when it cannot.
 * @param fixedEndpoints         true: the agent keeps {@code endpoints} and ignores the lists the engine sends in
 *                               its responses (e.g. behind an SSH tunnel, where only the tunnel's loopback address
 *                               works)
 * @param secret                 the per-pilot secret, sent as a bearer token; never logged
 * @param cores                  cores the agent may schedule units onto
 * @param gpus                   GPUs the agent may schedule units onto
 * @param runtimeSeconds         the pilot's runtime; at expiry the agent ends its units (FAILED, "pilot runtime
 *                               expired") and reports the pilot DONE
 * @param heartbeatIntervalMillis how often the agent syncs when it has nothing to report
 * @param orphanTimeoutMillis    how long the agent keeps going without hearing from any engine node
 * @param launchMethods          the resource's launch methods in order of preference ({@code FORK}, {@code SRUN},
 *                               {@code MPIEXEC}, {@code MPIRUN}, {@code SSH}); the agent uses the first one that
 *                               can run a unit on the nodes it was given
 * @param launchMethodOptions    per method, the resource config's options for it (free-form JSON values)
 * @param cleanup                remove the sandbox when the pilot ended normally (DONE or CANCELED, every report
 *                               acknowledged); kept for diagnosis otherwise
 * @param memorySampleMillis     how often the agent samples each running unit's memory (0: never, and memory limits
 *                               are not enforced)
 * @param nodeList               where the batch system gives the job its nodes, as its provider declares; null for
 *                               fork and ssh resources: this host alone
 * @param validRoots             the resource's {@code valid_roots} as absolute paths there: staging may read what
 *                               lies under them or under the sandboxes, and nothing else (empty: the sandboxes only)
 * @param inputStaging           the pilot's input staging, resolved directives the agent carries out once before it
 *                               reports the pilot ACTIVE
 */
public record AgentConfig(
        String sessionId,
        String pilotId,
        List<String> endpoints,
        boolean fixedEndpoints,
        String secret,
        String sandbox,
        int cores,
        int gpus,
        long runtimeSeconds,
        long heartbeatIntervalMillis,
        long orphanTimeoutMillis,
        List<String> launchMethods,
        Map<String, Map<String, Object>> launchMethodOptions,
        boolean cleanup,
        long memorySampleMillis,
        NodeList nodeList,
        List<String> validRoots,
        List<StagingDirective> inputStaging) {

    /**
     * The batch system's node list: the environment variable it is in and the format it is written in, a name one
     * of the agent's {@code NodeListFormat} services serves ({@code slurm-hostlist}).
     */
    public record NodeList(String variable, String format) {
    }

    public AgentConfig {
        // not List.copyOf: a null list or element must reach AgentConfigs.validate, which names the field
        endpoints = endpoints == null ? null : Collections.unmodifiableList(new ArrayList<>(endpoints));
        launchMethods = launchMethods == null || launchMethods.isEmpty() ? List.of("FORK") : List.copyOf(launchMethods);
        launchMethodOptions = launchMethodOptions == null ? Map.of() : Map.copyOf(launchMethodOptions);
        validRoots = validRoots == null ? List.of() : List.copyOf(validRoots);
        inputStaging = inputStaging == null ? List.of() : List.copyOf(inputStaging);
    }

    /** A configuration without valid roots or pilot staging. */
    public AgentConfig(String sessionId, String pilotId, List<String> endpoints, boolean fixedEndpoints, String secret,
                       String sandbox, int cores, int gpus, long runtimeSeconds, long heartbeatIntervalMillis,
                       long orphanTimeoutMillis, List<String> launchMethods,
                       Map<String, Map<String, Object>> launchMethodOptions, boolean cleanup, long memorySampleMillis,
                       NodeList nodeList) {
        this(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions, cleanup,
                memorySampleMillis, nodeList, null, null);
    }

    /** A configuration without a declared node list. */
    public AgentConfig(String sessionId, String pilotId, List<String> endpoints, boolean fixedEndpoints, String secret,
                       String sandbox, int cores, int gpus, long runtimeSeconds, long heartbeatIntervalMillis,
                       long orphanTimeoutMillis, List<String> launchMethods,
                       Map<String, Map<String, Object>> launchMethodOptions, boolean cleanup, long memorySampleMillis) {
        this(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions, cleanup,
                memorySampleMillis, null);
    }

    /** A configuration that samples no memory. */
    public AgentConfig(String sessionId, String pilotId, List<String> endpoints, boolean fixedEndpoints, String secret,
                       String sandbox, int cores, int gpus, long runtimeSeconds, long heartbeatIntervalMillis,
                       long orphanTimeoutMillis, List<String> launchMethods,
                       Map<String, Map<String, Object>> launchMethodOptions, boolean cleanup) {
        this(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions, cleanup, 0);
    }

    /** A configuration that keeps its sandbox. */
    public AgentConfig(String sessionId, String pilotId, List<String> endpoints, boolean fixedEndpoints, String secret,
                       String sandbox, int cores, int gpus, long runtimeSeconds, long heartbeatIntervalMillis,
                       long orphanTimeoutMillis, List<String> launchMethods,
                       Map<String, Map<String, Object>> launchMethodOptions) {
        this(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions, false);
    }

    /** A configuration whose endpoints the engine may update ({@code fixedEndpoints} false). */
    public AgentConfig(String sessionId, String pilotId, List<String> endpoints, String secret, String sandbox,
                       int cores, int gpus, long runtimeSeconds, long heartbeatIntervalMillis,
                       long orphanTimeoutMillis, List<String> launchMethods,
                       Map<String, Map<String, Object>> launchMethodOptions) {
        this(sessionId, pilotId, endpoints, false, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions);
    }

    /** A configuration with the default launch methods ({@code FORK} only) whose endpoints the engine may update. */
    public AgentConfig(String sessionId, String pilotId, List<String> endpoints, String secret, String sandbox,
                       int cores, int gpus, long runtimeSeconds, long heartbeatIntervalMillis,
                       long orphanTimeoutMillis) {
        this(sessionId, pilotId, endpoints, false, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, null, null);
    }

    /** The preferred endpoint (the first); null when there is none (an invalid config). */
    public String endpoint() {
        return endpoints == null || endpoints.isEmpty() ? null : endpoints.get(0);
    }

    /** The same configuration with another sandbox (once {@code $HOME} is resolved on the resource). */
    public AgentConfig withSandbox(String newSandbox) {
        return new AgentConfig(sessionId, pilotId, endpoints, fixedEndpoints, secret, newSandbox, cores, gpus,
                runtimeSeconds, heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions,
                cleanup, memorySampleMillis, nodeList, validRoots, inputStaging);
    }

    /** The same configuration with other endpoints, e.g. only the near end of an SSH reverse tunnel, fixed. */
    public AgentConfig withEndpoints(List<String> newEndpoints, boolean fixed) {
        return new AgentConfig(sessionId, pilotId, newEndpoints, fixed, secret, sandbox, cores, gpus, runtimeSeconds,
                heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions, cleanup,
                memorySampleMillis, nodeList, validRoots, inputStaging);
    }

    /** The same configuration, removing its sandbox at a normal end or not. */
    public AgentConfig withCleanup(boolean remove) {
        return new AgentConfig(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus,
                runtimeSeconds, heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions,
                remove, memorySampleMillis, nodeList, validRoots, inputStaging);
    }

    /** The same configuration, reading its nodes from {@code list}. */
    public AgentConfig withNodeList(NodeList list) {
        return new AgentConfig(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus,
                runtimeSeconds, heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions,
                cleanup, memorySampleMillis, list, validRoots, inputStaging);
    }

    /** The same configuration with the resource's valid roots, resolved there. */
    public AgentConfig withValidRoots(List<String> roots) {
        return new AgentConfig(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus,
                runtimeSeconds, heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions,
                cleanup, memorySampleMillis, nodeList, roots, inputStaging);
    }

    /** The same configuration with the pilot's (resolved) input staging. */
    public AgentConfig withInputStaging(List<StagingDirective> directives) {
        return new AgentConfig(sessionId, pilotId, endpoints, fixedEndpoints, secret, sandbox, cores, gpus,
                runtimeSeconds, heartbeatIntervalMillis, orphanTimeoutMillis, launchMethods, launchMethodOptions,
                cleanup, memorySampleMillis, nodeList, validRoots, directives);
    }

    @Override
    public String toString() { // keeps the secret out of any log line that prints the config
        return "AgentConfig[session=" + sessionId + ", pilot=" + pilotId + ", endpoints=" + endpoints
                + (fixedEndpoints ? " (fixed)" : "") + ", sandbox=" + sandbox + ", cores=" + cores + ", gpus=" + gpus
                + ", runtime=" + runtimeSeconds + "s, heartbeat=" + heartbeatIntervalMillis + "ms, orphanTimeout="
                + orphanTimeoutMillis + "ms, launchMethods=" + launchMethods + (cleanup ? ", cleanup" : "")
                + ", memorySample=" + memorySampleMillis + "ms" + (nodeList != null ? ", nodeList=" + nodeList : "")
                + (validRoots.isEmpty() ? "" : ", validRoots=" + validRoots)
                + (inputStaging.isEmpty() ? "" : ", inputStaging=" + inputStaging.size() + " directives")
                + "]";
    }
}
