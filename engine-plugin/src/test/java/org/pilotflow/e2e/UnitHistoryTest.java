package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;

/**
 * What a unit leaves in Camunda's history: its process instance (with the end event it took and a removal time set
 * when it started), and its activity instances only with {@code unitActivityHistory(true)}; the pilot's process
 * keeps its activity history either way.
 */
class UnitHistoryTest {

    private static final Duration WITHIN = Duration.ofSeconds(60);

    @Test
    void byDefaultAUnitKeepsItsProcessInstanceHistoryButNoActivityInstances(@TempDir Path work) throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            HistoryService history = session.processEngine().getHistoryService();
            ComputeUnit running = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("60").build());
            running.waitFor(WITHIN, UnitState.EXECUTING);
            HistoricProcessInstance started = history.createHistoricProcessInstanceQuery()
                    .processInstanceBusinessKey(running.uid()).singleResult();
            // the removal time is written with the row (start + the model's 30 days), not by updates at the end
            assertThat(started.getRemovalTime()).isNotNull();
            assertThat(started.getRemovalTime().toInstant()).isCloseTo(
                    started.getStartTime().toInstant().plus(30, ChronoUnit.DAYS), within(Duration.ofMinutes(1)));
            running.cancel();

            ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(u.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            String instance = LocalFixture.awaitInstanceEnded(session.processEngine(), u.uid(), WITHIN);
            assertThat(history.createHistoricProcessInstanceQuery().processInstanceId(instance).singleResult()
                    .getEndActivityId()).isEqualTo("unitDone");
            assertThat(history.createHistoricActivityInstanceQuery().processInstanceId(instance).count())
                    .as("a unit's activity instances are not written").isZero();
            assertThat(u.stateHistory()).extracting(e -> e.state()).contains(UnitState.EXECUTING, UnitState.DONE);
            assertThat(history.createHistoricActivityInstanceQuery()
                    .processInstanceId(history.createHistoricProcessInstanceQuery()
                            .processInstanceBusinessKey(pilot.uid()).singleResult().getId()).count())
                    .as("the pilot's process keeps its activity history").isPositive();
        }
    }

    @Test
    void unitActivityHistoryWritesEachStepOfTheUnitsProcess(@TempDir Path work) throws Exception {
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .unitActivityHistory(true).build()).create()) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(u.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            String instance = LocalFixture.awaitInstanceEnded(session.processEngine(), u.uid(), WITHIN);
            HistoryService history = session.processEngine().getHistoryService();
            for (String step : new String[] {"submitUnit", "runUnit", "unitDone"}) {
                assertThat(history.createHistoricActivityInstanceQuery().processInstanceId(instance)
                        .activityId(step).finished().count()).as(step).isEqualTo(1);
            }
        }
    }

    private static org.assertj.core.data.TemporalUnitOffset within(Duration d) {
        return new org.assertj.core.data.TemporalUnitWithinOffset(d.toSeconds(), ChronoUnit.SECONDS);
    }
}
