package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
import org.pilotflow.model.wire.Report;

/**
 * Behaviours 10 and 11: reports delivered twice, out of order or in pieces are applied exactly once and in order;
 * a wrong secret or a report about another pilot's unit is refused and changes nothing. The test plays the
 * agent over the real HTTP endpoint of a real engine.
 */
class ReportDeliveryTest {

    @TempDir
    Path work;

    @Test
    void shuffledDuplicatedReportsAreAppliedExactlyOnceInOrder() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            AgentConfig cfg = fake.awaitLaunch(pilot.uid());
            UnitManager umgr = session.createUnitManager();
            List<String> callbacks = new CopyOnWriteArrayList<>();
            umgr.registerCallback((u, s) -> callbacks.add(u.uid() + ":" + s));
            umgr.addPilot(pilot);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            int n = 200;
            for (int i = 0; i < n; i++) {
                ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
            }
            List<ComputeUnit> units = umgr.submitUnits(ds);

            // the pilot becomes ACTIVE; collect the RUN commands the engine hands out
            Set<String> dispatched = new LinkedHashSet<>();
            long lastCommand = 0;
            List<Report> first = List.of(FakeAgent.pilot(1, "ACTIVE"));
            long deadline = System.currentTimeMillis() + 30_000;
            while (dispatched.size() < n && System.currentTimeMillis() < deadline) {
                FakeAgent.Answer a = fake.sync(cfg, cfg.secret(), first, lastCommand);
                assertThat(a.status()).isEqualTo(200);
                for (Command c : a.response().commands()) {
                    if (c.type() == Command.Type.RUN_UNIT) {
                        dispatched.add(c.unitId());
                    }
                    lastCommand = Math.max(lastCommand, c.seq());
                }
            }
            assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
            assertThat(dispatched).hasSize(n);

            // each unit: ALLOCATING (implies STAGING_INPUT, PENDING_EXECUTION), EXECUTING, DONE; per-unit order kept
            Random random = new Random(7);
            List<String> order = new ArrayList<>();
            for (String u : dispatched) {
                order.add(u);
                order.add(u);
                order.add(u);
            }
            Collections.shuffle(order, random);
            Map<String, Integer> step = new HashMap<>();
            List<Report> all = new ArrayList<>();
            long seq = 2;
            for (String u : order) {
                int s = step.merge(u, 1, Integer::sum);
                long t = System.currentTimeMillis();
                all.add(switch (s) {
                    case 1 -> FakeAgent.unit(seq++, u, "ALLOCATING",
                            Map.of("STAGING_INPUT", t, "PENDING_EXECUTION", t, "ALLOCATING", t), null);
                    case 2 -> FakeAgent.unit(seq++, u, "EXECUTING", Map.of("EXECUTING", t), null);
                    default -> FakeAgent.unit(seq++, u, "DONE", Map.of("DONE", t), 0);
                });
            }
            long maxSeq = seq - 1;

            // deliver like a flaky network: random subsets, shuffled, with duplicates of old reports
            long acked = 1;
            int deliveries = 0;
            while (acked < maxSeq) {
                List<Report> batch = new ArrayList<>();
                for (Report r : all) {
                    boolean unacked = r.seq() > acked;
                    if (unacked ? random.nextInt(3) > 0 : random.nextInt(40) == 0) {
                        batch.add(r);
                    }
                    if (batch.size() >= 120) {
                        break;
                    }
                }
                Collections.shuffle(batch, random);
                if (random.nextBoolean() && !batch.isEmpty()) {
                    batch.add(batch.get(random.nextInt(batch.size()))); // the same report twice in one batch
                }
                deliveries += batch.size();
                FakeAgent.Answer a = fake.sync(cfg, cfg.secret(), batch, lastCommand);
                assertThat(a.status()).isEqualTo(200);
                assertThat(a.response().ackedSeq()).isGreaterThanOrEqualTo(acked);
                acked = a.response().ackedSeq();
            }
            // and everything once more, after it was all applied
            fake.sync(cfg, cfg.secret(), all, lastCommand);
            deliveries += all.size();
            assertThat(deliveries).isGreaterThan(2000);

