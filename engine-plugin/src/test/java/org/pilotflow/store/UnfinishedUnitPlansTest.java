package org.pilotflow.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.internal.store.Json;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.Schema;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.store.UnitTable;
import org.pilotflow.model.UnitState;

/**
 * PilotFlow's lookups of a pilot's unfinished units, planned by H2 where the pilot has run 20,000 units and runs 10,
 * another pilot of the session runs 10, 3,000 units wait unscheduled and another session runs 50: each lookup must
 * read the pilot's own unfinished units only. With {@code SESSION_ID = ? AND PILOT = ? AND STATE IN (...)} H2 read
 * all 20,000 (it looks an IN list up in an index only on the index's leading columns), and scheduling asks for a
 * pilot's load every time it places units. Likewise what a node reads each second per open session while other nodes
 * are alive: the session's unfinished units (the session's 3,020, not every session's 3,070) and the number of units
 * it has (one counter row, not a count of its 23,020). Planned without statistics, as on a young database, and after
 * {@code ANALYZE}, as H2 gathers them on its own later.
 */
class UnfinishedUnitPlansTest {

    private static final int FINISHED = 20_000;
    private static final int RUNNING = 10; // on each of the two pilots
    private static final String DESCRIPTION =
            Json.write(ComputeUnitDescription.builder().executable("/bin/true").build());
    private static final Pattern SCAN_COUNT = Pattern.compile("scanCount: (\\d+)");

    @ParameterizedTest(name = "analyzed: {0}")
    @ValueSource(booleans = {false, true})
    void aPilotsUnfinishedUnitsAreFoundWithoutReadingOthers(boolean analyzed) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:unfinished-" + analyzed + ";ANALYZE_AUTO=0",
                "sa", "");
             Statement st = c.createStatement()) {
            Schema.migrate(new SingleConnection(c));
            c.setAutoCommit(true);
            insert(st, "s", FINISHED, "DONE", "'pilot.0000'");
            insert(st, "s", RUNNING, "EXECUTING", "'pilot.0000'");
            insert(st, "s", RUNNING, "EXECUTING", "'pilot.0001'");
            insert(st, "s", 3_000, "UNSCHEDULED", "NULL");
            insert(st, "other", 50, "EXECUTING", "'pilot.0000'");
            if (analyzed) {
                st.execute("ANALYZE");
            }
            List<String> one = List.of("pilot.0000");
            assertReads(c, UnitTable.loadsOf(1), one, RUNNING);
            assertReads(c, UnitTable.UNFINISHED_OF_PILOT, one, RUNNING);
            assertReads(c, UnitTable.UNFINISHED_OF_PILOT + " ORDER BY UID LIMIT 5", one, RUNNING);
            assertReads(c, UnitTable.UNFINISHED_COUNT_OF_PILOT, one, RUNNING);
            assertReads(c, UnitTable.loadsOf(2), List.of("pilot.0000", "pilot.0001"), 2 * RUNNING);

            assertReads(c, UnitTable.UNFINISHED_REVISIONS, ps -> UnitTable.bindUnfinishedRevisions(ps, "s"),
                    2 * RUNNING + 3_000);
            for (String session : List.of("s", "other", "third")) { // and 2,000 sessions more
                for (String name : List.of("pilot", "unit", "manager", SessionTable.Counter.STORED_UNITS)) {
                    st.execute("INSERT INTO PF_COUNTER (SESSION_ID, NAME, NEXT_VALUE) VALUES ('" + session + "', '"
                            + name + "', " + (session.equals("s") ? FINISHED + 2 * RUNNING + 3_000 : 50) + ")");
                }
            }
            st.execute("INSERT INTO PF_COUNTER (SESSION_ID, NAME, NEXT_VALUE) SELECT 'x' || X, '"
                    + SessionTable.Counter.STORED_UNITS + "', 0 FROM SYSTEM_RANGE(1, 2000)");
            assertReads(c, SessionTable.STORED_UNITS_OF_SESSION, ps -> ps.setString(1, "s"), 1);

            // and the statements find those units, no more
            assertThat(UnitTable.unfinishedRevisions(c, "s")).hasSize(2 * RUNNING + 3_000);
            assertThat(SessionTable.storedUnits(c, "s")).isEqualTo(FINISHED + 2 * RUNNING + 3_000);
            PilotKey pilot = new PilotKey("s", "pilot.0000");
            assertThat(UnitTable.countUnfinishedOf(c, pilot)).isEqualTo(RUNNING);
            assertThat(UnitTable.unfinishedOf(c, pilot, 5)).hasSize(5)
                    .allSatisfy(u -> {
                        assertThat(u.sessionId()).isEqualTo("s");
                        assertThat(u.pilot()).isEqualTo("pilot.0000");
                        assertThat(u.state()).isEqualTo(UnitState.EXECUTING);
                    });
            assertThat(UnitTable.loads(c, "s", List.of("pilot.0000", "pilot.0001", "pilot.0002")))
                    .containsOnlyKeys("pilot.0000", "pilot.0001")
                    .allSatisfy((uid, load) -> assertThat(load.cores()).isEqualTo(RUNNING));
        }
    }

    private static void insert(Statement st, String session, int n, String state, String pilot) throws Exception {
        st.execute("INSERT INTO PF_UNIT (SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY, PILOT, SLOTS, ATTEMPT)"
                + " SELECT '" + session + "', '" + state + "." + pilot.replace("'", "") + ".' || X, 'umgr.0000', '"
                + DESCRIPTION + "', '" + state + "', '[]', " + pilot + ", '[]', 1 FROM SYSTEM_RANGE(1, " + n + ")");
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws java.sql.SQLException;
    }

    private static void assertReads(Connection c, String sql, List<String> pilots, int rows) throws Exception {
        assertReads(c, sql, ps -> UnitTable.bindUnfinishedOf(ps, "s", pilots), rows);
    }

    /** Plans {@code sql} bound as production binds it and checks that no step reads more than {@code rows} + 1. */
    private static void assertReads(Connection c, String sql, Binder binder, int rows) throws Exception {
        String plan;
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN ANALYZE " + sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                plan = rs.getString(1);
            }
        }
        List<Integer> counts = new ArrayList<>();
        Matcher m = SCAN_COUNT.matcher(plan);
        while (m.find()) {
            counts.add(Integer.parseInt(m.group(1)));
        }
        assertThat(counts).as(plan).isNotEmpty().allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(rows + 1));
    }
}
