package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;

import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ExternalTaskService;
import org.camunda.bpm.engine.MismatchingMessageCorrelationException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.exception.NotFoundException;
import org.camunda.bpm.engine.externaltask.ExternalTask;
import org.camunda.bpm.engine.externaltask.LockedExternalTask;
import org.camunda.bpm.engine.runtime.Incident;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The pilot lifecycle model (pilotflow-pilot.bpmn) on a real in-memory engine, with recording delegates. The
 * tests play PilotFlow's launch worker themselves through the ExternalTaskService, as the plugin's worker does.
 */
@ExtendWith(ProcessEngineExtension.class)
@Deployment(resources = PilotLifecycleTest.PILOT_BPMN)
class PilotLifecycleTest {

  static final String PILOT_BPMN = "org/pilotflow/bpmn/pilotflow-pilot.bpmn";
  static final String PROCESS_ID = "pilotflow-pilot";
  static final String ACTIVE = "pilotflow.pilot.active";
  static final String ENDED = "pilotflow.pilot.ended";
  static final String CANCEL = "pilotflow.pilot.cancel";
  static final String LAUNCH_TOPIC = "pilotflow.pilot.launch";
  static final String LAUNCH_FAILED = "pilotflow.pilot.launchFailed";
  static final String WORKER = "launch-worker-test";
  static final String AGENT_RUNNING = "pilotflowAgentRunning";

  ProcessEngine engine;

  /** The cancel stand-in tells the gateway an agent was asked to stop, unless a test says otherwise. */
  final RecordingDelegate cancel = RecordingDelegate.doing(agentRunning(true));
  final RecordingDelegate kill = RecordingDelegate.doingNothing();
  final Failures failures = new Failures();

  @BeforeEach
  void setUp() {
    BpmnAwareTests.init(engine);
    Mocks.register("pilotflowCancelPilot", cancel);
    Mocks.register("pilotflowKillPilot", kill);
    failures.register();
  }

  @AfterEach
  void tearDown() {
    Mocks.reset();
  }

  // --- launch: an external task -------------------------------------------------------------------------

  @Test
  void happyPath_launchIsAnExternalTask_thenWaitActiveDone() {
    ProcessInstance pi = startPilot();
    assertThat(pi).isStarted().isWaitingAt("launchPilot");
    assertThat(pi).externalTask().hasActivityId("launchPilot").hasTopicName(LAUNCH_TOPIC);
    assertThat(jobs(pi)).as("no job: the launch worker takes the external task").isEmpty();

    LockedExternalTask task = fetchLaunch();
    assertThat(task.getProcessInstanceId()).isEqualTo(pi.getId());
    assertThat(task.getActivityId()).isEqualTo("launchPilot");
    assertThat(task.getVariables()).as("the worker sees the pilot it launches")
        .containsEntry("pilotflowPilot", "pilot.0000")
        .containsEntry("pilotflowSession", "session.0000");
    assertThat(pi).as("locked, not completed: still launching").isWaitingAt("launchPilot");

    externalTasks().complete(task.getId(), WORKER);
    assertThat(pi).isWaitingAt("waitForAgent").isWaitingFor(ACTIVE);
    assertThat(externalTaskCount(pi)).isZero();

    correlate(pi, ACTIVE, Map.of());
    assertThat(pi).isWaitingAt("active").isWaitingFor(ENDED);

    correlate(pi, ENDED, Map.of("pilotState", "DONE"));
    assertThat(pi).hasPassedInOrder("startPilot", "launchPilot", "waitForAgent", "active", "pilotEnded", "pilotDone")
        .hasNotPassed("pilotFailed", "pilotCanceled", "launchFailed", "requestStop")
        .isEnded();
    assertThat(cancel.calls()).isEmpty();
  }

  @Test
  void launchTask_isFetchedOnce_whileLocked() {
    ProcessInstance pi = startPilot();
    fetchLaunch();
    List<LockedExternalTask> again = externalTasks().fetchAndLock(10, "another-worker")
        .topic(LAUNCH_TOPIC, Duration.ofMinutes(1).toMillis()).execute();
    assertThat(again).as("a second worker does not get the locked launch").isEmpty();
    assertThat(pi).isWaitingAt("launchPilot");
  }

  @Test
  void launchFailure_bpmnError_raisesAnIncident() {
    ProcessInstance pi = startPilot();
    LockedExternalTask task = fetchLaunch();
    externalTasks().handleBpmnError(task.getId(), WORKER, LAUNCH_FAILED,
        "sbatch: error: invalid partition specified: nope");

    assertThat(pi).hasPassed("launchPilot", "launchFailed", "failedJoin").hasNotPassed("waitForAgent")
        .isWaitingAt("reportFailure");
    assertFailureIncident(pi, "sbatch: error: invalid partition specified: nope");
    assertThat(historicVariable(pi, "pilotState")).isEqualTo("FAILED");
  }

