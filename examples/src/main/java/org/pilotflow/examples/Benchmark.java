package org.pilotflow.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.api.WaitTimeout;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throughput and latency of the whole unit lifecycle on one local pilot, with this machine's raw process-launch rate
 * measured in the same run as the baseline. A program that prints a table, not a test.
 *
 * <pre>
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.Benchmark -Dexec.args="--units 10000"
 * </pre>
 *
 * Options: {@code --units N} (10000), {@code --cores N} (cores per pilot, 2), {@code --pilots N} (local pilots
 * behind the one unit manager, 1), {@code --warmup N} (200), {@code --history LEVEL} (activity; none, activity, audit,
 * full), {@code --jdbc-url URL} (the engine's database instead of the embedded H2 file database; user and password
 * from the environment variables {@code PILOTFLOW_DB_USER} and {@code PILOTFLOW_DB_PASSWORD}, never the command
 * line), {@code --work DIR} (a new temporary directory, deleted at the end). Memory: run the program with
 * {@code java -Xmx1g} to hold the engine to a heap; the table gives the peak and the heap after a full GC.
 */
public final class Benchmark {
    private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);

    private Benchmark() {
    }

    record Options(int units, int cores, int pilots, int warmup, String history, String jdbcUrl, String dbUser,
                   String dbPassword, Path work) {

        /** These options on another database (tests: a database of the test PostgreSQL server). */
        Options onDatabase(String url, String user, String password) {
            return new Options(units, cores, pilots, warmup, history, url, user, password, work);
        }

        /** The record's own toString would print the password. */
        @Override
        public String toString() {
            return "Options[units=" + units + ", cores=" + cores + ", pilots=" + pilots + ", warmup=" + warmup
                    + ", history=" + history + ", jdbcUrl=" + jdbcUrl + ", dbUser=" + dbUser + ", dbPassword="
                    + (dbPassword == null || dbPassword.isEmpty() ? "(none)" : "(set)") + ", work=" + work + "]";
        }

        static Options parse(String... args) {
            int units = 10_000;
            int cores = 2;
            int pilots = 1;
            int warmup = 200;
            String history = "activity";
            String jdbcUrl = null;
            Path work = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--units" -> units = Examples.intOption(args, i++, "--units");
                    case "--cores" -> cores = Examples.intOption(args, i++, "--cores");
                    case "--pilots" -> pilots = Examples.intOption(args, i++, "--pilots");
                    case "--warmup" -> warmup = Examples.intOption(args, i++, "--warmup");
                    case "--history" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("--history needs a value");
                        }
                        history = args[++i];
                    }
                    case "--jdbc-url" -> {
                        if (i + 1 >= args.length || !args[i + 1].startsWith("jdbc:")) {
                            throw new IllegalArgumentException("--jdbc-url needs a JDBC URL (jdbc:...), got "
                                    + (i + 1 >= args.length ? "nothing" : "'" + args[i + 1] + "'"));
                        }
                        jdbcUrl = args[++i];
                    }
                    case "--work" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("--work needs a value");
                        }
                        work = Path.of(args[++i]);
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: "
                            + "[--units N] [--cores N] [--pilots N] [--warmup N] [--history LEVEL] [--jdbc-url URL]"
                            + " [--work DIR])");
                }
            }
            return new Options(units, cores, pilots, warmup, history, jdbcUrl,
                    System.getenv().getOrDefault("PILOTFLOW_DB_USER", "sa"),
                    System.getenv().getOrDefault("PILOTFLOW_DB_PASSWORD", ""), work);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Examples.optionsOrExit(() -> Options.parse(args));
        boolean ok = run(o, System.out);
        System.exit(ok ? 0 : 1);
    }

    static boolean run(Options o, PrintStream out) throws Exception {
        boolean tempWork = o.work() == null;
        Path work = tempWork ? Files.createTempDirectory("pilotflow-bench") : o.work().toAbsolutePath().normalize();
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        AtomicLong peakHeap = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakHeap.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
        try {
            // --- PilotFlow
            Measured m;
            long heapAfterGc;
            Session.Builder builder = Session.builder()
                    .config(PilotFlowConfig.builder().workDirectory(work).build())
                    .historyLevel(o.history());
            if (o.jdbcUrl() != null) {
                builder.jdbcUrl(o.jdbcUrl()).credentials(o.dbUser(), o.dbPassword());
            }
            try (Session session = builder.create()) {
                PilotManager pmgr = session.createPilotManager();
                UnitManager umgr = session.createUnitManager();
                for (ComputePilot pilot : Examples.startLocalPilots(session, pmgr, work, o.pilots(), o.cores(),
                        Duration.ofHours(3))) {
                    umgr.addPilot(pilot);
                }
                String historyLevel = session.processEngine().getProcessEngineConfiguration().getHistory();

                LOG.info("warm-up: {} units", o.warmup());
                List<ComputeUnit> warm = umgr.submitUnits(descriptions(o.warmup(), "warmup-"));
                waitWithProgress(umgr, warm.stream().map(ComputeUnit::uid).toList(), Duration.ofMinutes(5));

                peakHeap.set(0);
                LOG.info("measuring: {} units of /bin/true on {} pilot(s) of {} cores", o.units(), o.pilots(),
                        o.cores());
                List<ComputeUnitDescription> ds = descriptions(o.units(), "bench-");
                Instant submitted = Instant.now();
                long t0 = System.nanoTime();
                List<ComputeUnit> units = umgr.submitUnits(ds);
                long submitNanos = System.nanoTime() - t0;
                LOG.info("submitUnits({}) returned after {} ms", units.size(), submitNanos / 1_000_000);
                waitWithProgress(umgr, units.stream().map(ComputeUnit::uid).toList(),
                        Duration.ofMinutes(10).plusMillis(50L * o.units()));
                long waitNanos = System.nanoTime() - t0;
                m = measure(units, submitted, submitNanos, waitNanos, historyLevel);
                warm = null; // the engine's heap, without the handles and descriptions this program held
                ds = null;
                units = null;
                heapAfterGc = heapAfterGc();
            }
            long peak = peakHeap.get();

            // --- the baseline: this machine's raw launch rate, measured now, in this run
            int rawN = Math.min(o.units(), 5000);
            LOG.info("baseline: {} x /bin/true with ProcessBuilder from 2 threads", rawN);
            rawLaunch(Math.min(rawN, 200)); // warm-up
            double rawPb = rawLaunch(rawN);
            LOG.info("baseline: seq {} | xargs -P2 -n1 /bin/true", rawN);
            Optional<Double> rawXargs = xargs(rawN);

            print(out, o, m, peak, heapAfterGc, mem.getHeapMemoryUsage().getMax(), rawN, rawPb, rawXargs);
            return m.done == m.n;
        } finally {
            sampler.interrupt();
            if (tempWork) {
                deleteTree(work);
            }
        }
    }

    private static List<ComputeUnitDescription> descriptions(int n, String prefix) {
        List<ComputeUnitDescription> ds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().name(prefix + i).executable("/bin/true").build());
        }
        return ds;
    }

    private static void waitWithProgress(UnitManager umgr, List<String> uids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                umgr.waitUnits(uids, List.of(), Duration.ofSeconds(2));
                LOG.info("{}/{} units final", uids.size(), uids.size());
                return;
            } catch (WaitTimeout e) {
                LOG.info("{}/{} units final", uids.size() - e.pending().size(), uids.size());
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("units still not final after " + timeout + ": "
                            + e.pending().size());
                }
            }
        }
    }

    private record Measured(int n, int done, String notDone, String historyLevel, double unitsPerSecond,
                            double wallSeconds,
                            long submitMillis, long[] toExecuting, long[] toFinal) {
    }

    private static Measured measure(List<ComputeUnit> units, Instant submitted, long submitNanos, long waitNanos,
                                    String historyLevel) {
        int done = 0;
        java.util.Map<String, Integer> notDone = new java.util.TreeMap<>();
        long[] toExec = new long[units.size()];
        long[] toFinal = new long[units.size()];
        Instant lastFinal = submitted;
        int k = 0;
        for (ComputeUnit u : units) {
            List<StateEntry<UnitState>> h = u.stateHistory();
            StateEntry<UnitState> last = h.get(h.size() - 1);
            if (last.state() == UnitState.DONE) {
                done++;
            } else { // /bin/true cannot fail: each of these is PilotFlow's fault
                notDone.merge(last.state() + " " + u.failureReason().orElse(""), 1, Integer::sum);
            }
            Instant created = Examples.entered(h, UnitState.NEW).orElseThrow();
            toExec[k] = Examples.entered(h, UnitState.EXECUTING)
                    .map(t -> Duration.between(created, t).toMillis()).orElse(-1L);
            toFinal[k] = Duration.between(created, last.time()).toMillis();
            if (last.time().isAfter(lastFinal)) {
                lastFinal = last.time();
            }
            k++;
        }
        Arrays.sort(toExec);
        Arrays.sort(toFinal);
        double wall = Duration.between(submitted, lastFinal).toNanos() / 1e9;
        return new Measured(units.size(), done, notDone.isEmpty() ? "none" : notDone.toString(), historyLevel,
                units.size() / wall, wall, submitNanos / 1_000_000,
                toExec, toFinal);
    }

    /** Launches n {@code /bin/true} processes from a pool of 2 threads, waiting for each; processes per second. */
    static double rawLaunch(int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        AtomicLong next = new AtomicLong();
        try {
            long t0 = System.nanoTime();
            List<Future<Void>> fs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                fs.add(pool.submit(() -> {
                    ProcessBuilder pb = new ProcessBuilder("/bin/true");
                    while (next.getAndIncrement() < n) {
                        int rc = pb.start().waitFor();
                        if (rc != 0) {
                            throw new IllegalStateException("/bin/true exited " + rc);
                        }
                    }
                    return null;
                }));
            }
            for (Future<Void> f : fs) {
                f.get();
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code seq n | xargs -P2 -n1 /bin/true}, timed; empty when seq or xargs is missing. */
    static Optional<Double> xargs(int n) throws Exception {
        for (String tool : List.of("xargs", "seq")) {
            Process which = new ProcessBuilder("/bin/sh", "-c", "command -v " + tool).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (which.waitFor() != 0) {
                LOG.info("{} not found: no xargs baseline", tool);
                return Optional.empty();
            }
        }
        // the baseline is a shell pipeline by design: seq and xargs, nothing from the user
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "seq " + n + " | xargs -P2 -n1 /bin/true")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        long t0 = System.nanoTime();
        int rc = pb.start().waitFor();
        double secs = (System.nanoTime() - t0) / 1e9;
        if (rc != 0) {
            LOG.warn("xargs baseline exited {}", rc);
            return Optional.empty();
        }
        return Optional.of(n / secs);
    }

    private static void print(PrintStream out, Options o, Measured m, long peakHeap, long heapAfterGc, long maxHeap,
                              int rawN, double rawPb, Optional<Double> rawXargs) {
        String fmt = "| %-44s | %34s |%n";
        String rule = "|" + "-".repeat(46) + "|" + "-".repeat(36) + "|";
        out.println();
        out.println("PilotFlow benchmark: " + m.n + " x /bin/true through the full unit lifecycle, "
                + (o.pilots() == 1 ? "one local pilot" : o.pilots() + " local pilots behind one unit manager"));
        out.println(rule);
        out.printf(fmt, "Java", System.getProperty("java.vm.name").replace(" 64-Bit Server VM", "") + " "
                + Runtime.version());
        out.printf(fmt, "machine cores (availableProcessors)", Runtime.getRuntime().availableProcessors());
        out.printf(fmt, "pilots x cores", o.pilots() + " x " + o.cores());
        out.printf(fmt, "database", o.jdbcUrl() == null ? "H2 file (embedded)" : o.jdbcUrl().replaceAll("\\?.*", ""));
        out.printf(fmt, "history level", m.historyLevel);
        out.printf(fmt, "units (N), warm-up", m.n + ", " + o.warmup());
        out.printf(fmt, "units DONE", m.done + " / " + m.n);
        out.printf(fmt, "units not DONE (state reason: count)", m.notDone);
        out.println(rule);
        out.printf(fmt, "submitUnits(N) call (ms)", m.submitMillis);
        out.printf(fmt, "first submit -> last final (s)", String.format("%.2f", m.wallSeconds));
        out.printf(fmt, "PilotFlow units/s", String.format("%.1f", m.unitsPerSecond));
        out.printf(fmt, "submit -> EXECUTING p50 / p99 (ms)",
                Examples.percentile(m.toExecuting, 50) + " / " + Examples.percentile(m.toExecuting, 99));
        out.printf(fmt, "submit -> final p50 / p99 (ms)",
                Examples.percentile(m.toFinal, 50) + " / " + Examples.percentile(m.toFinal, 99));
        out.printf(fmt, "peak heap used, engine JVM (MB) / max",
                (peakHeap >> 20) + " / " + (maxHeap < 0 ? "unbounded" : (maxHeap >> 20)));
        out.printf(fmt, "heap after full GC, after the N units (MB)", heapAfterGc >> 20);
        out.println(rule);
        out.printf(fmt, "raw launch, ProcessBuilder x2 thr (proc/s)",
                String.format("%.1f  (N=%d)", rawPb, rawN));
        out.printf(fmt, "raw launch, xargs -P2 (proc/s)",
                rawXargs.map(x -> String.format("%.1f  (N=%d)", x, rawN)).orElse("skipped (no xargs)"));
        out.printf(fmt, "PilotFlow / raw ProcessBuilder", String.format("%.3f", m.unitsPerSecond / rawPb));
        out.printf(fmt, "PilotFlow / raw xargs",
                rawXargs.map(x -> String.format("%.3f", m.unitsPerSecond / x)).orElse("-"));
        out.println(rule);
        out.flush();
    }

    /** The heap in use after a full GC: what this JVM keeps, without its garbage. */
    static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Removes a benchmark's temporary work directory, best effort. */
    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temporary directory
                }
            });
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.getMessage());
        }
    }
}
