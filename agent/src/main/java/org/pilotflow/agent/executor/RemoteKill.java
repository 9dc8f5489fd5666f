package org.pilotflow.agent.executor;

import java.util.List;

/**
 * Ends a unit's processes on another node, for a launcher whose local process does not take them along when it is
 * killed (an ssh client: the remote command runs on). The executor runs {@code argv("TERM")} when the unit is
 * killed, gives the launcher the kill grace period to exit, runs {@code argv("KILL")} and only then kills the local
 * process tree.
 */
@FunctionalInterface
public interface RemoteKill {

    /** The command (run on the agent's node, never through a shell) that sends {@code signal} to the processes. */
    List<String> argv(String signal);
}
