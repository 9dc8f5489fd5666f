package org.pilotflow.resource;

import java.time.Duration;
import java.util.Objects;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceSchema;

/**
 * Everything an adapter needs to start one pilot's job.
 *
 * @param agent      the agent's configuration (written to the sandbox as agent.json, mode 0600: it holds the
 *                   pilot secret); its sandbox is replaced by the resolved one
 * @param resource   the resource entry the pilot runs on
 * @param schema     the access schema chosen (the description's or the resource's default)
 * @param sandbox    the pilot sandbox as decided when the pilot was submitted: absolute, or for a remote resource
 *                   possibly starting with a variable such as {@code $HOME}, resolved on the resource at launch
 * @param sandboxGiven whether the description named the sandbox (then it is checked against valid_roots at
 *                   launch, once the remote variables are known)
 * @param java       the java executable on the resource
 * @param runtime    the pilot's requested runtime (the batch job's wall time)
 * @param queue      batch queue (partition), or null
 * @param project    batch account/project, or null
 * @param memoryMb   memory per node the job asks for, 0 for the batch system's default
 * @param enginePort the port of the engine's agent endpoint on the engine's host (for an SSH reverse tunnel)
 */
public record PilotLaunch(
        AgentConfig agent,
        ResourceConfig resource,
        ResourceSchema schema,
        String sandbox,
        boolean sandboxGiven,
        String java,
        Duration runtime,
        String queue,
        String project,
        int memoryMb,
        int enginePort) {

    public PilotLaunch {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(sandbox, "sandbox");
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(runtime, "runtime");
    }

    public String pilotId() {
        return agent.pilotId();
    }

    /** The pilot's cores. */
    public int cores() {
        return agent.cores();
    }
}
