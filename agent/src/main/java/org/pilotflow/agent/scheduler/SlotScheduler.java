package org.pilotflow.agent.scheduler;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Places units on core and GPU slots of the pilot's nodes, with backfilling: waiting units are kept in arrival
 * order; {@link #schedule()} starts every waiting unit that fits now, skipping those that do not fit yet, so a
 * small unit may overtake a big one. A unit is placed on one node (first fit); a unit that can never fit on any
 * node is refused at {@link #submit} ({@link #neverFits} gives the reason to report).
 *
 * <p>Pure logic, not thread-safe: the agent calls it from one thread.
 *
 * @param <T> the caller's handle of a unit (compared with {@code equals})
 */
public final class SlotScheduler<T> {

    /** A unit placed on slots by {@link #schedule()}. */
    public record Placement<T>(T item, Allocation allocation) { }

    private record Request<T>(T item, int cores, int gpus) { }

    private static final class NodeState {
        final Node node;
        final BitSet freeCores;
        final BitSet freeGpus;
        int nFreeCores;
        int nFreeGpus;

        NodeState(Node node) {
            this.node = node;
            this.freeCores = new BitSet(node.cores());
            this.freeCores.set(0, node.cores());
            this.freeGpus = new BitSet(node.gpus());
            this.freeGpus.set(0, node.gpus());
            this.nFreeCores = node.cores();
            this.nFreeGpus = node.gpus();
        }

        boolean fits(int cores, int gpus) {
            return nFreeCores >= cores && nFreeGpus >= gpus;
        }

        Allocation take(int cores, int gpus) {
            return new Allocation(node, takeBits(freeCores, cores), takeBits(freeGpus, gpus));
        }

        private List<Integer> takeBits(BitSet free, int n) {
            List<Integer> out = new ArrayList<>(n);
            for (int i = free.nextSetBit(0); out.size() < n; i = free.nextSetBit(i + 1)) {
                out.add(i);
                free.clear(i);
            }
            if (free == freeCores) {
                nFreeCores -= n;
            } else {
                nFreeGpus -= n;
            }
            return out;
        }
    }

    private final List<NodeState> nodes = new ArrayList<>();
    private final LinkedHashMap<T, Request<T>> waiting = new LinkedHashMap<>();
    // multiset of the core counts of waiting units: lets schedule() stop when not even the smallest fits
    private final TreeMap<Integer, Integer> waitingCores = new TreeMap<>();
    private final int totalCores;
    private final int totalGpus;
    private final int maxNodeCores;
    private final int maxNodeGpus;

    public SlotScheduler(List<Node> nodeList) {
        if (nodeList.isEmpty()) {
            throw new IllegalArgumentException("a pilot needs at least one node");
        }
        int tc = 0;
        int tg = 0;
        int mc = 0;
        int mg = 0;
        for (Node n : nodeList) {
            nodes.add(new NodeState(n));
            tc += n.cores();
            tg += n.gpus();
            mc = Math.max(mc, n.cores());
            mg = Math.max(mg, n.gpus());
        }
        totalCores = tc;
        totalGpus = tg;
        maxNodeCores = mc;
        maxNodeGpus = mg;
    }

    /**
     * Why a unit of this size can never run on this pilot, or empty when it can. Units are placed on one node,
     * so the limit is the largest node (with one node: the pilot).
     */
    public Optional<String> neverFits(int cores, int gpus) {
        if (cores < 1) {
            return Optional.of("unit needs " + cores + " cores, at least 1 is required");
        }
        if (gpus < 0) {
            return Optional.of("unit needs " + gpus + " gpus, must be >= 0");
        }
        if (cores > maxNodeCores) {
            return Optional.of("unit needs " + cores + " cores, " + holder() + " has " + maxNodeCores);
        }
        if (gpus > maxNodeGpus) {
            return Optional.of("unit needs " + gpus + " gpus, " + holder() + " has " + maxNodeGpus);
        }
        return Optional.empty();
    }

    private String holder() {
        return nodes.size() == 1 ? "pilot" : "largest node of the pilot";
    }

    /**
     * Queues a unit at the end of the waiting list.
     *
     * @throws IllegalArgumentException when it can never fit ({@link #neverFits}) or is already waiting
     */
    public void submit(T item, int cores, int gpus) {
        Optional<String> never = neverFits(cores, gpus);
        if (never.isPresent()) {
            throw new IllegalArgumentException(never.get());
        }
        if (waiting.containsKey(item)) {
            throw new IllegalArgumentException(item + " is already waiting");
        }
        waiting.put(item, new Request<>(item, cores, gpus));
        waitingCores.merge(cores, 1, Integer::sum);
    }

    /** Removes a waiting unit (cancel); false when it was not waiting. */
    public boolean withdraw(T item) {
        Request<T> r = waiting.remove(item);
        if (r == null) {
            return false;
        }
        forget(r);
        return true;
    }

    public boolean isWaiting(T item) {
        return waiting.containsKey(item);
    }

    /** Every waiting unit in arrival order (for ending the pilot); the list is a copy. */
    public List<T> waitingItems() {
        return new ArrayList<>(waiting.keySet());
    }

    /** Places every waiting unit that fits now, in arrival order, skipping those that do not fit yet. */
    public List<Placement<T>> schedule() {
        if (waiting.isEmpty()) {
            return List.of();
        }
        List<Placement<T>> out = new ArrayList<>();
        Iterator<Map.Entry<T, Request<T>>> it = waiting.entrySet().iterator();
        while (it.hasNext()) {
            int maxFree = maxFreeCoresOnANode();
            if (waitingCores.isEmpty() || maxFree < waitingCores.firstKey()) {
                break; // not even the smallest waiting unit fits anywhere
            }
            Request<T> r = it.next().getValue();
            for (NodeState n : nodes) {
                if (n.fits(r.cores(), r.gpus())) {
                    out.add(new Placement<>(r.item(), n.take(r.cores(), r.gpus())));
                    it.remove();
                    forget(r);
                    break;
                }
            }
        }
        return out;
    }

    /** Gives slots back. @throws IllegalStateException when a slot is free already (a double release) */
    public void release(Allocation a) {
        NodeState n = stateOf(a.node());
        for (int c : a.cores()) {
            if (n.freeCores.get(c)) {
                throw new IllegalStateException("core slot " + a.node().coreSlot(c) + " released twice");
            }
        }
        for (int g : a.gpus()) {
            if (n.freeGpus.get(g)) {
                throw new IllegalStateException("gpu slot " + a.node().gpuSlot(g) + " released twice");
            }
        }
        for (int c : a.cores()) {
            n.freeCores.set(c);
        }
        for (int g : a.gpus()) {
            n.freeGpus.set(g);
        }
        n.nFreeCores += a.cores().size();
        n.nFreeGpus += a.gpus().size();
    }

    public int waitingCount() {
        return waiting.size();
    }

    public int freeCores() {
        int s = 0;
        for (NodeState n : nodes) {
            s += n.nFreeCores;
        }
        return s;
    }

    public int freeGpus() {
        int s = 0;
        for (NodeState n : nodes) {
            s += n.nFreeGpus;
        }
        return s;
    }

    public int totalCores() {
        return totalCores;
    }

    public int totalGpus() {
        return totalGpus;
    }

    private int maxFreeCoresOnANode() {
        int m = 0;
        for (NodeState n : nodes) {
            m = Math.max(m, n.nFreeCores);
        }
        return m;
    }

    private void forget(Request<T> r) {
        waitingCores.computeIfPresent(r.cores(), (k, v) -> v == 1 ? null : v - 1);
    }

    private NodeState stateOf(Node node) {
        for (NodeState n : nodes) {
            if (n.node.equals(node)) {
                return n;
            }
        }
        throw new IllegalArgumentException("unknown node " + node.name());
    }
}
