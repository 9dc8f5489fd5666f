package org.pilotflow.agent.scheduler;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Placements per second of {@link SlotScheduler} on a simulated pilot (10,000 nodes of 128 cores unless told), with
 * the scheduler as it was before issue 12 ({@link ScanningSlotScheduler}, a scan of every node per placement)
 * measured in the same run as the baseline. Rates are per second of the benchmark thread's CPU time, since the
 * machines it runs on are shared (the wall-clock rate of the indexed scheduler is printed too). A program that prints
 * a table, not a test; it lives in the test sources so that neither it nor the old scheduler ships in the agent jar.
 *
 * <pre>
 * mvn -q -B install -DskipTests
 * mvn -q -B -pl agent test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=org.pilotflow.agent.scheduler.SchedulerBenchmark
 * </pre>
 *
 * Options: {@code --nodes N} (10000), {@code --cores N} (128), {@code --gpus N} (8), {@code --rounds N} (5, after two warm-up rounds,
 * and for the indexed scheduler as many more as make 50,000 placements).
 * Workloads (each round a new scheduler; submitting is timed with placing, as the agent does both per unit; the
 * baseline runs a tenth of each batch, which, filling fewer nodes, flatters it a little, and a hundredth of the
 * churn):
 * <ul>
 *   <li>single-core: 100,000 one-core units submitted, then one {@code schedule()};</li>
 *   <li>multi-core: 20,000 units of 2 to 64 cores, then one {@code schedule()};</li>
 *   <li>MPI: 5,000 node-spanning units of 200 ranks (two or three nodes each), then one {@code schedule()};</li>
 *   <li>churn: a full pilot and 200 more waiting units of 1 to 16 cores; 20,000 times one running unit ends
 *       ({@code release}), {@code schedule()} runs and a new unit arrives: the agent's steady state;</li>
 *   <li>GPU: on nodes of {@code --gpus} (8) GPUs, 50,000 units of 1 GPU and 1 to 16 cores; and 40,000 where every
 *       second one is a one-core CPU unit and the GPU units take 8 to 16 cores ({@link GpuBatch}).</li>
 * </ul>
 */
public final class SchedulerBenchmark {

    /** Rounds run before the measured ones, for the JIT. */
    private static final int WARM_UP_ROUNDS = 2;

    /** Placements the indexed scheduler makes before its measured rounds (at least {@link #WARM_UP_ROUNDS}). */
    private static final int WARM_UP_PLACEMENTS = 50_000;

    private SchedulerBenchmark() {
    }

    /** The calls the benchmark makes, so one workload drives both schedulers. */
    interface Subject {
        void submit(int item, int cores, int gpus, boolean spanNodes);

        /** Runs one pass; adds the placed allocations to {@code placed}. */
        void schedule(List<Allocation> placed);

        void release(Allocation a);
    }

    static Subject indexed(List<Node> nodes) {
        SlotScheduler<Integer> s = new SlotScheduler<>(nodes);
        return new Subject() {
            @Override
            public void submit(int item, int cores, int gpus, boolean spanNodes) {
                s.submit(item, cores, gpus, spanNodes);
            }

            @Override
            public void schedule(List<Allocation> placed) {
                for (SlotScheduler.Placement<Integer> p : s.schedule()) {
                    placed.add(p.allocation());
                }
            }

            @Override
            public void release(Allocation a) {
                s.release(a);
            }
        };
    }

    static Subject scanning(List<Node> nodes) {
        ScanningSlotScheduler<Integer> s = new ScanningSlotScheduler<>(nodes);
        return new Subject() {
            @Override
            public void submit(int item, int cores, int gpus, boolean spanNodes) {
                s.submit(item, cores, gpus, spanNodes);
            }

            @Override
            public void schedule(List<Allocation> placed) {
                for (ScanningSlotScheduler.Placement<Integer> p : s.schedule()) {
                    placed.add(p.allocation());
                }
            }

            @Override
            public void release(Allocation a) {
                s.release(a);
            }
        };
    }

    /** One workload: builds its untimed starting state, then runs the timed part and returns placements made. */
    interface Workload {
        String name();

        /** The part of the workload the baseline runs: all of it would take minutes. */
        int baselineShare();

        /** Runs on the pilot whose nodes have GPUs. */
        default boolean gpuNodes() {
            return false;
        }

        /**
         * Placements made during the timed part, whose start and end it marks on {@code clock}; 1/{@code share} of
         * the full workload is run.
         */
        long run(Subject s, Clock clock, int share);
    }

    /** Wall time and this thread's CPU time (which leaves out the time other processes had the CPU). */
    static final class Clock {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        long start;
        long end;
        long cpuStart;
        long cpuEnd;