  @Test
  void launchFailure_unknownErrorCode_isNotCaught_andEndsTheInstanceWithoutAnEndEvent() {
    // Documents the contract: only pilotflow.pilot.launchFailed has a catcher. Camunda ends the execution of an
    // uncaught BPMN error from an external task: the instance ends on no end event and pilotState stays unset.
    ProcessInstance pi = startPilot();
    LockedExternalTask task = fetchLaunch();
    externalTasks().handleBpmnError(task.getId(), WORKER, "pilotflow.pilot.typo", "whatever");

    assertThat(pi).hasNotPassed("launchFailed", "reportFailure", "waitForAgent").isEnded();
    assertThat(historicVariableOrNull(pi, "pilotState")).isNull();
  }

  @Test
  void launchFailure_technical_isRetriedThroughTheTasksRetries_thenAnIncident() {
    ProcessInstance pi = startPilot();
    LockedExternalTask first = fetchLaunch();
    externalTasks().handleFailure(first.getId(), WORKER, "ssh: connection refused", "stack trace", 1, 0);

    assertThat(pi).isWaitingAt("launchPilot").hasNotPassed("launchFailed");
    assertThat(externalTask(pi).getRetries()).isEqualTo(1);
    assertThat(incidents(pi)).as("retries left: no incident").isEmpty();

    LockedExternalTask second = fetchLaunch();
    assertThat(second.getId()).as("the same task, fetched again").isEqualTo(first.getId());
    assertThat(second.getRetries()).isEqualTo(1);
    externalTasks().handleFailure(second.getId(), WORKER, "ssh: connection refused", "stack trace", 0, 0);

    assertThat(pi).isNotEnded().isWaitingAt("launchPilot").hasNotPassed("launchFailed", "waitForAgent");
    List<Incident> incidents = incidents(pi);
    assertThat(incidents).hasSize(1);
    assertThat(incidents.get(0).getIncidentType()).isEqualTo(Incident.EXTERNAL_TASK_HANDLER_TYPE);
    assertThat(incidents.get(0).getActivityId()).isEqualTo("launchPilot");
    assertThat(incidents.get(0).getIncidentMessage()).isEqualTo("ssh: connection refused");
    assertThat(externalTasks().fetchAndLock(10, WORKER).topic(LAUNCH_TOPIC, 60_000).execute())
        .as("no retries left: the worker does not get it again").isEmpty();

    // an operator sets retries (Cockpit): the incident is resolved and the worker takes the launch again
    externalTasks().setRetries(first.getId(), 1);
    assertThat(incidents(pi)).isEmpty();
    externalTasks().complete(fetchLaunch().getId(), WORKER);
    assertThat(pi).isWaitingAt("waitForAgent");
  }

  @Test
  void agentReport_beforeTheLaunchIsCompleted_findsNoSubscription() {
    // The worker submits the job, then completes the task: an agent that reports in between must retry.
    ProcessInstance pi = startPilot();
    fetchLaunch();
    assertThatThrownBy(() -> correlate(pi, ACTIVE, Map.of()))
        .isInstanceOf(MismatchingMessageCorrelationException.class);
    assertThat(pi).isWaitingAt("launchPilot");
  }

  // --- ended -----------------------------------------------------------------------------------------

  @Test
  void endedCanceled_whileActive_endsCanceled() {
    ProcessInstance pi = activePilot();
    correlate(pi, ENDED, Map.of("pilotState", "CANCELED"));
    assertThat(pi).hasPassed("pilotCanceled").hasNotPassed("pilotDone", "pilotFailed").isEnded();
  }

  @Test
  void endedFailed_whileActive_raisesAnIncident() {
    ProcessInstance pi = activePilot();
    correlate(pi, ENDED, Map.of("pilotState", "FAILED", "failureReason", "pilot lost: no heartbeat for 5m"));
    assertThat(pi).hasPassed("failedJoin").hasNotPassed("pilotDone", "pilotCanceled").isWaitingAt("reportFailure");
    assertFailureIncident(pi, "pilot lost: no heartbeat for 5m");
  }

