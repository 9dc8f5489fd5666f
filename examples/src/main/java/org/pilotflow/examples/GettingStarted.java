package org.pilotflow.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.api.WaitTimeout;
import org.pilotflow.model.UnitState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first thing to run: one session, one local pilot, N small units, a table of what happened.
 *
 * <pre>
 * mvn -q -B install -DskipTests && mvn -q -B -pl examples exec:java
 * mvn -q -B -pl examples exec:java -Dexec.args="/tmp/pf-work --units 500 --cores 2"
 * </pre>
 *
 * Arguments: {@code [workDir] [--units N] [--cores N]}; work directory {@code ./pilotflow-work}, 128 units and 2
 * cores by default. Exits with 0 when every unit is DONE, 1 otherwise, 2 on bad arguments.
 */
public final class GettingStarted {
    private static final Logger LOG = LoggerFactory.getLogger(GettingStarted.class);

    /** What to run. */
    public record Options(Path workDirectory, int units, int cores) {
        public static Options parse(String... args) {
            Path work = Path.of("pilotflow-work");
            int units = 128;
            int cores = 2;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--units" -> units = Examples.intOption(args, i++, "--units");
                    case "--cores" -> cores = Examples.intOption(args, i++, "--cores");
                    default -> {
                        if (args[i].startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + args[i]
                                    + " (usage: [workDir] [--units N] [--cores N])");
                        }
                        work = Path.of(args[i]);
                    }
                }
            }
            return new Options(work, units, cores);
        }
    }

    /** One line of the table. */
    public record Row(String uid, UnitState state, Integer exitCode, long runtimeMillis, String pilot,
                      String output) {
    }

    /** What happened. */
    public record Result(List<Row> rows, int done, int failed, int canceled, Duration wallTime) {
        public boolean allDone() {
            return done == rows.size();
        }

        public double unitsPerSecond() {
            return rows.size() / Math.max(1e-9, wallTime.toNanos() / 1e9);
        }
    }

    private GettingStarted() {
    }

    public static void main(String[] args) {
        Options o = Examples.optionsOrExit(() -> Options.parse(args));
        Result r = run(o, System.out);
        System.exit(r.allDone() ? 0 : 1);
    }

    /** Runs the example and prints the table and the summary to {@code out}. */
    public static Result run(Options o, PrintStream out) {
        Path work = o.workDirectory().toAbsolutePath().normalize();
        LOG.info("work directory {}", work);
        try (Session session = Examples.openSession(work)) {
            LOG.info("session {}", session.uid());
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = Examples.startLocalPilot(session, pmgr, work, o.cores(), Duration.ofMinutes(10));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < o.units(); i++) {
                // an argv, not a command line: PilotFlow runs /bin/sh with these two arguments, no shell of ours
                ds.add(ComputeUnitDescription.builder()
                        .name("hello-" + i)
                        .executable("/bin/sh")
                        .arguments("-c", "echo \"unit $PILOTFLOW_UNIT_ID on $(hostname)\"")
                        .build());
            }
            long t0 = System.nanoTime();
            List<ComputeUnit> units = umgr.submitUnits(ds);
            LOG.info("submitted {} units", units.size());
            waitWithProgress(umgr, units.size(), Duration.ofMinutes(5).plusMillis(20L * units.size()));
            Duration wall = Duration.ofNanos(System.nanoTime() - t0);

            List<Row> rows = new ArrayList<>();
            int done = 0;
            int failed = 0;
            int canceled = 0;
            for (ComputeUnit u : units) {
                UnitState s = u.state();
                switch (s) {
                    case DONE -> done++;
                    case FAILED -> failed++;
                    case CANCELED -> canceled++;
                    default -> { }
                }
                String output = s == UnitState.DONE ? firstLine(u.stdout())
                        : u.failureReason().map(GettingStarted::firstLine).orElse("");
                rows.add(new Row(u.uid(), s, u.exitCode().orElse(null), Examples.runtimeMillis(u),
                        u.pilot().orElse("-"), output));
            }
            Result r = new Result(rows, done, failed, canceled, wall);
            print(r, out);
            out.printf("The run report, once this program ended: bin/pilotflow report %s"
                    + " --work %s%n", session.uid(), work);
            LOG.info("closing the session (canceling pilot {})", pilot.uid());
            return r;
        }
    }

    private static void waitWithProgress(UnitManager umgr, int total, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                umgr.waitUnits(List.of(), List.of(), Duration.ofSeconds(2));
                LOG.info("{}/{} units final", total, total);
                return;
            } catch (WaitTimeout e) {
                LOG.info("{}/{} units final", total - e.pending().size(), total);
                if (System.nanoTime() - deadline >= 0) {
                    LOG.warn("giving up waiting after {}: {} units not final", timeout, e.pending().size());
                    return;
                }
            }
        }
    }

    static void print(Result r, PrintStream out) {
        int uidWidth = Math.max(4, r.rows().stream().mapToInt(x -> x.uid().length()).max().orElse(4));
        int pilotWidth = Math.max(5, r.rows().stream().mapToInt(x -> x.pilot().length()).max().orElse(5));
        String fmt = "%-" + uidWidth + "s  %-8s  %4s  %10s  %-" + pilotWidth + "s  %s%n";
        out.printf(fmt, "uid", "state", "exit", "runtime_ms", "pilot", "output");
        out.printf(fmt, "-".repeat(uidWidth), "-".repeat(8), "----", "-".repeat(10), "-".repeat(pilotWidth),
                "------");
        for (Row x : r.rows()) {
            out.printf(fmt, x.uid(), x.state(), x.exitCode() == null ? "-" : x.exitCode(),
                    x.runtimeMillis() < 0 ? "-" : x.runtimeMillis(), x.pilot(), x.output());
        }
        out.printf("%d units: %d DONE, %d FAILED, %d CANCELED in %.2f s (%.1f units/s)%n", r.rows().size(), r.done(),
                r.failed(), r.canceled(), r.wallTime().toNanos() / 1e9, r.unitsPerSecond());
        out.flush();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
