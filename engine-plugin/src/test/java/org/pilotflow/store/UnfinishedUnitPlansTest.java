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
 * PilotFlow's lookups of unfinished units, planned by H2 on a session that has run 20,000 units and has 20 running:
 * each must read about the 20, not the 20,000 (before migration 8, H2 walked the pilot's index over every unit the
 * pilot ever ran, because it uses an IN list only on an index's first column, and scheduling asked for a pilot's
 * load each time). Planned without statistics, as on a young database, and after {@code ANALYZE}, as H2 gathers
 * them on its own later.
 */
class UnfinishedUnitPlansTest {

    private static final int FINISHED = 20_000;
    private static final int RUNNING = 20;
    private static final Pattern SCAN_COUNT = Pattern.compile("scanCount: (\\d+)");

    @ParameterizedTest(name = "analyzed: {0}")
    @ValueSource(booleans = {false, true})
    void unfinishedUnitsAreFoundWithoutReadingTheFinishedOnes(boolean analyzed) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:unfinished-" + analyzed + ";DB_CLOSE_DELAY=-1",
                "sa", "");
             Statement st = c.createStatement()) {
            Schema.migrate(new SingleConnection(c));
            c.setAutoCommit(true);
            st.execute("INSERT INTO PF_UNIT (SESSION_ID, UID, MANAGER, DESCRIPTION, STATE, HISTORY, PILOT, ATTEMPT)"
                    + " SELECT 's', 'unit.' || X, 'umgr.0000', '{}', CASE WHEN X > " + FINISHED
                    + " THEN 'EXECUTING' ELSE 'DONE' END, '[]', 'pilot.000' || MOD(X, 2), 1"
                    + " FROM SYSTEM_RANGE(1, " + (FINISHED + RUNNING) + ")");
            if (analyzed) {
                st.execute("ANALYZE");
            }
            for (String sql : List.of(UnitTable.loadsOf(1), UnitTable.loadsOf(2), UnitTable.UNFINISHED_OF_PILOT,
                    UnitTable.UNFINISHED_COUNT_OF_PILOT, UnitTable.UNFINISHED_REVISIONS)) {
                String plan = plan(st, literals(sql));
                assertThat(scanCounts(plan)).as(plan).isNotEmpty().allSatisfy(n -> assertThat(n)
                        .isLessThanOrEqualTo(RUNNING + 1));
            }
        }
    }

    /** The statement with its parameters filled in: the session, then pilots. */
    private static String literals(String sql) {
        StringBuilder b = new StringBuilder();
        int param = 0;
        for (char ch : sql.toCharArray()) {
            if (ch == '?') {
                b.append(param++ == 0 ? "'s'" : "'pilot.000" + (param % 2) + "'");
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    private static List<Integer> scanCounts(String plan) {
        List<Integer> out = new ArrayList<>();
        Matcher m = SCAN_COUNT.matcher(plan);
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    private static String plan(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery("EXPLAIN ANALYZE " + sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
