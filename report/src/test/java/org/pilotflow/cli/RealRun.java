package org.pilotflow.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.report.RunData;

/**
 * One real run per test JVM, shared by the tests that need one: an embedded engine on an H2 file database, two local
 * pilots of 2 cores with real agents, {@link #UNITS} units (sleeps, three that exit 3, one that runs long enough to
 * be sampled 20 times and more), the session closed; then {@code pilotflow report} on it, as a user would run it.
 */
public final class RealRun {

    static final int UNITS = 20;
    static final int FAILING = 3;
    /** The unit that sleeps long enough for its memory to be sampled many times (every 100 ms). */
    static final String LONG_UNIT_NAME = "long-sleeper";

    /**
     * @param data what the report was made of, read again through a reconnected session
     */
    public record Result(Path work, String sessionId, int exit, String stdout, String stderr, Path html,
                         RunData data) {
    }

    private static Result result;

    private RealRun() {
    }

    public static synchronized Result get() throws Exception {
        if (result == null) {
            result = run();
        }
        return result;
    }

    private static Result run() throws Exception {
        // under the temporary directory: local.localhost accepts sandboxes there
        Path work = Files.createTempDirectory("pilotflow-report-").toRealPath();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(work), "delete-" + work.getFileName()));
        String sessionId;
        try (Session s = Session.builder().config(PilotFlowConfig.builder().workDirectory(work)
                .memorySampleInterval(Duration.ofMillis(100)).build()).create()) {
            sessionId = s.uid();
            PilotManager pmgr = s.createPilotManager();
            ComputePilotDescription d = ComputePilotDescription.builder().resource("local.localhost").cores(2)
                    .runtime(Duration.ofMinutes(20)).sandbox(work.resolve("sandboxes").toString()).build();
            List<ComputePilot> pilots = pmgr.submitPilots(List.of(d, d));
            List<PilotState> ps = pmgr.waitPilots(List.of(), List.of(PilotState.ACTIVE), Duration.ofMinutes(3));
            if (!ps.stream().allMatch(p -> p == PilotState.ACTIVE)) {
                throw new IllegalStateException("pilots " + ps + ": " + pilots.get(0).log());
            }
            UnitManager umgr = s.createUnitManager();
            umgr.addPilots(pilots);
            List<ComputeUnitDescription> units = new ArrayList<>();
            units.add(ComputeUnitDescription.builder().name(LONG_UNIT_NAME).executable("/bin/sleep")
                    .arguments("3").build());
            for (int i = 0; i < FAILING; i++) {
                units.add(ComputeUnitDescription.builder().name("fails-" + i).executable("/bin/sh")
                        .arguments("-c", "sleep 0.2; echo no >&2; exit 3").build());
            }
            while (units.size() < UNITS) {
                units.add(ComputeUnitDescription.builder().name("sleeps-" + units.size()).executable("/bin/sleep")
                        .arguments("0." + (2 + units.size() % 5)).build());
            }
            List<ComputeUnit> submitted = umgr.submitUnits(units);
            umgr.waitUnits(submitted.stream().map(ComputeUnit::uid).toList(), List.of(), Duration.ofMinutes(10));
        } // close(): the pilots are canceled and the engine stops, as at the end of an application

        Path html = work.resolve("report.html");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = PilotFlowCommand.run(new String[] {"report", sessionId, "--work", work.toString(), "--output",
                html.toString()}, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        RunData data = RunData.read(Session.builder().workDirectory(work), sessionId);
        return new Result(work, sessionId, exit, out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8), html, data);
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException | RuntimeException e) {
            // a temporary directory left behind is harmless
        }
    }
}
