package org.pilotflow.bpmn;

import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.execute;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.jobQuery;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.pilotflow.delegates.PilotFailedDelegate;
import org.pilotflow.delegates.PilotFlowBackend;
import org.pilotflow.delegates.UnitFailedDelegate;

/** The real "Report failure" delegates (unit and pilot) over a backend that records what it was asked. */
final class Failures {
  /** What the stand-in backend answers to replacePilot. */
  static final String REPLACEMENT = "pilot.0009";

  final List<String> calls = new ArrayList<>();

  void register() {
    PilotFlowBackend backend = (PilotFlowBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {PilotFlowBackend.class}, (proxy, method, args) -> {
          calls.add(method.getName());
          if (method.getName().equals("replacePilot")) {
            return REPLACEMENT;
          }
          return method.getReturnType() == boolean.class ? false : null;
        });
    Mocks.register("pilotflowUnitFailed", new UnitFailedDelegate(backend));
    Mocks.register("pilotflowPilotFailed", new PilotFailedDelegate(backend));
  }

  /** Runs the unit's or pilot's "Report failure" job (it is asynchronous). */
  static void report(ProcessInstance instance) {
    execute(jobQuery().processInstanceId(instance.getId()).activityId("reportFailure").singleResult());
  }
}
