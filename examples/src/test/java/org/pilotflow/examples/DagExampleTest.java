package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.camunda.bpm.engine.test.assertions.bpmn.AbstractAssertions;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/** The BPMN DAG example on a real engine with a real local agent (2 cores). */
class DagExampleTest {

    @TempDir
    Path work;

    Session session;
    UnitManager umgr;

    @BeforeEach
    void sessionWithPilot() {
        session = Examples.openSession(work);
        PilotManager pmgr = session.createPilotManager();
        var pilot = Examples.startLocalPilot(session, pmgr, work, 2, Duration.ofMinutes(10));
        umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        AbstractAssertions.init(session.processEngine());
    }

    @AfterEach
    void close() {
        AbstractAssertions.reset();
        if (session != null) {
            session.close();
        }
    }

    @Test
    void fanOutOfSixThenSummarizeEndsAtDagDone() throws InterruptedException {
        DagExample.DagResult r = DagExample.run(session, umgr, 6, null, Duration.ofMinutes(2));

        assertThat(r.endEventId()).isEqualTo(DagExample.END_DONE);
        assertThat(r.endEventName()).isEqualTo("DAG done");
        BpmnAwareTests.assertThat(r.processInstance()).isEnded()
                .hasPassed("start", "fanOut", "summarize", "dagDone")
                .hasNotPassed("fanOutFailed", "fanOutCanceled", "summarizeFailed", "summarizeCanceled", "dagFailed",
                        "dagCanceled");

        Map<String, ComputeUnit> byName = unitsByName();
        assertThat(byName).containsOnlyKeys("fan-out-0", "fan-out-1", "fan-out-2", "fan-out-3", "fan-out-4",
                "fan-out-5", "summarize");
        for (ComputeUnit u : byName.values()) {
            assertThat(u.state()).as(u.description().name()).isEqualTo(UnitState.DONE);
            assertThat(u.exitCode()).as(u.description().name()).contains(0);
        }
        assertThat(byName.get("fan-out-4").stdout()).contains("fan-out unit 4 of 6");
        assertThat(byName.get("summarize").stdout()).contains("all 6 fan-out units DONE");
        // fan-in: the summarize unit was submitted only after every fan-out unit had ended
        var summarizeNew = Examples.entered(byName.get("summarize").stateHistory(), UnitState.NEW).orElseThrow();
        for (int i = 0; i < 6; i++) {
            var done = Examples.entered(byName.get("fan-out-" + i).stateHistory(), UnitState.DONE).orElseThrow();
            assertThat(done).isBeforeOrEqualTo(summarizeNew);
        }
        // every called pilotflow-unit instance ended too
        assertThat(session.processEngine().getRuntimeService().createProcessInstanceQuery()
                .processDefinitionKey("pilotflow-unit").count()).isZero();
    }

    @Test
    void oneFailingFanOutUnitEndsAtDagFailedWithoutSummarize() throws InterruptedException {
        DagExample.DagResult r = DagExample.run(session, umgr, 6, 2, Duration.ofMinutes(2));

        assertThat(r.endEventId()).isEqualTo(DagExample.END_FAILED);
        assertThat(r.endEventName()).isEqualTo("DAG failed");
        BpmnAwareTests.assertThat(r.processInstance()).isEnded()
                .hasPassed("start", "fanOutFailed", "dagFailed")
                .hasNotPassed("summarize", "dagDone", "fanOutCanceled", "dagCanceled");
        assertThat(session.processEngine().getHistoryService().createHistoricActivityInstanceQuery()
                .processInstanceId(r.processInstanceId()).activityId("summarize").count()).isZero();

        Map<String, ComputeUnit> byName = unitsByName();
        assertThat(byName).doesNotContainKey("summarize");
        ComputeUnit failed = byName.get("fan-out-2");
        assertThat(failed.state()).isEqualTo(UnitState.FAILED);
        assertThat(failed.exitCode()).contains(3);
        assertThat(failed.failureReason()).hasValueSatisfying(
                reason -> assertThat(reason).contains("exit code 3").contains("fails on purpose"));
        assertThat(byName.keySet()).allMatch(n -> n.startsWith("fan-out-"));
        // the siblings end too: those still running when the error interrupted the fan-out are CANCELED by PilotFlow
        assertThat(umgr.waitUnits(List.of(), List.of(), Duration.ofSeconds(60)))
                .allMatch(UnitState::isFinal);
        assertThat(unitsByName()).doesNotContainKey("summarize");
    }

    private Map<String, ComputeUnit> unitsByName() {
        List<ComputeUnit> units = umgr.getUnits(umgr.listUnits());
        return units.stream().collect(Collectors.toMap(u -> u.description().name(), Function.identity()));
    }
}
