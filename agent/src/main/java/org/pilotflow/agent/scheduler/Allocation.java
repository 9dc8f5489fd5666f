package org.pilotflow.agent.scheduler;

import java.util.ArrayList;
import java.util.List;

/** The cores and GPUs of one node given to one unit; hand it back with {@link SlotScheduler#release}. */
public record Allocation(Node node, List<Integer> cores, List<Integer> gpus) {

    public Allocation {
        cores = List.copyOf(cores);
        gpus = List.copyOf(gpus);
    }

    /** Slot names as reported to the engine: {@code host:core} for cores, then {@code host:gpuN} for GPUs. */
    public List<String> slots() {
        List<String> out = new ArrayList<>(cores.size() + gpus.size());
        for (int c : cores) {
            out.add(node.coreSlot(c));
        }
        for (int g : gpus) {
            out.add(node.gpuSlot(g));
        }
        return out;
    }

    /** The GPU indexes as a comma list, the form {@code CUDA_VISIBLE_DEVICES} wants; empty without GPUs. */
    public String gpuList() {
        StringBuilder sb = new StringBuilder();
        for (int g : gpus) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(g);
        }
        return sb.toString();
    }
}
