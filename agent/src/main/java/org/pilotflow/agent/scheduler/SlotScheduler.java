package org.pilotflow.agent.scheduler;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * Places units on core and GPU slots of the pilot's nodes, with backfilling: waiting units are kept in priority
 * order (higher first), then arrival order; {@link #schedule()} starts every waiting unit that fits now, skipping
 * those that do not fit yet, so a small unit may overtake a big one. A unit that can never fit is refused at {@link #submit} ({@link #neverFits}
 * gives the reason to report).
 *
 * <p>Placement: a unit is placed on one node (first fit). A unit that may span nodes (an MPI unit, whose cores are
 * ranks) also goes on one node when one can hold it, since ranks on one node talk fastest; otherwise its ranks
 * fill nodes one after another in node order (first fit, all free cores of a node before the next), starting
 * with the first node that has a free core and all of the unit's GPUs, which all stay on that node. Units with
 * the same co-location tag run on one node: the first of them goes where it fits, the others wait for room on
 * that node (never spanning nodes).
 *
 * <p>Built for pilots of thousands of nodes (see {@code SchedulerBenchmark} in the test sources): free cores and GPUs
 * per node are kept in a max tree over the node order, so first fit is a descent instead of a scan of every node;
 * and waiting units are grouped by shape (cores, GPUs, spanning, priority, co-location tag), so a pass tries each
 * shape's first unit in scheduling order and drops a shape whose first unit does not fit: slots only get fewer
 * during a pass, so its later units, alike, would not fit either. Placements are the ones a walk over every waiting
 * unit would make.
 *
 * <p>A node the pilot lost ({@link #loseNode}) is taken out: its slots are never given again, the limits of
 * {@link #neverFits} become those of the nodes left, and its allocations' releases are ignored.
 *
 * <p>Pure logic, not thread-safe: the agent calls it from one thread.
 *
 * @param <T> the caller's handle of a unit (compared with {@code equals})
 */
public final class SlotScheduler<T> {

    /** A unit placed on slots by {@link #schedule()}. */
    public record Placement<T>(T item, Allocation allocation) { }

    private record Request<T>(T item, int cores, int gpus, boolean spanNodes, int priority, String colocate,
                              long seq, Shape<T> shape) { }

    /** Higher priority first, then arrival (written out: schedule() compares on every pass). */
    private static final Comparator<Request<?>> ORDER = (a, b) -> a.priority() != b.priority()
            ? Integer.compare(b.priority(), a.priority()) : Long.compare(a.seq(), b.seq());

    /** What decides where a unit may go and when its turn is: waiting units of one shape are placed alike. */
    private record ShapeKey(int cores, int gpus, boolean spanNodes, int priority, String colocate) { }

    /** The waiting units of one shape, in arrival order (which is their scheduling order: same priority). */
    private static final class Shape<T> {
        final ShapeKey key;
        final LinkedHashMap<T, Request<T>> queue = new LinkedHashMap<>();

        Shape(ShapeKey key) {
            this.key = key;
        }

        Request<T> first() {
            return queue.values().iterator().next();
        }
    }

    private static final class NodeState {
        final Node node;
        final int index;
        final BitSet freeCores;
        final BitSet freeGpus;
        int nFreeCores;
        int nFreeGpus;
        /** Taken out by {@link #loseNode}: nothing free, nothing placed on it again, its releases ignored. */
        boolean lost;

        NodeState(Node node, int index) {
            this.node = node;
            this.index = index;
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

        Allocation.Part take(int cores, int gpus, Ranges ranges) {
            Allocation.Part p = new Allocation.Part(node, takeBits(freeCores, cores, ranges),
                    takeBits(freeGpus, gpus, ranges));
            nFreeCores -= cores;
            nFreeGpus -= gpus;
            return p;
        }

        private static List<Integer> takeBits(BitSet free, int n, Ranges ranges) {
            if (n > 0 && free.nextClearBit(0) >= n) { // from the node's first slot on: whole nodes, mostly
                free.clear(0, n);
                return ranges.upTo(n);
            }
            Integer[] out = new Integer[n];
            for (int k = 0, i = free.nextSetBit(0); k < n; k++, i = free.nextSetBit(i + 1)) {
                out[k] = i;
                free.clear(i);
            }
            return List.of(out);
        }
    }

    /** The lists 0..n-1, each made once: the parts that take a node's first n slots share them. */
    private static final class Ranges {
        private final List<List<Integer>> lists = new ArrayList<>();

        List<Integer> upTo(int n) {
            while (lists.size() <= n) {
                Integer[] range = new Integer[lists.size()];
                for (int i = 0; i < range.length; i++) {
                    range[i] = i;
                }
                lists.add(List.of(range));
            }
            return lists.get(n);
        }
    }

    /**
     * The most free cores and free GPUs of any node in each subtree of a complete binary tree over the node order
     * (leaves past the last node hold zeros, which no unit fits: a unit needs a core).
     */
    private static final class FreeTree {
        private final int leaves;
        private final int[] maxCores;
        private final int[] maxGpus;

        FreeTree(List<NodeState> nodes) {
            int n = 1;
            while (n < nodes.size()) {
                n <<= 1;
            }
            leaves = n;
            maxCores = new int[2 * n];
            maxGpus = new int[2 * n];
            for (NodeState s : nodes) {
                maxCores[n + s.index] = s.nFreeCores;
                maxGpus[n + s.index] = s.nFreeGpus;
            }
            for (int i = n - 1; i >= 1; i--) {
                pull(i);
            }
        }

        void update(NodeState s) {
            int i = leaves + s.index;
            maxCores[i] = s.nFreeCores;
            maxGpus[i] = s.nFreeGpus;
            for (i >>= 1; i >= 1; i >>= 1) {
                pull(i);
            }
        }

        private void pull(int i) {
            maxCores[i] = Math.max(maxCores[2 * i], maxCores[2 * i + 1]);
            maxGpus[i] = Math.max(maxGpus[2 * i], maxGpus[2 * i + 1]);
        }

        int maxFreeCores() {
            return maxCores[1];
        }

        /**
         * The first node at or after {@code from} with at least this many free cores and GPUs, or -1. Without GPUs
         * one path down; with GPUs a subtree whose best node for cores lacks GPUs is entered and left again.
         */
        int firstFit(int cores, int gpus, int from) {
            return find(1, 0, leaves, from, cores, gpus);
        }

        private int find(int i, int lo, int hi, int from, int cores, int gpus) {
            if (hi <= from || maxCores[i] < cores || maxGpus[i] < gpus) {
                return -1;
            }
            if (i >= leaves) {
                return lo;
            }
            int mid = (lo + hi) >>> 1;
            int left = find(2 * i, lo, mid, from, cores, gpus);
            return left >= 0 ? left : find(2 * i + 1, mid, hi, from, cores, gpus);
        }
    }

    private final List<NodeState> nodes = new ArrayList<>();
    private final Map<String, NodeState> nodesByName = new HashMap<>();
    private final FreeTree free;
    private final Ranges ranges = new Ranges();
    private final HashMap<T, Request<T>> waiting = new HashMap<>();
    private final Map<ShapeKey, Shape<T>> shapes = new HashMap<>();
    /** Co-location tag -> the node its units run on (fixed by the first of them placed). */
    private final Map<String, NodeState> colocated = new HashMap<>();
    private long submitted;
    // multisets of the core counts of waiting units (one-node, node-spanning): let schedule() stop early when not
    // even the smallest fits (a one-node unit on the freest node, a spanning one on the whole pilot)
    private final TreeMap<Integer, Integer> waitingCores = new TreeMap<>();
    private final TreeMap<Integer, Integer> waitingSpanningCores = new TreeMap<>();
    // of the nodes not lost
    private int totalCores;
    private int totalGpus;
    private int maxNodeCores;
    private int maxNodeGpus;
    private int freeCoreCount;
    private int freeGpuCount;

    public SlotScheduler(List<Node> nodeList) {
        if (nodeList.isEmpty()) {
            throw new IllegalArgumentException("a pilot needs at least one node");
        }
        int tc = 0;
        int tg = 0;
        int mc = 0;
        int mg = 0;
        for (Node n : nodeList) {
            NodeState state = new NodeState(n, nodes.size());
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
        freeCoreCount = tc;
        freeGpuCount = tg;
        free = new FreeTree(nodes);
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
        Shape<T> shape = shapes.computeIfAbsent(new ShapeKey(cores, gpus, spanNodes, priority, colocate), Shape::new);
        Request<T> r = new Request<>(item, cores, gpus, spanNodes, priority, colocate, submitted++, shape);
        waiting.put(item, r);
        shape.queue.put(item, r);
        sizes(spanNodes).merge(cores, 1, Integer::sum);
    }

    /**
     * Fixes the node of a co-location tag before any of its units is placed (the agent's node, for the units that
     * run inside the agent).
     *
     * @throws IllegalArgumentException for a node not in the pilot
     */
    public void pinColocation(String colocate, String node) {
        NodeState n = nodesByName.get(node);
        if (n == null) {
            throw new IllegalArgumentException("node " + node + " is not one of the pilot's nodes " + nodesByName.keySet());
        }
        colocated.put(colocate, n);
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

    /** Every waiting unit in scheduling order (for ending the pilot); the list is a copy. */
    public List<T> waitingItems() {
        return waiting.values().stream().sorted(ORDER).map(Request::item).toList();
    }

    /** Places every waiting unit that fits now, in priority and arrival order, skipping those that do not fit yet. */
    public List<Placement<T>> schedule() {
        if (waiting.isEmpty()) {
            return List.of();
        }
        List<Placement<T>> out = new ArrayList<>();
        // the first waiting unit of every shape, in scheduling order
        PriorityQueue<Request<T>> firsts = new PriorityQueue<>(shapes.size(), ORDER);
        int maxFree = free.maxFreeCores();
        for (Shape<T> shape : shapes.values()) {
            if (shape.key.cores() <= (shape.key.spanNodes() ? freeCoreCount : maxFree)) { // else it cannot fit now
                firsts.add(shape.first());
            }
        }
        while (!firsts.isEmpty() && mayAnyFit()) {
            Request<T> r = firsts.poll();
            Allocation a = place(r);
            if (a == null) {
                continue; // nor would the rest of its shape (slots only get fewer): done with it this pass
            }
            out.add(new Placement<>(r.item(), a));
            waiting.remove(r.item());
            forget(r);
            if (!r.shape().queue.isEmpty()) {
                firsts.add(r.shape().first());
            }
        }
        return out;
    }

    /** The slots for the request, taken from the free ones, or null when it does not fit now. */
    private Allocation place(Request<T> r) {
        if (r.colocate() != null) {
            NodeState home = colocated.get(r.colocate());
            if (home != null) {
                return home.fits(r.cores(), r.gpus()) ? new Allocation(List.of(take(home, r.cores(), r.gpus())))
                        : null;
            }
            int i = free.firstFit(r.cores(), r.gpus(), 0);
            if (i < 0) {
                return null;
            }
            colocated.put(r.colocate(), nodes.get(i));
            return new Allocation(List.of(take(nodes.get(i), r.cores(), r.gpus())));
        }
        int one = free.firstFit(r.cores(), r.gpus(), 0);
        if (one >= 0) {
            return new Allocation(List.of(take(nodes.get(one), r.cores(), r.gpus())));
        }
        if (!r.spanNodes() || freeCoreCount < r.cores()) {
            return null;
        }
        int firstIndex = free.firstFit(1, r.gpus(), 0);
        if (firstIndex < 0) {
            return null;
        }
        NodeState first = nodes.get(firstIndex);
        List<Allocation.Part> parts = new ArrayList<>();
        int left = r.cores();
        parts.add(take(first, Math.min(first.nFreeCores, left), r.gpus()));
        left -= parts.get(0).cores().size();
        // the first node gave all its free cores if any are left to place, so the walk below passes over it
        for (int i = free.firstFit(1, 0, 0); i >= 0 && left > 0; i = free.firstFit(1, 0, i + 1)) {
            NodeState n = nodes.get(i);
            Allocation.Part p = take(n, Math.min(n.nFreeCores, left), 0);
            parts.add(p);
            left -= p.cores().size();
        }
        return new Allocation(parts);
    }

    private Allocation.Part take(NodeState n, int cores, int gpus) {
        Allocation.Part p = n.take(cores, gpus, ranges);
        freeCoreCount -= cores;
        freeGpuCount -= gpus;
        free.update(n);
        return p;
    }

    /** False when not even the smallest waiting unit fits (a cheap bound that lets schedule() stop early). */
    private boolean mayAnyFit() {
        return !waitingCores.isEmpty() && free.maxFreeCores() >= waitingCores.firstKey()
                || !waitingSpanningCores.isEmpty() && freeCoreCount >= waitingSpanningCores.firstKey();
    }

    /**
     * Takes a lost node out of the pilot: its free slots are no longer given, and the waiting units that can now
     * never fit on the nodes left are withdrawn and returned (in scheduling order) for the caller to end. Units
     * co-located on it go where they fit next. Allocations on it stay the caller's to end; their release is
     * harmless. Losing a node again does nothing.
     *
     * @throws IllegalArgumentException for a node not in the pilot
     */
    public List<T> loseNode(String name) {
        NodeState n = nodesByName.get(name);
        if (n == null) {
            throw new IllegalArgumentException("unknown node " + name);
        }
        if (n.lost) {
            return List.of();
        }
        n.lost = true;
        freeCoreCount -= n.nFreeCores;
        freeGpuCount -= n.nFreeGpus;
        n.nFreeCores = 0;
        n.nFreeGpus = 0;
        n.freeCores.clear();
        n.freeGpus.clear();
        free.update(n);
        colocated.values().removeIf(home -> home == n);
        totalCores = 0;
        totalGpus = 0;
        maxNodeCores = 0;
        maxNodeGpus = 0;
        for (NodeState s : nodes) {
            if (!s.lost) {
                totalCores += s.node.cores();
                totalGpus += s.node.gpus();
                maxNodeCores = Math.max(maxNodeCores, s.node.cores());
                maxNodeGpus = Math.max(maxNodeGpus, s.node.gpus());
            }
        }
        List<T> never = new ArrayList<>();
        for (Request<T> r : waiting.values().stream().sorted(ORDER).toList()) {
            if (neverFits(r.cores(), r.gpus(), r.spanNodes()).isPresent()) {
                waiting.remove(r.item());
                forget(r);
                never.add(r.item());
            }
        }
        return never;
    }

    /** Whether {@link #loseNode} took this node out. */
    public boolean isLost(String name) {
        NodeState n = nodesByName.get(name);
        return n != null && n.lost;
    }

    /**
     * Gives slots back; those on a lost node stay taken.
     *
     * @throws IllegalStateException when a slot is free already (a double release)
     */
    public void release(Allocation a) {
        for (Allocation.Part p : a.parts()) {
            NodeState n = stateOf(p.node());
            if (n.lost) {
                continue;
            }
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
            if (n.lost) {
                continue;
            }
            for (int c : p.cores()) {
                n.freeCores.set(c);
            }
            for (int g : p.gpus()) {
                n.freeGpus.set(g);
            }
            n.nFreeCores += p.cores().size();
            n.nFreeGpus += p.gpus().size();
            freeCoreCount += p.cores().size();
            freeGpuCount += p.gpus().size();
            free.update(n);
        }
    }

    public int waitingCount() {
        return waiting.size();
    }

    public int freeCores() {
        return freeCoreCount;
    }

    public int freeGpus() {
        return freeGpuCount;
    }

    /** The cores of the nodes not lost. */
    public int totalCores() {
        return totalCores;
    }

    /** The GPUs of the nodes not lost. */
    public int totalGpus() {
        return totalGpus;
    }

    private TreeMap<Integer, Integer> sizes(boolean spanNodes) {
        return spanNodes ? waitingSpanningCores : waitingCores;
    }

    /** Takes a request that leaves the waiting list (placed or withdrawn) out of its shape and the size counts. */
    private void forget(Request<T> r) {
        Shape<T> shape = r.shape();
        shape.queue.remove(r.item());
        if (shape.queue.isEmpty()) {
            shapes.remove(shape.key);
        }
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
