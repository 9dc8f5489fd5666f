package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Command;

/**
 * Canceling units whose agent has not taken the cancel yet, played against a fake agent over the real endpoint:
 * a unit of a pilot whose agent never started ends at once and is never sent; a cancel waiting for its agent is
 * sent once, however often it is asked for; a cancel the agent never carried out, because its pilot was lost, still
 * ends the unit CANCELED, even a restartable one.
 */
class UnitCancelTest {

    private static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path work;

    @Test
    void aUnitOfAPilotWhoseAgentHasNotStartedIsCanceledAtOnceAndNeverSent() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            AgentConfig cfg = fake.awaitLaunch(pilot.uid()); // its job "waits in a batch queue": no agent yet
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnit> units = umgr.submitUnits(List.of(
                    ComputeUnitDescription.builder().executable("/bin/true").build(),
                    ComputeUnitDescription.builder().executable("/bin/true").build()));
            umgr.waitUnits(List.of(units.get(0).uid(), units.get(1).uid()), List.of(UnitState.PENDING_INPUT_STAGING),
                    WITHIN);
            assertThat(pilot.state()).isEqualTo(PilotState.PENDING_ACTIVE);

            umgr.cancelUnits(List.of(units.get(0).uid()));
            assertThat(units.get(0).waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
            assertThat(units.get(0).failureReason()).get().asString().contains("before its pilot's agent started");

            // the agent starts: it gets the other unit, and nothing of the canceled one
            Set<String> sent = new HashSet<>();
            long last = 0;
            long deadline = System.nanoTime() + WITHIN.toNanos();
            while (!sent.contains("RUN_UNIT " + units.get(1).uid())) {
                assertThat(System.nanoTime()).as("the other unit's run command").isLessThan(deadline);
                FakeAgent.Answer a = fake.sync(cfg, cfg.secret(), List.of(FakeAgent.pilot(1, "ACTIVE")), last);
                assertThat(a.status()).isEqualTo(200);
                for (Command c : a.response().commands()) {
                    sent.add(c.type() + " " + c.unitId());
                    last = Math.max(last, c.seq());
                }
            }
            assertThat(sent).noneMatch(c -> c.endsWith(" " + units.get(0).uid()));
        }
    }

    @Test
    void aCancelWaitingForItsAgentIsSentOnceHoweverOftenItIsAskedFor() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            AgentConfig cfg = fake.awaitLaunch(pilot.uid());
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("300").build());
            long last = 0;
            long seq = 1;
            long deadline = System.nanoTime() + WITHIN.toNanos();
            boolean running = false;
            while (!running) {
                assertThat(System.nanoTime()).as("the unit's run command").isLessThan(deadline);
                FakeAgent.Answer a = fake.sync(cfg, cfg.secret(), List.of(FakeAgent.pilot(seq, "ACTIVE")), last);
                assertThat(a.status()).isEqualTo(200);
                for (Command c : a.response().commands()) {
                    running |= c.type() == Command.Type.RUN_UNIT && c.unitId().equals(unit.uid());
                    last = Math.max(last, c.seq());
                }
            }
            long now = System.currentTimeMillis();
            seq++;
            fake.sync(cfg, cfg.secret(), List.of(FakeAgent.unit(seq, unit.uid(), "EXECUTING",
                    Map.of("EXECUTING", now), null)), last);
            unit.waitFor(WITHIN, UnitState.EXECUTING);

            // asked three ways: the API, twice, and the process instance deleted (the watchdog asks every 2 s);
            // asynchronously, because this thread plays the agent that has to report the end
            var first = umgr.cancelUnitsAsync(List.of(unit.uid()));
            var second = umgr.cancelUnitsAsync(List.of(unit.uid()));
            session.processEngine().getRuntimeService().deleteProcessInstance(
                    CockpitActionsTest.unitInstance(session.processEngine().getRuntimeService(), unit).getId(),
                    "deleted by the test");

            // the agent does not acknowledge the cancel for three of the watchdog's rounds: it keeps getting it
            Set<Long> cancels = new HashSet<>();
            long watchFor = System.nanoTime() + Duration.ofSeconds(7).toNanos();
            while (System.nanoTime() < watchFor) {
                FakeAgent.Answer a = fake.sync(cfg, cfg.secret(), List.of(), last);
                assertThat(a.status()).isEqualTo(200);
                for (Command c : a.response().commands()) {
                    if (c.type() == Command.Type.CANCEL_UNIT && c.unitId().equals(unit.uid())) {
                        cancels.add(c.seq());
                    }
                }
            }
            assertThat(cancels).as("numbers of the CANCEL_UNIT commands sent").hasSize(1);
            assertThat(unit.state()).isEqualTo(UnitState.EXECUTING);

            // the agent takes it and reports the unit CANCELED
            seq++;
            fake.sync(cfg, cfg.secret(), List.of(FakeAgent.unit(seq, unit.uid(), "CANCELED",
                    Map.of("CANCELED", System.currentTimeMillis()), null)), cancels.iterator().next());
            assertThat(unit.waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
            assertThat(first.get(WITHIN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                    .containsExactly(UnitState.CANCELED);
            assertThat(second.get(WITHIN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                    .containsExactly(UnitState.CANCELED);
        }
    }

    @Test
    void aRestartableUnitWhosePilotIsLostBeforeItsAgentTookTheCancelIsCanceledNotRestarted() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            FakeAgent.Player agent = fake.player(fake.awaitLaunch(pilot.uid()));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sleep")
                    .arguments("300").restartable(true).build());
            agent.awaitRun(unit.uid(), 1);
            agent.executing(unit.uid());
            unit.waitFor(WITHIN, UnitState.EXECUTING);

            // the cancel is queued for the agent, which dies before it syncs again: the command goes with the pilot
            var canceled = umgr.cancelUnitsAsync(List.of(unit.uid()));
            fake.gone.add(FakeAgent.jobId(pilot.uid()));
            assertThat(pilot.waitFor(WITHIN, PilotState.FAILED)).isEqualTo(PilotState.FAILED);

            assertThat(canceled.get(WITHIN.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                    .containsExactly(UnitState.CANCELED);
            assertThat(unit.failureReason()).get().asString().contains("before its agent had canceled the unit");
            assertThat(unit.stateHistory()).as("the attempts in its history: never restarted")
                    .allMatch(e -> e.attempt() == 1);
        }
    }
}
