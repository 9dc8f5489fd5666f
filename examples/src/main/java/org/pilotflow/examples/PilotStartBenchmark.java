package org.pilotflow.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.PilotState;
import org.pilotflow.resource.config.ResourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a local pilot's start goes: submit until the API sees it ACTIVE, step by step, for pilots started one after
 * another in one session. The first pilot of an engine on a host also checks its Java (unless it is the engine's
 * own), and when the host has none yet, puts the agent jar there and makes its class archive. Later pilots alternate
 * between starting the agent from its class archive (the default) and without it ({@code -Xshare:auto} in the
 * resource's {@code agent_jvm_args}, which leaves class sharing to the JVM's defaults): the baseline, in the same run,
 * as is a bare JVM of the same Java starting and exiting ({@code java -version}), the floor of any agent start. A
 * program that prints a table, not a test.
 *
 * <pre>
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.PilotStartBenchmark -Dexec.args="--pilots 11"
 * </pre>
 *
 * Options: {@code --pilots N} (11, at least 3), {@code --work DIR} (a new temporary directory, deleted at the end).
 */
public final class PilotStartBenchmark {
    private static final Logger LOG = LoggerFactory.getLogger(PilotStartBenchmark.class);

    private PilotStartBenchmark() {
    }

    /**
     * One pilot's steps, in ms: submit -> LAUNCHING -> PENDING_ACTIVE (agent process started) -> ACTIVE (the agent's
     * stamp: it is ready and sends its first sync) -> the API sees ACTIVE (what a user waits for; units reach the
     * pilot from then).
     */
    record Start(long toLaunching, long toAgentStarted, long toActive, long toSeen) {
        long total() {
            return toLaunching + toAgentStarted + toActive + toSeen;
        }
    }

    /** The options: {@code work} null for a temporary directory. */
    record Options(int pilots, Path work) {
        static Options parse(String... args) {
            int pilots = 11;
            Path work = null;
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--pilots" -> {
                        pilots = -1;
                        try {
                            pilots = value == null ? -1 : Integer.parseInt(value);
                        } catch (NumberFormatException e) {
                            // named below
                        }
                        if (pilots < 3) {
                            throw new IllegalArgumentException("--pilots is '" + value + "', expected a whole "
                                    + "number of 3 or more (the first pilot is reported on its own, later ones "
                                    + "alternate with and without the class archive)");
                        }
                        i++;
                    }
                    case "--work" -> {
                        if (value == null) {
                            throw new IllegalArgumentException("--work: got nothing, expected a directory");
                        }
                        work = Path.of(value);
                        i++;
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + args[i]
                            + "', expected --pilots N or --work DIR");
                }
            }
            return new Options(pilots, work);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Examples.optionsOrExit(() -> Options.parse(args));
        Path work = o.work() == null ? Files.createTempDirectory("pilotflow-start")
                : o.work().toAbsolutePath().normalize();
        try {
            run(o.pilots(), work, System.out);
        } finally {
            if (o.work() == null) {
                Benchmark.deleteTree(work);
            }
        }
    }

    static void run(int count, Path work, PrintStream out) throws Exception {
        Start first = null;
        List<Start> archived = new ArrayList<>();
        List<Start> plain = new ArrayList<>();
        List<Long> jvm = new ArrayList<>();
        try (Session session = Examples.openSession(work)) {
            PilotManager pmgr = session.createPilotManager();
            for (int i = 0; i < count; i++) {
                boolean withArchive = i % 2 == 0;
                useClassArchive(session, withArchive);
                jvm.add(bareJvmMillis());
                ComputePilot pilot = Examples.startLocalPilot(session, pmgr, work, 1, Duration.ofMinutes(30));
                Start s = steps(pilot.stateHistory(), Instant.now());
                if (i == 0) {
                    first = s;
                } else {
                    (withArchive ? archived : plain).add(s);
                }
                pilot.cancel();
                pilot.waitFor(Duration.ofMinutes(2), PilotState.CANCELED, PilotState.DONE, PilotState.FAILED);
                LOG.info("pilot {} of {} ({} class archive): {}", i + 1, count, withArchive ? "with" : "without", s);
            }
        }
        String fmt = "%-50s %8s %15s %15s%n";
        out.printf(fmt, "local pilot, 1 core (ms; later: p50)", "first", "later, with", "later, without");
        out.printf(fmt, "", "", "class archive", "class archive");
        row(out, fmt, "submit -> LAUNCHING", first, archived, plain, Start::toLaunching);
        row(out, fmt, "LAUNCHING -> agent process started (staging)", first, archived, plain, Start::toAgentStarted);
        row(out, fmt, "agent process started -> ready (ACTIVE stamp)", first, archived, plain, Start::toActive);
        row(out, fmt, "ready -> the API sees ACTIVE (first sync)", first, archived, plain, Start::toSeen);
        row(out, fmt, "submit -> the API sees ACTIVE", first, archived, plain, Start::total);
        out.printf(fmt, "baseline: java -version, same run", jvm.get(0),
                PeerBenchmark.median(jvm.subList(1, jvm.size()).stream().map(Long::doubleValue).toList()), "");
        out.printf("%d pilots one after another (%d and %d later ones); java.home %s%n", count, archived.size(),
                plain.size(), System.getProperty("java.home"));
    }

    private static void row(PrintStream out, String fmt, String what, Start first, List<Start> archived,
                            List<Start> plain, java.util.function.ToLongFunction<Start> step) {
        out.printf(fmt, what, step.applyAsLong(first),
                PeerBenchmark.median(archived.stream().map(s -> (double) step.applyAsLong(s)).toList()),
                PeerBenchmark.median(plain.stream().map(s -> (double) step.applyAsLong(s)).toList()));
    }

    /** {@code -Xshare:auto} (the JVM's default) in agent_jvm_args leaves the agent's class archive out. */
    private static void useClassArchive(Session session, boolean use) {
        ResourceConfig local = session.resources().get(Examples.LOCAL);
        session.resources().add(local.toBuilder().agentJvmArgs(use ? List.of() : List.of("-Xshare:auto")).build());
    }

    /** The steps of a pilot whose ACTIVE the API saw at {@code seen}. */
    static Start steps(List<StateEntry<PilotState>> history, Instant seen) {
        Instant submitted = history.get(0).time();
        Instant launching = entered(history, PilotState.LAUNCHING);
        Instant started = entered(history, PilotState.PENDING_ACTIVE);
        Instant active = entered(history, PilotState.ACTIVE);
        return new Start(Duration.between(submitted, launching).toMillis(),
                Duration.between(launching, started).toMillis(), Duration.between(started, active).toMillis(),
                Duration.between(active, seen).toMillis());
    }

    private static Instant entered(List<StateEntry<PilotState>> history, PilotState state) {
        return history.stream().filter(e -> e.state() == state).map(StateEntry::time).findFirst()
                .orElseThrow(() -> new IllegalStateException("the pilot never entered " + state + ": " + history));
    }

    /** A JVM of this Java, started and ended: {@code java -version}, wall time in ms. */
    static long bareJvmMillis() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(java + " -version did not end in 60 s");
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }
}