        void start() {
            start = System.nanoTime();
            cpuStart = THREADS.getCurrentThreadCpuTime();
        }

        void stop() {
            cpuEnd = THREADS.getCurrentThreadCpuTime();
            end = System.nanoTime();
        }
    }

    record Batch(String name, int units, int minCores, int maxCores, boolean spanNodes) implements Workload {
        @Override
        public int baselineShare() {
            return 10;
        }

        @Override
        public long run(Subject s, Clock clock, int share) {
            int units = this.units / share;
            SplittableRandom rnd = new SplittableRandom(12);
            int[] sizes = new int[units];
            for (int i = 0; i < units; i++) {
                sizes[i] = minCores + rnd.nextInt(maxCores - minCores + 1);
            }
            List<Allocation> placed = new ArrayList<>(units);
            clock.start();
            for (int i = 0; i < units; i++) {
                s.submit(i, sizes[i], 0, spanNodes);
            }
            s.schedule(placed);
            clock.stop();
            if (placed.size() != units) {
                throw new IllegalStateException(name + ": placed " + placed.size() + " of " + units + " units");
            }
            return placed.size();
        }
    }

    /**
     * GPU units on GPU nodes: {@code units} units of {@code gpus} GPU(s) and {@code minCores}..{@code maxCores}
     * cores, each {@code cpuEvery}-th slot taken instead by a one-core unit without GPUs, then one
     * {@code schedule()}. The one-core units use up cores of nodes whose GPUs are free, so a GPU unit's descent
     * meets subtrees whose most free cores and most free GPUs are on different nodes: the scheduler's worst case.
     */
    record GpuBatch(String name, int units, int gpus, int minCores, int maxCores, int cpuEvery) implements Workload {
        @Override
        public int baselineShare() {
            return 10;
        }

        @Override
        public boolean gpuNodes() {
            return true;
        }

        @Override
        public long run(Subject s, Clock clock, int share) {
            int units = this.units / share;
            SplittableRandom rnd = new SplittableRandom(56);
            int[] cores = new int[units];
            int[] gpuCounts = new int[units];
            for (int i = 0; i < units; i++) {
                boolean cpuOnly = cpuEvery > 0 && i % cpuEvery == 0;
                cores[i] = cpuOnly ? 1 : minCores + rnd.nextInt(maxCores - minCores + 1);
                gpuCounts[i] = cpuOnly ? 0 : gpus;
            }
            List<Allocation> placed = new ArrayList<>(units);
            clock.start();
            for (int i = 0; i < units; i++) {
                s.submit(i, cores[i], gpuCounts[i], false);
            }
            s.schedule(placed);
            clock.stop();
            if (placed.size() != units) {
                throw new IllegalStateException(name + ": placed " + placed.size() + " of " + units + " units");
            }
            return placed.size();
        }
    }

    record Churn(String name, int waiting, int endings, int maxCores) implements Workload {
        @Override
        public int baselineShare() {
            return 100; // each ending walks the waiting units, with a scan of every node for each
        }

        @Override
        public long run(Subject s, Clock clock, int share) {
            int endings = this.endings / share;
            SplittableRandom rnd = new SplittableRandom(34);
            int next = 0;
            List<Allocation> running = new ArrayList<>();
            // fill the pilot: submit until a pass leaves units waiting, then keep that many waiting
            while (true) {
                for (int i = 0; i < 1_000; i++) {
                    s.submit(next++, 1 + rnd.nextInt(maxCores), 0, false);
                }
                int before = running.size();
                s.schedule(running);
                if (running.size() - before < 1_000) {
                    break;
                }
            }
            for (int i = 0; i < waiting; i++) {
                s.submit(next++, 1 + rnd.nextInt(maxCores), 0, false);
            }
            List<Allocation> placed = new ArrayList<>();
            clock.start();
            for (int i = 0; i < endings; i++) {
                int k = rnd.nextInt(running.size());
                Allocation ended = running.get(k);
                running.set(k, running.get(running.size() - 1));
                running.remove(running.size() - 1);
                s.release(ended);
                int before = placed.size();
                s.schedule(placed);
                for (int j = before; j < placed.size(); j++) {
                    running.add(placed.get(j));
                }
                s.submit(next++, 1 + rnd.nextInt(maxCores), 0, false);
            }
            clock.stop();
            return placed.size();
        }
    }

