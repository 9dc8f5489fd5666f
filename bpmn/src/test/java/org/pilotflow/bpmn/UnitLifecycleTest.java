package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.MismatchingMessageCorrelationException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The unit lifecycle model (pilotflow-unit.bpmn) started on its own, as the Java API will start it. */
@ExtendWith(ProcessEngineExtension.class)
@Deployment(resources = UnitLifecycleTest.UNIT_BPMN)
class UnitLifecycleTest {

  static final String UNIT_BPMN = "org/pilotflow/bpmn/pilotflow-unit.bpmn";
  static final String PROCESS_ID = "pilotflow-unit";
  static final String ENDED = "pilotflow.unit.ended";
  static final String CANCEL = "pilotflow.unit.cancel";

  ProcessEngine engine;

  /** Like the real delegate: creates the unit uid when the starter did not pass one. */
  final RecordingDelegate submit = RecordingDelegate.doing(UnitLifecycleTest::assignUidIfAbsent);
  final RecordingDelegate cancelUnit = RecordingDelegate.doingNothing();
  final Map<String, Object> seenByTransfer = new java.util.concurrent.ConcurrentHashMap<>();
  final RecordingDelegate stageInput = RecordingDelegate.doing(e -> seenByTransfer.putAll(Map.of(
      "pilot", e.getVariable("stagingPilot"), "attempt", e.getVariable("stagingAttempt"))));
  final RecordingDelegate stageOutput = RecordingDelegate.doing(e -> seenByTransfer.put("agentState",
      e.getVariable("agentState")));
  final Failures failures = new Failures();

  static void assignUidIfAbsent(org.camunda.bpm.engine.delegate.DelegateExecution execution) {
    if (execution.getVariable("pilotflowUnit") == null) {
      execution.setVariable("pilotflowUnit", "unit." + execution.getProcessInstanceId());
    }
  }

  @BeforeEach
  void setUp() {
    BpmnAwareTests.init(engine);
    Mocks.register("pilotflowSubmitUnit", submit);
    Mocks.register("pilotflowCancelUnit", cancelUnit);
    Mocks.register("pilotflowStageUnitInput", stageInput);
    Mocks.register("pilotflowStageUnitOutput", stageOutput);
    failures.register();
  }

  @AfterEach
  void tearDown() {
    Mocks.reset();
  }

