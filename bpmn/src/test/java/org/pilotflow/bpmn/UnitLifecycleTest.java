package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.delegate.BpmnError;
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

  ProcessEngine engine;

  /** Like the real delegate: creates the unit uid when the starter did not pass one. */
  final RecordingDelegate submit = RecordingDelegate.doing(UnitLifecycleTest::assignUidIfAbsent);

  static void assignUidIfAbsent(org.camunda.bpm.engine.delegate.DelegateExecution execution) {
    if (execution.getVariable("pilotflowUnit") == null) {
      execution.setVariable("pilotflowUnit", "unit." + execution.getProcessInstanceId());
    }
  }

  @BeforeEach
  void setUp() {
    BpmnAwareTests.init(engine);
    Mocks.register("pilotflowSubmitUnit", submit);
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

  @Test
  void done() {
    ProcessInstance pi = startUnit();
    ended(pi, "DONE", 0, null);
    assertThat(pi).hasPassedInOrder("startUnit", "submitUnit", "runUnit", "unitEnded", "unitDone")
        .hasNotPassed("unitFailed", "unitCanceled")
        .isEnded();
    assertThat(historicVariable(pi, "exitCode")).isEqualTo(0);
  }

  @Test
  void failed_startedAlone_justEnds() {
    // An error end event with no catcher ends the instance; the correlating caller sees no exception.
    ProcessInstance pi = startUnit();
    ended(pi, "FAILED", 2, "exit code 2; stderr: ls: cannot access 'nope'");
    assertThat(pi).hasPassed("unitFailed").hasNotPassed("unitDone", "unitCanceled").isEnded();
    assertThat(historicVariable(pi, "failureReason")).isEqualTo("exit code 2; stderr: ls: cannot access 'nope'");
  }

  @Test
  void unknownState_takesTheDefaultFailedPath() {
    ProcessInstance pi = startUnit();
    ended(pi, "LOST", null, "pilot lost");
    assertThat(pi).hasPassed("unitFailed").isEnded();
  }

  @Test
  void canceled_startedAlone_justEnds() {
    ProcessInstance pi = startUnit();
    ended(pi, "CANCELED", null, null);
    assertThat(pi).hasPassed("unitCanceled").hasNotPassed("unitDone", "unitFailed").isEnded();
  }

  @Test
  void rejected_endsFailed_withTheReason() {
    submit.thenDo(execution -> {
      throw new BpmnError("pilotflow.unit.rejected", "needs 8 cores, largest pilot has 4");
    });
    ProcessInstance pi = startUnit();
    assertThat(pi).hasPassed("unitRejected", "unitFailed").hasNotPassed("runUnit").isEnded();
    assertThat(historicVariable(pi, "failureReason")).isEqualTo("needs 8 cores, largest pilot has 4");
    assertThat(historicVariable(pi, "unitState")).isEqualTo("FAILED");
  }

  @Test
  void uidPassedByTheStarter_isKept() {
    ProcessInstance pi = startUnit();
    assertThat(engine.getRuntimeService().getVariable(pi.getId(), "pilotflowUnit")).isEqualTo("unit.0007");
  }

  // ---------------------------------------------------------------------------------------------------

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

  private Object historicVariable(ProcessInstance pi, String name) {
    return engine.getHistoryService().createHistoricVariableInstanceQuery()
        .processInstanceId(pi.getId()).variableName(name).singleResult().getValue();
  }
}