  @Test
  void failedPilot_operatorRetriesTheIncident_aReplacementIsSubmitted_andTheInstanceEnds() {
    ProcessInstance pi = activePilot();
    correlate(pi, ENDED, Map.of("pilotState", "FAILED", "failureReason", "pilot lost: its job vanished"));
    assertFailureIncident(pi, "pilot lost: its job vanished");

    // Cockpit's "Increment retries": the task runs again and asks for a replacement
    Job failed = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
    engine.getManagementService().setJobRetries(failed.getId(), 1);
    executeJob(failed);
    assertThat(failures.calls).containsExactly("replacePilot");
    assertThat(pi).hasPassed("reportFailure", "pilotFailed").isEnded();
    assertThat(historicVariable(pi, "replacedBy")).isEqualTo(Failures.REPLACEMENT);
    assertThat(historicVariable(pi, "pilotState")).as("the failed pilot stays FAILED").isEqualTo("FAILED");
  }

  @Test
  void failedPilot_deletedByTheOperator_endsWithoutAReplacement() {
    ProcessInstance pi = activePilot();
    correlate(pi, ENDED, Map.of("pilotState", "FAILED", "failureReason", "agent exited with code 1"));
    assertFailureIncident(pi, "agent exited with code 1");
    engine.getRuntimeService().deleteProcessInstance(pi.getId(), "acknowledged");
    assertThat(pi).isEnded().hasNotPassed("pilotFailed");
    assertThat(failures.calls).isEmpty();
  }

  @Test
  void endedFailed_beforeActive_raisesAnIncident() {
    ProcessInstance pi = launchedPilot();
    correlate(pi, ENDED, Map.of("pilotState", "FAILED"));
    assertThat(pi).hasPassed("endedBeforeActive", "pilotEnded", "failedJoin")
        .hasNotPassed("active", "pilotDone")
        .isWaitingAt("reportFailure");
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

  // --- cancel ----------------------------------------------------------------------------------------

  /** The wait states a cancel can arrive in. */
  enum Waiting {
    AT_LAUNCH, FOR_AGENT, ACTIVE
  }

  @ParameterizedTest
  @EnumSource(Waiting.class)
  void cancel_onlyCommitsAJob_askAgentToStopRunsWhenTheJobDoes(Waiting state) {
    ProcessInstance pi = pilotWaiting(state);
    correlate(pi, CANCEL, Map.of());

    assertThat(pi).hasPassed("cancelRequested").isWaitingAt("requestStop")
        .isNotWaitingAt("launchPilot", "waitForAgent", "active");
    assertThat(cancel.calls()).as("nothing ran in the correlating transaction").isEmpty();
    assertThat(externalTaskCount(pi)).as("the launch task is gone").isZero();
    Job job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
    assertThat(job).as("one job: Ask agent to stop").isNotNull();
    assertThat(job.getDuedate()).as("not a timer").isNull();
    assertThat(engine.getManagementService().createJobQuery().activityId("requestStop").singleResult().getId())
        .isEqualTo(job.getId());
    assertThatThrownBy(() -> correlate(pi, ENDED, Map.of("pilotState", "CANCELED")))
        .as("an ended report before the job ran finds no subscription (the sender retries)")
        .isInstanceOf(MismatchingMessageCorrelationException.class);

    executeJob(job);
    assertThat(cancel.calls()).containsExactly("requestStop");
    assertThat(pi).hasPassed("requestStop", "agentRunning").isWaitingAt("waitForStop").isWaitingFor(ENDED);
  }

  @ParameterizedTest
  @EnumSource(Waiting.class)
  void cancel_agentRunning_agentStops(Waiting state) {
    ProcessInstance pi = pilotWaiting(state);
    correlate(pi, CANCEL, Map.of());
    executeJob(requestStopJob(pi));
    assertThat(pi).isWaitingAt("waitForStop");
    assertThat(jobs(pi)).as("only the grace timer").hasSize(1).allMatch(job -> job.getDuedate() != null);

    correlate(pi, ENDED, Map.of("pilotState", "CANCELED"));
    assertThat(pi).hasPassedInOrder("cancelRequested", "requestStop", "agentRunning", "waitForStop", "stoppedByAgent")
        .hasNotPassed("stoppedAtOnce", "stopTimedOut", "killPilot", "killed", "pilotEnded", "endedBeforeActive")
        .isEnded();
    assertThat(kill.calls()).isEmpty();
    assertThat(jobs(pi)).as("the grace timer is gone").isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Waiting.class)
  void cancel_agentRunning_graceOver_kills(Waiting state) {
    ProcessInstance pi = pilotWaiting(state);
    correlate(pi, CANCEL, Map.of());
    executeJob(requestStopJob(pi));
    assertThat(kill.calls()).isEmpty();

    executeJob(engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).timers().singleResult());
    assertThat(kill.calls()).containsExactly("killPilot");
    assertThat(pi).hasPassedInOrder("requestStop", "agentRunning", "stopTimedOut", "killPilot", "killed")
        .hasNotPassed("stoppedByAgent", "stoppedAtOnce")
        .isEnded();
  }

