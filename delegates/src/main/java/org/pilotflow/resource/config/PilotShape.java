package org.pilotflow.resource.config;

/**
 * What a pilot asks of a batch system, in the terms a job script uses.
 *
 * @param cores        the pilot's cores
 * @param gpus         the pilot's GPUs
 * @param coresPerNode the resource's {@code cores_per_node}
 */
public record PilotShape(int cores, int gpus, int coresPerNode) {

    public PilotShape {
        if (cores < 1 || gpus < 0 || coresPerNode < 1) {
            throw new IllegalArgumentException("cores " + cores + ", gpus " + gpus + ", cores per node " + coresPerNode
                    + ": expected cores >= 1, gpus >= 0, cores per node >= 1");
        }
    }

    /** The nodes the job asks for: whole nodes, the last one possibly partly used. */
    public int nodes() {
        return (int) ((cores + (long) coresPerNode - 1) / coresPerNode);
    }
}
