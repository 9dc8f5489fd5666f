package org.pilotflow.agent.nodes;

import java.util.List;
import java.util.Map;

import org.pilotflow.agent.BadConfigException;

/**
 * A way a batch system writes a job's nodes, registered through {@link java.util.ServiceLoader} (a line in
 * {@code META-INF/services/org.pilotflow.agent.nodes.NodeListFormat}). A batch system's provider on the engine side
 * declares the variable and the format name ({@code BatchSystemInfo.NodeListSource}); the engine passes both to the
 * agent ({@code AgentConfig.nodeList}). A new batch system whose list is written like an existing one's (Torque and
 * Cobalt write PBS's one-host-per-core file) needs nothing here; a new way of writing it is one class and that line.
 */
public interface NodeListFormat {

    /** The name a batch system declares, lower case: {@code slurm-hostlist}. */
    String name();

    /** What the variable holds, in a few words (for messages and the README). */
    String description();

    /**
     * The hosts of the job and the cores each was given, in the batch system's order, each host once.
     *
     * @param variable the variable the list is in (set and not blank)
     * @param env      the agent's environment, for companion variables (SLURM's cores per node)
     * @throws BadConfigException naming the variable and its value, when they cannot be understood
     */
    List<HostCores> read(String variable, Map<String, String> env) throws BadConfigException;

    /** The name under which this host appears in the list (SLURM's node name may differ from the host name). */
    default String self(Map<String, String> env, String thisHost) {
        return thisHost;
    }
}
