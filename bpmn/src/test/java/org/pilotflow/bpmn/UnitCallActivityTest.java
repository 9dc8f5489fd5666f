package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.calledProcessInstance;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A parent process runs pilotflow-unit through a call activity with a boundary error event for
 * pilotflow.unit.failed (UnitCallActivityTest.bpmn), as a modeler using the RunUnit template would.
 */
@ExtendWith(ProcessEngineExtension.class)
@Deployment(resources = {UnitLifecycleTest.UNIT_BPMN, "org/pilotflow/bpmn/UnitCallActivityTest.bpmn"})
class UnitCallActivityTest {

  ProcessEngine engine;

  final RecordingDelegate submit = RecordingDelegate.doing(UnitLifecycleTest::assignUidIfAbsent);
  final RecordingDelegate cancelUnit = RecordingDelegate.doingNothing();
  final Failures failures = new Failures();
  /** The calling workflow's own next task (nextTaskParent only). */
  final RecordingDelegate afterUnit = RecordingDelegate.doingNothing();
  String deploymentId;

  @BeforeEach
  void setUp() {
    BpmnAwareTests.init(engine);
    Mocks.register("pilotflowSubmitUnit", submit);
    Mocks.register("pilotflowCancelUnit", cancelUnit);
    failures.register();
    Mocks.register("afterUnit", afterUnit);
  }

  @AfterEach
  void tearDown() {
    Mocks.reset();
    if (deploymentId != null) {
      engine.getRepositoryService().deleteDeployment(deploymentId, true);
    }
  }

  @Test
  void unitGetsItsInputs_andTheSubmitDelegateCreatesTheUid() {
    ProcessInstance parent = startParent();
    assertThat(parent).isWaitingAt("runUnit");
    ProcessInstance unit = calledProcessInstance(parent);
    assertThat(unit).isWaitingAt("runUnit").isWaitingFor(UnitLifecycleTest.ENDED);
    Map<String, Object> unitVariables = engine.getRuntimeService().getVariables(unit.getId());
    assertThat(unitVariables)
        .containsEntry("pilotflowSession", "session.0042")
        .containsEntry("executable", "/bin/echo")
        .containsEntry("arguments", "[\"hi\"]")
        .containsEntry("pilotflowUnit", "unit." + unit.getId());
  }

  @Test
  void doneUnit_parentContinuesNormally_withTheOutputs() {
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "DONE", 0, null);
    assertWaitsForTheContinuation(unit, parent);
    assertThat(engine.getManagementService().createJobQuery().processInstanceId(parent.getId()).count())
        .as("the job is the called instance's").isZero();

