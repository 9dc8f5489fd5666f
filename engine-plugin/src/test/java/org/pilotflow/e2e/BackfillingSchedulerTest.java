package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Report;

/** BACKFILLING binds only to ACTIVE pilots, up to the high-water mark, and binds more as pilots free up. */
class BackfillingSchedulerTest {

    @TempDir
    Path work;

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    static long boundTo(List<ComputeUnit> units, String pilot) {
        return units.stream().filter(u -> u.pilot().filter(pilot::equals).isPresent()).count();
    }

    @Test
    void bindsOnlyToActivePilotsUpToTheHighWaterMark() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            var pmgr = session.createPilotManager();
            ComputePilot a = pmgr.submitPilot(LocalFixture.localPilot(work, 2).build());
            ComputePilot b = pmgr.submitPilot(LocalFixture.localPilot(work, 2).build());
            AgentConfig ca = fake.awaitLaunch(a.uid());
            AgentConfig cb = fake.awaitLaunch(b.uid());
            UnitManager umgr = session.createUnitManager(SchedulerPolicy.BACKFILLING);
            umgr.addPilots(List.of(a, b));
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
            }
            List<ComputeUnit> units = umgr.submitUnits(ds);
            // no pilot is ACTIVE yet: every unit waits unbound
            assertThat(units).allMatch(u -> u.state() == UnitState.UNSCHEDULED && u.pilot().isEmpty());

            fake.sync(ca, ca.secret(), List.of(FakeAgent.pilot(1, "ACTIVE")), 0);
            int mark = 2 * UnitManager.HIGH_WATER_MARK; // 2 cores x the high-water mark
            await("A holds " + mark + " units", () -> boundTo(units, a.uid()) == mark);
            assertThat(boundTo(units, b.uid())).isZero();
            assertThat(units.stream().filter(u -> u.state() == UnitState.UNSCHEDULED)).hasSize(10 - mark);

            fake.sync(cb, cb.secret(), List.of(FakeAgent.pilot(1, "ACTIVE")), 0);
            await("B holds " + mark + " units", () -> boundTo(units, b.uid()) == mark);
            assertThat(boundTo(units, a.uid())).isEqualTo(mark);

            // two units on A finish: the last two waiting units are bound
            List<ComputeUnit> onA = units.stream().filter(u -> u.pilot().filter(a.uid()::equals).isPresent())
                    .limit(2).toList();
            List<Report> done = List.of(FakeAgent.unit(2, onA.get(0).uid(), "DONE", Map.of(), 0),
                    FakeAgent.unit(3, onA.get(1).uid(), "DONE", Map.of(), 0));
            assertThat(fake.sync(ca, ca.secret(), done, 0).response().ackedSeq()).isEqualTo(3);
            await("every unit bound", () -> units.stream().allMatch(u -> u.pilot().isPresent()));
            assertThat(boundTo(units, a.uid())).isEqualTo(mark + 2);
            assertThat(umgr.waitUnits(List.of(onA.get(0).uid(), onA.get(1).uid()), List.of(), Duration.ofSeconds(5)))
                    .containsOnly(UnitState.DONE);
        }
    }
}