  @ParameterizedTest
  @EnumSource(Waiting.class)
  void cancel_noAgent_endsAtOnce_withoutWaiting(Waiting state) {
    cancel.thenDo(agentRunning(false));
    ProcessInstance pi = pilotWaiting(state);
    correlate(pi, CANCEL, Map.of());
    executeJob(requestStopJob(pi));

    assertThat(cancel.calls()).containsExactly("requestStop");
    assertThat(pi).hasPassedInOrder("cancelRequested", "requestStop", "agentRunning", "stoppedAtOnce")
        .hasNotPassed("waitForStop", "stopTimedOut", "killPilot", "killed", "stoppedByAgent")
        .isEnded();
    assertThat(kill.calls()).isEmpty();
    assertThat(historicVariableOrNull(pi, "pilotState"))
        .as("the model sets no pilotState on this path (the cancel delegate does)").isNull();
  }

  @Test
  void cancel_endedWithoutPilotState_whileWaitingForStop_isAccepted() {
    // unlike in waitForAgent/active, no gateway follows waitForStop: the message needs no pilotState there
    ProcessInstance pi = activePilot();
    correlate(pi, CANCEL, Map.of());
    executeJob(requestStopJob(pi));
    correlate(pi, ENDED, Map.of());
    assertThat(pi).hasPassed("stoppedByAgent").hasNotPassed("pilotEnded").isEnded();
  }