    execute(continuationJob(unit));
    assertThat(unit).hasPassed("unitDone").isEnded();
    assertThat(parent).hasPassed("runUnit", "parentDone").hasNotPassed("unitFailedCaught").isEnded();
    assertThat(historicVariable(parent, "unitState")).isEqualTo("DONE");
    assertThat(historicVariable(parent, "unitExitCode")).isEqualTo(0);
    assertThat(historicVariable(parent, "unitUid")).isEqualTo("unit." + unit.getId());
  }

  @Test
  void failedUnit_takesTheParentDownItsErrorPath() {
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "FAILED", 137, "killed by signal 9");
    assertWaitsForTheContinuation(unit, parent);

    execute(continuationJob(unit));
    Failures.report(unit);
    assertThat(unit).hasPassed("reportFailure").hasNotPassed("unitFailed").isEnded();
    assertThat(parent).hasPassed("unitFailedCaught", "parentUnitFailed").hasNotPassed("parentDone").isEnded();
  }

  @Test
  void rejectedUnit_takesTheParentDownItsErrorPath() {
    submit.thenDo(execution -> {
      throw new BpmnError("pilotflow.unit.rejected", "needs 8 cores, largest pilot has 4");
    });
    ProcessInstance parent = startParent();
    Failures.report(calledProcessInstance(parent));
    assertThat(parent).hasPassed("unitFailedCaught", "parentUnitFailed").hasNotPassed("parentDone").isEnded();
  }

  @Test
  void failedUnit_outputsReachTheParentOnItsErrorPath() {
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "FAILED", 137, "killed by signal 9");
    assertWaitsForTheContinuation(unit, parent);

    execute(continuationJob(unit));
    Failures.report(unit);
    assertThat(parent).hasPassed("parentUnitFailed").isEnded();
    assertThat(historicVariable(parent, "unitState")).isEqualTo("FAILED");
    assertThat(historicVariable(parent, "unitExitCode")).isEqualTo(137);
    assertThat(historicVariable(parent, "unitFailureReason")).isEqualTo("killed by signal 9");
  }

  @Test
  void canceledUnit_withoutACatcherForCanceled_parentContinuesNormally() {
    // Camunda 7: an error with no catcher anywhere up the call chain just ends the called instance,
    // so the call activity completes and the parent takes its normal outgoing flow. A parent that
    // must not treat CANCELED as success catches pilotflow.unit.canceled too, or checks unitState.
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "CANCELED", null, null);
    assertWaitsForTheContinuation(unit, parent);

    execute(continuationJob(unit));
    assertThat(unit).hasPassed("unitCanceled").isEnded();
    assertThat(parent).hasPassed("runUnit", "parentDone").hasNotPassed("unitFailedCaught").isEnded();
    assertThat(historicVariable(parent, "unitState")).isEqualTo("CANCELED");
  }

  @Test
  void canceledThroughTheCalledInstance_parentWaitsForTheUnitsEnd() {
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    cancel(unit);
    execute(cancelJob(unit));
    assertThat(cancelUnit.calls()).containsExactly("cancelUnit");
    assertThat(unit).isWaitingAtExactly("runUnit");
    assertThat(parent).isWaitingAt("runUnit");

    ended(unit, "CANCELED", null, null);
    assertWaitsForTheContinuation(unit, parent);
    execute(continuationJob(unit));
    assertThat(unit).hasPassed("cancelAsked", "unitCanceled").isEnded();
    assertThat(parent).hasPassed("parentDone").hasNotPassed("unitFailedCaught").isEnded();
    assertThat(historicVariable(parent, "unitState")).isEqualTo("CANCELED");
  }

  @Test
  void endedCanceled_whileTheCancelJobIsPending_parentWaitsForTheJob() {
    // An uncaught error end ends only the runUnit branch: the called instance, and so the call activity,
    // end when the pending "Cancel unit" job has run.
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    cancel(unit);
    ended(unit, "CANCELED", null, null);
    assertThat(jobActivities(unit)).containsExactlyInAnyOrder("cancelUnit", "handBack");

    execute(continuationJob(unit));
    assertThat(unit).hasPassed("unitCanceled").isNotEnded();
    assertThat(parent).isWaitingAt("runUnit").hasNotPassed("parentDone");

    execute(cancelJob(unit));
    assertThat(unit).isEnded();
    assertThat(parent).hasPassed("parentDone").isEnded();
  }

  @Test
  void endedFailed_whileTheCancelJobIsPending_theCaughtErrorRemovesTheJob() {
    // A caught error interrupts the call activity: the called instance is gone with its pending cancel job.
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    cancel(unit);
    ended(unit, "FAILED", 137, "killed by signal 9");
    assertThat(jobActivities(unit)).containsExactlyInAnyOrder("cancelUnit", "handBack");

    execute(continuationJob(unit));
    Failures.report(unit);
    assertThat(unit).isEnded();
    assertThat(parent).hasPassed("unitFailedCaught", "parentUnitFailed").isEnded();
    assertThat(engine.getManagementService().createJobQuery().processInstanceId(unit.getId()).count()).isZero();
    assertThat(cancelUnit.calls()).isEmpty();
  }

  @Test
  void failedUnit_nothingCatchesIt_anIncidentWithTheReason_andItsRetrySubmitsTheUnitAgain() {
    BpmnModelInstance model = Bpmn.createExecutableProcess("uncaughtParent").camundaHistoryTimeToLive(1)
        .startEvent().callActivity("runUnit").calledElement("pilotflow-unit")
        .camundaIn("pilotflowSession", "pilotflowSession").endEvent("parentDone").done();
    deploymentId = engine.getRepositoryService().createDeployment()
        .addModelInstance("uncaughtParent.bpmn", model).deploy().getId();
    ProcessInstance parent = engine.getRuntimeService().startProcessInstanceByKey("uncaughtParent",
        Map.of("pilotflowSession", "session.0044"));
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "FAILED", 3, "exit code 3; stderr: no input");
    execute(continuationJob(unit));

    assertThatThrownBy(() -> Failures.report(unit)).hasMessageContaining("exit code 3; stderr: no input");
    Incident incident = engine.getRuntimeService().createIncidentQuery().processInstanceId(unit.getId())
        .singleResult();
    assertThat(incident).as("one attempt, then an incident").isNotNull();
    assertThat(incident.getActivityId()).isEqualTo("reportFailure");
    assertThat(incident.getIncidentMessage()).contains("unit unit." + unit.getId() + " FAILED")
        .contains("exit code 3; stderr: no input");
    assertThat(parent).isWaitingAt("runUnit").hasNotPassed("parentDone");

    // the operator's retry (Cockpit: increment retries): the unit is submitted again and waits for its end
    Job failed = engine.getManagementService().createJobQuery().processInstanceId(unit.getId()).singleResult();
    engine.getManagementService().setJobRetries(failed.getId(), 1);
    execute(failed);
    assertThat(failures.calls).containsExactly("unitSubmittedAgain");
    assertThat(submit.calls()).hasSize(2);
    assertThat(unit).isWaitingAt("runUnit");
    assertThat(engine.getRuntimeService().createIncidentQuery().processInstanceId(unit.getId()).count()).isZero();

    ended(unit, "DONE", 0, null);
    execute(continuationJob(unit));
    assertThat(parent).hasPassed("parentDone").isEnded();
  }

  @Test
  void failedUnit_theParentsErrorPathThrows_theReportJobFails_andItsRetryCarriesOnThere() {
    afterUnit.thenDo(execution -> {
      throw new RuntimeException("bug in the user's workflow");
    });
    ProcessInstance parent = startNextTaskParent();
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "FAILED", 1, "exit code 1");
    execute(continuationJob(unit));

    assertThatThrownBy(() -> Failures.report(unit)).hasMessageContaining("bug in the user's workflow");
    assertThat(afterUnit.calls()).containsExactly("afterUnitFailed");
    Job failed = engine.getManagementService().createJobQuery().processInstanceId(unit.getId()).singleResult();
    assertThat(failed.getRetries()).as("one attempt: an incident at once").isZero();
    assertThat(parent).isWaitingAt("runUnit").hasNotPassed("afterUnitFailed");

    // once the workflow is fixed, the retry throws the BPMN error again (it is caught: no new unit)
    afterUnit.thenDo(execution -> { });
    engine.getManagementService().setJobRetries(failed.getId(), 1);
    execute(failed);
    assertThat(failures.calls).isEmpty();
    assertThat(parent).hasPassed("afterUnitFailed", "parentUnitFailed").isEnded();
  }

  @Test
  void failedUnit_caughtTwoLevelsUp_throwsTheError_withTheReasonAsItsMessage() {
    BpmnModelInstance inner = Bpmn.createExecutableProcess("innerWorkflow").camundaHistoryTimeToLive(1)
        .startEvent().callActivity("runUnit").calledElement("pilotflow-unit")
        .camundaIn("pilotflowSession", "pilotflowSession").endEvent().done();
    BpmnModelInstance outer = Bpmn.createExecutableProcess("outerWorkflow").camundaHistoryTimeToLive(1)
        .startEvent().subProcess("stage").embeddedSubProcess().startEvent()
        .callActivity("runInner").calledElement("innerWorkflow").camundaIn("pilotflowSession", "pilotflowSession")
        .endEvent().subProcessDone().endEvent("outerDone")
        .moveToActivity("stage").boundaryEvent("stageFailed").errorEventDefinition()
        .error("pilotflow.unit.failed").errorMessageVariable("why").errorEventDefinitionDone().endEvent("outerFailed").done();
    deploymentId = engine.getRepositoryService().createDeployment()
        .addModelInstance("inner.bpmn", inner).addModelInstance("outer.bpmn", outer).deploy().getId();
    ProcessInstance top = engine.getRuntimeService().startProcessInstanceByKey("outerWorkflow",
        Map.of("pilotflowSession", "session.0045"));
    ProcessInstance middle = calledProcessInstance("innerWorkflow", top);
    ProcessInstance unit = calledProcessInstance(middle);
    ended(unit, "FAILED", 9, "killed by signal 9");
    execute(continuationJob(unit));
    Failures.report(unit);
    assertThat(top).hasPassed("stageFailed", "outerFailed").isEnded();
    assertThat(historicVariable(top, "why")).isEqualTo("killed by signal 9");
  }

  // --- a failure in the calling workflow after the unit ---------------------------------------------------

  /**
   * The point of the called unit's "Hand back to the workflow" (asynchronous before). The ended message is correlated inside the transaction that
   * applies an agent's batch of reports; what the calling workflow does next (here a task whose delegate throws,
   * after the call activity or on its error path) must not roll that transaction back. The correlation commits
   * runUnit's completion, and the failure is the continuation job's: retries, exception, incident at 0.
   */
  @ParameterizedTest
  @CsvSource({"DONE, afterUnit"}) // a FAILED unit's next step is "Report failure"'s own job
  void nextTaskOfTheParentThrows_theCorrelationStillCommits_theJobFails(String state, String nextTask) {
    afterUnit.thenDo(execution -> {
      throw new RuntimeException("bug in the user's workflow");
    });
    ProcessInstance parent = startNextTaskParent();
    ProcessInstance unit = calledProcessInstance(parent);

    assertThatCode(() -> ended(unit, state, "DONE".equals(state) ? 0 : 1, null))
        .as("the correlation does not run the parent's next task").doesNotThrowAnyException();
    assertThat(afterUnit.calls()).isEmpty();
    assertThat(engine.getRuntimeService().getVariable(unit.getId(), "unitState")).isEqualTo(state);
    assertThat(unit).hasPassed("runUnit").hasNotPassed("unitDone", "unitFailed").isNotEnded();

    Job job = continuationJob(unit);
    assertThat(job.getRetries()).isEqualTo(3);
    assertThatThrownBy(() -> execute(job)).hasMessageContaining("bug in the user's workflow");

    assertThat(afterUnit.calls()).containsExactly(nextTask);
    Job failed = continuationJob(unit);
    assertThat(failed.getId()).isEqualTo(job.getId());
    assertThat(failed.getRetries()).as("one retry used").isEqualTo(2);
    assertThat(failed.getExceptionMessage()).contains("bug in the user's workflow");
    assertThat(engine.getManagementService().getJobExceptionStacktrace(failed.getId()))
        .contains("bug in the user's workflow");
    // the job's transaction rolled back: the unit's end and the parent's step are undone, runUnit's completion
    // (the correlation's transaction) is not
    assertThat(unit).hasPassed("runUnit").hasNotPassed("unitDone", "unitFailed").isNotEnded()
        .isNotWaitingFor(UnitLifecycleTest.ENDED);
    assertThat(parent).isWaitingAt("runUnit").hasNotPassed(nextTask).isNotEnded();

    // once the workflow is fixed, the retried job carries on from there
    afterUnit.thenDo(execution -> { });
    execute(continuationJob(unit));
    assertThat(unit).isEnded();
    assertThat(parent).hasPassed(nextTask, "DONE".equals(state) ? "parentDone" : "parentUnitFailed").isEnded();
    assertThat(afterUnit.calls()).containsExactly(nextTask, nextTask);
  }

  @Test
  void nextTaskOfTheParentKeepsFailing_anIncidentOnTheUnitInstance_andItsParent() {
    afterUnit.thenDo(execution -> {
      throw new RuntimeException("bug in the user's workflow");
    });
    ProcessInstance parent = startNextTaskParent();
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "DONE", 0, null);

    for (int attempt = 0; attempt < 3; attempt++) {
      assertThatThrownBy(() -> execute(continuationJob(unit))).hasMessageContaining("bug in the user's workflow");
    }
    assertThat(continuationJob(unit).getRetries()).isZero();
    Incident incident = engine.getRuntimeService().createIncidentQuery().processInstanceId(unit.getId())
        .singleResult();
    assertThat(incident).isNotNull();
    assertThat(incident.getIncidentType()).isEqualTo(Incident.FAILED_JOB_HANDLER_TYPE);
    assertThat(incident.getActivityId()).isEqualTo("handBack");
    assertThat(incident.getIncidentMessage()).contains("bug in the user's workflow");
    assertThat(engine.getRuntimeService().createIncidentQuery().processInstanceId(parent.getId()).singleResult())
        .as("Cockpit shows it on the parent too").isNotNull()
        .extracting(Incident::getRootCauseIncidentId).isEqualTo(incident.getId());
    assertThat(unit).hasPassed("runUnit").isNotEnded();
    assertThat(parent).isWaitingAt("runUnit").isNotEnded();
  }

  // ---------------------------------------------------------------------------------------------------

  /** Start -> call pilotflow-unit (boundary: pilotflow.unit.failed -> afterUnitFailed) -> afterUnit -> end. */
  private ProcessInstance startNextTaskParent() {
    BpmnModelInstance model = Bpmn.createExecutableProcess("nextTaskParent").camundaHistoryTimeToLive(1)
        .startEvent("parentStart")
        .callActivity("runUnit").calledElement("pilotflow-unit")
        .camundaIn("pilotflowSession", "pilotflowSession")
        .serviceTask("afterUnit").camundaDelegateExpression("${afterUnit}")
        .endEvent("parentDone")
        .moveToActivity("runUnit")
        .boundaryEvent("unitFailedCaught").error("pilotflow.unit.failed")
        .serviceTask("afterUnitFailed").camundaDelegateExpression("${afterUnit}")
        .endEvent("parentUnitFailed")
        .done();
    deploymentId = engine.getRepositoryService().createDeployment()
        .addModelInstance("nextTaskParent.bpmn", model).deploy().getId();
    return engine.getRuntimeService().startProcessInstanceByKey("nextTaskParent",
        Map.of("pilotflowSession", "session.0043"));
  }

  private void cancel(ProcessInstance unit) {
    engine.getRuntimeService().createMessageCorrelation(UnitLifecycleTest.CANCEL)
        .processInstanceId(unit.getId()).correlate();
  }

  private List<Job> jobs(ProcessInstance pi) {
    return engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).list();
  }

  /** The activity of each pending job (from its job definition: a Job has no activity id of its own). */
  private List<String> jobActivities(ProcessInstance pi) {
    return jobs(pi).stream()
        .map(job -> engine.getManagementService().createJobDefinitionQuery()
            .jobDefinitionId(job.getJobDefinitionId()).singleResult().getActivityId())
        .toList();
  }

  /** The called unit's "Hand back to the workflow" job: it ends the unit and continues the parent. */
  private Job continuationJob(ProcessInstance unit) {
    Job job = engine.getManagementService().createJobQuery().processInstanceId(unit.getId())
        .activityId("handBack").singleResult();
    assertThat(job).as("the Hand back job after Run on a pilot").isNotNull();
    return job;
  }

  /** After the ended correlation: the unit passed runUnit and waits for its job; the parent has not moved. */
  private void assertWaitsForTheContinuation(ProcessInstance unit, ProcessInstance parent) {
    assertThat(unit).hasPassed("runUnit")
        .hasNotPassed("unitEnded", "unitDone", "unitFailed", "unitCanceled")
        .isNotWaitingFor(UnitLifecycleTest.ENDED)
        .isNotEnded();
    continuationJob(unit);
    assertThat(parent).isWaitingAt("runUnit").hasNotPassed("parentDone", "unitFailedCaught", "parentUnitFailed")
        .isNotEnded();
  }

  private Job cancelJob(ProcessInstance unit) {
    Job job = engine.getManagementService().createJobQuery().processInstanceId(unit.getId())
        .activityId("cancelUnit").singleResult();
    assertThat(job).as("the job of Cancel unit").isNotNull();
    return job;
  }

  private void execute(Job job) {
    engine.getManagementService().executeJob(job.getId());
  }

  private ProcessInstance startParent() {
    return engine.getRuntimeService().startProcessInstanceByKey("unitCallActivityTest",
        Map.of("pilotflowSession", "session.0042"));
  }

  private void ended(ProcessInstance unit, String state, Integer exitCode, String reason) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("unitState", state);
    variables.put("exitCode", exitCode);
    variables.put("failureReason", reason);
    engine.getRuntimeService().createMessageCorrelation(UnitLifecycleTest.ENDED)
        .processInstanceId(unit.getId())
        .setVariables(variables)
        .correlate();
  }

  private Object historicVariable(ProcessInstance pi, String name) {
    return engine.getHistoryService().createHistoricVariableInstanceQuery()
        .processInstanceId(pi.getId()).variableName(name).singleResult().getValue();
  }
}
