package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.execute;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.job;

import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineException;
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

/** The pilot lifecycle model (pilotflow-pilot.bpmn) on a real in-memory engine, with recording delegates. */
@ExtendWith(ProcessEngineExtension.class)
@Deployment(resources = PilotLifecycleTest.PILOT_BPMN)
class PilotLifecycleTest {

  static final String PILOT_BPMN = "org/pilotflow/bpmn/pilotflow-pilot.bpmn";
  static final String PROCESS_ID = "pilotflow-pilot";
  static final String ACTIVE = "pilotflow.pilot.active";
  static final String ENDED = "pilotflow.pilot.ended";
  static final String CANCEL = "pilotflow.pilot.cancel";

  ProcessEngine engine;

  final RecordingDelegate launch = RecordingDelegate.doingNothing();
  final RecordingDelegate cancel = RecordingDelegate.doingNothing();
  final RecordingDelegate kill = RecordingDelegate.doingNothing();

  @BeforeEach
  void setUp() {
    BpmnAwareTests.init(engine);
    Mocks.register("pilotflowLaunchPilot", launch);
    Mocks.register("pilotflowCancelPilot", cancel);
    Mocks.register("pilotflowKillPilot", kill);
  }

  @AfterEach
  void tearDown() {
    Mocks.reset();
  }

  @Test
  void happyPath_launchWaitActiveDone() {
    ProcessInstance pi = startPilot();
    assertThat(pi).isStarted().isWaitingAt("launchPilot");
    assertThat(launch.calls()).as("launch runs in its own job, not in the starter's transaction").isEmpty();

    execute(job(pi));
    assertThat(launch.calls()).containsExactly("launchPilot");
    assertThat(pi).isWaitingAt("waitForAgent").isWaitingFor(ACTIVE);

    correlate(pi, ACTIVE, Map.of());
    assertThat(pi).isWaitingAt("active").isWaitingFor(ENDED);

    correlate(pi, ENDED, Map.of("pilotState", "DONE"));
    assertThat(pi).hasPassedInOrder("startPilot", "launchPilot", "waitForAgent", "active", "pilotEnded", "pilotDone")
        .hasNotPassed("pilotFailed", "pilotCanceled", "requestStop")
        .isEnded();
  }

  @Test
  void endedCanceled_whileActive_endsCanceled() {
    ProcessInstance pi = activePilot();
    correlate(pi, ENDED, Map.of("pilotState", "CANCELED"));
    assertThat(pi).hasPassed("pilotCanceled").hasNotPassed("pilotDone", "pilotFailed").isEnded();
  }

  @Test
  void endedFailed_whileActive_endsFailed() {
    ProcessInstance pi = activePilot();
    correlate(pi, ENDED, Map.of("pilotState", "FAILED"));
    assertThat(pi).hasPassed("pilotFailed").hasNotPassed("pilotDone", "pilotCanceled").isEnded();
  }

  @Test
  void launchFailure_bpmnError_endsInPilotLaunchFailed() {
    launch.thenDo(execution -> {
      throw new BpmnError("pilotflow.pilot.launchFailed", "sbatch: error: invalid partition specified: nope");
    });
    ProcessInstance pi = startPilot();
    execute(job(pi));

    assertThat(pi).hasPassed("launchFailed", "pilotLaunchFailed").hasNotPassed("waitForAgent").isEnded();
    assertThat(historicVariable(pi, "failureReason")).isEqualTo("sbatch: error: invalid partition specified: nope");
    assertThat(historicVariable(pi, "pilotState")).isEqualTo("FAILED");
  }

  @Test
  void launchFailure_technicalException_isRetriedByTheJob_notAFailurePath() {
    launch.thenDo(execution -> {
      throw new IllegalStateException("ssh: connection refused");
    });
    ProcessInstance pi = startPilot();
    Job launchJob = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
    assertThatThrownBy(() -> engine.getManagementService().executeJob(launchJob.getId()))
        .hasMessageContaining("connection refused");

    assertThat(pi).isWaitingAt("launchPilot");
    Job afterFailure = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
    assertThat(afterFailure.getRetries()).as("the default retry budget applies").isEqualTo(2);
  }

  @Test
  void endedFailed_beforeActive_endsFailed() {
    ProcessInstance pi = launchedPilot();
    correlate(pi, ENDED, Map.of("pilotState", "FAILED"));
    assertThat(pi).hasPassed("endedBeforeActive", "pilotEnded", "pilotFailed")
        .hasNotPassed("active", "pilotDone")
        .isEnded();
  }

  @Test
  void endedDone_beforeActive_endsDone() {
    // a pilot whose runtime ran out before the active report got through still ends DONE
    ProcessInstance pi = launchedPilot();
    correlate(pi, ENDED, Map.of("pilotState", "DONE"));
    assertThat(pi).hasPassed("endedBeforeActive", "pilotDone").hasNotPassed("active").isEnded();
  }

  @Test
  void endedWithoutPilotState_isRefusedAndTheWaitStateKept() {
    // Documents the contract: the "ended" message must carry pilotState. Without it the gateway's
    // condition cannot be evaluated, the correlation fails and its transaction rolls back.
    ProcessInstance pi = activePilot();
    assertThatThrownBy(() -> correlate(pi, ENDED, Map.of()))
        .isInstanceOf(ProcessEngineException.class)
        .hasMessageContaining("pilotState");
    assertThat(pi).isWaitingAt("active").isWaitingFor(ENDED);
  }

