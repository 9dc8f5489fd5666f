package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.calledProcessInstance;

import java.util.HashMap;
import java.util.Map;

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

  @BeforeEach
  void setUp() {
    BpmnAwareTests.init(engine);
    Mocks.register("pilotflowSubmitUnit", submit);
    Mocks.register("pilotflowCancelUnit", cancelUnit);
  }

  @AfterEach
  void tearDown() {
    Mocks.reset();
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

    assertThat(unit).hasPassed("unitFailed").isEnded();
    assertThat(parent).hasPassed("unitFailedCaught", "parentUnitFailed").hasNotPassed("parentDone").isEnded();
  }

  @Test
  void rejectedUnit_takesTheParentDownItsErrorPath() {
    submit.thenDo(execution -> {
      throw new BpmnError("pilotflow.unit.rejected", "needs 8 cores, largest pilot has 4");
    });
    ProcessInstance parent = startParent();
    assertThat(parent).hasPassed("unitFailedCaught", "parentUnitFailed").hasNotPassed("parentDone").isEnded();
  }

  @Test
  void failedUnit_outputsReachTheParentOnItsErrorPath() {
    ProcessInstance parent = startParent();
    ProcessInstance unit = calledProcessInstance(parent);
    ended(unit, "FAILED", 137, "killed by signal 9");

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

    assertThat(unit).isEnded();
    assertThat(parent).hasPassed("unitFailedCaught", "parentUnitFailed").isEnded();
    assertThat(engine.getManagementService().createJobQuery().processInstanceId(unit.getId()).count()).isZero();
    assertThat(cancelUnit.calls()).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------------

  private void cancel(ProcessInstance unit) {
    engine.getRuntimeService().createMessageCorrelation(UnitLifecycleTest.CANCEL)
        .processInstanceId(unit.getId()).correlate();
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
