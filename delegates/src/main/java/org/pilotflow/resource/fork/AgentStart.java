package org.pilotflow.resource.fork;

import java.util.ArrayList;
import java.util.List;
import org.pilotflow.resource.AgentStaging;

/**
 * How the fork adapters start an agent: {@code setsid /bin/sh -c <START> pilotflow-agent <agent argv>}, in the
 * sandbox. {@code setsid} makes the process the leader of a new session and process group (it does not fork: the
 * process that runs it is never a group leader, neither a child of the engine's JVM nor a background job of a shell
 * without job control); the shell then writes its pid, {@code $$}, to {@code agent.pid} in the sandbox (through a
 * temporary file and a rename, so a reader never sees half of it) and execs the agent. So the agent's pid, the
 * pid file's content, the session and the process group are one number, and the pid file exists before the agent's
 * JVM runs: an engine that dies right after starting an agent can find it again. The agent's argv arrives as
 * positional parameters, so no part of it is ever parsed by a shell.
 */
final class AgentStart {

    /** The shell that writes the pid file and becomes the agent. */
    static final String START = "echo $$ >" + AgentStaging.AGENT_PID + ".tmp && mv -f " + AgentStaging.AGENT_PID
            + ".tmp " + AgentStaging.AGENT_PID + " && exec \"$@\"";

    private AgentStart() {
    }

    /** The argv that starts {@code agentArgv} as described above; the working directory must be the sandbox. */
    static List<String> argv(List<String> agentArgv) {
        List<String> argv = new ArrayList<>(List.of("setsid", "/bin/sh", "-c", START, "pilotflow-agent"));
        argv.addAll(agentArgv);
        return argv;
    }
}