  @Test
  void cancel_whileTheWorkerHoldsTheLaunch_removesTheTask_andTheWorkersAnswerFindsNothing() {
    // The race the launch worker must handle: it has locked the task (and may have submitted the job) when
    // a cancel removes the task. Its complete / handleBpmnError / handleFailure then throw NotFoundException.
    ProcessInstance pi = startPilot();
    LockedExternalTask task = fetchLaunch();
    correlate(pi, CANCEL, Map.of());
    assertThat(externalTaskCount(pi)).isZero();

    assertThatThrownBy(() -> externalTasks().complete(task.getId(), WORKER)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> externalTasks().handleBpmnError(task.getId(), WORKER, LAUNCH_FAILED, "x"))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> externalTasks().handleFailure(task.getId(), WORKER, "x", 0, 0))
        .isInstanceOf(NotFoundException.class);
    assertThat(pi).isWaitingAt("requestStop").hasNotPassed("waitForAgent", "launchFailed");
  }

  @Test
  void cancel_withoutAgentRunningSet_failsTheJob_andKeepsItForRetries() {
    // Documents the contract: "Ask agent to stop" must set pilotflowAgentRunning. Without it the gateway
    // cannot decide, the job's transaction rolls back and the job executor retries it.
    cancel.thenDo(execution -> { });
    ProcessInstance pi = activePilot();
    correlate(pi, CANCEL, Map.of());
    Job job = requestStopJob(pi);

    assertThatThrownBy(() -> engine.getManagementService().executeJob(job.getId()))
        .hasMessageContaining(AGENT_RUNNING);
    assertThat(cancel.calls()).containsExactly("requestStop");
    assertThat(pi).isWaitingAt("requestStop").hasNotPassed("stoppedAtOnce", "waitForStop");
    assertThat(requestStopJob(pi).getRetries()).as("the default retry budget applies").isEqualTo(2);
  }

  @Test
  void secondCancel_findsNoSubscription() {
    // cancelPilot is interrupting: once started it has replaced the main flow, its start event included.
    ProcessInstance pi = activePilot();
    correlate(pi, CANCEL, Map.of());
    assertThatThrownBy(() -> correlate(pi, CANCEL, Map.of()))
        .isInstanceOf(MismatchingMessageCorrelationException.class);
    executeJob(requestStopJob(pi));
    assertThat(pi).isWaitingAt("waitForStop");
    assertThatThrownBy(() -> correlate(pi, CANCEL, Map.of()))
        .isInstanceOf(MismatchingMessageCorrelationException.class);
    assertThat(cancel.calls()).containsExactly("requestStop");
  }

  @Test
  void graceTimer_isDueAfterTheConfiguredGrace_fromAskAgentToStop() {
    ProcessInstance pi = activePilot();
    correlate(pi, CANCEL, Map.of());
    assertThat(engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).timers().count())
        .as("no timer before the agent was asked").isZero();
    long before = System.currentTimeMillis();
    executeJob(requestStopJob(pi));
    Job timer = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).timers().singleResult();
    long delay = timer.getDuedate().getTime() - before;
    assertThat(delay).isBetween(Duration.ofSeconds(29).toMillis(), Duration.ofSeconds(32).toMillis());
    assertThat(timer.getDuedate()).isAfter(new Date(before));
  }

  // ---------------------------------------------------------------------------------------------------

  static RecordingDelegate.Action agentRunning(boolean running) {
    return execution -> execution.setVariable(AGENT_RUNNING, running);
  }

  private ProcessInstance startPilot() {
    return engine.getRuntimeService().startProcessInstanceByKey(PROCESS_ID, Map.of(
        "pilotflowSession", "session.0000",
        "pilotflowPilot", "pilot.0000",
        "pilotflowCancelGrace", "PT30S"));
  }

  @Test
  void cancelStepsGoBeforeOtherJobs_priority100() {
    cancel.thenDo(agentRunning(true));
    ProcessInstance pi = activePilot();
    correlate(pi, CANCEL, Map.of());
    assertThat(requestStopJob(pi).getPriority()).as("Ask agent to stop").isEqualTo(100);
    executeJob(requestStopJob(pi));
    Job timer = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).timers().singleResult();
    assertThat(timer.getPriority()).as("the grace timer").isEqualTo(100);
  }

  private ProcessInstance launchedPilot() {
    ProcessInstance pi = startPilot();
    externalTasks().complete(fetchLaunch().getId(), WORKER);
    assertThat(pi).isWaitingAt("waitForAgent");
    return pi;
  }

  private ProcessInstance activePilot() {
    ProcessInstance pi = launchedPilot();
    correlate(pi, ACTIVE, Map.of());
    assertThat(pi).isWaitingAt("active");
    return pi;
  }

  private ProcessInstance pilotWaiting(Waiting state) {
    return switch (state) {
      case AT_LAUNCH -> {
        ProcessInstance pi = startPilot();
        assertThat(pi).isWaitingAt("launchPilot");
        yield pi;
      }
      case FOR_AGENT -> launchedPilot();
      case ACTIVE -> activePilot();
    };
  }

  private ExternalTaskService externalTasks() {
    return engine.getExternalTaskService();
  }

  /** Fetches and locks the one launch task there must be, as the launch worker does. */
  private LockedExternalTask fetchLaunch() {
    List<LockedExternalTask> tasks = externalTasks().fetchAndLock(10, WORKER)
        .topic(LAUNCH_TOPIC, Duration.ofMinutes(1).toMillis())
        .execute();
    assertThat(tasks).as("launch tasks fetched").hasSize(1);
    return tasks.get(0);
  }

  private ExternalTask externalTask(ProcessInstance pi) {
    return externalTasks().createExternalTaskQuery().processInstanceId(pi.getId()).singleResult();
  }

  private long externalTaskCount(ProcessInstance pi) {
    return externalTasks().createExternalTaskQuery().processInstanceId(pi.getId()).count();
  }

  private List<Job> jobs(ProcessInstance pi) {
    return engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).list();
  }

  private Job requestStopJob(ProcessInstance pi) {
    Job job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
        .activityId("requestStop").singleResult();
    assertThat(job).as("the job of Ask agent to stop").isNotNull();
    return job;
  }

  private void executeJob(Job job) {
    assertThat(job).isNotNull();
    engine.getManagementService().executeJob(job.getId());
  }

  /** "Report failure" ran once and failed: an incident on it, with the pilot's reason; nothing replaced it yet. */
  private void assertFailureIncident(ProcessInstance pi, String reason) {
    assertThatThrownBy(() -> Failures.report(pi)).hasMessageContaining(reason);
    List<Incident> incidents = incidents(pi);
    assertThat(incidents).as("one attempt, then an incident").hasSize(1);
    assertThat(incidents.get(0).getActivityId()).isEqualTo("reportFailure");
    assertThat(incidents.get(0).getIncidentMessage()).contains("FAILED: " + reason).contains("retry to submit a"
        + " replacement pilot");
    assertThat(failures.calls).isEmpty();
    assertThat(pi).isNotEnded();
  }

  private List<Incident> incidents(ProcessInstance pi) {
    return engine.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId()).list();
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

  private Object historicVariableOrNull(ProcessInstance pi, String name) {
    var variable = engine.getHistoryService().createHistoricVariableInstanceQuery()
        .processInstanceId(pi.getId()).variableName(name).singleResult();
    return variable == null ? null : variable.getValue();
  }
}
