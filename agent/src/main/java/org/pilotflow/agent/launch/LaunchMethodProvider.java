package org.pilotflow.agent.launch;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The service a launch method registers through {@link java.util.ServiceLoader}: one line naming its class in
 * {@code META-INF/services/org.pilotflow.agent.launch.LaunchMethodProvider}. It declares the names the resource
 * config's {@code launch_methods.order} may use for it and the launcher program each starts by default, and builds
 * the method for a pilot. {@link LaunchMethods} finds the providers; adding a method is its class, its provider and
 * that line.
 */
public interface LaunchMethodProvider {

    /** The names it serves, in upper case as in {@code launch_methods.order}: {@code SRUN}; MPI serves two. */
    List<String> names();

    /** The launcher program of {@code name} when the options name none, e.g. {@code srun}; null for none (FORK). */
    String defaultExecutable(String name);

    /** The method {@code name} for this pilot. */
    LaunchMethod create(String name, MethodOptions options, Context context);

    /**
     * What a method may need of the agent.
     *
     * @param env       the agent's environment ({@code PATH} to find launchers, {@code SLURM_JOB_ID})
     * @param agentNode the node the agent runs on, empty when it is not one of the pilot's nodes
     * @param root      the agent runs as uid 0
     */
    record Context(Map<String, String> env, Optional<String> agentNode, boolean root) {
        public Context {
            env = Map.copyOf(env);
        }
    }
}
