package org.pilotflow.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PilotFlow against its peers in one run on one machine (issue 8): {@code xargs -P2 -n1 /bin/true} (the machine's
 * launch limit) and Dask ({@code LocalCluster}, 2 workers x 1 thread, run by {@code dask_peer.py} with
 * {@code /usr/bin/python3}). Prints one table with medians over the repeats and PilotFlow's ratios to the peers
 * measured in the same run; each repeat also runs N no-op function units ({@link NoOpFunction}, inside the agent),
 * the row beside Dask's pure-Python no-op tasks. A program that prints a table, not a test.
 *
 * <pre>
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.PeerBenchmark -Dexec.args="--units 2000"
 * </pre>
 *
 * Options: {@code --units N} (2000), {@code --repeats R} (3), {@code --warmup N} (200), {@code --light-fast N} (100
 * units at one per 100 ms), {@code --light-slow N} (20 units at one per second), {@code --sleep-units N} (200
 * {@code sleep 1} units for utilization; 0 skips), {@code --skip-dask}, {@code --python PATH}
 * ({@code /usr/bin/python3}), {@code --work DIR} (a new temporary directory, deleted at the end), {@code --history
 * LEVEL} (the history level of PilotFlow's engine: {@code activity}, its default; {@code none} to measure its cost).
 */
public final class PeerBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(PeerBenchmark.class);
    static final int CORES = 2;

    private PeerBenchmark() {
    }

    record Options(int units, int repeats, int warmup, int lightFast, int lightSlow, int sleepUnits, boolean skipDask,
                   String python, Path work, String history) {
        static Options parse(String... args) {
            int units = 2000;
            int repeats = 3;
            int warmup = 200;
            int lightFast = 100;
            int lightSlow = 20;
            int sleepUnits = 200;
            boolean skipDask = false;
            String python = "/usr/bin/python3";
            Path work = null;
            String history = "activity";
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--units" -> units = Examples.intOption(args, i++, "--units");
                    case "--repeats" -> repeats = Examples.intOption(args, i++, "--repeats");
                    case "--warmup" -> warmup = Examples.intOption(args, i++, "--warmup");
                    case "--light-fast" -> lightFast = Examples.intOption(args, i++, "--light-fast");
                    case "--light-slow" -> lightSlow = Examples.intOption(args, i++, "--light-slow");
                    case "--sleep-units" -> sleepUnits = nonNegative(args, i++, "--sleep-units");
                    case "--skip-dask" -> skipDask = true;
                    case "--python" -> python = value(args, i++, "--python");
                    case "--work" -> work = Path.of(value(args, i++, "--work"));
                    case "--history" -> history = value(args, i++, "--history");
                    default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: "
                            + "[--units N] [--repeats R] [--warmup N] [--light-fast N] [--light-slow N] "
                            + "[--sleep-units N] [--skip-dask] [--python PATH] [--work DIR] [--history LEVEL])");
                }
            }
            return new Options(units, repeats, warmup, lightFast, lightSlow, sleepUnits, skipDask, python, work,
                    history);
        }

        private static String value(String[] args, int i, String name) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return args[i + 1];
        }

        private static int nonNegative(String[] args, int i, String name) {
            String v = value(args, i, name);
            try {
                int n = Integer.parseInt(v);
                if (n < 0) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + " is '" + v + "', expected an integer >= 0");
            }
        }
    }

    /** What one light-load series measured, in ms; {@code -1} where nothing was measured. */
    record Light(int count, int intervalMs, double startP50, double startP99, double seenP50, int done) {
    }

    /** PilotFlow's figures. */
    record Flow(List<Double> tasksPerSecond, List<Long> submitMillis, int units, int done, String notDone,
                Light fast, Light slow, long heapAfterN, long rssAfterN, long heapAtEnd, long rssAtEnd,
                int unitsAtEnd, double sleepWall, double sleepIdeal, long pilotActiveMillis,
                List<Double> functionTasksPerSecond, List<EngineCpu> cpu, List<EngineCpu> functionCpu) {
    }

    /**
     * The engine JVM's CPU over one batch, per unit (this program drives the engine in its own JVM and does next to
     * nothing meanwhile): all its threads, and the part its JIT compiler threads took (their CPU time from
     * {@code /proc/self/task}; -1 where there is no such file). A fresh engine on few cores spends much of its first
     * batches compiling; the agent's JVM is not counted. A compiler thread the JVM ends takes its time with it (it
     * starts more on machines with more cores and ends them when idle): there the JIT's share is a lower bound.
     */
    record EngineCpu(double msPerUnit, double jitMsPerUnit) {
        /** As the per-repeat log lines print it: {@code 3.41 ms a unit, JIT 0.12} (JIT n/a where unknown). */
        @Override
        public String toString() {
            return String.format("%.2f ms a unit, JIT %s", msPerUnit,
                    jitMsPerUnit < 0 ? "n/a" : String.format("%.2f", jitMsPerUnit));
        }
    }

    /** CPU ms of this JVM's JIT compiler threads so far, -1 without Linux's per-thread stat files. */
    static long jitCpuMillis() {
        Path tasks = Path.of("/proc/self/task");
        long ticks = 0;
        try (var dirs = Files.list(tasks)) {
            for (Path t : (Iterable<Path>) dirs::iterator) {
                try {
                    if (!Files.readString(t.resolve("comm")).contains("CompilerThre")) { // "C2 CompilerThre"
                        continue;
                    }
                    String stat = Files.readString(t.resolve("stat"));
                    // fields after the ")" that closes the thread's name: state is field 3, utime 14, stime 15
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended meanwhile (compiler threads come and go)
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return ticks * 10; // USER_HZ is 100 on Linux
    }

    /** Dask's figures, or why there are none. */
    record Dask(Optional<String> unavailable, JsonNode json) {
        static Dask missing(String why) {
            return new Dask(Optional.of(why), null);
        }

        double d(String field) {
            return json.path(field).asDouble(-1);
        }
    }

    record Result(Flow flow, List<Double> xargs, Dask dask, String loadStart, String loadEnd) {
        boolean allDone() {
            return flow.done == flow.units;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Examples.optionsOrExit(() -> Options.parse(args));
        Result r = run(o, System.out);
        System.exit(r.allDone() ? 0 : 1);
    }

    static Result run(Options o, PrintStream out) throws Exception {
        boolean tempWork = o.work() == null;
        Path work = tempWork ? Files.createTempDirectory("pilotflow-peer") : o.work().toAbsolutePath().normalize();
        try {
            String loadStart = loadAverage();
            List<Double> xargs = new ArrayList<>();
            Flow flow = pilotFlow(o, work, xargs);
            Dask dask = o.skipDask() ? Dask.missing("skipped (--skip-dask)") : dask(o, work);
            Result r = new Result(flow, xargs, dask, loadStart, loadAverage());
            print(out, o, r);
            return r;
        } finally {
            if (tempWork) {
                Benchmark.deleteTree(work);
            }
        }
    }

    // --- PilotFlow, with the xargs baseline interleaved so both see the same load

    private static Flow pilotFlow(Options o, Path work, List<Double> xargs) throws Exception {
        try (Session session = Session.builder()
                .config(PilotFlowConfig.builder().workDirectory(work).build())
                .historyLevel(o.history())
                .create()) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = Examples.startLocalPilot(session, pmgr, work, CORES,
                    Duration.ofHours(2));
            // until the API sees it ACTIVE (startLocalPilot waits for that), as a user waits
            long pilotActive = Duration.between(pilot.stateHistory().get(0).time(), Instant.now()).toMillis();
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            LOG.info("warm-up: {} units", o.warmup());
            batch(umgr, descriptions(o.warmup(), "/bin/true"));
            xargsRate(Math.min(o.warmup(), 200));
            // the no-op function's jar on the resource, under the pilots' sandbox root (where function jars may lie)
            String jar = NoOpFunction.writeJar(work.resolve("sandboxes/jars/noop.jar")).toString();
            batch(umgr, functions(o.warmup(), jar));
            List<Double> fnTps = new ArrayList<>();
            List<EngineCpu> cpu = new ArrayList<>();
            List<EngineCpu> fnCpu = new ArrayList<>();

            List<Double> tps = new ArrayList<>();
            List<Long> submit = new ArrayList<>();
            int done = 0;
            Map<String, Integer> notDone = new TreeMap<>();
            long heapAfterN = 0;
            long rssAfterN = 0;
            int total = o.warmup();
            for (int r = 0; r < o.repeats(); r++) {
                settle();
                xargsRate(o.units()).ifPresent(xargs::add);
                Batch b = batch(umgr, descriptions(o.units(), "/bin/true"));
                total += o.units();
                tps.add(b.tasksPerSecond());
                cpu.add(b.cpu());
                submit.add(b.submitMillis());
                done += b.done();
                b.notDone().forEach((k, v) -> notDone.merge(k, v, Integer::sum));
                LOG.info("repeat {}: xargs {}/s, PilotFlow {}/s (submitUnits {} ms, engine CPU {}), load {}", r + 1,
                        xargs.isEmpty() ? "-" : String.format("%.1f", xargs.get(xargs.size() - 1)),
                        String.format("%.1f", b.tasksPerSecond()), b.submitMillis(), b.cpu(), loadAverage());
                if (r == 0) {
                    heapAfterN = Benchmark.heapAfterGc();
                    rssAfterN = rssBytes();
                }
                settle();
                Batch fb = batch(umgr, functions(o.units(), jar));
                total += o.units();
                fnTps.add(fb.tasksPerSecond());
                fnCpu.add(fb.cpu());
                done += fb.done();
                fb.notDone().forEach((k, v) -> notDone.merge("function: " + k, v, Integer::sum));
                LOG.info("repeat {}: PilotFlow no-op function units {}/s (engine CPU {}), load {}", r + 1,
                        String.format("%.1f", fb.tasksPerSecond()), fb.cpu(), loadAverage());
            }
            settle();
            Light fast = light(umgr, Duration.ofMillis(100), o.lightFast());
            Light slow = light(umgr, Duration.ofSeconds(1), o.lightSlow());
            total += o.lightFast() + o.lightSlow();
            int submitted = 2 * o.units() * o.repeats() + o.lightFast() + o.lightSlow();
            done += fast.done() + slow.done();

            double sleepWall = -1;
            double sleepIdeal = -1;
            if (o.sleepUnits() > 0) {
                LOG.info("utilization: {} x sleep 1 on {} cores", o.sleepUnits(), CORES);
                List<ComputeUnitDescription> ds = new ArrayList<>();
                for (int i = 0; i < o.sleepUnits(); i++) {
                    ds.add(ComputeUnitDescription.builder().name("sleep-" + i).executable("/bin/sleep")
                            .arguments(List.of("1")).build());
                }
                Batch b = batch(umgr, ds);
                total += o.sleepUnits();
                submitted += o.sleepUnits();
                done += b.done();
                b.notDone().forEach((k, v) -> notDone.merge("sleep: " + k, v, Integer::sum));
                sleepWall = b.seconds();
                sleepIdeal = Math.ceil(o.sleepUnits() / (double) CORES);
            }
            return new Flow(tps, submit, submitted, done, notDone.isEmpty() ? "none" : notDone.toString(),
                    fast, slow, heapAfterN, rssAfterN, Benchmark.heapAfterGc(), rssBytes(), total, sleepWall, sleepIdeal,
                    pilotActive, fnTps, cpu, fnCpu);
        }
    }

    private static List<ComputeUnitDescription> descriptions(int n, String executable) {
        List<ComputeUnitDescription> ds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().name("peer-" + i).executable(executable).build());
        }
        return ds;
    }

    /** No-op function units ({@link NoOpFunction}): run inside the agent, no process each. */
    private static List<ComputeUnitDescription> functions(int n, String jar) {
        List<ComputeUnitDescription> ds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().name("peer-fn-" + i).function(NoOpFunction.class.getName())
                    .functionJars(jar).build());
        }
        return ds;
    }

    private record Batch(double seconds, long submitMillis, int done, Map<String, Integer> notDone, int n,
                         EngineCpu cpu) {
        double tasksPerSecond() {
            return n / seconds;
        }
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /**
     * Waits until this JVM (the engine) is quiet: under a tenth of a core over a second, at most 30 s. The work a
     * batch leaves behind (H2 writing and compacting its store, collecting the garbage) runs on after the API has
     * seen the last unit; measured from the end of the previous batch, a faster batch handed more of it to the next
     * one (function units 391-479/s right after the process units, 714/s after a 20 s pause, same build).
     */
    private static void settle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long cpu = OS.getProcessCpuTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(1000);
            long now = OS.getProcessCpuTime();
            if (now - cpu < 100_000_000L) {
                return;
            }
            cpu = now;
        }
        LOG.info("the engine is still busy 30 s after the last batch; measuring anyway");
    }

    /** Submits all at once; timed from the submit call until the API has seen the last unit final. */
    private static Batch batch(UnitManager umgr, List<ComputeUnitDescription> ds) throws Exception {
        long cpu0 = OS.getProcessCpuTime();
        long jit0 = jitCpuMillis();
        long t0 = System.nanoTime();
        List<ComputeUnit> units = umgr.submitUnits(ds);
        long submitNanos = System.nanoTime() - t0;
        CompletableFuture<Void> all = CompletableFuture.allOf(
                units.stream().map(ComputeUnit::completion).toArray(CompletableFuture[]::new));
        long timeoutMillis = Duration.ofMinutes(10).toMillis() + 50L * ds.size();
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            try {
                all.get(10, TimeUnit.SECONDS);
                break;
            } catch (TimeoutException e) {
                // state(), not completion().isDone(): each completion() call chains one more hand-over
                long pending = units.stream().filter(u -> !u.state().isFinal()).count();
                if (System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException(pending + " of " + ds.size() + " units still not final after "
                            + timeoutMillis + " ms");
                }
                LOG.info("{}/{} units final, load {}", ds.size() - pending, ds.size(), loadAverage());
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        EngineCpu cpu = new EngineCpu((OS.getProcessCpuTime() - cpu0) / 1e6 / ds.size(),
                jit0 < 0 ? -1 : (jitCpuMillis() - jit0) / (double) ds.size());
        int done = 0;
        Map<String, Integer> notDone = new TreeMap<>();
        for (ComputeUnit u : units) {
            if (u.state() == UnitState.DONE) {
                done++;
            } else { // /bin/true cannot fail: each of these is PilotFlow's fault
                notDone.merge(u.state() + " " + u.failureReason().orElse(""), 1, Integer::sum);
            }
        }
        return new Batch(secs, submitNanos / 1_000_000, done, notDone, ds.size(), cpu);
    }

    /**
     * One {@code /bin/true} unit every {@code interval}: from the submit call to the EXECUTING entry of the unit's
     * state history (the agent's clock, this host), and from the DONE entry to the moment the API completes the
     * unit's {@link ComputeUnit#completion()}.
     */
    private static Light light(UnitManager umgr, Duration interval, int count) throws Exception {
        LOG.info("light load: {} units, one every {} ms", count, interval.toMillis());
        Map<String, Instant> seen = new ConcurrentHashMap<>();
        List<ComputeUnit> units = new ArrayList<>();
        List<CompletableFuture<?>> recorded = new ArrayList<>();
        List<Instant> submitted = new ArrayList<>();
        long next = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            next += interval.toNanos();
            submitted.add(Instant.now());
            ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().name("light-" + i)
                    .executable("/bin/true").build());
            // wait on these, not on completion(): a dependent of completion() may run before this one records
            recorded.add(u.completion().whenComplete((x, e) -> seen.put(u.uid(), Instant.now())));
            units.add(u);
        }
        CompletableFuture.allOf(recorded.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        long[] toStart = new long[count];
        List<Long> toSeen = new ArrayList<>();
        int done = 0;
        for (int i = 0; i < count; i++) {
            ComputeUnit u = units.get(i);
            done += u.state() == UnitState.DONE ? 1 : 0;
            List<StateEntry<UnitState>> h = u.stateHistory();
            Instant sub = submitted.get(i);
            toStart[i] = Examples.entered(h, UnitState.EXECUTING).map(t -> Duration.between(sub, t).toMillis())
                    .orElse(-1L);
            Optional<Instant> doneAt = Examples.entered(h, UnitState.DONE);
            Instant s = seen.get(u.uid());
            if (doneAt.isPresent() && s != null) {
                toSeen.add(Duration.between(doneAt.get(), s).toMillis());
            }
        }
        Arrays.sort(toStart);
        long[] seenSorted = toSeen.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Light(count, (int) interval.toMillis(), Examples.percentile(toStart, 50),
                Examples.percentile(toStart, 99), Examples.percentile(seenSorted, 50), done);
    }

    private static Optional<Double> xargsRate(int n) throws Exception {
        return Benchmark.xargs(n);
    }

    /** This JVM's resident set from /proc (Linux); -1 elsewhere. */
    static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            LOG.debug("no RSS: {}", e.toString());
        }
        return -1;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }

    // --- Dask, by its own script, one JSON line back

    /** Runs dask_peer.py with {@code o.python()}; a Dask that cannot run is a row that says why, not a failure. */
    static Dask dask(Options o, Path work) {
        Path script = work.resolve("dask_peer.py");
        try (InputStream in = PeerBenchmark.class.getResourceAsStream("dask_peer.py")) {
            if (in == null) {
                return Dask.missing("dask_peer.py not on the classpath");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            return Dask.missing("cannot write " + script + ": " + e.getMessage());
        }
        if (!Files.isExecutable(Path.of(o.python()))) {
            return Dask.missing(o.python() + " not found");
        }
        try {
            Process check = new ProcessBuilder(o.python(), "-c", "import distributed")
                    .redirectErrorStream(true).start();
            String msg = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (check.waitFor() != 0) {
                String last = msg.isEmpty() ? "" : msg.substring(msg.lastIndexOf('\n') + 1);
                return Dask.missing("no Dask for " + o.python() + ": " + last + " (apt-get install python3-distributed)");
            }
            LOG.info("Dask: {} x {} tasks, {} repeats", o.units(), "/bin/true and no-op", o.repeats());
            Path err = work.resolve("dask_peer.err");
            Path json = work.resolve("dask_peer.json");
            Process p = new ProcessBuilder(o.python(), script.toString(), "--units", String.valueOf(o.units()),
                    "--repeats", String.valueOf(o.repeats()), "--warmup", String.valueOf(o.warmup()),
                    "--light-fast", String.valueOf(o.lightFast()), "--light-slow", String.valueOf(o.lightSlow()),
                    "--sleep-units", String.valueOf(o.sleepUnits()))
                    .directory(work.toFile())
                    .redirectError(err.toFile())
                    .redirectOutput(json.toFile())
                    .start();
            // generous: a hung cluster must not hang the benchmark
            Duration limit = Duration.ofMinutes(10).plusMillis(50L * o.units() * o.repeats() * 2)
                    .plusSeconds(2L * (o.lightSlow() + o.sleepUnits()));
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return Dask.missing("dask_peer.py still running after " + limit + ", killed");
            }
            int rc = p.exitValue();
            String stdout = Files.readString(json).trim();
            if (rc != 0 || stdout.isEmpty()) {
                List<String> tail = Files.readAllLines(err);
                LOG.warn("dask_peer.py exited {}; stderr ends: {}", rc,
                        String.join("\n", tail.subList(Math.max(0, tail.size() - 10), tail.size())));
                return Dask.missing("dask_peer.py exited " + rc + " (stderr in the log)");
            }
            String last = stdout.substring(stdout.lastIndexOf('\n') + 1);
            return new Dask(Optional.empty(), new ObjectMapper().readTree(last));
        } catch (IOException e) {
            return Dask.missing("cannot run " + o.python() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Dask.missing("interrupted");
        }
    }

    // --- the table

    static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return -1;
        }
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static List<Double> doubles(JsonNode arr) {
        List<Double> xs = new ArrayList<>();
        arr.forEach(x -> xs.add(x.asDouble()));
        return xs;
    }

    private static String rate(List<Double> xs) {
        if (xs.isEmpty()) {
            return "-";
        }
        double min = xs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = xs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        return xs.size() == 1 ? String.format("%.1f", xs.get(0))
                : String.format("%.1f (%.0f-%.0f)", median(xs), min, max);
    }

    /** Median CPU per unit over the repeats, the JIT's part in brackets. */
    private static String cpu(List<EngineCpu> xs) {
        if (xs.isEmpty()) {
            return "-";
        }
        double jit = median(xs.stream().map(EngineCpu::jitMsPerUnit).toList());
        return String.format("%.1f (JIT %s)", median(xs.stream().map(EngineCpu::msPerUnit).toList()),
                jit < 0 ? "n/a" : String.format("%.1f", jit));
    }

    private static String ratio(double a, double b) {
        return a > 0 && b > 0 ? String.format("%.2fx", a / b) : "-";
    }

    private static String ms(double v) {
        return v < 0 ? "-" : String.format("%.0f", v);
    }

    private static void print(PrintStream out, Options o, Result r) {
        Flow f = r.flow();
        Dask d = r.dask();
        boolean haveDask = d.unavailable().isEmpty();
        String fmt = "| %-42s | %-23s | %-31s | %-16s | %-27s |%n";
        String rule = "|" + "-".repeat(44) + "|" + "-".repeat(25) + "|" + "-".repeat(33) + "|" + "-".repeat(18)
                + "|" + "-".repeat(29) + "|";
        out.println();
        out.printf("Peer benchmark (issue 8): N = %d no-op tasks, %d repeat(s), medians (min-max); %d cores here, "
                        + "PilotFlow on one %d-core local pilot, H2 file database, history level %s%n", o.units(),
                o.repeats(), Runtime.getRuntime().availableProcessors(), CORES, o.history());
        out.printf("load average at start %s, at end %s; compare ratios within one run, not figures across runs%n",
                r.loadStart(), r.loadEnd());
        if (haveDask) {
            out.printf("Dask %s (distributed %s, Python %s), LocalCluster 2 workers x 1 thread%n",
                    d.json().path("dask").asText(), d.json().path("distributed").asText(),
                    d.json().path("python").asText());
        } else {
            out.println("Dask: " + d.unavailable().get());
        }
        out.println(rule);
        out.printf(fmt, "measurement", "PilotFlow", "Dask", "xargs -P2 -n1", "PilotFlow / peers");
        out.println(rule);
        double pf = median(f.tasksPerSecond());
        double xa = median(r.xargs());
        List<Double> daskSub = haveDask ? doubles(d.json().path("subprocess_tps")) : List.of();
        List<Double> daskNop = haveDask ? doubles(d.json().path("noop_tps")) : List.of();
        String noDask = haveDask ? "-" : "n/a (see above)";
        out.printf(fmt, "/bin/true tasks/s", rate(f.tasksPerSecond()), haveDask ? rate(daskSub) : noDask,
                r.xargs().isEmpty() ? "n/a" : rate(r.xargs()),
                ratio(pf, xa) + " xargs, " + ratio(pf, median(daskSub)) + " Dask");
        out.printf(fmt, "no-op tasks/s (PF: function units)", rate(f.functionTasksPerSecond()),
                haveDask ? rate(daskNop) + " (pure Python)" : noDask, "-",
                ratio(median(f.functionTasksPerSecond()), median(daskNop)) + " Dask");
        out.printf(fmt, "engine CPU a unit, ms: /bin/true, no-op", cpu(f.cpu()) + ", " + cpu(f.functionCpu()), "-",
                "-", "of it the JIT compiling");
        out.printf(fmt, "all units: DONE / submitted", f.done() + " / " + f.units(),
                haveDask ? "failed: " + d.json().path("failed").asInt() : noDask, "-", "");
        out.printf(fmt, "submitUnits(N) call, ms", ms(median(f.submitMillis().stream().map(Long::doubleValue)
                .toList())), "-", "-", "");
        for (int i = 0; i < 2; i++) {
            Light pl = i == 0 ? f.fast() : f.slow();
            JsonNode dl = haveDask ? d.json().path("light").path(i) : null;
            String every = pl.intervalMs() == 1000 ? "1 s" : pl.intervalMs() + " ms";
            out.printf(fmt, "every " + every + " (" + pl.count() + "): submit->start p50/p99",
                    ms(pl.startP50()) + " / " + ms(pl.startP99()) + " ms",
                    haveDask ? ms(dl.path("start_p50_ms").asDouble()) + " / " + ms(dl.path("start_p99_ms").asDouble())
                            + " ms" : noDask, "-",
                    haveDask ? ratio(pl.startP50(), dl.path("start_p50_ms").asDouble()) + " Dask (p50)"
                            : "");
            out.printf(fmt, "every " + every + ": done->seen by API p50", ms(pl.seenP50()) + " ms",
                    haveDask ? ms(dl.path("seen_p50_ms").asDouble()) + " ms" : noDask, "-",
                    haveDask ? ratio(pl.seenP50(), dl.path("seen_p50_ms").asDouble()) + " Dask" : "");
        }
        out.printf(fmt, "memory after N: heap (GC'd) / RSS, MB",
                (f.heapAfterN() >> 20) + " / " + (f.rssAfterN() >> 20),
                haveDask ? String.format("RSS %.0f sched+client + %.0f wrk",
                        d.json().path("rss_after_n").path("scheduler_client_mb").asDouble(),
                        d.json().path("rss_after_n").path("workers_mb").asDouble()) : noDask, "-", "");
        out.printf(fmt, "memory after " + f.unitsAtEnd() + " units: heap / RSS",
                (f.heapAtEnd() >> 20) + " / " + (f.rssAtEnd() >> 20) + " MB", "-", "-", "");
        if (o.sleepUnits() > 0) {
            double dw = haveDask ? d.d("sleep_wall_s") : -1;
            out.printf(fmt, o.sleepUnits() + " x sleep 1: wall / ideal " + String.format("%.0f s", f.sleepIdeal()),
                    String.format("%.2f s = %.3fx", f.sleepWall(), f.sleepWall() / f.sleepIdeal()),
                    haveDask ? String.format("%.2f s = %.3fx", dw, dw / d.d("sleep_ideal_s")) : noDask, "-", "");
        }
        out.printf(fmt, "start: pilot ACTIVE seen by API / cluster", f.pilotActiveMillis() + " ms",
                haveDask ? String.format("%.0f ms (LocalCluster + Client)", d.d("cluster_start_s") * 1000) : noDask,
                "-", "");
        out.println(rule);
        out.flush();
    }
}
