package org.pilotflow.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data through a BPMN workflow ({@code stage-data-fan-out.bpmn}, process {@code pilotflowStageDataExample}): "Stage
 * input in" copies a local file to the pilot, {@code units} units each LINK it into their sandboxes, count its
 * words and copy their result to {@code pilot:///results/}, and "Collect results" brings the results back into a
 * local directory. Both transfers are "PilotFlow: Stage data" tasks (the Data API); the units are the RunUnit
 * template's call activity.
 *
 * <pre>
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.StageDataExample
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.StageDataExample \
 *     -Dexec.args="/tmp/stage-work --units 8"
 * </pre>
 *
 * Arguments: {@code [workDir] [--units N]}. The input is {@code workDir/input/words.txt} (written when missing), the
 * results land in {@code workDir/results/}. Exits with 0 when the workflow reached "Results collected".
 */
public final class StageDataExample {
    public static final String PROCESS_KEY = "pilotflowStageDataExample";
    public static final String RESOURCE = "org/pilotflow/examples/stage-data-fan-out.bpmn";
    public static final String END_DONE = "done";

    private static final Logger LOG = LoggerFactory.getLogger(StageDataExample.class);

    /**
     * How the workflow ended.
     *
     * @param endEventId the end event reached ({@link #END_DONE} or {@code failed}), null when it had not ended
     * @param collected  the files "Collect results" brought back (status, size, checksum...), from the history: null
     *                   unless it ran and the engine keeps variable history (level audit or full)
     */
    public record Result(ProcessInstance processInstance, String endEventId, List<Map<String, Object>> collected,
                         Duration wallTime) {
        public boolean done() {
            return END_DONE.equals(endEventId);
        }
    }

    private StageDataExample() {
    }

    public static void main(String[] args) throws InterruptedException, IOException {
        Path work = Path.of("pilotflow-work");
        int units = 4;
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--units")) {
                    units = Examples.intOption(args, i++, "--units");
                } else if (args[i].startsWith("--")) {
                    throw new IllegalArgumentException("unknown option " + args[i] + " (usage: [workDir] [--units N])");
                } else {
                    work = Path.of(args[i]);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        work = work.toAbsolutePath().normalize();
        Path input = work.resolve("input/words.txt");
        if (!Files.exists(input)) {
            Files.createDirectories(input.getParent());
            Files.writeString(input, "the quick brown fox jumps over the lazy dog\n");
        }
        Path results = Files.createDirectories(work.resolve("results"));
        Result r;
        try (Session session = Examples.openSession(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = Examples.startLocalPilot(session, pmgr, work, 2, Duration.ofMinutes(10));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            r = run(session, pilot, units, input, results, Duration.ofMinutes(5));
        }
        System.out.printf("process instance %s ended at %s after %.2f s%n", r.processInstance().getId(),
                r.endEventId(), r.wallTime().toNanos() / 1e9);
        if (r.collected() != null) {
            for (Map<String, Object> f : r.collected()) {
                System.out.printf("%-11s %-32s %6s bytes  %s%n", f.get("status"), f.get("source"), f.get("size"),
                        f.get("checksum"));
            }
        }
        try (var files = Files.list(results)) {
            for (Path f : files.sorted().toList()) {
                System.out.printf("%s: %s", f, Files.readString(f));
            }
        }
        System.exit(r.done() ? 0 : 1);
    }

    /** Deploys the workflow (once per engine: duplicate deployments are filtered). */
    public static void deploy(ProcessEngine engine) {
        engine.getRepositoryService().createDeployment()
                .name("pilotflow-examples-stage-data")
                .addClasspathResource(RESOURCE)
                .enableDuplicateFiltering(true)
                .deploy();
    }

    /**
     * Deploys and starts the workflow for a launched pilot of this session (its units go to the session's first
     * open unit manager, which must hold the pilot) and waits until it ended or {@code timeout} passed.
     */
    public static Result run(Session session, ComputePilot pilot, int units, Path input, Path results,
                             Duration timeout) throws InterruptedException {
        ProcessEngine engine = session.processEngine();
        deploy(engine);
        // what "Collect results" brings back: a List variable, one 'source > target' line per unit
        List<String> resultFiles = new ArrayList<>();
        for (int i = 0; i < units; i++) {
            resultFiles.add("pilot:///results/result-" + i + ".txt > " + results.toAbsolutePath() + "/");
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("pilotflowSession", session.uid());
        vars.put("pilot", pilot.uid());
        vars.put("inputFile", input.toAbsolutePath().toString());
        vars.put("units", units);
        vars.put("resultFiles", resultFiles);
        long t0 = System.nanoTime();
        ProcessInstance pi = engine.getRuntimeService().startProcessInstanceByKey(PROCESS_KEY, vars);
        LOG.info("stage-data workflow {} started: {} units on pilot {}", pi.getId(), units, pilot.uid());
        HistoryService history = engine.getHistoryService();
        boolean ended = Examples.poll(timeout, Duration.ofMillis(100), () -> {
            HistoricProcessInstance h = history.createHistoricProcessInstanceQuery().processInstanceId(pi.getId())
                    .singleResult();
            return h != null && h.getEndTime() != null;
        });
        Duration wall = Duration.ofNanos(System.nanoTime() - t0);
        if (!ended) {
            LOG.warn("stage-data workflow {} has not ended after {} (an incident? see Cockpit)", pi.getId(), timeout);
            return new Result(pi, null, null, wall);
        }
        Optional<HistoricActivityInstance> end = history.createHistoricActivityInstanceQuery()
                .processInstanceId(pi.getId()).activityType("noneEndEvent").list().stream().findFirst();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> collected = history.createHistoricVariableInstanceQuery()
                .processInstanceId(pi.getId()).variableName("collected").list().stream().findFirst()
                .map(v -> (List<Map<String, Object>>) v.getValue()).orElse(null);
        Result r = new Result(pi, end.map(HistoricActivityInstance::getActivityId).orElse(null), collected, wall);
        LOG.info("stage-data workflow {} ended at {}", pi.getId(), r.endEventId());
        return r;
    }
}
