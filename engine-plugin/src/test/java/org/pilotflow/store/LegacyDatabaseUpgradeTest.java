package org.pilotflow.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;

/**
 * A database written by the first releases (schema version 1: no version table, truth partly in memory) is
 * upgraded in place and its sessions go on. The fixture {@code pilotflow-v1-h2.zip} is an H2 SCRIPT dump of a
 * work directory written by main at commit 7b25788 (the last release before migrations), then halted like kill -9:
 * <ul>
 *   <li>session {@code session.20261201.173528.f66f21}: closed; pilot.0000 CANCELED; unit.000000 DONE, unit.000001
 *       FAILED (exit 3); managers pmgr.0000 and umgr.0001, closed;</li>
 *   <li>session {@code session.20261201.173534.f9442c}: open; pilot.0000 ACTIVE (job fork:2598, long gone);
 *       unit.000000-000002 DONE, unit.000003-000004 EXECUTING ({@code sleep 300}), unit.000005 UNSCHEDULED in the
 *       BACKFILLING manager umgr.0002, which has no pilot; managers pmgr.0000, umgr.0001 (ROUND_ROBIN, with
 *       pilot.0000), umgr.0002.</li>
 * </ul>
 */
class LegacyDatabaseUpgradeTest {

    static final String CLOSED = "session.20261201.173528.f66f21";
    static final String OPEN = "session.20261201.173534.f9442c";

    @TempDir
    Path work;

    private String restore() throws Exception {
        Path dump = work.resolve("v1.zip");
        try (InputStream in = getClass().getResourceAsStream("/org/pilotflow/store/pilotflow-v1-h2.zip")) {
            Files.copy(in, dump, StandardCopyOption.REPLACE_EXISTING);
        }
        String url = "jdbc:h2:file:" + work.resolve("db").resolve("pilotflow");
        try (Connection c = DriverManager.getConnection(url, "sa", "");
             Statement st = c.createStatement()) {
            st.execute("RUNSCRIPT FROM '" + dump + "' COMPRESSION ZIP");
        }
        return url;
    }

    @Test
    void theMigrationKeepsEveryFactAndAddsTheNewOnes() throws Exception {
        String url = restore();
        try (Connection c = DriverManager.getConnection(url, "sa", "")) {
            assertThat(org.pilotflow.internal.store.Schema.migrate(new SingleConnection(c))).isEqualTo(1);
            assertThat(org.pilotflow.internal.store.Schema.appliedVersions(c)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            assertThat(org.pilotflow.internal.store.Schema.migrate(new SingleConnection(c)))
                    .as("a second start finds nothing to do").isEqualTo(org.pilotflow.internal.store.Schema.CURRENT);
            Map<String, Long> counters = new HashMap<>();
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT SESSION_ID, NAME, NEXT_VALUE FROM PF_COUNTER")) {
                while (rs.next()) {
                    counters.put(rs.getString(1).substring(rs.getString(1).length() - 6) + ":" + rs.getString(2),
                            rs.getLong(3));
                }
            }
            assertThat(counters).containsEntry("f66f21:unit", 2L).containsEntry("f66f21:pilot", 1L)
                    .containsEntry("f66f21:manager", 2L).containsEntry("f9442c:unit", 6L)
                    .containsEntry("f9442c:pilot", 1L).containsEntry("f9442c:manager", 3L)
                    .as("the units each session had stored").containsEntry("f66f21:stored-units", 2L)
                    .containsEntry("f9442c:stored-units", 6L);
            assertThat(query(c, "SELECT LISTAGG(INDEX_NAME, ',') WITHIN GROUP (ORDER BY INDEX_NAME)"
                    + " FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'PF_UNIT' AND INDEX_NAME LIKE 'PF_UNIT_%'"))
                    .isEqualTo("PF_UNIT_MANAGER,PF_UNIT_PILOT,PF_UNIT_PROC_INST,PF_UNIT_STATE_SESSION");
            assertThat(query(c, "SELECT JOB_PHASE FROM PF_PILOT WHERE SESSION_ID = '" + OPEN + "'"))
                    .isEqualTo("SUBMITTED");
            assertThat(query(c, "SELECT JOB_PHASE FROM PF_PILOT WHERE SESSION_ID = '" + CLOSED + "'"))
                    .isEqualTo("ENDED");
            assertThat(query(c, "SELECT PILOT FROM PF_MANAGER_PILOT WHERE SESSION_ID = '" + OPEN
                    + "' AND MANAGER = 'umgr.0001'")).isEqualTo("pilot.0000");
            assertThat(query(c, "SELECT COUNT(*) FROM PF_REPORT_CURSOR")).isEqualTo("2");
            assertThat(Long.parseLong(query(c, "SELECT LAST_SEQ FROM PF_REPORT_CURSOR WHERE SESSION_ID = '" + OPEN
                    + "'"))).as("the old LAST_SEQ moved to the report cursor").isPositive();
            assertThat(query(c, "SELECT NEXT_CMD_SEQ FROM PF_PILOT WHERE SESSION_ID = '" + OPEN + "'"))
                    .as("command numbers of a live v1 pilot start above any its agent saw").isEqualTo("1000000");
            assertThat(query(c, "SELECT COUNT(*) FROM PF_UNIT WHERE CORES = 1")).isEqualTo("8");
        }
    }

    @Test
    void anUpgradedSessionGoesOnWhereItStopped() throws Exception {
        restore();
        PilotFlowConfig config = PilotFlowConfig.builder().workDirectory(work)
                .heartbeatInterval(Duration.ofMillis(500)).heartbeatTimeout(Duration.ofSeconds(4))
                .jobPollInterval(Duration.ofSeconds(1)).cancelGrace(Duration.ofSeconds(10)).build();
        try (Session session = Session.builder().config(config).reconnect(OPEN)) {
            ComputePilot old = session.pilotManagers().get(0).getPilots(List.of()).get(0);
            assertThat(old.waitFor(Duration.ofSeconds(60))).as("its job is long gone").isEqualTo(PilotState.FAILED);
            assertThat(old.reason()).get().asString().contains("pilot lost");

            UnitManager roundRobin = session.unitManagers().get(0);
            UnitManager backfilling = session.unitManagers().get(1);
            assertThat(roundRobin.uid()).isEqualTo("umgr.0001");
            List<UnitState> states = roundRobin.waitUnits(List.of(), List.of(), Duration.ofSeconds(60));
            assertThat(states).containsExactly(UnitState.DONE, UnitState.DONE, UnitState.DONE, UnitState.FAILED,
                    UnitState.FAILED);
            assertThat(roundRobin.getUnits(List.of("unit.000003")).get(0).failureReason()).get().asString()
                    .contains("pilot lost: pilot.0000");

            ComputePilot fresh = session.pilotManagers().get(0).submitPilot(ComputePilotDescription.builder()
                    .resource("local.localhost").runtime(Duration.ofMinutes(5)).cores(1)
                    .sandbox(work.resolve("sandboxes").toString()).build());
            assertThat(fresh.uid()).as("uids continue after the old ones").isEqualTo("pilot.0001");
            backfilling.addPilot(fresh);
            assertThat(backfilling.waitUnits(List.of("unit.000005"), List.of(), Duration.ofSeconds(90)))
                    .containsExactly(UnitState.DONE);
            ComputeUnit next = backfilling.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            assertThat(next.uid()).isEqualTo("unit.000006");
            assertThat(next.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.DONE);
            org.pilotflow.e2e.LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit");
        }
    }

    private static String query(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
