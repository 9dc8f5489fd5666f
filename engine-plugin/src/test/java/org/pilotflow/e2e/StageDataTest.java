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
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.Session;
import org.pilotflow.internal.lifecycle.StageDataRetries;

/**
 * A workflow's "Stage data" task (delegate {@code ${pilotflowStageData}}, as the element template StageData makes it)
 * on a real local pilot: files in and out with their sizes and checksums in the result variable; a missing source is
 * an incident naming it after the retries (the plugin's retry cycle), and an operator's retry after the fix moves
 * every file again; with "tolerate failed files" the task completes and the result says FAILED; bad input names the
 * field; a checksum mismatch fails the file and leaves nothing at its target.
 */
class StageDataTest {

    private static final Duration WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path work;

    @Test
    void stageDataFromAWorkflow() throws Exception {
        Path local = Files.createDirectories(work.resolve("client"));
        Files.writeString(local.resolve("a.txt"), "alpha\n");
        Files.writeString(local.resolve("b.txt"), "bravo bravo\n");
        try (Session session = LocalFixture.session(work)) {
            ProcessEngine engine = session.processEngine();
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            Path sandbox = Path.of(pilot.sandbox());
            deploy(engine);

            // in: a shorthand line and a JSON object with size and checksum; the result names what arrived
            String files = "[\"" + local.resolve("a.txt") + " > pilot:///in/\", {\"source\": \"" + local.resolve("b.txt")
                    + "\", \"target\": \"in/b2.txt\", \"size\": 12, \"checksum\": \"" + adler32("bravo bravo\n")
                    + "\"}]";
            ProcessInstance in = start(engine, session, pilot, "in", files, null);
            awaitTask(engine, in, "inspect");
            assertThat(Files.readString(sandbox.resolve("in/a.txt"))).isEqualTo("alpha\n");
            assertThat(Files.readString(sandbox.resolve("in/b2.txt"))).isEqualTo("bravo bravo\n");
            List<Map<String, Object>> result = staged(engine, in);
            assertThat(result).hasSize(2);
            assertThat(result.get(0)).containsEntry("status", "TRANSFERRED").containsEntry("size", 6L)
                    .containsEntry("checksum", adler32("alpha\n")).containsEntry("error", null);
            assertThat(result.get(1)).containsEntry("status", "TRANSFERRED").containsEntry("target", "in/b2.txt");

            // out: shorthand lines (a blank line and a comment skipped) into a local directory
            Path back = Files.createDirectories(work.resolve("back"));
            ProcessInstance out = start(engine, session, pilot, "out",
                    "# results\npilot:///in/a.txt > " + back + "/\n\npilot:///in/b2.txt > " + back + "/b.txt\n", null);
            awaitTask(engine, out, "inspect");
            assertThat(Files.readString(back.resolve("a.txt"))).isEqualTo("alpha\n");
            assertThat(Files.readString(back.resolve("b.txt"))).isEqualTo("bravo bravo\n");
            assertThat(staged(engine, out)).extracting(m -> m.get("status")).containsExactly("TRANSFERRED",
                    "TRANSFERRED");

            // a missing source: the task fails, retried per the plugin's cycle, then an incident naming the file;
            // the operator creates it and retries: both files move (a.txt again, replaced whole)
            Path late = local.resolve("late.txt");
            ProcessInstance missing = start(engine, session, pilot, "in",
                    List.of(local.resolve("a.txt") + " > pilot:///again/", late + " > pilot:///again/"), null);
            Job failed = awaitFailedJob(engine, missing);
            assertThat(failed.getExceptionMessage()).contains("stage-in to pilot " + pilot.uid())
                    .contains("1 of 2 files transferred").contains("files[1] '" + late + "' MISSING_SOURCE");
            assertThat(failed.getRetries()).as("three attempts (" + StageDataRetries.CYCLE + ")").isEqualTo(2);
            assertThat(failed.getDuedate().getTime() - System.currentTimeMillis()).as("a minute apart")
                    .isBetween(30_000L, 61_000L);
            engine.getManagementService().setJobRetries(failed.getId(), 1);
            try {
                engine.getManagementService().executeJob(failed.getId()); // the last attempt, now
            } catch (RuntimeException expected) {
                assertThat(expected.getMessage()).contains("MISSING_SOURCE");
            }
            Incident incident = await(() -> engine.getRuntimeService().createIncidentQuery()
                    .processInstanceId(missing.getId()).singleResult(), "an incident on Stage data");
            assertThat(incident.getActivityId()).isEqualTo("stage");
            assertThat(incident.getIncidentMessage()).contains("files[1] '" + late + "' MISSING_SOURCE");
            Files.writeString(late, "late but here\n");
            engine.getManagementService().setJobRetries(incident.getConfiguration(), 1);
            // the job is due a minute after its last attempt (the cycle's interval): now, as an operator may ask
            engine.getManagementService().setJobDuedate(incident.getConfiguration(), new java.util.Date());
            awaitTask(engine, missing, "inspect");
            assertThat(Files.readString(sandbox.resolve("again/late.txt"))).isEqualTo("late but here\n");
            assertThat(Files.readString(sandbox.resolve("again/a.txt"))).isEqualTo("alpha\n");

            // the same, tolerated: the task completes and the result says which file FAILED and why
            ProcessInstance tolerated = start(engine, session, pilot, "in",
                    List.of(local.resolve("nowhere.txt") + " > pilot:///tolerated/", local.resolve("a.txt")
                            + " > pilot:///tolerated/"), "true");
            awaitTask(engine, tolerated, "inspect");
            List<Map<String, Object>> t = staged(engine, tolerated);
            assertThat(t.get(0)).containsEntry("status", "FAILED").containsEntry("error", "MISSING_SOURCE")
                    .containsEntry("size", null);
            assertThat((String) t.get(0).get("reason")).contains("nowhere.txt").contains("does not exist");
            assertThat(t.get(1)).containsEntry("status", "TRANSFERRED");
            assertThat(sandbox.resolve("tolerated/a.txt")).exists();

            // a checksum mismatch fails the file; nothing is left at its target
            ProcessInstance mismatch = start(engine, session, pilot, "in", "[{\"source\": \"" + local.resolve("a.txt")
                    + "\", \"target\": \"pilot:///sums/a.txt\", \"checksum\": \"adler32:00000001\"}]", null);
            assertThat(awaitFailedJob(engine, mismatch).getExceptionMessage())
                    .contains("files[0] '" + local.resolve("a.txt") + "' CHECKSUM_MISMATCH");
            assertThat(sandbox.resolve("sums/a.txt")).doesNotExist();

            // bad input names the variable, its value and what was expected; nothing moved
            ProcessInstance badChecksum = start(engine, session, pilot, "in", "[{\"source\": \"" + local.resolve("a.txt")
                    + "\", \"target\": \"pilot:///bad/\", \"checksum\": \"crc:1\"}]", null);
            assertThat(awaitFailedJob(engine, badChecksum).getExceptionMessage())
                    .startsWith("variable files[0].checksum is 'crc:1', expected");
            ProcessInstance badDirection = start(engine, session, pilot, "sideways", "a > b", null);
            assertThat(awaitFailedJob(engine, badDirection).getExceptionMessage())
                    .startsWith("variable direction is 'sideways', expected in (from this machine");
            // a retry cycle of the model's own wins over the plugin's
            var own = Bpmn.createExecutableProcess("stageDataOwnCycle").camundaHistoryTimeToLive(1).startEvent()
                    .serviceTask("stage").camundaDelegateExpression("${pilotflowStageData}").camundaAsyncBefore()
                    .camundaFailedJobRetryTimeCycle("R5/PT5M").camundaInputParameter("pilot", "${pilot}")
                    .camundaInputParameter("direction", "${direction}").camundaInputParameter("files", "${files}")
                    .endEvent().done();
            engine.getRepositoryService().createDeployment().addModelInstance("own.bpmn", own).deploy();
            ProcessInstance ownCycle = engine.getRuntimeService().startProcessInstanceByKey("stageDataOwnCycle",
                    vars(session, pilot.uid(), "sideways", "a > b", null));
            assertThat(awaitFailedJob(engine, ownCycle).getRetries()).isEqualTo(4);
            ProcessInstance badKey = start(engine, session, pilot, "in", "[{\"sorce\": \"a\"}]", null);
            assertThat(awaitFailedJob(engine, badKey).getExceptionMessage())
                    .startsWith("variable files[0].sorce is 'a', expected no such key");
            ProcessInstance escapes = start(engine, session, pilot, "in", local.resolve("a.txt") + " > pilot:///../x",
                    null);
            assertThat(awaitFailedJob(engine, escapes).getExceptionMessage()).startsWith("variable files[0].target is");
            ProcessInstance stranger = engine.getRuntimeService().startProcessInstanceByKey("stageData", vars(session,
                    "pilot.9999", "in", local.resolve("a.txt") + " > pilot:///bad/", null));
            assertThat(awaitFailedJob(engine, stranger).getExceptionMessage())
                    .startsWith("variable pilot is 'pilot.9999', expected the uid of a pilot of session");
            assertThat(sandbox.resolve("bad")).doesNotExist();
        }
    }

