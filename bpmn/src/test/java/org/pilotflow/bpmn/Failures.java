package org.pilotflow.bpmn;

import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.execute;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.jobQuery;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.pilotflow.delegates.PilotFlowBackend;
import org.pilotflow.delegates.UnitFailedDelegate;

/** The real "Report failure" delegate over a backend that records what it was asked. */
final class Failures {
  final List<String> calls = new ArrayList<>();

  void register() {
    PilotFlowBackend backend = (PilotFlowBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {PilotFlowBackend.class}, (proxy, method, args) -> {
          calls.add(method.getName());
          return method.getReturnType() == boolean.class ? false : null;
        });
    Mocks.register("pilotflowUnitFailed", new UnitFailedDelegate(backend));
  }

  /** Runs the unit's "Report failure" job (it is asynchronous). */
  static void report(ProcessInstance unit) {
    execute(jobQuery().processInstanceId(unit.getId()).activityId("reportFailure").singleResult());
  }
}
