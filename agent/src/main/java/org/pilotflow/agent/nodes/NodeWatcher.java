package org.pilotflow.agent.nodes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the nodes of a pilot in a SLURM job: every {@link #INTERVAL_MILLIS} asks SLURM for their states
 * ({@code sinfo -h -N -n <nodes> -o "%N %T %E"}) and tells the listener, once per node, about a node SLURM reports
 * DOWN or FAIL (a node not responding for {@code SlurmdTimeout}, an admin's down). The batch system is the one that
 * knows: a unit's launcher dying says nothing about its node, and a node not responding for a moment may come back.
 * Runs on a thread of its own (sinfo may take seconds on a busy controller); a failing sinfo is logged, not acted on.
 */
public final class NodeWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeWatcher.class);

    /** How often SLURM is asked: a lost node takes SLURM itself half a minute or more to call DOWN. */
    public static final long INTERVAL_MILLIS = 5000;
    /** The longest one sinfo may take. */
    private static final long SINFO_SECONDS = 30;

    /** Told on the watcher's thread. */
    public interface Listener {
        /** {@code why}: what SLURM says, e.g. {@code SLURM reports it down* (Not responding)}. */
        void lost(String node, String why);
    }

    private final List<String> argv;
    private final Set<String> nodes;
    private final Listener listener;
    private final Set<String> told = new HashSet<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pilotflow-node-watcher");
        t.setDaemon(true);
        return t;
    });
    private String lastProblem;

    /** Starts watching {@code nodes}. */
    public NodeWatcher(Collection<String> nodes, Listener listener) {
        this(sinfoArgv(nodes), nodes, INTERVAL_MILLIS, listener);
    }

    /** @param argv the command that prints the nodes' states as {@link #lostNodes} reads them (tests pass their own) */
    NodeWatcher(List<String> argv, Collection<String> nodes, long intervalMillis, Listener listener) {
        this.argv = List.copyOf(argv);
        this.nodes = Set.copyOf(nodes);
        this.listener = listener;
        timer.scheduleWithFixedDelay(this::poll, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }

    /** One line per node: name, state, reason (the reason last: it may hold spaces). */
    static List<String> sinfoArgv(Collection<String> nodes) {
        return List.of("sinfo", "-h", "-N", "-n", String.join(",", nodes), "-o", "%N %T %E");
    }

    /**
     * The nodes of {@code watched} that sinfo's output says are lost, each with what SLURM says. A state is lost when
     * its name, without SLURM's flag suffixes ({@code *} not responding, {@code ~} powered off, ...), is
     * {@code down} or {@code fail}; {@code drained} and {@code failing} nodes still run their jobs.
     */
    static Map<String, String> lostNodes(String sinfoOutput, Set<String> watched) {
        Map<String, String> lost = new LinkedHashMap<>();
        for (String line : sinfoOutput.split("\n")) {
            String[] f = line.strip().split("\\s+", 3);
            if (f.length < 2 || !watched.contains(f[0])) {
                continue;
            }
            String state = f[1].toLowerCase(Locale.ROOT).replaceAll("[^a-z_]+$", "");
            if (state.equals("down") || state.equals("fail")) {
                String reason = f.length == 3 && !f[2].isBlank() && !f[2].equals("none") ? " (" + f[2] + ")" : "";
                lost.putIfAbsent(f[0], "SLURM reports it " + f[1] + reason);
            }
        }
        return lost;
    }

    /** What srun prints when a node of its step fails (and then exits 0, its tasks there lost). */
    private static final Pattern SRUN_NODE_FAILURE =
            Pattern.compile("^srun: error: Node failure on (\\S+)$", Pattern.MULTILINE);

    /**
     * The node srun's stderr says failed under its step, if any: SLURM tells srun when it calls the node DOWN,
     * which may be before the next {@code sinfo} poll; srun then ends as if its step had succeeded.
     */
    public static Optional<String> srunNodeFailure(String srunStderr) {
        if (srunStderr == null) {
            return Optional.empty();
        }
        Matcher m = SRUN_NODE_FAILURE.matcher(srunStderr);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private void poll() {
        Path out = null;
        try {
            // output to a file, not a pipe: a hanging sinfo is then given up after SINFO_SECONDS, never waited on
            out = Files.createTempFile("pilotflow-sinfo", ".out");
            Process p = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(SINFO_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                problem(String.join(" ", argv) + " took over " + SINFO_SECONDS + " s");
                return;
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                problem(String.join(" ", argv) + " exited with " + p.exitValue() + ": " + text.strip());
                return;
            }
            lastProblem = null;
            for (Map.Entry<String, String> e : lostNodes(text, nodes).entrySet()) {
                if (told.add(e.getKey())) {
                    listener.lost(e.getKey(), e.getValue());
                }
            }
        } catch (IOException e) {
            problem("cannot run " + argv.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("node watcher: unexpected error, watching on", e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    LOG.debug("cannot remove {}: {}", out, e.toString());
                }
            }
        }
    }

    /** Logged once until the next success: a controller down for a while is one line, not one per poll. */
    private void problem(String what) {
        if (!what.equals(lastProblem)) {
            LOG.warn("cannot ask SLURM for the pilot's node states (lost nodes go unnoticed until it answers): {}",
                    what);
            lastProblem = what;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