  @Test
  void submit_runsInTheStartersTransaction() {
    ProcessInstance pi = startUnit();
    assertThat(submit.calls()).containsExactly("submitUnit");
    assertThat(pi).hasPassed("submitUnit").isWaitingAt("runUnit").isWaitingFor(ENDED);
    assertThat(engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).count())
        .as("no job: the submit is synchronous").isZero();
  }

  // --- ended: a unit of the Java API (no calling workflow) ends in the correlating transaction ----------
  // (a called unit hands back in a job: UnitCallActivityTest)

  @Test
  void done_endsInTheCorrelation_noJob() {
    ProcessInstance pi = startUnit();
    ended(pi, "DONE", 0, null);

    assertThat(jobs(pi)).as("no job per unit").isEmpty();
    assertThat(pi).hasPassedInOrder("startUnit", "submitUnit", "runUnit", "calledByWorkflow", "unitEnded",
            "unitDone")
        .hasNotPassed("handBack")
        .hasNotPassed("unitFailed", "unitCanceled")
        .isEnded();
    assertThat(historicVariable(pi, "exitCode")).isEqualTo(0);
  }

  @Test
  void failed_startedAlone_justEnds() {
    // No workflow called it (a unit of the Java API): "Report failure" lets it end, no incident
    ProcessInstance pi = startUnit();
    ended(pi, "FAILED", 2, "exit code 2; stderr: ls: cannot access 'nope'");

    Failures.report(pi);
    assertThat(pi).hasPassed("reportFailure", "unitFailed").hasNotPassed("unitDone", "unitCanceled").isEnded();
    assertThat(historicVariable(pi, "failureReason")).isEqualTo("exit code 2; stderr: ls: cannot access 'nope'");
  }

  @Test
  void unknownState_takesTheDefaultFailedPath() {
    ProcessInstance pi = startUnit();
    ended(pi, "LOST", null, "pilot lost");

    Failures.report(pi);
    assertThat(pi).hasPassed("unitFailed").isEnded();
  }

  @Test
  void canceled_startedAlone_justEnds() {
    ProcessInstance pi = startUnit();
    ended(pi, "CANCELED", null, null);

    assertThat(pi).hasPassed("unitCanceled").hasNotPassed("unitDone", "unitFailed").isEnded();
  }

  @Test
  void ended_withoutUnitState_failsTheCorrelation_andChangesNothing() {
    // Documents the contract: the message must carry unitState (the engine always sends it). Without it the
    // gateway cannot decide, and the correlation's transaction fails as a whole: the unit still waits.
    ProcessInstance pi = startUnit();
    assertThatThrownBy(() -> engine.getRuntimeService().createMessageCorrelation(ENDED)
        .processInstanceId(pi.getId()).correlate()).hasMessageContaining("unitState");
    assertThat(pi).isWaitingAtExactly("runUnit").isWaitingFor(ENDED);
    assertThat(jobs(pi)).isEmpty();
  }

  @Test
  void endedAgain_afterItEnded_correlatesNothing() {
    ProcessInstance pi = startUnit();
    ended(pi, "DONE", 0, null);

    assertThatThrownBy(() -> ended(pi, "FAILED", 1, "late"))
        .isInstanceOf(MismatchingMessageCorrelationException.class);
    assertThat(historicVariable(pi, "unitState")).isEqualTo("DONE");
    assertThat(pi).hasPassed("unitDone").hasNotPassed("unitFailed").isEnded();
  }

  @Test
  void rejected_endsFailed_withTheReason() {
    submit.thenDo(execution -> {
      throw new BpmnError("pilotflow.unit.rejected", "needs 8 cores, largest pilot has 4");
    });
    ProcessInstance pi = startUnit();
    Failures.report(pi);
    assertThat(pi).hasPassed("unitRejected", "reportFailure", "unitFailed").hasNotPassed("runUnit").isEnded();
    assertThat(historicVariable(pi, "failureReason")).isEqualTo("needs 8 cores, largest pilot has 4");
    assertThat(historicVariable(pi, "unitState")).isEqualTo("FAILED");
  }

  @Test
  void uidPassedByTheStarter_isKept() {
    ProcessInstance pi = startUnit();
    assertThat(engine.getRuntimeService().getVariable(pi.getId(), "pilotflowUnit")).isEqualTo("unit.0007");
  }

  // --- cancel ----------------------------------------------------------------------------------------

  @Test
  void cancel_onlyCommitsAJob_cancelUnitRunsWhenTheJobDoes() {
    ProcessInstance pi = startUnit();
    cancel(pi);

    assertThat(cancelUnit.calls()).as("nothing ran in the correlating transaction").isEmpty();
    assertThat(pi).hasPassed("cancelRequested").isWaitingAt("runUnit", "cancelUnit").isWaitingFor(ENDED);
    Job job = cancelJob(pi);
    assertThat(job.getDuedate()).as("not a timer").isNull();
    assertThat(job.getPriority()).as("a cancel goes before the units' continuations (priority 0)").isEqualTo(100);
    assertThat(jobs(pi)).extracting(Job::getId).containsExactly(job.getId());

    execute(job);
    assertThat(cancelUnit.calls()).containsExactly("cancelUnit");
    assertThat(pi).hasPassedInOrder("cancelRequested", "cancelUnit", "cancelAsked")
        .isWaitingAtExactly("runUnit").isWaitingFor(ENDED, CANCEL)
        .hasNotPassed("unitEnded", "unitCanceled", "unitDone", "unitFailed")
        .isNotEnded();
    assertThat(jobs(pi)).isEmpty();
  }

  @Test
  void cancel_thenEndedCanceled_endsOnTheCanceledErrorEnd() {
    ProcessInstance pi = startUnit();
    cancel(pi);
    execute(cancelJob(pi));

    ended(pi, "CANCELED", null, null);
    assertThat(pi).hasPassed("cancelAsked", "runUnit", "unitEnded", "unitCanceled")
        .hasNotPassed("unitDone", "unitFailed")
        .isEnded();
    assertThat(historicVariable(pi, "unitState")).isEqualTo("CANCELED");
  }

  @Test
  void cancel_unitEndsDoneAnyway_endsDone() {
    // the unit finished before its agent got the cancel: its real end state wins
    ProcessInstance pi = startUnit();
    cancel(pi);
    execute(cancelJob(pi));

    ended(pi, "DONE", 0, null);
    assertThat(pi).hasPassed("cancelAsked", "unitDone").hasNotPassed("unitCanceled", "unitFailed").isEnded();
  }

  @Test
  void cancel_isNonInterrupting_aSecondCancelWorksAgain() {
    ProcessInstance pi = startUnit();
    cancel(pi);
    execute(cancelJob(pi));
    cancel(pi);
    assertThat(pi).isWaitingAt("runUnit", "cancelUnit");
    execute(cancelJob(pi));

    assertThat(cancelUnit.calls()).containsExactly("cancelUnit", "cancelUnit");
    assertThat(pi).isWaitingAtExactly("runUnit").isWaitingFor(ENDED);
    ended(pi, "CANCELED", null, null);
    assertThat(pi).hasPassed("unitCanceled").isEnded();
  }

  @Test
  void twoCancels_beforeAJobRan_makeTwoJobs() {
    ProcessInstance pi = startUnit();
    cancel(pi);
    cancel(pi);
    List<Job> jobs = jobs(pi);
    assertThat(jobs).hasSize(2);
    assertThat(jobActivities(pi)).containsExactly("cancelUnit", "cancelUnit");
    jobs.forEach(this::execute);
    assertThat(cancelUnit.calls()).containsExactly("cancelUnit", "cancelUnit");
    assertThat(pi).isWaitingAtExactly("runUnit");
  }

  @Test
  void endedWhileTheCancelJobIsPending_theInstanceEndsOnlyAfterTheJobRan() {
    // The cancel path is a concurrent branch: the unit's end (an uncaught error end here) ends the runUnit
    // branch only, and the instance waits for the pending "Cancel unit" job, which still calls the delegate.
    ProcessInstance pi = startUnit();
    cancel(pi);
    ended(pi, "CANCELED", null, null);
    assertThat(jobActivities(pi)).containsExactly("cancelUnit");
    assertThat(pi).hasPassed("unitCanceled").isNotEnded().isWaitingAtExactly("cancelUnit");
    assertThat(cancelUnit.calls()).isEmpty();

    execute(cancelJob(pi));
    assertThat(cancelUnit.calls()).containsExactly("cancelUnit");
    assertThat(pi).hasPassed("cancelAsked").isEnded();
  }


  @Test
  void cancel_afterTheInstanceEnded_correlatesNothing() {
    ProcessInstance pi = startUnit();
    ended(pi, "DONE", 0, null);
    assertThat(pi).isEnded();

    assertThatThrownBy(() -> cancel(pi)).isInstanceOf(MismatchingMessageCorrelationException.class);
    assertThat(engine.getRuntimeService().createMessageCorrelation(CANCEL).processInstanceId(pi.getId())
        .correlateAllWithResult())
        .as("correlateAll does not throw, it correlates nothing").isEmpty();
    assertThat(cancelUnit.calls()).isEmpty();
    assertThat(pi).hasNotPassed("cancelRequested", "cancelUnit");
  }

  @Test
  void cancel_ofARejectedUnit_correlatesNothing() {
    submit.thenDo(execution -> {
      throw new BpmnError("pilotflow.unit.rejected", "needs 8 cores, largest pilot has 4");
    });
    ProcessInstance pi = startUnit();
    assertThatThrownBy(() -> cancel(pi)).isInstanceOf(MismatchingMessageCorrelationException.class);
  }

  // --- the engine's staging (client://): event subprocesses beside "Run on a pilot" -----------------------

  @Test
  void inputFromTheClient_isAJobBesideTheWaitingUnit() {
    ProcessInstance pi = startUnit();
    stage(pi, "pilotflow.unit.stageInput", Map.of("stagingPilot", "pilot.0001", "stagingAttempt", 1));

    // the transfer is a job of its own (retried, an incident when the resource stays out of reach)
    assertThat(jobActivities(pi)).containsExactly("transferInput");
    assertThat(pi).isWaitingAt("runUnit", "transferInput");
    assertThat(engine.getRuntimeService().getVariable(pi.getId(), "stagingPilot"))
        .as("what an operator sees in Cockpit").isEqualTo("pilot.0001");
    execute(jobs(pi).get(0));
    assertThat(stageInput.calls()).containsExactly("transferInput");
    assertThat(seenByTransfer).containsEntry("pilot", "pilot.0001").containsEntry("attempt", 1);
    assertThat(pi).hasPassed("inputTransferred").isWaitingAt("runUnit").isWaitingFor(ENDED);

    // a restarted unit, bound again: transferred again, to the new pilot
    stage(pi, "pilotflow.unit.stageInput", Map.of("stagingPilot", "pilot.0002", "stagingAttempt", 2));
    execute(jobs(pi).get(0));
    assertThat(seenByTransfer).containsEntry("pilot", "pilot.0002").containsEntry("attempt", 2);
  }

  @Test
  void inputFromTheClient_aFailingTransfer_isRetriedThenAnIncident_andTheUnitStillWaits() {
    stageInput.thenDo(e -> {
      throw new org.camunda.bpm.engine.ProcessEngineException("cannot reach the resource of pilot pilot.0001");
    });
    ProcessInstance pi = startUnit();
    stage(pi, "pilotflow.unit.stageInput", Map.of("stagingPilot", "pilot.0001", "stagingAttempt", 1));
    // R3/PT10S: three attempts in all, then an incident
    List<Integer> retriesLeft = new java.util.ArrayList<>();
    while (jobs(pi).get(0).getRetries() > 0) {
      Job job = jobs(pi).get(0);
      assertThatThrownBy(() -> execute(job)).hasMessageContaining("cannot reach the resource");
      retriesLeft.add(jobs(pi).get(0).getRetries());
    }
    assertThat(retriesLeft).containsExactly(2, 1, 0);
    assertThat(engine.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId()).count()).isOne();
    assertThat(pi).isWaitingAt("runUnit", "transferInput");

    // the unit ends meanwhile (canceled, its pilot lost): the instance ends only once the transfer is settled;
    // an operator's retry finds the unit moved on and completes
    ended(pi, "CANCELED", null, "canceled");
    assertThat(pi).isNotEnded();
    stageInput.thenDo(e -> { });
    engine.getManagementService().setJobRetries(jobs(pi).get(0).getId(), 1);
    execute(jobs(pi).get(0));
    assertThat(pi).hasPassed("unitCanceled").isEnded();
  }

  @Test
  void outputToTheClient_runsBeforeTheEnd_withTheAgentsOutcome() {
    ProcessInstance pi = startUnit();
    stage(pi, "pilotflow.unit.stageOutput", Map.of("stagingPilot", "pilot.0001", "stagingAttempt", 1,
        "agentState", "DONE"));
    assertThat(jobActivities(pi)).containsExactly("transferOutput");
    execute(jobs(pi).get(0));
    assertThat(seenByTransfer).containsEntry("agentState", "DONE");
    // the delegate ended the unit: its end message comes as for any unit
    ended(pi, "DONE", 0, null);
    assertThat(pi).hasPassed("outputTransferred", "unitDone").isEnded();
  }

  // ---------------------------------------------------------------------------------------------------

  private void stage(ProcessInstance pi, String message, Map<String, Object> local) {
    engine.getRuntimeService().createMessageCorrelation(message).processInstanceId(pi.getId())
        .setVariables(local).correlate();
  }

  private ProcessInstance startUnit() {
    return engine.getRuntimeService().startProcessInstanceByKey(PROCESS_ID, Map.of(
        "pilotflowSession", "session.0000",
        "pilotflowUnit", "unit.0007"));
  }

  private void ended(ProcessInstance pi, String state, Integer exitCode, String reason) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("unitState", state);
    variables.put("exitCode", exitCode);
    variables.put("failureReason", reason);
    engine.getRuntimeService().createMessageCorrelation(ENDED)
        .processInstanceId(pi.getId())
        .setVariables(variables)
        .correlate();
  }

  private void cancel(ProcessInstance pi) {
    engine.getRuntimeService().createMessageCorrelation(CANCEL).processInstanceId(pi.getId()).correlate();
  }

  private List<Job> jobs(ProcessInstance pi) {
    return engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).list();
  }

  private Job cancelJob(ProcessInstance pi) {
    Job job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
        .activityId("cancelUnit").singleResult();
    assertThat(job).as("the job of Cancel unit").isNotNull();
    return job;
  }

  /** The activity of each pending job (from its job definition: a Job has no activity id of its own). */
  private List<String> jobActivities(ProcessInstance pi) {
    return jobs(pi).stream()
        .map(job -> engine.getManagementService().createJobDefinitionQuery()
            .jobDefinitionId(job.getJobDefinitionId()).singleResult().getActivityId())
        .toList();
  }

  private void execute(Job job) {
    engine.getManagementService().executeJob(job.getId());
  }

  private Object historicVariable(ProcessInstance pi, String name) {
    return engine.getHistoryService().createHistoricVariableInstanceQuery()
        .processInstanceId(pi.getId()).variableName(name).singleResult().getValue();
  }
}
