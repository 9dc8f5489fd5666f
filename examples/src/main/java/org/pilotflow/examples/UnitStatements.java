package org.pilotflow.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.plugin.PilotFlowConfig;

/**
 * What one unit costs the engine's database: N {@code /bin/true} units on a 2-core local pilot, with H2's statement
 * statistics on, and a table of the SQL statements run per unit (how many, and H2's time for them), most frequent
 * first. H2 file database with durable commits ({@code WRITE_DELAY=0}), as the embedded default; a 50-unit warm-up is
 * left out of the counts. The times are H2's and include waiting for locks: counts are the figure to compare.
 *
 * <pre>
 * mvn -q -B -pl examples exec:java -Dexec.mainClass=org.pilotflow.examples.UnitStatements -Dexec.args="--units 2000"
 * </pre>
 *
 * Options: {@code --units N} (2000), {@code --unit-activity-history} (write units' activity instances, to see their
 * cost), {@code --work DIR} (a new temporary directory).
 */
public final class UnitStatements {

    private UnitStatements() {
    }

    public static void main(String[] args) throws Exception {
        int units = 2000;
        boolean activityHistory = false;
        Path work = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--units" -> units = Examples.intOption(args, i++, "--units");
                case "--unit-activity-history" -> activityHistory = true;
                case "--work" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--work needs a directory");
                    }
                    work = Path.of(args[++i]);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (usage: [--units N] [--unit-activity-history] [--work DIR])");
            }
        }
        work = work == null ? Files.createTempDirectory("pilotflow-statements") : work;
        String url = "jdbc:h2:file:" + work.toAbsolutePath().resolve("db/statements")
                + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;LOCK_TIMEOUT=30000;QUERY_STATISTICS_MAX_ENTRIES=1000";
        List<String[]> rows;
        double seconds;
        try (Session session = Session.builder()
                .config(PilotFlowConfig.builder().workDirectory(work).unitActivityHistory(activityHistory).build())
                .jdbcUrl(url).create()) {
            ComputePilot pilot = Examples.startLocalPilot(session, session.createPilotManager(), work, 2,
                    Duration.ofHours(1));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            run(umgr, 50);
            statistics(url, "SET QUERY_STATISTICS TRUE");
            long t0 = System.nanoTime();
            run(umgr, units);
            seconds = (System.nanoTime() - t0) / 1e9;
            rows = perUnit(url, units);
            statistics(url, "SET QUERY_STATISTICS FALSE");
        }
        print(units, seconds, activityHistory, rows);
    }

    private static void run(UnitManager umgr, int n) {
        List<ComputeUnitDescription> ds = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().executable("/bin/true").build());
        }
        List<String> uids = umgr.submitUnits(ds).stream().map(ComputeUnit::uid).toList();
        umgr.waitUnits(uids, null, Duration.ofMinutes(30));
    }

    private static void statistics(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Count per unit, total ms, statement; ordered by count. */
    private static List<String[]> perUnit(String url, int units) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT EXECUTION_COUNT, CUMULATIVE_EXECUTION_TIME, SQL_STATEMENT "
                     + "FROM INFORMATION_SCHEMA.QUERY_STATISTICS ORDER BY EXECUTION_COUNT DESC")) {
            while (rs.next()) {
                String sql = rs.getString(3).replaceAll("\\s+", " ").strip();
                if (sql.startsWith("SET QUERY_STATISTICS") || sql.contains("INFORMATION_SCHEMA.QUERY_STATISTICS")) {
                    continue;
                }
                out.add(new String[] {String.format("%.2f", rs.getLong(1) / (double) units),
                        String.format("%.0f", rs.getDouble(2)), sql.length() > 100 ? sql.substring(0, 97) + "..." : sql});
            }
        }
        return out;
    }

    private static void print(int units, double seconds, boolean activityHistory, List<String[]> rows) {
        double total = rows.stream().mapToDouble(r -> Double.parseDouble(r[0])).sum();
        System.out.printf("%nSQL statements per unit: %d /bin/true units on a 2-core local pilot in %.1f s, H2 file "
                + "database, units' activity history %s%n", units, seconds, activityHistory ? "on" : "off");
        System.out.printf("| %-9s | %-9s | %-100s |%n", "per unit", "H2 ms", "statement");
        System.out.printf("|-----------|-----------|%s|%n", "-".repeat(102));
        for (String[] r : rows) {
            if (Double.parseDouble(r[0]) >= 0.01) {
                System.out.printf("| %9s | %9s | %-100s |%n", r[0], r[1], r[2]);
            }
        }
        System.out.printf("| %9.1f |           | all statements (those below 0.01 a unit are not listed)%n", total);
    }
}
