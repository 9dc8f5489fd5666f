package org.pilotflow.agent.nodes;

import java.util.LinkedHashMap;
import java.util.Map;

import org.pilotflow.agent.BadConfigException;
import org.pilotflow.model.wire.AgentConfig;

/** Discovery as the engine sets it up for the batch system whose variable the environment holds. */
final class Declared {

    /** The node list each built-in batch system's provider declares (engine side, BatchSystemInfo.nodeList). */
    static final Map<String, String> BY_VARIABLE = new LinkedHashMap<>();

    static {
        BY_VARIABLE.put("SLURM_JOB_NODELIST", SlurmHostlistFormat.NAME);
        BY_VARIABLE.put("SLURM_NODELIST", SlurmHostlistFormat.NAME);
        BY_VARIABLE.put("PE_HOSTFILE", PeHostfileFormat.NAME);
        BY_VARIABLE.put("PBS_NODEFILE", HostPerCoreFileFormat.NAME);
        BY_VARIABLE.put("LSB_MCPU_HOSTS", HostCorePairsFormat.NAME);
    }

    private Declared() {
    }

    /** {@link NodeDiscovery#discover} with the node list of the first batch variable {@code env} holds declared. */
    static PilotNodes discover(Map<String, String> env, AgentConfig cfg, String thisHost) throws BadConfigException {
        for (Map.Entry<String, String> e : BY_VARIABLE.entrySet()) {
            if (env.containsKey(e.getKey())) {
                return NodeDiscovery.discover(env, cfg.withNodeList(new AgentConfig.NodeList(e.getKey(),
                        e.getValue())), thisHost);
            }
        }
        return NodeDiscovery.discover(env, cfg, thisHost);
    }
}
