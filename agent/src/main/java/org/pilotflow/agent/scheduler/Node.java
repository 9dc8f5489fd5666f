package org.pilotflow.agent.scheduler;

import java.util.Objects;

/**
 * One node of a pilot: a host name and the cores and GPUs the pilot may use on it. A fork pilot has one node
 * ({@link #localhost}); a batch job's node list ({@code SLURM_JOB_NODELIST}, {@code PE_HOSTFILE}) becomes a list of
 * these (see {@code org.pilotflow.agent.nodes.NodeDiscovery}).
 */
public record Node(String name, int cores, int gpus) {

    public Node {
        Objects.requireNonNull(name, "node name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("node name is blank");
        }
        if (cores < 0 || gpus < 0) {
            throw new IllegalArgumentException("node " + name + ": cores and gpus must be >= 0, were " + cores
                    + " and " + gpus);
        }
    }

    public static Node localhost(int cores, int gpus) {
        return new Node("localhost", cores, gpus);
    }

    /** The slot name of core {@code index}: {@code host:index}. */
    public String coreSlot(int index) {
        return name + ":" + index;
    }

    /** The slot name of GPU {@code index}: {@code host:gpuIndex}. */
    public String gpuSlot(int index) {
        return name + ":gpu" + index;
    }
}
