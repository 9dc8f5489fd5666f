package org.pilotflow.agent.launch;

import java.util.List;
import java.util.Map;

import org.pilotflow.agent.executor.RemoteKill;

/**
 * How to start a unit: the process to run on the agent's node (it ends with the unit's argv, except for
 * {@code SSH}, which has to pass one command line) and the variables to add to its environment.
 *
 * @param method     the name of the launch method that made it ({@code FORK}, {@code SRUN}, ...)
 * @param remoteKill how to end the unit's processes on the node the launcher reached; null when killing the
 *                   launcher's local process tree is enough ({@code SSH} needs one: a killed ssh client does not end
 *                   the remote command)
 */
public record Launch(String method, List<String> argv, Map<String, String> environment, RemoteKill remoteKill) {

    public Launch {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }

    /** A launch whose local process tree is all there is to kill. */
    public Launch(String method, List<String> argv, Map<String, String> environment) {
        this(method, argv, environment, null);
    }
}
