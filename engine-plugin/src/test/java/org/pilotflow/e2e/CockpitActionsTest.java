package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * What an operator does in Cockpit (or through REST) reaches PilotFlow. The "Cockpit" here is what Cockpit is to
 * the database: another Camunda engine on the same database, without PilotFlow's plugin and without a job executor
 * (a webapp node's job executor must be off or deployment-aware, see the README). It deletes process instances and
 * correlates the documented cancel messages; PilotFlow's node must act within seconds.
 */
class CockpitActionsTest {

    private static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path work;

    @Test
    void deletingAndCancelingFromAnotherEngineTakesEffect() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ProcessEngine cockpit = cockpitEngine(session);
            try {
                RuntimeService other = cockpit.getRuntimeService();
                PilotManager pmgr = session.createPilotManager();
                ComputePilot p1 = LocalFixture.activePilot(pmgr, work, 2);
                UnitManager umgr = session.createUnitManager();
                umgr.addPilot(p1);
                List<ComputeUnit> units = umgr.submitUnits(List.of(sleeper(null), sleeper(null)));
                for (ComputeUnit u : units) {
                    u.waitFor(Duration.ofSeconds(60), UnitState.EXECUTING);
                }

                // a unit's process instance deleted in Cockpit: the unit is canceled, its process killed
                other.deleteProcessInstance(unitInstance(other, units.get(0)).getId(), "deleted in Cockpit");
                assertThat(units.get(0).waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
                assertThat(units.get(0).failureReason()).get().asString().contains("was deleted");

                // the documented message pilotflow.unit.cancel, correlated by another engine
                other.createMessageCorrelation("pilotflow.unit.cancel")
                        .processInstanceId(unitInstance(other, units.get(1)).getId()).correlate();
                assertThat(units.get(1).waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
                assertThat(p1.state()).isEqualTo(PilotState.ACTIVE);

                // the documented message pilotflow.pilot.cancel, correlated by another engine
                ComputePilot p2 = LocalFixture.activePilot(pmgr, work, 1);
                umgr.addPilot(p2);
                ComputeUnit onP2 = umgr.submitUnit(sleeper(p2.uid()));
                onP2.waitFor(Duration.ofSeconds(60), UnitState.EXECUTING);
                other.createMessageCorrelation("pilotflow.pilot.cancel")
                        .processInstanceId(pilotInstance(other, p2).getId()).correlate();
                assertThat(p2.waitFor(WITHIN)).isEqualTo(PilotState.CANCELED);
                assertThat(onP2.waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
                assertGone(p2);

                // a pilot's process instance deleted in Cockpit: the pilot is canceled, its agent stops
                ComputePilot p3 = LocalFixture.activePilot(pmgr, work, 1);
                umgr.addPilot(p3);
                ComputeUnit onP3 = umgr.submitUnit(sleeper(p3.uid()));
                onP3.waitFor(Duration.ofSeconds(60), UnitState.EXECUTING);
                other.deleteProcessInstance(pilotInstance(other, p3).getId(), "deleted in Cockpit");
                assertThat(p3.waitFor(WITHIN)).isEqualTo(PilotState.CANCELED);
                assertThat(p3.reason()).get().asString().contains("was deleted");
                assertThat(onP3.waitFor(WITHIN)).isIn(UnitState.CANCELED);
                assertGone(p3);
            } finally {
                cockpit.close();
            }
        }
    }

    @Test
    void aUnitWhoseInstanceIsSuspendedEndsAndHoldsUpNoOtherUnitItsInstanceEndsOnceActivated() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ProcessEngine cockpit = cockpitEngine(session);
            try {
                RuntimeService other = cockpit.getRuntimeService();
                ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
                UnitManager umgr = session.createUnitManager();
                umgr.addPilot(pilot);
                ComputeUnit first = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                        .arguments("2").build());
                first.waitFor(Duration.ofSeconds(60), UnitState.EXECUTING);
                String instance = unitInstance(other, first).getId();
                other.suspendProcessInstanceById(instance);
                // one core: the second unit runs after the first, so its reports come after the first's DONE
                ComputeUnit second = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                        .build());

                assertThat(first.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
                assertThat(second.waitFor(WITHIN)).as("a unit after the suspended one").isEqualTo(UnitState.DONE);
                LocalFixture.awaitInstanceEnded(session.processEngine(), second.uid(), WITHIN);
                assertThat(other.createProcessInstanceQuery().processInstanceId(instance).suspended().count())
                        .as("the suspended instance waits, suspended").isEqualTo(1);

                other.activateProcessInstanceById(instance); // the watchdog delivers its end message now
                String ended = LocalFixture.awaitInstanceEnded(session.processEngine(), first.uid(), WITHIN);
                assertThat(session.processEngine().getHistoryService().createHistoricProcessInstanceQuery()
                        .processInstanceId(ended).singleResult().getEndActivityId()).isEqualTo("unitDone");
            } finally {
                cockpit.close();
            }
        }
    }

    @Test
    void aFailedPilotIsAnIncidentWhoseRetrySubmitsAReplacementThatServesTheSameManagers() throws Exception {
        // the sandboxes' parent is a file: the launch fails until the operator removes it
        Path blocker = work.resolve("blocked");
        Files.writeString(blocker, "a file where the pilots' sandbox directory should be");
        ComputePilotDescription blocked = ComputePilotDescription.builder().resource("local.localhost")
                .runtime(Duration.ofMinutes(10)).cores(1).sandbox(blocker.resolve("sandboxes").toString()).build();
        try (Session session = LocalFixture.session(work)) {
            ProcessEngine cockpit = cockpitEngine(session);
            try {
                PilotManager pmgr = session.createPilotManager();
                UnitManager umgr = session.createUnitManager();
                ComputePilot failed = pmgr.submitPilot(blocked);
                umgr.addPilot(failed);
                assertThat(failed.waitFor(WITHIN)).isEqualTo(PilotState.FAILED);
                Incident incident = awaitIncident(cockpit, failed.uid());
                assertThat(incident.getActivityId()).isEqualTo("reportFailure");
                assertThat(incident.getIncidentMessage()).contains("pilot " + failed.uid() + " FAILED: "
                        + failed.reason().orElseThrow()).contains("retry to submit a replacement pilot");

                // the operator removes the cause and retries in Cockpit ("Increment retries" of the failed job)
                Files.delete(blocker);
                cockpit.getManagementService().setJobRetries(incident.getConfiguration(), 1);
                LocalFixture.awaitInstanceEnded(session.processEngine(), failed.uid(), WITHIN);
                long deadline = System.nanoTime() + WITHIN.toNanos();
                while (pmgr.listPilots().size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(50); // the view takes the new row just after the commit
                }
                List<String> pilots = pmgr.listPilots();
                assertThat(pilots).hasSize(2).startsWith(failed.uid());
                ComputePilot replacement = pmgr.getPilots(List.of(pilots.get(1))).get(0);
                assertThat(replacement.description()).isEqualTo(failed.description());
                assertThat(replacement.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE))
                        .isEqualTo(PilotState.ACTIVE);
                assertThat(failed.state()).as("the failed pilot stays FAILED").isEqualTo(PilotState.FAILED);
                ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                        .build());
                assertThat(unit.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
                assertThat(unit.pilot()).as("the unit manager took the replacement").contains(replacement.uid());

                // no replacement joins a closed pilot manager: the incident stays, with the reason
                Path blocker2 = Files.writeString(work.resolve("blocked2"), "a file");
                PilotManager closing = session.createPilotManager();
                ComputePilot second = closing.submitPilot(ComputePilotDescription.builder()
                        .resource("local.localhost").runtime(Duration.ofMinutes(10)).cores(1)
                        .sandbox(blocker2.resolve("sandboxes").toString()).build());
                assertThat(second.waitFor(WITHIN)).isEqualTo(PilotState.FAILED);
                Incident again = awaitIncident(cockpit, second.uid());
                closing.close(false);
                cockpit.getManagementService().setJobRetries(again.getConfiguration(), 1);
                awaitIncidentMessage(cockpit, second.uid(), "its pilot manager " + closing.uid() + " is closed");
                assertThat(closing.listPilots()).containsExactly(second.uid());
            } finally {
                cockpit.close();
            }
        }
    }

    @Test
    void closingTheSessionResolvesItsFailedPilotsIncidents() throws Exception {
        Path blocker = Files.writeString(work.resolve("blocked"), "a file where the sandbox directory should be");
        String failedUid;
        try (Session session = LocalFixture.session(work)) {
            ComputePilot failed = session.createPilotManager().submitPilot(ComputePilotDescription.builder()
                    .resource("local.localhost").runtime(Duration.ofMinutes(10)).cores(1)
                    .sandbox(blocker.resolve("sandboxes").toString()).build());
            assertThat(failed.waitFor(WITHIN)).isEqualTo(PilotState.FAILED);
            awaitIncident(session.processEngine(), failed.uid());
            failedUid = failed.uid();
        }
        // the same database, after the close: no instance waits on an incident a retry could only fail
        try (Session again = LocalFixture.session(work)) {
            RuntimeService runtime = again.processEngine().getRuntimeService();
            assertThat(runtime.createProcessInstanceQuery().processInstanceBusinessKey(failedUid).count()).isZero();
            assertThat(runtime.createIncidentQuery().count()).isZero();
        }
    }

    private static Incident awaitIncident(ProcessEngine engine, String businessKey) throws InterruptedException {
        return awaitIncidentMessage(engine, businessKey, "");
    }

    /** The incident on the instance with this business key once its message contains {@code text}. */
    private static Incident awaitIncidentMessage(ProcessEngine engine, String businessKey, String text)
            throws InterruptedException {
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (true) {
            ProcessInstance pi = engine.getRuntimeService().createProcessInstanceQuery()
                    .processInstanceBusinessKey(businessKey).singleResult();
            Incident incident = pi == null ? null : engine.getRuntimeService().createIncidentQuery()
                    .processInstanceId(pi.getId()).singleResult();
            if (incident != null && incident.getIncidentMessage() != null
                    && incident.getIncidentMessage().contains(text)) {
                return incident;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no incident containing '" + text + "' on " + businessKey + " within "
                        + WITHIN + (incident == null ? "" : "; the incident says: " + incident.getIncidentMessage()));
            }
            Thread.sleep(50);
        }
    }

    private static ComputeUnitDescription sleeper(String pilot) {
        return ComputeUnitDescription.builder().executable("/bin/sleep").arguments("300").pilot(pilot).build();
    }

    /** A plain Camunda engine on the session's database: no PilotFlow plugin, no job executor. */
    static ProcessEngine cockpitEngine(Session session) {
        ProcessEngineConfigurationImpl mine = (ProcessEngineConfigurationImpl)
                session.processEngine().getProcessEngineConfiguration();
        ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                ProcessEngineConfiguration.createStandaloneProcessEngineConfiguration();
        cfg.setProcessEngineName("cockpit-" + System.nanoTime());
        cfg.setDataSource(mine.getDataSource());
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_FALSE);
        cfg.setHistory(mine.getHistory());
        cfg.setJobExecutorActivate(false);
        cfg.setMetricsEnabled(false);
        return cfg.buildProcessEngine();
    }

    static ProcessInstance unitInstance(RuntimeService rs, ComputeUnit u) {
        return rs.createProcessInstanceQuery().processDefinitionKey("pilotflow-unit").processInstanceBusinessKey(u.uid())
                .singleResult();
    }

    static ProcessInstance pilotInstance(RuntimeService rs, ComputePilot p) {
        return rs.createProcessInstanceQuery().processDefinitionKey("pilotflow-pilot")
                .processInstanceBusinessKey(p.uid()).singleResult();
    }

    /** The pilot's agent process (a fork job) has ended, within the bound. */
    static void assertGone(ComputePilot p) throws InterruptedException {
        long pid = LocalFixture.agentPid(p);
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("agent process %s of %s", pid, p.uid()).isFalse();
    }
}
