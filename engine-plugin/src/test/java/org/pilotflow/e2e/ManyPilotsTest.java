package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * 100 pilots x 100 units on one engine: 100 agent JVMs sync with one endpoint whose concurrency is bounded, and the
 * engine's connection pool is sized from the configuration. Every unit ends DONE, and closing the session ends
 * every agent. (The first releases ran out of connections here, failed submitUnits and left 97 agents running.)
 */
class ManyPilotsTest {

    static final int PILOTS = Integer.getInteger("pilotflow.test.manyPilots", 100);
    static final int UNITS_PER_PILOT = 100;

    @TempDir
    Path work;

    @Test
    void aHundredPilotsWithAHundredUnitsEach() throws Exception {
        // once per build (six minutes on two cores): on the embedded default; -Dpilotflow.test.manyPilotsOnPostgres
        // runs it in the PostgreSQL run too
        org.junit.jupiter.api.Assumptions.assumeTrue(!LocalFixture.onPostgres()
                || Boolean.getBoolean("pilotflow.test.manyPilotsOnPostgres"), "runs in the H2 run");
        List<Long> agents = new ArrayList<>();
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .heartbeatInterval(Duration.ofSeconds(1)).heartbeatTimeout(Duration.ofSeconds(20)).build()).create()) {
            PilotManager pmgr = session.createPilotManager();
            List<ComputePilotDescription> pds = new ArrayList<>();
            for (int i = 0; i < PILOTS; i++) { // a runtime well past the run on a saturated machine (11 min)
                pds.add(LocalFixture.localPilot(work, 1).runtime(Duration.ofMinutes(40)).build());
            }
            List<ComputePilot> pilots = pmgr.submitPilots(pds);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilots(pilots);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < PILOTS * UNITS_PER_PILOT; i++) {
                ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
            }
            long t0 = System.nanoTime();
            Thread progress = new Thread(() -> { // a line every 15 s: where the run stands, for a person reading
                try {
                    while (true) {
                        Thread.sleep(15_000);
                        long done = umgr.getUnits(List.of()).stream().filter(u -> u.state().isFinal()).count();
                        System.out.printf("%.0f s: %d units final, %d pilots ACTIVE, %d engine jobs waiting%n",
                                (System.nanoTime() - t0) / 1e9, done, pilots.stream()
                                        .filter(p -> p.state() == PilotState.ACTIVE).count(),
                                session.processEngine().getManagementService().createJobQuery().count());
                    }
                } catch (InterruptedException | RuntimeException e) {
                    // the test is over
                }
            }, "progress");
            progress.setDaemon(true);
            progress.start();
            umgr.submitUnits(ds);
            List<UnitState> states = umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(30));
            progress.interrupt();
            assertThat(states).hasSize(PILOTS * UNITS_PER_PILOT);
            // a count per state and reason, not 10,000 states, when some unit did not end DONE
            java.util.Map<String, Long> notDone = umgr.getUnits(List.of()).stream()
                    .filter(u -> u.state() != UnitState.DONE)
                    .collect(java.util.stream.Collectors.groupingBy(u -> u.state() + ": "
                            + firstWords(u.failureReason().orElse("-")),
                            java.util.TreeMap::new, java.util.stream.Collectors.counting()));
            assertThat(notDone).as("units not DONE, by state and reason").isEmpty();
            System.out.printf("%d pilots x %d units: all DONE %.1f s after the first submit%n", PILOTS,
                    UNITS_PER_PILOT, (System.nanoTime() - t0) / 1e9);
            assertThat(pmgr.waitPilots(List.of(), List.of(PilotState.ACTIVE), Duration.ofSeconds(10)))
                    .containsOnly(PilotState.ACTIVE);
            for (ComputePilot p : pilots) {
                agents.add(LocalFixture.agentPid(p));
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<Long> alive;
        do {
            alive = agents.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .toList();
            Thread.sleep(200);
        } while (!alive.isEmpty() && System.nanoTime() < deadline);
        assertThat(alive).as("agents still running after close()").isEmpty();
    }

    /** A reason without its numbers and log tail, so like reasons count together. */
    private static String firstWords(String reason) {
        String r = reason.replaceAll("\\d+", "N");
        return r.length() <= 80 ? r : r.substring(0, 80) + "...";
    }
}
