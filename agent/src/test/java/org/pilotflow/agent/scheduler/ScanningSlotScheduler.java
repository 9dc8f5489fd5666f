package org.pilotflow.agent.scheduler;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The slot scheduler as it was before issue 12 (commit 71679cf), kept unchanged but for its name: the baseline of
 * {@link SchedulerBenchmark} and the reference {@link SlotSchedulerPropertyTest} compares placements with. For every
 * placement it scans the nodes (first fit, and the free-core bound of {@code mayAnyFit}), and each
 * {@link #schedule()} pass walks every waiting unit.
 *
 * @param <T> the caller's handle of a unit (compared with {@code equals})
 */
final class ScanningSlotScheduler<T> {

    /** A unit placed on slots by {@link #schedule()}. */
    record Placement<T>(T item, Allocation allocation) { }

    private record Request<T>(T item, int cores, int gpus, boolean spanNodes, int priority, String colocate,
                              long seq) { }

    /** Higher priority first, then arrival. */
    private static final java.util.Comparator<Request<?>> ORDER = java.util.Comparator
            .comparingInt((Request<?> r) -> r.priority()).reversed().thenComparingLong(Request::seq);

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

        Allocation.Part take(int cores, int gpus) {
            return new Allocation.Part(node, takeBits(freeCores, cores), takeBits(freeGpus, gpus));
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
    private final Map<String, NodeState> nodesByName = new HashMap<>();
    private final HashMap<T, Request<T>> waiting = new HashMap<>();
    private final java.util.TreeSet<Request<T>> order = new java.util.TreeSet<>(ORDER);
    /** Co-location tag -> the node its units run on (fixed by the first of them placed). */
    private final Map<String, NodeState> colocated = new HashMap<>();
    private long submitted;
    // multisets of the core counts of waiting units (one-node, node-spanning): let schedule() stop early when not
    // even the smallest fits (a one-node unit on the freest node, a spanning one on the whole pilot)
    private final TreeMap<Integer, Integer> waitingCores = new TreeMap<>();
    private final TreeMap<Integer, Integer> waitingSpanningCores = new TreeMap<>();
    private final int totalCores;
    private final int totalGpus;
    private final int maxNodeCores;
    private final int maxNodeGpus;

    ScanningSlotScheduler(List<Node> nodeList) {
        if (nodeList.isEmpty()) {
            throw new IllegalArgumentException("a pilot needs at least one node");
        }
        int tc = 0;
        int tg = 0;
        int mc = 0;
        int mg = 0;
        for (Node n : nodeList) {
            NodeState state = new NodeState(n);
            if (nodesByName.putIfAbsent(n.name(), state) != null) {
                throw new IllegalArgumentException("node " + n.name() + " is listed twice");
            }
            nodes.add(state);
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

    /** {@link #neverFits(int, int, boolean)} for a unit that stays on one node. */
    public Optional<String> neverFits(int cores, int gpus) {
        return neverFits(cores, gpus, false);
    }

    /**
     * Why a unit of this size can never run on this pilot, or empty when it can. A one-node unit is limited by the
     * largest node (with one node: the pilot), a node-spanning one by the pilot's total cores; GPUs always by the
     * largest node, since a unit's GPUs stay on one node.
     */
    public Optional<String> neverFits(int cores, int gpus, boolean spanNodes) {
        if (cores < 1) {
            return Optional.of("unit needs " + cores + " cores, at least 1 is required");
        }
        if (gpus < 0) {
            return Optional.of("unit needs " + gpus + " gpus, must be >= 0");
        }
        if (spanNodes && cores > totalCores) {
            return Optional.of("unit needs " + cores + " cores, pilot has " + totalCores);
        }
        if (!spanNodes && cores > maxNodeCores) {
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

    /** {@link #submit(Object, int, int, boolean)} for a unit that stays on one node. */
    public void submit(T item, int cores, int gpus) {
        submit(item, cores, gpus, false);
    }

    /**
     * Queues a unit at the end of the waiting list.
     *
     * @param spanNodes the unit may be spread over several nodes (an MPI unit)
     * @throws IllegalArgumentException when it can never fit ({@link #neverFits}) or is already waiting
     */
    public void submit(T item, int cores, int gpus, boolean spanNodes) {
        submit(item, cores, gpus, spanNodes, 0, null);
    }

    /**
     * Queues a unit behind the waiting units of its priority or higher.
     *
     * @param spanNodes the unit may be spread over several nodes (an MPI unit); not with {@code colocate}
     * @param priority  higher is placed first
     * @param colocate  a co-location tag, or null
     * @throws IllegalArgumentException when it can never fit ({@link #neverFits}) or is already waiting
     */
    public void submit(T item, int cores, int gpus, boolean spanNodes, int priority, String colocate) {
        if (colocate != null) {
            spanNodes = false;
            NodeState home = colocated.get(colocate);
            if (home != null && (cores > home.node.cores() || gpus > home.node.gpus())) {
                throw new IllegalArgumentException("unit needs " + cores + " cores and " + gpus + " gpus, node "
                        + home.node.name() + " (where the units tagged colocate=" + colocate + " run) has "
                        + home.node.cores() + " and " + home.node.gpus());
            }
        }
        Optional<String> never = neverFits(cores, gpus, spanNodes);
        if (never.isPresent()) {
            throw new IllegalArgumentException(never.get());
        }
        if (waiting.containsKey(item)) {
            throw new IllegalArgumentException(item + " is already waiting");
        }
        Request<T> r = new Request<>(item, cores, gpus, spanNodes, priority, colocate, submitted++);
        waiting.put(item, r);
        order.add(r);
        sizes(spanNodes).merge(cores, 1, Integer::sum);
    }

    /** Removes a waiting unit (cancel); false when it was not waiting. */
    public boolean withdraw(T item) {
        Request<T> r = waiting.remove(item);
        if (r == null) {
            return false;
        }
        order.remove(r);
        forget(r);
        return true;
    }

    public boolean isWaiting(T item) {
        return waiting.containsKey(item);
    }

    /** Every waiting unit in scheduling order (for ending the pilot); the list is a copy. */
    public List<T> waitingItems() {
        List<T> out = new ArrayList<>(order.size());
        order.forEach(r -> out.add(r.item()));
        return out;
    }

    /** Places every waiting unit that fits now, in priority and arrival order, skipping those that do not fit yet. */
    public List<Placement<T>> schedule() {
        if (waiting.isEmpty()) {
            return List.of();
        }
        List<Placement<T>> out = new ArrayList<>();
        Iterator<Request<T>> it = order.iterator();
        while (it.hasNext() && mayAnyFit()) {
            Request<T> r = it.next();
            Allocation a = place(r);
            if (a != null) {
                out.add(new Placement<>(r.item(), a));
                it.remove();
                waiting.remove(r.item());
                forget(r);
            }
        }
        return out;
    }

    /** The slots for the request, taken from the free ones, or null when it does not fit now. */
    private Allocation place(Request<T> r) {
        if (r.colocate() != null) {
            NodeState home = colocated.get(r.colocate());
            if (home != null) {
                return home.fits(r.cores(), r.gpus()) ? new Allocation(List.of(home.take(r.cores(), r.gpus())))
                        : null;
            }
            for (NodeState n : nodes) {
                if (n.fits(r.cores(), r.gpus())) {
                    colocated.put(r.colocate(), n);
                    return new Allocation(List.of(n.take(r.cores(), r.gpus())));
                }
            }
            return null;
        }
        for (NodeState n : nodes) {
            if (n.fits(r.cores(), r.gpus())) {
                return new Allocation(List.of(n.take(r.cores(), r.gpus())));
            }
        }
        if (!r.spanNodes() || freeCores() < r.cores()) {
            return null;
        }
        NodeState first = null;
        for (NodeState n : nodes) {
            if (n.nFreeCores > 0 && n.nFreeGpus >= r.gpus()) {
                first = n;
                break;
            }
        }
        if (first == null) {
            return null;
        }
        List<Allocation.Part> parts = new ArrayList<>();
        int left = r.cores();
        parts.add(first.take(Math.min(first.nFreeCores, left), r.gpus()));
        left -= parts.get(0).cores().size();
        for (int i = 0; i < nodes.size() && left > 0; i++) {
            NodeState n = nodes.get(i);
            if (n != first && n.nFreeCores > 0) {
                Allocation.Part p = n.take(Math.min(n.nFreeCores, left), 0);
                parts.add(p);
                left -= p.cores().size();
            }
        }
        return new Allocation(parts);
    }

    /** False when not even the smallest waiting unit fits (a cheap bound that lets schedule() stop early). */
    private boolean mayAnyFit() {
        int maxFree = 0;
        int totalFree = 0;
        for (NodeState n : nodes) {
            maxFree = Math.max(maxFree, n.nFreeCores);
            totalFree += n.nFreeCores;
        }
        return !waitingCores.isEmpty() && maxFree >= waitingCores.firstKey()
                || !waitingSpanningCores.isEmpty() && totalFree >= waitingSpanningCores.firstKey();
    }

    /** Gives slots back. @throws IllegalStateException when a slot is free already (a double release) */
    public void release(Allocation a) {
        for (Allocation.Part p : a.parts()) {
            NodeState n = stateOf(p.node());
            for (int c : p.cores()) {
                if (n.freeCores.get(c)) {
                    throw new IllegalStateException("core slot " + p.node().coreSlot(c) + " released twice");
                }
            }
            for (int g : p.gpus()) {
                if (n.freeGpus.get(g)) {
                    throw new IllegalStateException("gpu slot " + p.node().gpuSlot(g) + " released twice");
                }
            }
        }
        for (Allocation.Part p : a.parts()) {
            NodeState n = stateOf(p.node());
            for (int c : p.cores()) {
                n.freeCores.set(c);
            }
            for (int g : p.gpus()) {
                n.freeGpus.set(g);
            }
            n.nFreeCores += p.cores().size();
            n.nFreeGpus += p.gpus().size();
        }
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

    private TreeMap<Integer, Integer> sizes(boolean spanNodes) {
        return spanNodes ? waitingSpanningCores : waitingCores;
    }

    private void forget(Request<T> r) {
        sizes(r.spanNodes()).computeIfPresent(r.cores(), (k, v) -> v == 1 ? null : v - 1);
    }

    private NodeState stateOf(Node node) {
        NodeState n = nodesByName.get(node.name());
        if (n == null || !n.node.equals(node)) {
            throw new IllegalArgumentException("unknown node " + node.name());
        }
        return n;
    }
}
