package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;

/**
 * A slow engine is not a dead agent. The test makes applying the agent's reports take three heartbeat timeouts
 * (it holds the pilot's report cursor row, which every report transaction must lock), while the agent keeps
 * syncing: the pilot must stay ACTIVE and every unit end DONE. (The first releases stamped the heartbeat when a
 * sync started, so a long apply let the watchdog kill a working agent.)
 */
class SlowEngineTest {

    @TempDir
    Path work;

    @Test
    void anAgentWhoseReportsTakeLongToApplyIsNotLost() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            long timeout = LocalFixture.config(work).heartbeatTimeout().toMillis();
            ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                    session.processEngine().getProcessEngineConfiguration();
            List<ComputeUnit> units;
            try (Connection blocker = cfg.getDataSource().getConnection()) {
                lockReportCursor(blocker, session.uid(), pilot.uid());
                List<ComputeUnitDescription> ds = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
                }
                units = umgr.submitUnits(ds);
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * timeout);
                while (System.nanoTime() < until) {
                    assertThat(pilot.state()).as("the pilot while its reports wait").isEqualTo(PilotState.ACTIVE);
                    Thread.sleep(200);
                }
                assertThat(units).allMatch(u -> !u.state().isFinal(), "no unit report was applied meanwhile");
                blocker.rollback();
            }
            assertThat(umgr.waitUnits(List.of(), List.of(), Duration.ofSeconds(120))).containsOnly(UnitState.DONE);
            assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
            assertThat(pilot.stateHistory()).extracting(StateEntry::state).doesNotContain(PilotState.FAILED);
        }
    }

    /**
     * An agent that ended while its last reports still waited to be applied (its runtime was over and it stopped
     * waiting for the acknowledgement; seen with 100 pilots on a saturated machine): its job is gone, yet the pilot
     * is not declared lost before that sync is applied, so no unit that ran ends FAILED. (Before, the job poll
     * failed the pilot at once and the agent's DONE reports were refused.)
     */
    @Test
    void anAgentThatEndedBeforeItsLastReportsWereAppliedLosesNoUnit() throws Exception {
        Duration within = Duration.ofSeconds(60);
        try (Session session = LocalFixture.session(work)) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            AgentConfig cfg = fake.awaitLaunch(pilot.uid());
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnit> units = umgr.submitUnits(List.of(
                    ComputeUnitDescription.builder().executable("/bin/true").build(),
                    ComputeUnitDescription.builder().executable("/bin/true").build()));
            Set<String> sent = new HashSet<>();
            long last = 0;
            long deadline = System.nanoTime() + within.toNanos();
            while (sent.size() < units.size()) { // the agent starts and takes both units
                assertThat(System.nanoTime()).as("the units' run commands").isLessThan(deadline);
                FakeAgent.Answer a = fake.sync(cfg, cfg.secret(), List.of(FakeAgent.pilot(1, "ACTIVE")), last);
                assertThat(a.status()).isEqualTo(200);
                for (Command c : a.response().commands()) {
                    if (c.type() == Command.Type.RUN_UNIT) {
                        sent.add(c.unitId());
                    }
                    last = Math.max(last, c.seq());
                }
            }
            assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);

            ProcessEngineConfigurationImpl engineCfg = (ProcessEngineConfigurationImpl)
                    session.processEngine().getProcessEngineConfiguration();
            try (Connection blocker = engineCfg.getDataSource().getConnection()) {
                lockReportCursor(blocker, session.uid(), pilot.uid());
                // the agent's last sync: both units ran and are DONE; it waits for the cursor, so it is not
                // applied yet when the agent ends
                long now = System.currentTimeMillis();
                List<Report> reports = new ArrayList<>();
                long seq = 2;
                for (ComputeUnit u : units) {
                    reports.add(FakeAgent.unit(seq++, u.uid(), "EXECUTING", Map.of("EXECUTING", now), null));
                    reports.add(FakeAgent.unit(seq++, u.uid(), "DONE", Map.of("DONE", now), 0));
                }
                long lastCommand = last;
                CompletableFuture<FakeAgent.Answer> lastSync = CompletableFuture.supplyAsync(() -> {
                    try {
                        return fake.sync(cfg, cfg.secret(), reports, lastCommand);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                awaitSomeoneWaitsForALock(engineCfg, within);
                fake.gone.add(FakeAgent.jobId(pilot.uid())); // the agent process has ended
                int polls = fake.pollsOf(pilot.uid());
                while (fake.pollsOf(pilot.uid()) < polls + 3) { // three job polls see the job gone
                    assertThat(System.nanoTime()).as("three job polls").isLessThan(deadline);
                    assertThat(pilot.state()).as("the pilot while its agent's last sync waits")
                            .isEqualTo(PilotState.ACTIVE);
                    Thread.sleep(50);
                }
                assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
                blocker.rollback();
                assertThat(lastSync.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
            assertThat(umgr.waitUnits(List.of(), List.of(), within)).containsOnly(UnitState.DONE);
            // then the job poll ends the pilot whose job is gone, with the job manager's words
            assertThat(pilot.waitFor(within, PilotState.FAILED)).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).get().asString().contains("the fake agent ended");
        }
    }

    /**
     * A sync that finds the workers' queue full is answered 503 at once, and marked heard: the engine counted the
     * agent's contact, so the agent's orphan clock starts again (seen with 100 agents on a saturated machine, where
     * agents answered only "busy" for five minutes ended themselves as orphans).
     */
    @Test
    void aSyncTheWorkersCannotTakeIsAnsweredBusyAndCountsAsContact() throws Exception {
        Duration within = Duration.ofSeconds(60);
        PilotFlowConfig oneWorker = LocalFixture.config(work).toBuilder().syncThreads(1).build();
        try (Session session = LocalFixture.builder(work, oneWorker).create()) {
            FakeAgent fake = FakeAgent.install(session);
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            AgentConfig cfg = fake.awaitLaunch(pilot.uid());
            FakeAgent.Answer first = fake.sync(cfg, cfg.secret(), List.of(FakeAgent.pilot(1, "ACTIVE")), 0);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.heard()).isTrue();
            pilot.waitFor(within, PilotState.ACTIVE);

            ProcessEngineConfigurationImpl engineCfg = (ProcessEngineConfigurationImpl)
                    session.processEngine().getProcessEngineConfiguration();
            List<CompletableFuture<FakeAgent.Answer>> waiting = new ArrayList<>();
            try (Connection blocker = engineCfg.getDataSource().getConnection()) {
                lockReportCursor(blocker, session.uid(), pilot.uid());
                // the one worker takes a report it cannot apply yet; each sync after it waits in the queue
                waiting.add(syncLater(fake, cfg, List.of(FakeAgent.pilot(2, "ACTIVE"))));
                awaitSomeoneWaitsForALock(engineCfg, within);
                FakeAgent.Answer busy = null;
                long deadline = System.nanoTime() + within.toNanos();
                while (busy == null) {
                    assertThat(System.nanoTime()).as("a sync answered busy").isLessThan(deadline);
                    CompletableFuture<FakeAgent.Answer> next = syncLater(fake, cfg, List.of());
                    try {
                        busy = next.get(500, TimeUnit.MILLISECONDS); // answered at once: the queue is full
                    } catch (TimeoutException queued) {
                        waiting.add(next);
                    }
                }
                assertThat(busy.status()).isEqualTo(503);
                assertThat(busy.heard()).as("a busy answer is marked heard").isTrue();
                assertThat(waiting).hasSizeGreaterThan(1);
                blocker.rollback();
            }
            for (CompletableFuture<FakeAgent.Answer> w : waiting) {
                assertThat(w.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
            assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
        }
    }

    private static CompletableFuture<FakeAgent.Answer> syncLater(FakeAgent fake, AgentConfig cfg,
                                                                 List<Report> reports) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return fake.sync(cfg, cfg.secret(), reports, 0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, SYNCS);
    }

    /** Threads for syncs sent in the background (each waits for its answer). */
    private static final ExecutorService SYNCS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-sync");
        t.setDaemon(true);
        return t;
    });

    private static void lockReportCursor(Connection blocker, String sessionId, String pilotUid) throws Exception {
        blocker.setAutoCommit(false);
        try (PreparedStatement ps = blocker.prepareStatement("SELECT LAST_SEQ FROM PF_REPORT_CURSOR"
                + " WHERE SESSION_ID = ? AND PILOT = ? FOR UPDATE")) {
            ps.setString(1, sessionId);
            ps.setString(2, pilotUid);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
            }
        }
    }

    /** Waits until some database session waits for a lock (the sync's report transaction, on the cursor row). */
    private static void awaitSomeoneWaitsForALock(ProcessEngineConfigurationImpl engineCfg, Duration within)
            throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        try (Connection c = engineCfg.getDataSource().getConnection()) {
            boolean postgres = c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
            String sql = postgres
                    ? "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    : "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL";
            while (true) {
                try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                assertThat(System.nanoTime()).as("the sync's transaction waiting for the cursor lock")
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
        }
    }
}
