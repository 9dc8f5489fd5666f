package org.pilotflow.agent.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * The cores and GPUs given to one unit; hand it back with {@link SlotScheduler#release}. A unit that must stay on
 * one node gets one {@link Part}; an MPI unit may get several, one per node, in the order its ranks fill them.
 */
public record Allocation(List<Part> parts) {

    /** The cores and GPUs of one node within an allocation. */
    public record Part(Node node, List<Integer> cores, List<Integer> gpus) {
        public Part {
            cores = List.copyOf(cores);
            gpus = List.copyOf(gpus);
        }
    }

    public Allocation {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("an allocation needs at least one node");
        }
    }

    /** A single-node allocation. */
    public Allocation(Node node, List<Integer> cores, List<Integer> gpus) {
        this(List.of(new Part(node, cores, gpus)));
    }

    /** The host names, one per part, in rank order (the first holds the unit's GPUs). */
    public List<String> hosts() {
        return parts.stream().map(p -> p.node().name()).toList();
    }

    public boolean isSingleNode() {
        return parts.size() == 1;
    }

    public int coreCount() {
        return parts.stream().mapToInt(p -> p.cores().size()).sum();
    }

    public int gpuCount() {
        return parts.stream().mapToInt(p -> p.gpus().size()).sum();
    }

    /**
     * Slot names as reported to the engine: {@code host:core} for every core (node by node), then {@code host:gpuN}
     * for every GPU.
     */
    public List<String> slots() {
        List<String> out = new ArrayList<>(coreCount() + gpuCount());
        for (Part p : parts) {
            for (int c : p.cores()) {
                out.add(p.node().coreSlot(c));
            }
        }
        for (Part p : parts) {
            for (int g : p.gpus()) {
                out.add(p.node().gpuSlot(g));
            }
        }
        return out;
    }

    /**
     * The GPU indexes as a comma list, the form {@code CUDA_VISIBLE_DEVICES} wants; empty without GPUs. The
     * scheduler puts all of a unit's GPUs on its first node, so the indexes are of that node.
     */
    public String gpuList() {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            for (int g : p.gpus()) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(g);
            }
        }
        return sb.toString();
    }
}
