package org.pilotflow.agent.nodes;

import java.util.List;
import java.util.Map;

import org.pilotflow.agent.BadConfigException;

/**
 * SLURM: a compressed host list ({@link Hostlist}, {@code n[01-03]}); cores per node from
 * {@code SLURM_JOB_CPUS_PER_NODE} ({@code 2(x3),1}), or else {@code SLURM_CPUS_ON_NODE} for every node.
 */
public final class SlurmHostlistFormat implements NodeListFormat {

    public static final String NAME = "slurm-hostlist";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a compressed host list, n[01-03]; cores per node from SLURM_JOB_CPUS_PER_NODE";
    }

    @Override
    public List<HostCores> read(String variable, Map<String, String> env) throws BadConfigException {
        return NodeDiscovery.slurm(env, variable);
    }

    @Override
    public String self(Map<String, String> env, String thisHost) {
        String nodeName = env.get("SLURMD_NODENAME");
        return nodeName != null && !nodeName.isBlank() ? nodeName : thisHost;
    }
}
