package org.pilotflow.resource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.pilotflow.model.wire.AgentConfig;

/**
 * Everything an adapter needs to start one pilot's job.
 *
 * @param agent    the agent's configuration (written to the sandbox as agent.json; it holds the pilot secret)
 * @param sandbox  the pilot sandbox on the resource
 * @param java     the java executable on the resource
 * @param jvmArgs  extra JVM arguments for the agent
 * @param runtime  the pilot's requested runtime
 * @param queue    batch queue (partition), or null
 * @param project  batch account/project, or null
 */
public record PilotLaunch(
        AgentConfig agent,
        Path sandbox,
        String java,
        List<String> jvmArgs,
        Duration runtime,
        String queue,
        String project) {

    public PilotLaunch {
        jvmArgs = jvmArgs == null ? List.of() : List.copyOf(jvmArgs);
    }

    public String pilotId() {
        return agent.pilotId();
    }
}
