package org.pilotflow.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.resource.config.ResourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why pilots exist, measured: N short tasks through one SLURM pilot against the same N tasks as plain batch jobs
 * ({@code sbatch --wrap /bin/true}) on the same SLURM, in the same run. A program that prints a table, not a test.
 *
 * <pre>
 * test-backends/slurm.sh start /tmp/pilotflow-slurm          # or any SLURM whose clients work here
 * SLURM_CONF=/tmp/pilotflow-slurm/etc/slurm.conf \
 *   mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.SlurmBenchmark -Dexec.args="--units 200"
 * </pre>
 *
 * Options: {@code --units N} (200), {@code --cores N} (this machine's processors), {@code --partition P} (the
 * default partition), {@code --work DIR} (a new temporary directory). {@code SLURM_CONF} is passed on to every
 * SLURM command when set.
 */
public final class SlurmBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(SlurmBenchmark.class);
    private static final String RESOURCE = "bench.slurm";

    private SlurmBenchmark() {
    }

    record Options(int units, int cores, String partition, Path work) {
        static Options parse(String... args) {
            int units = 200;
            int cores = Runtime.getRuntime().availableProcessors();
            String partition = null;
            Path work = null;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--units" -> units = Examples.intOption(args, i++, "--units");
                    case "--cores" -> cores = Examples.intOption(args, i++, "--cores");
                    case "--partition" -> partition = value(args, i++, "--partition");
                    case "--work" -> work = Path.of(value(args, i++, "--work"));
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]
                            + " (usage: [--units N] [--cores N] [--partition P] [--work DIR])");
                }
            }
            return new Options(units, cores, partition, work);
        }

        private static String value(String[] args, int i, String name) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return args[i + 1];
        }
    }

    record Row(String what, int tasks, double seconds, String note) {
        double rate() {
            return tasks / seconds;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Examples.optionsOrExit(() -> Options.parse(args));
        System.exit(run(o, System.out) ? 0 : 1);
    }

    static Map<String, String> slurmEnv() {
        String conf = System.getenv("SLURM_CONF");
        return conf == null ? Map.of() : Map.of("SLURM_CONF", conf);
    }

    static boolean run(Options o, PrintStream out) throws Exception {
        Path work = o.work() == null ? Files.createTempDirectory("pilotflow-slurm-bench")
                : o.work().toAbsolutePath().normalize();
        Files.createDirectories(work);
        // the batch-job baseline first, on an idle cluster; the pilot after, so neither waits behind the other
        Row sbatch = sbatchBaseline(o, work);
        List<Row> pilot = pilotRun(o, work);
        if (pilot.isEmpty()) {
            return false;
        }
        Row units = pilot.get(1);
        out.printf(Locale.ROOT, "%n%-44s %7s %10s %10s  %s%n", "SLURM (same cluster, same run)", "tasks", "wall s",
                "tasks/s", "");
        for (Row r : List.of(sbatch, units)) {
            out.printf(Locale.ROOT, "%-44s %7d %10.2f %10.2f  %s%n", r.what(), r.tasks(), r.seconds(), r.rate(),
                    r.note());
        }
        out.printf(Locale.ROOT, "%-44s %7s %10.2f %10s  %s%n", pilot.get(0).what(), "-", pilot.get(0).seconds(), "-",
                pilot.get(0).note());
        out.printf(Locale.ROOT, "%-44s %7s %10s %10.1fx  %s%n", "ratio pilot units / sbatch jobs", "", "",
                units.rate() / sbatch.rate(), "(tasks/s)");
        Row total = new Row("", units.tasks(), pilot.get(0).seconds() + units.seconds(), "");
        out.printf(Locale.ROOT, "%-44s %7s %10s %10.1fx  %s%n", "ratio incl. the pilot's own queue wait", "", "",
                total.rate() / sbatch.rate(), "");
        return true;
    }

    /** N {@code sbatch --wrap /bin/true}: from the first submission until squeue reports every job finished. */
    static Row sbatchBaseline(Options o, Path work) throws Exception {
        LOG.info("baseline: {} x sbatch --wrap /bin/true", o.units());
        List<String> ids = new ArrayList<>(o.units());
        long t0 = System.nanoTime();
        for (int i = 0; i < o.units(); i++) {
            List<String> argv = new ArrayList<>(List.of("sbatch", "--parsable", "-J", "bench-" + i, "-n", "1",
                    "-o", "/dev/null"));
            if (o.partition() != null) {
                argv.add("--partition=" + o.partition());
            }
            argv.addAll(List.of("--wrap", "/bin/true"));
            ids.add(command(argv).strip().split(";")[0]);
        }
        double submitSeconds = (System.nanoTime() - t0) / 1e9;
        int left = ids.size();
        while (left > 0) {
            String states = command(List.of("squeue", "-h", "-t", "all", "-o", "%i %T", "-j", String.join(",", ids)));
            left = 0;
            for (String line : states.split("\n")) {
                if (line.matches("\\S+ (PENDING|RUNNING|CONFIGURING|COMPLETING)")) {
                    left++;
                }
            }
            LOG.info("baseline: {} of {} jobs not finished", left, ids.size());
            if (left > 0) {
                Thread.sleep(200);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Row("sbatch --wrap /bin/true, one job per task", ids.size(), seconds,
                String.format(Locale.ROOT, "(submitting took %.2f s)", submitSeconds));
    }

    /** One pilot with all cores: [its queue wait until ACTIVE, the N units from submission until all DONE]. */
    static List<Row> pilotRun(Options o, Path work) throws Exception {
        try (Session session = Session.builder()
                .config(PilotFlowConfig.builder().workDirectory(work).build()).create()) {
            session.resources().add(ResourceConfig.builder(RESOURCE)
                    .description("the SLURM of this benchmark")
                    .schema("local", "slurm://localhost/", "file://localhost/")
                    .coresPerNode(o.cores())
                    .defaultRemoteWorkdir(work.resolve("sandboxes").toString())
                    .validRoots(List.of(work.toString()))
                    .jobManagerEnvironment(slurmEnv())
                    .build());
            long t0 = System.nanoTime();
            ComputePilot pilot = session.createPilotManager().submitPilot(ComputePilotDescription.builder()
                    .resource(RESOURCE).cores(o.cores()).runtime(Duration.ofMinutes(30)).queue(o.partition())
                    .build());
            PilotState s = pilot.waitFor(Duration.ofMinutes(5), PilotState.ACTIVE, PilotState.FAILED,
                    PilotState.CANCELED, PilotState.DONE);
            if (s != PilotState.ACTIVE) {
                LOG.error("pilot {} is {}: {}\n{}", pilot.uid(), s, pilot.reason().orElse(""), pilot.log());
                return List.of();
            }
            double startSeconds = (System.nanoTime() - t0) / 1e9;
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < o.units(); i++) {
                ds.add(ComputeUnitDescription.builder().name("bench-" + i).executable("/bin/true").build());
            }
            long t1 = System.nanoTime();
            List<ComputeUnit> units = umgr.submitUnits(ds);
            List<UnitState> states = umgr.waitUnits(units.stream().map(ComputeUnit::uid).toList(), List.of(),
                    Duration.ofMinutes(30));
            double seconds = (System.nanoTime() - t1) / 1e9;
            long done = states.stream().filter(x -> x == UnitState.DONE).count();
            if (done != units.size()) {
                LOG.error("only {} of {} units DONE", done, units.size());
                return List.of();
            }
            pilot.cancel();
            pilot.waitFor(Duration.ofMinutes(1));
            return List.of(new Row("the pilot itself: sbatch until ACTIVE", 1, startSeconds, "(once per pilot)"),
                    new Row("units on that pilot (" + o.cores() + " cores), /bin/true", units.size(), seconds,
                            "(submit until all DONE)"));
        }
    }

    private static String command(List<String> argv) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(slurmEnv());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv.subList(0, Math.min(4, argv.size()))) + "... failed: " + out);
        }
        return out;
    }
}
