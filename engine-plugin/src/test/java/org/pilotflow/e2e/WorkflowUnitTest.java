package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.builder.CallActivityBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.internal.lifecycle.UnitFromVariables;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * Units run from a user's workflow (a call activity of pilotflow-unit, as the element template makes it) on a real
 * local pilot: every field of the description through variables, the results back as variables, business keys,
 * the variables an operator sees kept current, a failure caught by a boundary event (reason as the message), a
 * failure nothing catches (an incident; its retry runs the unit again).
 */
class WorkflowUnitTest {

    private static final Duration WITHIN = Duration.ofSeconds(60);
    private static final List<String> RESULTS = List.of("unitState", "exitCode", "failureReason", "errorCode",
            "stdoutTail", "stderrTail", "unitPilot", "pilotflowUnit");

    @TempDir
    Path work;
    String manager;

    @Test
    void unitsFromAWorkflow() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ProcessEngine engine = session.processEngine();
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            session.createUnitManager(); // the first one: the variable unitManager must pick the second
            UnitManager umgr = session.createUnitManager();
            manager = umgr.uid();
            umgr.addPilot(pilot);
            deploy(engine, "caught", true);
            deploy(engine, "uncaught", false);

            // an API unit: business key, and its variables follow it while it runs
            ComputeUnit sleeper = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("30").build());
            sleeper.waitFor(WITHIN, UnitState.EXECUTING);
            String sleeperInstance = engine.getRuntimeService().createProcessInstanceQuery()
                    .processInstanceBusinessKey(sleeper.uid()).singleResult().getId();
            await(() -> "EXECUTING".equals(engine.getRuntimeService().getVariable(sleeperInstance, "unitState")),
                    "unitState EXECUTING on the sleeper's instance");
            assertThat(engine.getRuntimeService().getVariable(sleeperInstance, "unitPilot")).isEqualTo(pilot.uid());
            umgr.cancelUnits(List.of(sleeper.uid()));
            // the pilot's instance carries its state
            String pilotInstance = engine.getRuntimeService().createProcessInstanceQuery()
                    .processInstanceBusinessKey(pilot.uid()).singleResult().getId();
            assertThat(engine.getRuntimeService().getVariable(pilotInstance, "pilotState")).isEqualTo("ACTIVE");

            // every field through variables; the results come back to the workflow
            Path marker = work.resolve("pre-ran");
            Map<String, Object> vars = new HashMap<>();
            vars.put("executable", "/bin/sh");
            vars.put("arguments", "[\"-c\", \"echo out-$X; echo err-$X >&2; cat pre.txt\"]");
            vars.put("environment", "{\"X\": \"42\"}");
            vars.put("name", "every-field");
            vars.put("cores", "1");
            vars.put("gpus", 0);
            vars.put("mpi", "false");
            vars.put("cpuProcesses", "");
            vars.put("cpuThreads", 1);
            vars.put("preExec", List.of("echo from-pre > pre.txt"));
            vars.put("postExec", "[\"touch " + marker + "\"]");
            vars.put("stdout", "my.out");
            vars.put("stderr", "my.err");
            vars.put("sandbox", "shared/every");
            vars.put("timeoutSeconds", "120");
            vars.put("restartable", true);
            vars.put("priority", "5");
            vars.put("memoryMb", "0");
            vars.put("tags", Map.of("colocate", "g1"));
            vars.put("metadata", "{\"owner\": \"test\"}");
            vars.put("pilot", pilot.uid());
            vars.put("unitManager", umgr.uid());
            ProcessInstance wf = start(engine, "caught", vars);
            awaitTask(engine, wf, "inspect");
            Map<String, Object> out = engine.getRuntimeService().getVariables(wf.getId());
            assertThat(out).containsEntry("unitState", "DONE").containsEntry("exitCode", 0)
                    .containsEntry("unitPilot", pilot.uid()).containsEntry("errorCode", null);
            assertThat((String) out.get("stdoutTail")).contains("out-42").contains("from-pre");
            assertThat((String) out.get("stderrTail")).contains("err-42");
            assertThat(Files.exists(marker)).as("postExec ran").isTrue();
            String uid = (String) out.get("pilotflowUnit");
            ComputeUnit unit = umgr.getUnits(List.of(uid)).get(0);
            ComputeUnitDescription d = unit.description();
            assertThat(d).isEqualTo(UnitFromVariables.describe(vars::get));
            assertThat(d.preExec()).containsExactly("echo from-pre > pre.txt");
            assertThat(d.stdout()).isEqualTo("my.out");
            assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(120));
            assertThat(d.metadata()).containsEntry("owner", "test");
            // the called instance's business key: the workflow's own (given), else the unit's uid
            assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery()
                    .superProcessInstanceId(wf.getId()).singleResult().getBusinessKey()).isEqualTo(uid);

            // a failure the workflow catches: the error's message is the reason, results as variables
            ProcessInstance failing = start(engine, "caught", Map.of("executable", "/bin/sh",
                    "arguments", "[\"-c\", \"echo broken >&2; exit 3\"]"));
            awaitTask(engine, failing, "handleFailure");
            Map<String, Object> f = engine.getRuntimeService().getVariables(failing.getId());
            assertThat(f).containsEntry("unitState", "FAILED").containsEntry("exitCode", 3);
            assertThat((String) f.get("why")).isEqualTo(f.get("failureReason")).contains("3");
            assertThat((String) f.get("stderrTail")).contains("broken");
            assertThat(f.get("errorCode")).isNotNull();

            // a bad variable: rejected with the Java API's message, naming the variable
            ProcessInstance bad = start(engine, "caught", Map.of("executable", "/bin/true", "cores", "two"));
            awaitTask(engine, bad, "handleFailure");
            assertThat((String) engine.getRuntimeService().getVariable(bad.getId(), "why"))
                    .isEqualTo("variable cores is 'two', expected an integer");

            // a failure nothing catches: an incident with the reason; the operator's retry runs the unit again
            Path once = work.resolve("failed-once");
            ProcessInstance uncaught = start(engine, "uncaught", Map.of("executable", "/bin/sh", "arguments",
                    List.of("-c", "if [ -e " + once + " ]; then echo second; else touch " + once + "; exit 4; fi")));
            Incident incident = await(() -> engine.getRuntimeService().createIncidentQuery()
                    .processInstanceId(calledBy(engine, uncaught)).singleResult(), "an incident");
            assertThat(incident.getIncidentMessage()).contains("FAILED").contains("exit code 4");
            assertThat(incident.getActivityId()).isEqualTo("reportFailure");
            String unitInstance = incident.getProcessInstanceId();
            String failedUnit = (String) engine.getRuntimeService().getVariable(unitInstance, "pilotflowUnit");
            assertThat(businessKey(engine, unitInstance)).isEqualTo(failedUnit);
            engine.getManagementService().setJobRetries(incident.getConfiguration(), 1);
            awaitTask(engine, uncaught, "inspect");
            String newUnit = (String) engine.getRuntimeService().getVariable(uncaught.getId(), "pilotflowUnit");
            assertThat(newUnit).isNotEqualTo(failedUnit);
            assertThat(businessKey(engine, unitInstance)).as("Cockpit shows the unit that runs now")
                    .isEqualTo(newUnit);
            assertThat(engine.getRuntimeService().getVariable(uncaught.getId(), "unitState")).isEqualTo("DONE");
            assertThat((String) engine.getRuntimeService().getVariable(uncaught.getId(), "stdoutTail"))
                    .contains("second");
        }
    }

    /**
     * A workflow that acquires its own pilot ("Submit pilot"), runs a unit on it and gives it back ("Release
     * pilot"), as the element templates SubmitPilot and ReleasePilot make it; a bad field is an incident naming it.
     */
    @Test
    void aWorkflowSubmitsItsPilotRunsAUnitOnItAndReleasesIt() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ProcessEngine engine = session.processEngine();
            PilotManager pmgr = session.createPilotManager();
            UnitManager umgr = session.createUnitManager();
            manager = umgr.uid();
            var model = Bpmn.createExecutableProcess("ownPilot").camundaHistoryTimeToLive(1).startEvent()
                    .serviceTask("submitPilot").camundaDelegateExpression("${pilotflowSubmitPilot}").camundaAsyncBefore()
                    .camundaInputParameter("resource", "${resource}").camundaInputParameter("cores", "2")
                    .camundaInputParameter("runtime", "PT10M")
                    .camundaInputParameter("sandbox", work.resolve("sandboxes").toString())
                    .camundaInputParameter("gpus", "").camundaOutputParameter("myPilot", "${pilotflowSubmittedPilot}")
                    .callActivity("runUnit").calledElement("pilotflow-unit")
                    .camundaIn("pilotflowSession", "pilotflowSession").camundaIn("executable", "executable")
                    .camundaIn("unitManager", "unitManager").camundaIn("myPilot", "pilot")
                    .camundaOut("unitPilot", "unitPilot").camundaOut("unitState", "unitState")
                    .serviceTask("releasePilot").camundaDelegateExpression("${pilotflowReleasePilot}")
                    .camundaAsyncBefore().camundaInputParameter("pilot", "${myPilot}")
                    .userTask("inspect").endEvent().done();
            engine.getRepositoryService().createDeployment().addModelInstance("ownPilot.bpmn", model).deploy();

            // 'queue' and 'cores' of the workflow are not the task's fields: they must not reach the pilot
            ProcessInstance wf = engine.getRuntimeService().startProcessInstanceByKey("ownPilot", Map.of(
                    "pilotflowSession", session.uid(), "unitManager", umgr.uid(), "resource", "local.localhost",
                    "executable", "/bin/true", "queue", "bogus", "cores", "7"));
            awaitTask(engine, wf, "inspect");
            String pilotUid = (String) engine.getRuntimeService().getVariable(wf.getId(), "myPilot");
            assertThat(pmgr.listPilots()).containsExactly(pilotUid);
            assertThat(umgr.listPilots()).as("the session's first open unit manager took it")
                    .containsExactly(pilotUid);
            assertThat(engine.getRuntimeService().getVariables(wf.getId())).containsEntry("unitState", "DONE")
                    .containsEntry("unitPilot", pilotUid);
            ComputePilot pilot = pmgr.getPilots(List.of(pilotUid)).get(0);
            assertThat(pilot.description().cores()).isEqualTo(2);
            assertThat(pilot.description().queue()).as("the workflow's own variable 'queue'").isNull();
            assertThat(pilot.waitFor(WITHIN)).as("released").isEqualTo(PilotState.CANCELED);

            // a resource that is not configured: an incident on "Submit pilot" naming the variable; no pilot
            ProcessInstance bad = engine.getRuntimeService().startProcessInstanceByKey("ownPilot", Map.of(
                    "pilotflowSession", session.uid(), "unitManager", umgr.uid(), "resource", "nowhere.example",
                    "executable", "/bin/true"));
            Incident incident = await(() -> engine.getRuntimeService().createIncidentQuery()
                    .processInstanceId(bad.getId()).singleResult(), "an incident on Submit pilot");
            assertThat(incident.getActivityId()).isEqualTo("submitPilot");
            assertThat(incident.getIncidentMessage()).startsWith("variable resource is 'nowhere.example', expected"
                    + " one of the configured resources");
            assertThat(pmgr.listPilots()).containsExactly(pilotUid);
        }
    }

    /**
     * A called unit that failed after its output went to the client, submitted again by the operator's retry: the new
     * unit starts with none of the old one's transfer variables, which would tell settle() that the new unit's output
     * is on its way to the client (a unit that then waits in STAGING_OUTPUT for a transfer that never comes).
     */
    @Test
    void aUnitSubmittedAgainKeepsNoneOfTheOldUnitsClientTransfer() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            ProcessEngine engine = session.processEngine();
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            manager = umgr.uid();
            umgr.addPilot(pilot);
            deploy(engine, "uncaught", false);
            Path once = work.resolve("failed-once");
            ProcessInstance uncaught = start(engine, "uncaught", Map.of("executable", "/bin/sh", "arguments",
                    List.of("-c", "echo out > out.txt; if [ -e " + once + " ]; then exec sleep 600; else touch "
                            + once + "; exit 4; fi"), "outputStaging", List.of("out.txt"), "stageOnError", true));
            Incident incident = await(() -> engine.getRuntimeService().createIncidentQuery()
                    .processInstanceId(calledBy(engine, uncaught)).singleResult(), "an incident");
            assertThat(Files.readString(client.resolve("out.txt"))).isEqualTo("out\n");
            String unitInstance = incident.getProcessInstanceId();
            String failedUnit = (String) engine.getRuntimeService().getVariable(unitInstance, "pilotflowUnit");
            engine.getManagementService().setJobRetries(incident.getConfiguration(), 1);
            String newUnit = await(() -> {
                Object uid = engine.getRuntimeService().getVariable(unitInstance, "pilotflowUnit");
                return uid != null && !uid.equals(failedUnit) ? (String) uid : null;
            }, "the unit submitted again");
            ComputeUnit again = umgr.getUnits(List.of(newUnit)).get(0);
            assertThat(again.waitFor(WITHIN, UnitState.EXECUTING)).isEqualTo(UnitState.EXECUTING);
            assertThat(engine.getRuntimeService().getVariables(unitInstance)).doesNotContainKeys("agentState",
                    "agentReason", "agentErrorCode", "stagingPilot", "stagingAttempt");
        }
    }

    private static void deploy(ProcessEngine engine, String key, boolean catching) {
        CallActivityBuilder call = Bpmn.createExecutableProcess(key).camundaHistoryTimeToLive(1).startEvent()
                .callActivity("runUnit").calledElement("pilotflow-unit")
                .camundaIn("pilotflowSession", "pilotflowSession");
        for (UnitFromVariables.Field field : UnitFromVariables.Field.values()) {
            call = call.camundaIn(field.variable(), field.variable());
        }
        for (String r : RESULTS) {
            call = call.camundaOut(r, r);
        }
        var model = catching
                ? call.userTask("inspect").endEvent().moveToActivity("runUnit").boundaryEvent("failed")
                        .errorEventDefinition().error("pilotflow.unit.failed").errorMessageVariable("why")
                        .errorEventDefinitionDone().userTask("handleFailure").endEvent().done()
                : call.userTask("inspect").endEvent().done();
        engine.getRepositoryService().createDeployment().addModelInstance(key + ".bpmn", model).deploy();
    }

    private ProcessInstance start(ProcessEngine engine, String key, Map<String, Object> vars) {
        Map<String, Object> all = new HashMap<>(vars);
        all.putIfAbsent("unitManager", manager);
        all.put("pilotflowSession", sessionOf(engine));
        return engine.getRuntimeService().startProcessInstanceByKey(key, all);
    }

    private static String sessionOf(ProcessEngine engine) {
        var pi = engine.getRuntimeService().createProcessInstanceQuery().processDefinitionKey("pilotflow-pilot")
                .list().get(0);
        return (String) engine.getRuntimeService().getVariable(pi.getId(), "pilotflowSession");
    }

    private static String businessKey(ProcessEngine engine, String processInstanceId) {
        return engine.getHistoryService().createHistoricProcessInstanceQuery().processInstanceId(processInstanceId)
                .singleResult().getBusinessKey();
    }

    private static String calledBy(ProcessEngine engine, ProcessInstance parent) {
        var sub = engine.getRuntimeService().createProcessInstanceQuery().superProcessInstanceId(parent.getId())
                .singleResult();
        return sub == null ? "none yet" : sub.getId();
    }

    private static void awaitTask(ProcessEngine engine, ProcessInstance pi, String task) throws InterruptedException {
        await(() -> engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .taskDefinitionKey(task).count() > 0 ? true : null, "task " + task + " of " + pi.getId()
                + " (incidents: " + engine.getRuntimeService().createIncidentQuery().list() + ")");
    }

    private static <T> T await(Supplier<T> found, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (true) {
            T t = found.get();
            if (t != null && !Boolean.FALSE.equals(t)) {
                return t;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached within " + WITHIN + ": " + what);
            }
            Thread.sleep(50);
        }
    }
}
