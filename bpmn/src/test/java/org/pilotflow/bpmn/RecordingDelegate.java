package org.pilotflow.bpmn;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

/** A test stand-in for a PilotFlow delegate: records the activities it ran in, then runs an optional action. */
final class RecordingDelegate implements JavaDelegate {

  interface Action {
    void run(DelegateExecution execution) throws Exception;
  }

  private final List<String> calls = new CopyOnWriteArrayList<>();
  private volatile Action action = execution -> { };

  static RecordingDelegate doingNothing() {
    return new RecordingDelegate();
  }

  static RecordingDelegate doing(Action action) {
    RecordingDelegate delegate = new RecordingDelegate();
    delegate.action = action;
    return delegate;
  }

  RecordingDelegate thenDo(Action action) {
    this.action = action;
    return this;
  }

  @Override
  public void execute(DelegateExecution execution) throws Exception {
    calls.add(execution.getCurrentActivityId());
    action.run(execution);
  }

  List<String> calls() {
    return List.copyOf(calls);
  }
}
