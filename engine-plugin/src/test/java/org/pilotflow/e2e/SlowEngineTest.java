package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
                blocker.setAutoCommit(false);
                try (PreparedStatement ps = blocker.prepareStatement("SELECT LAST_SEQ FROM PF_REPORT_CURSOR"
                        + " WHERE SESSION_ID = ? AND PILOT = ? FOR UPDATE")) {
                    ps.setString(1, session.uid());
                    ps.setString(2, pilot.uid());
                    try (ResultSet rs = ps.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                    }
                }
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
}