    private static void deploy(ProcessEngine engine) {
        // the task as the template makes it: asynchronous, input parameters, the result mapped out
        var model = Bpmn.createExecutableProcess("stageData").camundaHistoryTimeToLive(1).startEvent()
                .serviceTask("stage").camundaDelegateExpression("${pilotflowStageData}").camundaAsyncBefore()
                .camundaInputParameter("pilot", "${pilot}").camundaInputParameter("direction", "${direction}")
                .camundaInputParameter("files", "${files}")
                .camundaInputParameter("tolerateFailedFiles", "${execution.getVariable('tolerate')}")
                .camundaOutputParameter("stagedFiles", "${pilotflowStagedFiles}")
                .userTask("inspect").endEvent().done();
        engine.getRepositoryService().createDeployment().addModelInstance("stageData.bpmn", model).deploy();
    }

    private static ProcessInstance start(ProcessEngine engine, Session session, ComputePilot pilot, String direction,
                                         Object files, String tolerate) {
        return engine.getRuntimeService().startProcessInstanceByKey("stageData",
                vars(session, pilot.uid(), direction, files, tolerate));
    }

    private static Map<String, Object> vars(Session session, String pilot, String direction, Object files,
                                            String tolerate) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("pilotflowSession", session.uid());
        vars.put("pilot", pilot);
        vars.put("direction", direction);
        vars.put("files", files);
        vars.put("tolerate", tolerate);
        return vars;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> staged(ProcessEngine engine, ProcessInstance pi) {
        return (List<Map<String, Object>>) engine.getRuntimeService().getVariable(pi.getId(), "stagedFiles");
    }

    private static String adler32(String text) {
        java.util.zip.Adler32 a = new java.util.zip.Adler32();
        a.update(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return String.format("adler32:%08x", a.getValue());
    }

    /** The task's job once an attempt failed (its exception message set). */
    private static Job awaitFailedJob(ProcessEngine engine, ProcessInstance pi) throws InterruptedException {
        return await(() -> {
            Job j = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
            return j != null && j.getExceptionMessage() != null ? j : null;
        }, "a failed attempt of Stage data");
    }

    private static void awaitTask(ProcessEngine engine, ProcessInstance pi, String taskKey)
            throws InterruptedException {
        await(() -> engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .taskDefinitionKey(taskKey).singleResult(), "task " + taskKey + " of " + pi.getId());
    }

    private static <T> T await(Supplier<T> probe, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (true) {
            T v = probe.get();
            if (v != null) {
                return v;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " not seen within " + WITHIN);
            }
            Thread.sleep(50);
        }
    }
}
