package org.pilotflow.resource.batch;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.config.ResourceConfig;

/** Pilot launches for batch-adapter tests. */
public final class BatchLaunches {

    /** An engine endpoint nothing listens on (the discard port): a real agent ends after its orphan timeout. */
    public static final String NO_ENGINE = "http://127.0.0.1:9/sessions/s-test";

    private BatchLaunches() {
    }

    /**
     * A local batch resource ({@code <scheme>://localhost/}) whose sandboxes and work dir lie under {@code root}.
     */
    public static ResourceConfig.Builder localResource(String scheme, String root, int coresPerNode,
                                                       Map<String, String> jobManagerEnvironment) {
        return ResourceConfig.builder("test." + scheme)
                .schema("local", scheme + "://localhost/", "file://localhost/")
                .coresPerNode(coresPerNode)
                .validRoots(List.of(root))
                .defaultRemoteWorkdir(root + "/work")
                .jobManagerEnvironment(jobManagerEnvironment);
    }

    /**
     * A pilot of {@code cores} cores and a 10-minute runtime on {@code resource}, sandbox {@code <work>/<pilotId>},
     * whose agent is started with {@code java} (a real java, or a stand-in script), reporting to {@link #NO_ENGINE}
     * with an orphan timeout of 2 s.
     */
    public static PilotLaunch launch(ResourceConfig resource, String pilotId, int cores, String java, String queue,
                                     String project) {
        String sandbox = resource.defaultSandbox(pilotId, Map.of("HOME", "/home/u")).toString();
        AgentConfig agent = new AgentConfig("s-test", pilotId, List.of(NO_ENGINE), "pilot-secret-for-tests", sandbox,
                cores, 0, 600, 500, 2000);
        return new PilotLaunch(agent, resource, resource.schema(), sandbox, false, java, Duration.ofMinutes(10),
                queue, project, 0, 0);
    }

    /**
     * {@link #launch(ResourceConfig, String, int, String, String, String)} for pilot {@code pilotId} of session
     * {@code sessionId}, sandbox {@code <work>/<sessionId>/<pilotId>}: the same pilot id in two sessions.
     */
    public static PilotLaunch launch(ResourceConfig resource, String sessionId, String pilotId, int cores, String java,
                                     String queue) {
        String sandbox = resource.defaultSandbox(sessionId, Map.of("HOME", "/home/u")).resolve(pilotId).toString();
        AgentConfig agent = new AgentConfig(sessionId, pilotId, List.of(NO_ENGINE), "pilot-secret-for-tests", sandbox, cores,
                0, 600, 500, 2000);
        return new PilotLaunch(agent, resource, resource.schema(), sandbox, false, java, Duration.ofMinutes(10),
                queue, null, 0, 0);
    }
}
