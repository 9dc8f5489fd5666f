package org.pilotflow.examples;

import java.nio.file.Path;
import java.time.Duration;
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
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Airflow-style DAG modeled in BPMN ({@code dag-fan-out-fan-in.bpmn}, process {@code pilotflowDagExample}):
 * {@code fanOut} units in parallel, then one summarize unit, each a call activity of {@code pilotflow-unit}.
 *
 * <pre>
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.DagExample
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.DagExample \
 *     -Dexec.args="/tmp/dag-work --fan-out 8 --fail-unit 3"
 * </pre>
 *
 * Arguments: {@code [workDir] [--fan-out N] [--fail-unit K] [--cores N]}: {@code --fail-unit K} makes the fan-out unit
 * with loopCounter K exit with code 3, to see the error path. Exits with 0 when the DAG reached "DAG done".
 */
public final class DagExample {
    public static final String PROCESS_KEY = "pilotflowDagExample";
    public static final String RESOURCE = "org/pilotflow/examples/dag-fan-out-fan-in.bpmn";
    public static final String END_DONE = "dagDone";
    public static final String END_FAILED = "dagFailed";
    public static final String END_CANCELED = "dagCanceled";

    private static final Logger LOG = LoggerFactory.getLogger(DagExample.class);

    /**
     * How the DAG ended.
     *
     * @param endEventId   the end event reached ({@link #END_DONE}, {@link #END_FAILED}, {@link #END_CANCELED}), or
     *                     null when the instance had not ended by the deadline
     * @param endEventName its name, e.g. "DAG done"
     */
    public record DagResult(ProcessInstance processInstance, String endEventId, String endEventName,
                            Duration wallTime) {
        public String processInstanceId() {
            return processInstance.getId();
        }

        public boolean done() {
            return END_DONE.equals(endEventId);
        }
    }

    private DagExample() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path work = Path.of("pilotflow-work");
        int fanOut = 8;
        int cores = 2;
        Integer failUnit = null;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--fan-out" -> fanOut = Examples.intOption(args, i++, "--fan-out");
                    case "--cores" -> cores = Examples.intOption(args, i++, "--cores");
                    case "--fail-unit" -> failUnit = Examples.intOption(args, i++, "--fail-unit");
                    default -> {
                        if (args[i].startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + args[i]
                                    + " (usage: [workDir] [--fan-out N] [--fail-unit K] [--cores N])");
                        }
                        work = Path.of(args[i]);
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        DagResult r;
        work = work.toAbsolutePath().normalize();
        try (Session session = Examples.openSession(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = Examples.startLocalPilot(session, pmgr, work, cores, Duration.ofMinutes(10));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            r = run(session, umgr, fanOut, failUnit, Duration.ofMinutes(5));
            printUnits(umgr);
        }
        System.out.printf("process instance %s ended at %s (\"%s\") after %.2f s%n", r.processInstanceId(),
                r.endEventId(), r.endEventName(), r.wallTime().toNanos() / 1e9);
        System.exit(r.done() ? 0 : 1);
    }

    /** Deploys the DAG (once per engine: duplicate deployments are filtered). */
    public static void deploy(ProcessEngine engine) {
        engine.getRepositoryService().createDeployment()
                .name("pilotflow-examples")
                .addClasspathResource(RESOURCE)
                .enableDuplicateFiltering(true)
                .deploy();
    }

    /**
     * Deploys and starts the DAG on this session (its units go to the session's first open unit manager, which
     * must have a pilot) and waits until the process instance ended or {@code timeout} passed.
     *
     * @param failUnit the loopCounter of a fan-out unit that should exit with code 3, or null for none
     */
    public static DagResult run(Session session, UnitManager umgr, int fanOut, Integer failUnit, Duration timeout)
            throws InterruptedException {
        ProcessEngine engine = session.processEngine();
        deploy(engine);
        Map<String, Object> vars = new HashMap<>();
        vars.put("pilotflowSession", session.uid());
        vars.put("fanOut", fanOut);
        if (failUnit != null) {
            vars.put("failUnit", failUnit);
        }
        long t0 = System.nanoTime();
        ProcessInstance pi = engine.getRuntimeService().startProcessInstanceByKey(PROCESS_KEY, vars);
        LOG.info("DAG {} started: {} fan-out units, then summarize{}", pi.getId(), fanOut,
                failUnit == null ? "" : " (fan-out unit " + failUnit + " will fail)");
        HistoryService history = engine.getHistoryService();
        long[] lastLog = {System.nanoTime()};
        boolean ended = Examples.poll(timeout, Duration.ofMillis(100), () -> {
            HistoricProcessInstance h = history.createHistoricProcessInstanceQuery()
                    .processInstanceId(pi.getId()).singleResult();
            if (h != null && h.getEndTime() != null) {
                return true;
            }
            if (System.nanoTime() - lastLog[0] > 2_000_000_000L) {
                lastLog[0] = System.nanoTime();
                List<ComputeUnit> units = umgr.getUnits(umgr.listUnits());
                long fin = units.stream().filter(u -> u.state().isFinal()).count();
                LOG.info("DAG {} running: {}/{} units final", pi.getId(), fin, units.size());
            }
            return false;
        });
        Duration wall = Duration.ofNanos(System.nanoTime() - t0);
        if (!ended) {
            LOG.warn("DAG {} has not ended after {}", pi.getId(), timeout);
            return new DagResult(pi, null, null, wall);
        }
        Optional<HistoricActivityInstance> end = history.createHistoricActivityInstanceQuery()
                .processInstanceId(pi.getId()).activityType("noneEndEvent").list().stream().findFirst();
        DagResult r = new DagResult(pi, end.map(HistoricActivityInstance::getActivityId).orElse(null),
                end.map(HistoricActivityInstance::getActivityName).orElse(null), wall);
        LOG.info("DAG {} ended at \"{}\"", pi.getId(), r.endEventName());
        return r;
    }

    private static void printUnits(UnitManager umgr) {
        System.out.printf("%-12s  %-12s  %-9s  %4s  %s%n", "uid", "name", "state", "exit", "output / reason");
        for (ComputeUnit u : umgr.getUnits(umgr.listUnits())) {
            String out = u.failureReason().orElse(u.stdout() == null ? "" : u.stdout().strip());
            System.out.printf("%-12s  %-12s  %-9s  %4s  %s%n", u.uid(), u.description().name(), u.state(),
                    u.exitCode().map(String::valueOf).orElse("-"), out.replace('\n', ' '));
        }
    }
}