            umgr.waitUnits(List.of(), List.of(), Duration.ofSeconds(30));
            List<UnitState> fullPath = List.of(UnitState.NEW, UnitState.UNSCHEDULED, UnitState.SCHEDULING,
                    UnitState.PENDING_INPUT_STAGING, UnitState.STAGING_INPUT, UnitState.PENDING_EXECUTION,
                    UnitState.ALLOCATING, UnitState.EXECUTING, UnitState.PENDING_OUTPUT_STAGING,
                    UnitState.STAGING_OUTPUT, UnitState.DONE);
            for (ComputeUnit u : units) {
                assertThat(u.state()).isEqualTo(UnitState.DONE);
                assertThat(u.stateHistory()).extracting(e -> e.state()).containsExactlyElementsOf(fullPath);
                assertThat(u.exitCode()).contains(0);
            }
            // callbacks: once per state, in order, for every unit
            long cbDeadline = System.currentTimeMillis() + 10_000;
            while (callbacks.size() < n * fullPath.size() && System.currentTimeMillis() < cbDeadline) {
                Thread.sleep(20);
            }
            Map<String, List<String>> perUnit = new ConcurrentHashMap<>();
            for (String c : callbacks) {
                String[] p = c.split(":");
                perUnit.computeIfAbsent(p[0], k -> new ArrayList<>()).add(p[1]);
            }
            assertThat(callbacks).hasSize(n * fullPath.size());
            for (List<String> states : perUnit.values()) {
                assertThat(states).containsExactlyElementsOf(fullPath.stream().map(Enum::name).toList());
            }
            LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit");
        }
    }

    @Test
    void wrongSecretOrAnotherPilotsUnitIsRefusedAndChangesNothing() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            var pmgr = session.createPilotManager();
            ComputePilot a = pmgr.submitPilot(LocalFixture.localPilot(work, 2).build());
            ComputePilot b = pmgr.submitPilot(LocalFixture.localPilot(work, 2).build());
            AgentConfig ca = fake.awaitLaunch(a.uid());
            AgentConfig cb = fake.awaitLaunch(b.uid());
            UnitManager umgr = session.createUnitManager();
            umgr.addPilots(List.of(a, b));
            ComputeUnit ofB = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .pilot(b.uid()).build());
            assertThat(ofB.state()).isEqualTo(UnitState.PENDING_INPUT_STAGING);

            // a wrong secret, and no secret: 401, the pilot stays where it was
            assertThat(fake.sync(ca, cb.secret(), List.of(FakeAgent.pilot(1, "ACTIVE")), 0).status()).isEqualTo(401);
            assertThat(fake.sync(ca, null, List.of(FakeAgent.pilot(1, "ACTIVE")), 0).status()).isEqualTo(401);
            assertThat(a.state()).isEqualTo(PilotState.PENDING_ACTIVE);

            // pilot A reports about pilot B's unit: acknowledged (so it is not re-sent) but not applied
            FakeAgent.Answer ans = fake.sync(ca, ca.secret(), List.of(FakeAgent.pilot(1, "ACTIVE"),
                    FakeAgent.unit(2, ofB.uid(), "DONE", Map.of(), 0)), 0);
            assertThat(ans.status()).isEqualTo(200);
            assertThat(ans.response().ackedSeq()).isEqualTo(2);
            assertThat(a.state()).isEqualTo(PilotState.ACTIVE);
            assertThat(ofB.state()).isEqualTo(UnitState.PENDING_INPUT_STAGING);
            assertThat(ofB.exitCode()).isEmpty();

            // an unknown unit and a nonsense state change nothing either
            ans = fake.sync(ca, ca.secret(), List.of(FakeAgent.unit(3, "unit.999999", "DONE", Map.of(), 0),
                    FakeAgent.unit(4, ofB.uid(), "NO_SUCH_STATE", Map.of(), 0)), 0);
            assertThat(ans.response().ackedSeq()).isEqualTo(4);
            assertThat(ofB.state()).isEqualTo(UnitState.PENDING_INPUT_STAGING);
        }
    }
}
