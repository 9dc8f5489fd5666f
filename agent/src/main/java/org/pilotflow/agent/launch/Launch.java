package org.pilotflow.agent.launch;

import java.util.List;
import java.util.Map;

/**
 * How to start a unit: the process to run on the agent's node (it ends with the unit's argv, except for
 * {@code SSH}, which has to pass one command line) and the variables to add to its environment.
 *
 * @param method the name of the launch method that made it ({@code FORK}, {@code SRUN}, ...)
 */
public record Launch(String method, List<String> argv, Map<String, String> environment) {

    public Launch {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }
}
