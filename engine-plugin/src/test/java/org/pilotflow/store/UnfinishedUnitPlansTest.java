package org.pilotflow.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pilotflow.internal.store.Schema;
import org.pilotflow.internal.store.UnitTable;

/**
 * PilotFlow's lookups of a pilot's unfinished units, planned by H2 where the pilot has run 20,000 units and runs 10,
 * another pilot of the session runs 10, 3,000 units wait unscheduled and another session runs 50: each lookup must
 * read the pilot's own unfinished units only. With {@code SESSION_ID = ? AND PILOT = ? AND STATE IN (...)} H2 read
 * all 20,000 (it looks an IN list up in an index only on the index's leading columns), and scheduling asks for a
 * pilot's load every time it places units. Planned without statistics, as on a young database, and after
 * {@code ANALYZE}, as H2 gathers them on its own later.
 */
class UnfinishedUnitPlansTest {

    private static final int FINISHED = 20_000;
    private static final int RUNNING = 10; // on each of the two pilots
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
            for (String sql : List.of(UnitTable.loadsOf(1), UnitTable.UNFINISHED_OF_PILOT,
                    UnitTable.UNFINISHED_COUNT_OF_PILOT)) {
                assertReads(st, literals(sql, 1), RUNNING);
            }
            assertReads(st, literals(UnitTable.loadsOf(2), 2), 2 * RUNNING);
        }
    }

    private static void insert(Statement st, String session, int n, String state, String pilot) throws Exception {
        st.execute("INSERT INTO PF_UNIT (SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY, PILOT, ATTEMPT)"
                + " SELECT '" + session + "', '" + state + "." + pilot.replace("'", "") + ".' || X, 'umgr.0000', '{}', '"
                + state + "', '[]', "
                + pilot + ", 1 FROM SYSTEM_RANGE(1, " + n + ")");
    }

    private static void assertReads(Statement st, String sql, int rows) throws Exception {
        String plan;
        try (ResultSet rs = st.executeQuery("EXPLAIN ANALYZE " + sql)) {
            rs.next();
            plan = rs.getString(1);
        }
        List<Integer> counts = new ArrayList<>();
        Matcher m = SCAN_COUNT.matcher(plan);
        while (m.find()) {
            counts.add(Integer.parseInt(m.group(1)));
        }
        assertThat(counts).as(plan).isNotEmpty().allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(rows + 1));
    }

    /**
     * The statement with its parameters filled in: session "s" and a pilot for each tuple, the tuples pilot by pilot
     * (pilot.0000, then pilot.0001), as many per pilot as there are unfinished states.
     */
    private static String literals(String sql, int pilots) {
        int params = (int) sql.chars().filter(ch -> ch == '?').count();
        int perPilot = params / pilots;
        StringBuilder b = new StringBuilder();
        int param = 0;
        for (char ch : sql.toCharArray()) {
            if (ch == '?') {
                b.append(param % 2 == 0 ? "'s'" : "'pilot.000" + (param / perPilot) + "'");
                param++;
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
