package org.pilotflow.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.resource.config.InvalidDescriptionException;
import org.pilotflow.resource.config.ResourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the examples share: a session in a work directory, one local pilot, small helpers. */
final class Examples {
    static final String LOCAL = "local.localhost";
    private static final Logger LOG = LoggerFactory.getLogger(Examples.class);

    private Examples() {
    }

    /**
     * The program's options, or the program ends with status 2 and the parse error (which names the option, the
     * value and what was expected) on stderr.
     */
    static <T> T optionsOrExit(java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            throw e; // not reached
        }
    }

    /** A session on an embedded engine whose database, logs (and here: pilot sandboxes) live in {@code work}. */
    static Session openSession(Path work) {
        return Session.builder()
                .config(PilotFlowConfig.builder().workDirectory(work.toAbsolutePath().normalize()).build())
                .create();
    }

    /**
     * Submits one pilot on this machine with its sandbox under {@code work}/sandboxes and waits until it is ACTIVE.
     * {@code local.localhost} only accepts sandboxes under $HOME or $TMPDIR; when the work directory lies elsewhere,
     * this session's copy of the resource entry gets the work directory as one more valid root.
     */
    static ComputePilot startLocalPilot(Session session, PilotManager pmgr, Path work, int cores, Duration runtime) {
        return startLocalPilots(session, pmgr, work, 1, cores, runtime).get(0);
    }

    /** Submits {@code count} local pilots of {@code cores} cores each at once and waits until all are ACTIVE. */
    static List<ComputePilot> startLocalPilots(Session session, PilotManager pmgr, Path work, int count, int cores,
                                               Duration runtime) {
        Path sandbox = work.toAbsolutePath().normalize().resolve("sandboxes");
        ResourceConfig local = session.resources().get(LOCAL);
        try {
            local.checkSandbox(sandbox);
        } catch (InvalidDescriptionException e) {
            List<String> roots = new ArrayList<>(local.validRoots());
            roots.add(work.toAbsolutePath().normalize().toString());
            session.resources().add(local.toBuilder().validRoots(roots).build());
            LOG.info("added {} to the valid roots of {} for this session", roots.get(roots.size() - 1), LOCAL);
        }
        ComputePilotDescription d = ComputePilotDescription.builder()
                .resource(LOCAL)
                .cores(cores)
                .runtime(runtime)
                .sandbox(sandbox.toString())
                .build();
        List<ComputePilot> pilots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            pilots.add(pmgr.submitPilot(d));
        }
        for (ComputePilot pilot : pilots) {
            PilotState s = pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE, PilotState.DONE,
                    PilotState.FAILED, PilotState.CANCELED);
            if (s != PilotState.ACTIVE) {
                throw new IllegalStateException("pilot " + pilot.uid() + " is " + s + ": "
                        + pilot.reason().orElse("") + "\n" + pilot.log());
            }
            LOG.info("pilot {} ACTIVE with {} cores, sandbox {}", pilot.uid(), cores, pilot.sandbox());
        }
        return pilots;
    }

    /** The time the unit entered {@code state} (its last attempt's entry), if it did. */
    static Optional<Instant> entered(List<StateEntry<UnitState>> history, UnitState state) {
        Optional<Instant> t = Optional.empty();
        for (StateEntry<UnitState> e : history) {
            if (e.state() == state) {
                t = Optional.of(e.time());
            }
        }
        return t;
    }

    /** From the unit's EXECUTING entry to its final entry, in ms; -1 when it never executed or isn't final. */
    static long runtimeMillis(ComputeUnit u) {
        List<StateEntry<UnitState>> h = u.stateHistory();
        if (h.isEmpty() || !h.get(h.size() - 1).state().isFinal()) {
            return -1;
        }
        Instant end = h.get(h.size() - 1).time();
        return entered(h, UnitState.EXECUTING).map(t -> Duration.between(t, end).toMillis()).orElse(-1L);
    }

    /** Polls {@code condition} every {@code every} until it holds; false when {@code timeout} passed first. */
    static boolean poll(Duration timeout, Duration every, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(Math.max(1, Math.min(every.toMillis(), (deadline - System.nanoTime()) / 1_000_000 + 1)));
        }
    }

    /** The p-th percentile (0..100, nearest rank) of sorted values. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    static int intOption(String[] args, int i, String name) {
        if (i + 1 >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        try {
            int v = Integer.parseInt(args[i + 1]);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is '" + args[i + 1] + "', expected an integer > 0");
        }
    }
}
