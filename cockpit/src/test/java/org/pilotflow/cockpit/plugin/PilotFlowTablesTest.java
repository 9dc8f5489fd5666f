package org.pilotflow.cockpit.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.pilotflow.internal.store.Schema;

/** The view's reads against PilotFlow's real schema (H2, in memory). */
class PilotFlowTablesTest {

    @Test
    void aUnitThatNeverExitedHasNoExitCode() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:pilotflow-tables-test;DB_CLOSE_DELAY=-1");
        Schema.migrate(ds);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO PF_SESSION (ID, CREATED, ENDPOINT_PORT, CLOSED) VALUES ('session.t', 1, 0, FALSE)");
            String unit = "INSERT INTO PF_UNIT (SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY, ATTEMPT,"
                    + " EXIT_CODE, REASON) VALUES ('session.t', '%s', 'umgr.0000', '{\"name\":\"%s\"}', 'FAILED', '[]',"
                    + " 1, %s, '%s')";
            st.execute(String.format(unit, "unit.000000", "exited", "3", "exit code 3"));
            st.execute(String.format(unit, "unit.000001", "never-ran", "NULL", "needs 8 cores, largest pilot has 4"));
        }
        List<PilotFlowTables.UnitRow> rows = new PilotFlowTables(ds).units(new PilotFlowTables.Filter("session.t",
                List.of(), null, 50, 0)).items();
        Map<String, PilotFlowTables.UnitRow> byUid = rows.stream()
                .collect(Collectors.toMap(PilotFlowTables.UnitRow::uid, Function.identity()));
        assertThat(byUid.get("unit.000000").exitCode()).isEqualTo(3);
        assertThat(byUid.get("unit.000001").exitCode()).as("a NULL exit code is no exit code, not 0").isNull();
    }
}