  @Test
  void cancel_whileLaunchJobPending_neverLaunches_agentStops() {
    ProcessInstance pi = startPilot();
    assertThat(pi).isWaitingAt("launchPilot");

    correlate(pi, CANCEL, Map.of());
    assertThat(pi).hasPassed("cancelRequested", "requestStop").isWaitingAt("waitForStop").isWaitingFor(ENDED);
    assertThat(cancel.calls()).containsExactly("requestStop");
    List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).list();
    assertThat(jobs).as("the launch job is gone, only the grace timer is left").hasSize(1);
    assertThat(jobs.get(0).getDuedate()).isNotNull();

    correlate(pi, ENDED, Map.of("pilotState", "CANCELED"));
    assertThat(pi).hasPassed("stoppedByAgent").hasNotPassed("launchPilot", "killPilot", "pilotDone").isEnded();
    assertThat(launch.calls()).isEmpty();
  }

  @Test
  void cancel_whileLaunchJobPending_graceOver_kills() {
    ProcessInstance pi = startPilot();
    correlate(pi, CANCEL, Map.of());
    assertThat(pi).isWaitingAt("waitForStop");

    execute(job(pi));
    assertThat(kill.calls()).containsExactly("killPilot");
    assertThat(pi).hasPassed("stopTimedOut", "killPilot", "killed").hasNotPassed("stoppedByAgent").isEnded();
    assertThat(launch.calls()).isEmpty();
  }

  @Test
  void cancel_whileWaitingForAgent_agentStops() {
    ProcessInstance pi = launchedPilot();
    correlate(pi, CANCEL, Map.of());
    assertThat(pi).hasPassed("requestStop").isWaitingAt("waitForStop").isNotWaitingAt("waitForAgent");

    correlate(pi, ENDED, Map.of("pilotState", "CANCELED"));
    assertThat(pi).hasPassed("stoppedByAgent").hasNotPassed("endedBeforeActive", "pilotEnded", "killPilot").isEnded();
  }

  @Test
  void cancel_whileWaitingForAgent_graceOver_kills() {
    ProcessInstance pi = launchedPilot();
    correlate(pi, CANCEL, Map.of());
    execute(job(pi));
    assertThat(pi).hasPassed("requestStop", "stopTimedOut", "killPilot", "killed").isEnded();
    assertThat(cancel.calls()).containsExactly("requestStop");
    assertThat(kill.calls()).containsExactly("killPilot");
  }

  @Test
  void cancel_whileActive_agentStops() {
    ProcessInstance pi = activePilot();
    correlate(pi, CANCEL, Map.of());
    assertThat(pi).hasPassed("requestStop").isWaitingAt("waitForStop").isNotWaitingAt("active");

    correlate(pi, ENDED, Map.of("pilotState", "CANCELED"));
    assertThat(pi).hasPassed("stoppedByAgent").hasNotPassed("pilotEnded", "killPilot").isEnded();
    assertThat(kill.calls()).isEmpty();
  }

  @Test
  void cancel_whileActive_graceOver_kills() {
    ProcessInstance pi = activePilot();
    correlate(pi, CANCEL, Map.of());
    execute(job(pi));
    assertThat(pi).hasPassed("stopTimedOut", "killPilot", "killed").hasNotPassed("stoppedByAgent").isEnded();
  }

  @Test
  void graceTimer_isDueAfterTheConfiguredGrace() {
    ProcessInstance pi = activePilot();
    long before = System.currentTimeMillis();
    correlate(pi, CANCEL, Map.of());
    Job timer = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).timers().singleResult();
    long delay = timer.getDuedate().getTime() - before;
    assertThat(delay).isBetween(Duration.ofSeconds(29).toMillis(), Duration.ofSeconds(32).toMillis());
    assertThat(timer.getDuedate()).isAfter(new Date(before));
  }

  // ---------------------------------------------------------------------------------------------------

  private ProcessInstance startPilot() {
    return engine.getRuntimeService().startProcessInstanceByKey(PROCESS_ID, Map.of(
        "pilotflowSession", "session.0000",
        "pilotflowPilot", "pilot.0000",
        "pilotflowCancelGrace", "PT30S"));
  }

  private ProcessInstance launchedPilot() {
    ProcessInstance pi = startPilot();
    execute(job(pi));
    assertThat(pi).isWaitingAt("waitForAgent");
    return pi;
  }

  private ProcessInstance activePilot() {
    ProcessInstance pi = launchedPilot();
    correlate(pi, ACTIVE, Map.of());
    assertThat(pi).isWaitingAt("active");
    return pi;
  }

  private void correlate(ProcessInstance pi, String message, Map<String, Object> variables) {
    engine.getRuntimeService().createMessageCorrelation(message)
        .processInstanceId(pi.getId())
        .setVariables(variables)
        .correlate();
  }

  private Object historicVariable(ProcessInstance pi, String name) {
    return engine.getHistoryService().createHistoricVariableInstanceQuery()
        .processInstanceId(pi.getId()).variableName(name).singleResult().getValue();
  }
}
