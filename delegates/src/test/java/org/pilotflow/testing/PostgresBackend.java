package org.pilotflow.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The test PostgreSQL server ({@code test-backends/postgres.sh}, started through {@link TestBackends}), handing
 * out a fresh database per test so tests never share state. Skips or fails the calling test like
 * {@link TestBackends#require} when the server cannot start.
 *
 * <pre>{@code
 * PostgresBackend.Database db = PostgresBackend.newDatabase("smoke");
 * try { ... db.jdbcUrl(), db.user(), db.password() ... } finally { PostgresBackend.dropDatabase(db); }
 * }</pre>
 */
public final class PostgresBackend {

    /** The driver class, for configurations that name it (e.g. Camunda's {@code jdbcDriver}). */
    public static final String JDBC_DRIVER = "org.postgresql.Driver";

    /** A database of the test server and how to log in to it (the server's test role owns it). */
    public record Database(String name, String jdbcUrl, String user, String password) {

        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, user, password);
        }
    }

    private PostgresBackend() {
    }

    /** The server's own database ({@code PG_DATABASE}): where databases are created and dropped from. */
    public static Database maintenanceDatabase() {
        Map<String, String> env = TestBackends.require("postgres");
        return new Database(env.get("PG_DATABASE"), env.get("PG_JDBC_URL"), env.get("PG_USER"),
                env.get("PG_PASSWORD"));
    }

    /**
     * Creates an empty database named {@code <prefix>_<random>} (the prefix reduced to lower-case letters, digits
     * and underscores, so the name needs no quoting and shows which test made it).
     */
    public static Database newDatabase(String prefix) {
        Database admin = maintenanceDatabase();
        String clean = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.isEmpty() || !Character.isLetter(clean.charAt(0))) {
            clean = "t_" + clean;
        }
        // 63 bytes is PostgreSQL's limit for a name; 16 random hex digits keep names unique across test JVMs
        String name = truncate(clean, 46) + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        // template0: template1 may not be copied while anyone is connected to it
        execute(admin, "CREATE DATABASE " + name + " TEMPLATE template0");
        String url = admin.jdbcUrl().substring(0, admin.jdbcUrl().lastIndexOf('/') + 1) + name;
        return new Database(name, url, admin.user(), admin.password());
    }

    /**
     * Drops the database, ending the sessions still connected to it (a pool an engine did not close, a test that
     * failed half-way); nothing happens when it does not exist.
     */
    public static void dropDatabase(Database db) {
        if (db.name().equals(maintenanceDatabase().name())) {
            throw new IllegalArgumentException("the server's own database " + db.name() + " is not a test's to drop");
        }
        // terminates the other sessions first (as their owner, no superuser needed)
        execute(maintenanceDatabase(), "DROP DATABASE IF EXISTS " + db.name() + " WITH (FORCE)");
    }

    private static void execute(Database on, String sql) {
        try (Connection c = on.connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed on " + on.jdbcUrl() + ": " + e.getMessage()
                    + " (the server's log is PG_LOG in " + TestBackends.stateDir("postgres").resolve("postgres.env")
                    + ")", e);
        }
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