    public static void main(String[] args) {
        int nodes = 10_000;
        int cores = 128;
        int rounds = 5;
        int gpus = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nodes" -> nodes = intOption(args, ++i, "--nodes");
                case "--cores" -> cores = intOption(args, ++i, "--cores");
                case "--rounds" -> rounds = intOption(args, ++i, "--rounds");
                case "--gpus" -> gpus = intOption(args, ++i, "--gpus");
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (usage: [--nodes N] [--cores N] [--gpus N] [--rounds N])");
            }
        }
        List<Node> cpuPilot = new ArrayList<>(nodes);
        List<Node> gpuPilot = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            cpuPilot.add(new Node(String.format(Locale.ROOT, "node%05d", i), cores, 0));
            gpuPilot.add(new Node(String.format(Locale.ROOT, "gpu%05d", i), cores, gpus));
        }
        int total = nodes * cores;
        List<Workload> workloads = List.of(
                new Batch("single-core units", Math.min(100_000, total), 1, 1, false),
                new Batch("multi-core units (2-64 cores)", Math.min(20_000, total / 64), 2, Math.min(64, cores),
                        false),
                new Batch("MPI units spanning nodes (200 ranks)", Math.min(5_000, total / 200), 200, 200, true),
                new Churn("churn: release + schedule + submit (1-16)", 200, 20_000, Math.min(16, cores)),
                new GpuBatch("GPU units (1 GPU, 1-16 cores)", Math.min(50_000, nodes * gpus), 1, 1,
                        Math.min(16, cores), 0),
                new GpuBatch("GPU units, every 2nd a 1-core CPU unit", Math.min(40_000, nodes * gpus), 1,
                        Math.min(8, cores), Math.min(16, cores), 2));

        System.out.printf(Locale.ROOT, "SlotScheduler on %d nodes x %d cores (GPU rows: x %d GPUs too): "
                + "placements/s, median of %d rounds after %d warm-up rounds (the indexed scheduler's: %d placements "
                + "at least)%n", nodes, cores, gpus, rounds, WARM_UP_ROUNDS, WARM_UP_PLACEMENTS);
        System.out.printf(Locale.ROOT, "baseline: ScanningSlotScheduler, the scheduler before issue 12 (commit "
                + "71679cf), on a part of each workload (baseline n)%n%n");
        System.out.printf(Locale.ROOT, "per second of the benchmark thread's CPU time (wall clock in the last column:"
                + " it counts the time other processes had the CPU); load average %.1f on %d CPUs at the start%n%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "| %-42s | %10s | %10s | %10s | %10s | %8s | %12s |%n", "workload",
                "baseline n", "baseline/s", "indexed n", "indexed/s", "ratio", "indexed wall");
        System.out.printf(Locale.ROOT, "|%s|%s|%s|%s|%s|%s|%s|%n", "-".repeat(44), "-".repeat(12), "-".repeat(12),
                "-".repeat(12), "-".repeat(12), "-".repeat(10), "-".repeat(14));
        for (Workload w : workloads) {
            List<Node> pilot = w.gpuNodes() ? gpuPilot : cpuPilot;
            double[] base = new double[rounds];
            double[] fast = new double[rounds];
            double[] fastWall = new double[rounds];
            long[] placed = new long[2];
            // warm-up: the baseline's scans make its loops hot at once; the indexed scheduler does little per
            // placement, so it runs until it has made WARM_UP_PLACEMENTS before its measured rounds
            for (int r = 0; r < WARM_UP_ROUNDS; r++) {
                rate(w, scanning(pilot), w.baselineShare(), placed, 0);
            }
            long warm = 0;
            for (int r = 0; r < WARM_UP_ROUNDS || warm < WARM_UP_PLACEMENTS; r++) {
                rate(w, indexed(pilot), 1, placed, 1);
                warm += placed[1];
            }
            for (int r = 0; r < rounds; r++) { // rounds alternate, so both see the same machine
                base[r] = rate(w, scanning(pilot), w.baselineShare(), placed, 0)[0];
                double[] f = rate(w, indexed(pilot), 1, placed, 1);
                fast[r] = f[0];
                fastWall[r] = f[1];
            }
            double mb = median(base);
            double mf = median(fast);
            System.out.printf(Locale.ROOT, "| %-42s | %10d | %10.0f | %10d | %10.0f | %7.1fx | %12.0f |%n",
                    w.name(), placed[0], mb, placed[1], mf, mf / mb, median(fastWall));
        }
        System.out.printf(Locale.ROOT, "%nload average %.1f at the end%n",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /**
     * Placements per second of one round, of CPU time and of wall time; its placement count goes to
     * {@code placed[slot]}.
     */
    private static double[] rate(Workload w, Subject s, int share, long[] placed, int slot) {
        Clock c = new Clock();
        long n = w.run(s, c, share);
        placed[slot] = n;
        return new double[] {n / ((c.cpuEnd - c.cpuStart) / 1e9), n / ((c.end - c.start) / 1e9)};
    }
    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static int intOption(String[] args, int i, String name) {
        if (i >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        try {
            int v = Integer.parseInt(args[i]);
            if (v < 1) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is " + args[i] + ", expected a positive integer");
        }
    }
}
