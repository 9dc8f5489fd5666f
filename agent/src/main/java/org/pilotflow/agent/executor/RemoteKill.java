package org.pilotflow.agent.executor;

import java.util.List;

/**
 * Ends a unit's processes on another node, for a launcher whose local process does not take them along when it is
 * killed (an ssh client: the remote command runs on). The executor runs {@code argv("TERM")} when the unit is
 * killed, gives the launcher the kill grace period to exit, kills the local process tree and runs
 * {@code argv("KILL")} without waiting for it; a unit stays on the list the JVM's shutdown kills again until a
 * KILL command exited 0.
 */
public interface RemoteKill {

    /**
     * The command (run on the agent's node, never through a shell) that sends {@code signal} to the processes; it
     * exits 0 when the signal went out or nothing is left to signal.
     */
    List<String> argv(String signal);

    /** The node the command connects to: the executor runs at most a few of them at once per node. */
    String node();

    /** Called once the remote processes are known to be gone, to remove what the launch left there (best effort). */
    default void ended() {
    }
}
