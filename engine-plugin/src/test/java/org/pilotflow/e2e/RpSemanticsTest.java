package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitDataCallback;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/** The calls as a RADICAL-Pilot user expects them: waits, cancels that wait, callbacks with data, draining. */
class RpSemanticsTest {

    private static final Duration WITHIN = Duration.ofMinutes(2);

    @TempDir
    Path work;

    private static ComputeUnitDescription sleep(int seconds) {
        return ComputeUnitDescription.builder().executable("/bin/sleep").arguments(Integer.toString(seconds)).build();
    }

    @Test
    void aWaitReturnsForAStateReachedOrPassedOrForAFinalOne() {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit ok = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            ComputeUnit bad = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/false").build());
            umgr.waitUnits(List.of(), List.of(), WITHIN);

            // DONE has passed EXECUTING; FAILED is final: neither wait times out, the states say where they are
            assertThat(umgr.waitUnits(List.of(ok.uid(), bad.uid()), List.of(UnitState.EXECUTING), Duration.ZERO))
                    .containsExactly(UnitState.DONE, UnitState.FAILED);
            assertThat(bad.waitFor(Duration.ZERO, UnitState.DONE)).isEqualTo(UnitState.FAILED);
            assertThat(pmgr.waitPilots(List.of(), List.of(PilotState.PENDING_ACTIVE), Duration.ZERO))
                    .containsExactly(PilotState.ACTIVE);
            assertThatThrownBy(() -> umgr.waitUnits(List.of(), List.of(UnitState.DONE), Duration.ofSeconds(-1)))
                    .isInstanceOf(BadParameter.class).hasMessageStartingWith("timeout is ");
        }
    }

    @Test
    void cancelsWaitUntilTheUnitsAndPilotsAreFinal() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnit> units = umgr.submitUnits(List.of(sleep(300), sleep(300), sleep(300)));
            umgr.waitUnits(List.of(units.get(0).uid(), units.get(1).uid()), List.of(UnitState.EXECUTING), WITHIN);

            // returns only once the agent killed them: the states are final the moment it returns
            List<String> two = List.of(units.get(0).uid(), units.get(1).uid());
            assertThat(umgr.cancelUnits(two, WITHIN)).containsExactly(UnitState.CANCELED, UnitState.CANCELED);
            assertThat(units.get(0).state()).isEqualTo(UnitState.CANCELED);

            var third = umgr.cancelUnitsAsync(List.of(units.get(2).uid()));
            assertThat(third.get(WITHIN.toSeconds(), TimeUnit.SECONDS)).containsExactly(UnitState.CANCELED);
            // canceling final units again changes nothing and returns at once
            umgr.cancelUnits(List.of());
            assertThat(units).allMatch(u -> u.state() == UnitState.CANCELED);

            assertThat(pmgr.cancelPilots(List.of(), WITHIN)).containsExactly(PilotState.CANCELED);
            assertThat(pilot.state()).isEqualTo(PilotState.CANCELED);
            assertThat(pmgr.cancelPilotsAsync(List.of(pilot.uid())).get(WITHIN.toSeconds(), TimeUnit.SECONDS))
                    .containsExactly(PilotState.CANCELED);
        }
    }

    @Test
    void callbacksCarryTheirDataAndStopOnceUnregistered() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = LocalFixture.activePilot(pmgr, work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<String> seen = new CopyOnWriteArrayList<>();
            UnitDataCallback<String> tagged = (u, s, data) -> seen.add(data + " " + u.uid() + " " + s);
            umgr.registerCallback(tagged, "run-1");
            ComputeUnit first = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            first.waitFor(WITHIN);
            awaitTrue(() -> seen.contains("run-1 " + first.uid() + " DONE"));

            assertThat(umgr.unregisterCallback(tagged)).isTrue();
            assertThat(umgr.unregisterCallback(tagged)).isFalse();
            // callbacks run in order on one thread: once this later one saw DONE, the removed one would have too
            List<String> after = new CopyOnWriteArrayList<>();
            umgr.registerCallback((u, s) -> after.add(u.uid() + " " + s));
            ComputeUnit second = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            awaitTrue(() -> after.contains(second.uid() + " DONE"));
            assertThat(seen).noneMatch(line -> line.contains(second.uid()));

            // per unit too, with data
            List<Integer> perUnit = new CopyOnWriteArrayList<>();
            ComputeUnit third = umgr.submitUnit(sleep(1));
            third.registerCallback((u, s, n) -> perUnit.add(n), 42);
            third.waitFor(WITHIN);
            awaitTrue(() -> after.contains(third.uid() + " DONE"));
            assertThat(perUnit).isNotEmpty().containsOnly(42);
        }
    }

    @Test
    void removingAPilotWithDrainWaitsForItsUnits() {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnit> units = umgr.submitUnits(List.of(sleep(2), sleep(2), sleep(3)));
            umgr.waitUnits(List.of(units.get(0).uid()), List.of(UnitState.EXECUTING), WITHIN);

            assertThatThrownBy(() -> umgr.removePilots(List.of("pilot.9999"), true))
                    .isInstanceOfSatisfying(BadParameter.class, e -> assertThat(e.field()).isEqualTo("pilotUids"));
            umgr.removePilots(List.of(pilot.uid()), true);
            assertThat(units).allMatch(u -> u.state() == UnitState.DONE);
            umgr.removePilots(List.of(pilot.uid())); // removed already: nothing to do, no error
            assertThat(umgr.listPilots()).isEmpty();
            // no pilot left: a new unit waits for one instead of being bound
            ComputeUnit waiting = umgr.submitUnit(sleep(1));
            assertThat(waiting.pilot()).isEmpty();
            assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
        }
    }

    @Test
    void cleanupRemovesThePilotSandboxWhenThePilotEndsAndOnlyThen() {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot cleaned = pmgr.submitPilot(LocalFixture.localPilot(work, 1).cleanup(true).build());
            ComputePilot kept = pmgr.submitPilot(LocalFixture.localPilot(work, 1).build());
            pmgr.waitPilots(List.of(), List.of(PilotState.ACTIVE), WITHIN);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilots(List.of(cleaned, kept));
            List<ComputeUnit> units = umgr.submitUnits(List.of(
                    ComputeUnitDescription.builder().executable("/bin/true").pilot(cleaned.uid()).build(),
                    ComputeUnitDescription.builder().executable("/bin/true").pilot(kept.uid()).build()));
            umgr.waitUnits(List.of(), List.of(), WITHIN);
            Path cleanedSandbox = Path.of(cleaned.sandbox());
            Path keptSandbox = Path.of(kept.sandbox());
            assertThat(cleanedSandbox.resolve(units.get(0).uid())).as("a unit sandbox while the pilot runs")
                    .isDirectory();

            assertThat(pmgr.cancelPilots(List.of(), WITHIN)).containsOnly(PilotState.CANCELED);
            // the agent removes it after the engine acknowledged its last reports, i.e. just after CANCELED
            awaitTrue(() -> !java.nio.file.Files.exists(cleanedSandbox));
            assertThat(keptSandbox.resolve(units.get(1).uid())).isDirectory();
            assertThat(keptSandbox.resolve("agent.log")).isRegularFile();
        }
    }

    @Test
    void radicalPilotsDescriptionFieldsReachTheAgentAndComeBack() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnitDescription d = ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo threads=$OMP_NUM_THREADS cores=$PILOTFLOW_CORES; pwd")
                    .cpuThreads(2).colocate("stage-1").priority(3).sandbox("stage-1/task-a")
                    .metadata(java.util.Map.of("sample", "S17", "step", "align")).build();
            assertThat(d.cores()).as("cores follow cpu_processes x cpu_threads").isEqualTo(2);
            ComputeUnit u = umgr.submitUnit(d);
            assertThat(u.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            Path expected = Path.of(pilot.sandbox(), "stage-1", "task-a");
            assertThat(u.sandbox()).contains(expected.toString());
            assertThat(u.stdout()).contains("threads=2 cores=2").contains(expected.toString());
            assertThat(u.description()).isEqualTo(d);
            assertThat(u.description().metadata()).containsEntry("sample", "S17");
            // as the database has it: another session object on the same engine reads the same description back
            try (Session again = Session.reconnect(session.processEngine(), session.uid())) {
                ComputeUnit read = again.unitManagers().get(0).getUnits(List.of(u.uid())).get(0);
                assertThat(read.description()).isEqualTo(d);
                again.close(false);
            }
            // closing that second Session object leaves this one following the session
            ComputeUnit after = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(after.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
        }
    }

    @Test
    void closingWithDownloadBringsAgentLogsAndUnitOutputsHome() throws Exception {
        Session session = LocalFixture.session(work);
        ComputeUnit u;
        ComputePilot pilot;
        try {
            PilotManager pmgr = session.createPilotManager();
            pilot = LocalFixture.activePilot(pmgr, work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo out-of-" + "$PILOTFLOW_UNIT_ID; echo err >&2").stderr("errors.txt").build());
            assertThat(u.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
        } finally {
            session.close(true, true);
        }
        Path home = session.downloadDirectory();
        assertThat(home).isEqualTo(work.resolve(session.uid()));
        assertThat(java.nio.file.Files.readString(home.resolve(pilot.uid() + "/" + u.uid() + "/STDOUT")))
                .isEqualTo("out-of-" + u.uid() + "\n");
        assertThat(java.nio.file.Files.readString(home.resolve(pilot.uid() + "/" + u.uid() + "/errors.txt")))
                .isEqualTo("err\n");
        assertThat(java.nio.file.Files.readString(home.resolve(pilot.uid() + "/agent.log")))
                .contains("pilot reported CANCELED"); // written before the report that made the pilot CANCELED
    }

    @Test
    void aWaitOnASessionNoLongerFollowedHereEndsInsteadOfHanging() {
        Session session = LocalFixture.session(work);
        ComputeUnit running;
        try {
            PilotManager pmgr = session.createPilotManager();
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(LocalFixture.activePilot(pmgr, work, 1));
            running = umgr.submitUnit(sleep(300));
            running.waitFor(WITHIN, UnitState.EXECUTING);
        } finally {
            session.close(false); // the pilot and its unit go on; this node stops following the session
        }
        assertThatThrownBy(() -> running.waitFor(Duration.ofMinutes(10)))
                .isInstanceOf(org.pilotflow.api.IncorrectState.class).hasMessageContaining("reconnect");
        try (Session again = LocalFixture.builder(work, LocalFixture.config(work)).reconnect(session.uid())) {
            again.pilotManagers().get(0).cancelPilots(List.of(), WITHIN);
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + WITHIN.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within " + WITHIN).isLessThan(deadline);
            Thread.onSpinWait();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
