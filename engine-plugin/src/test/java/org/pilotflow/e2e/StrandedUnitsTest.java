package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/** Every unit bound to a pilot that ends reaches a final state, whatever the interleaving. */
class StrandedUnitsTest {

    @TempDir
    Path work;

    @Test
    void unitsBoundWhileTheirPilotIsCanceledAllEnd() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot a = LocalFixture.activePilot(pmgr, work, 2);
            ComputePilot b = LocalFixture.activePilot(pmgr, work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilots(List.of(a, b));
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < 1500; i++) {
                ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
            }
            CompletableFuture<List<ComputeUnit>> submitted = CompletableFuture.supplyAsync(() -> umgr.submitUnits(ds));
            while (umgr.listUnits().size() < 200) {
                Thread.sleep(10);
            }
            a.cancel(); // while later chunks are being bound to it
            List<ComputeUnit> units = submitted.get();
            assertThat(a.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.CANCELED);
            List<UnitState> states = umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(3));
            // Which units a's cancel catches depends on the machine's speed (a fast one may finish all of a's units
            // before the cancel reaches its agent): every unit ends DONE or CANCELED, none is stranded.
            assertThat(states).hasSize(1500).isSubsetOf(UnitState.DONE, UnitState.CANCELED);
            for (ComputeUnit u : units) {
                if (u.state() == UnitState.CANCELED) {
                    assertThat(u.pilot()).contains(a.uid());
                }
            }
            assertThat(b.state()).isEqualTo(PilotState.ACTIVE);
        }
    }

    /**
     * However a final pilot came to have unfinished units (here put back by hand, as an interrupted transaction
     * sequence could leave them), the watchdog ends them within seconds.
     */
    @Test
    void theWatchdogEndsUnfinishedUnitsOfAFinalPilot() throws Exception {
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot a = LocalFixture.activePilot(pmgr, work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(a);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
            }
            umgr.submitUnits(ds);
            umgr.waitUnits(List.of(), List.of(), Duration.ofSeconds(90));
            a.cancel();
            assertThat(a.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.CANCELED);
            ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                    session.processEngine().getProcessEngineConfiguration();
            try (Connection c = cfg.getDataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("UPDATE PF_UNIT SET STATE = 'PENDING_INPUT_STAGING',"
                         + " REV = REV + 1 WHERE SESSION_ID = ? AND UID IN ('unit.000003', 'unit.000017')")) {
                c.setAutoCommit(false);
                ps.setString(1, session.uid());
                assertThat(ps.executeUpdate()).isEqualTo(2);
                c.commit();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            UnitStateProbe probe = new UnitStateProbe(cfg, session.uid());
            while (probe.unfinished() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(probe.unfinished()).as("unfinished units of the canceled pilot, in the database").isZero();
            assertThat(probe.state("unit.000003")).isEqualTo("CANCELED");
        }
    }

    /** Reads unit states straight from the database (the truth), not through the session's view. */
    private record UnitStateProbe(ProcessEngineConfigurationImpl cfg, String session) {
        int unfinished() throws Exception {
            try (Connection c = cfg.getDataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM PF_UNIT WHERE SESSION_ID = ?"
                         + " AND STATE NOT IN ('DONE', 'FAILED', 'CANCELED')")) {
                ps.setString(1, session);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        }

        String state(String uid) throws Exception {
            try (Connection c = cfg.getDataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT STATE FROM PF_UNIT WHERE SESSION_ID = ? AND UID = ?")) {
                ps.setString(1, session);
                ps.setString(2, uid);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        }
    }
}
