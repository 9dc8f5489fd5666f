package org.pilotflow.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pilotflow.testing.PostgresBackend.Database;

/** The PostgreSQL test backend ({@code test-backends/postgres.sh}) and {@link PostgresBackend}'s databases. */
class PostgresBackendTest {

    private static Map<String, String> env;

    @BeforeAll
    static void postgres() {
        env = TestBackends.require("postgres");
    }

    @Test
    void eachNewDatabaseIsEmptyAndSeparateFromTheOthers() throws Exception {
        Database a = PostgresBackend.newDatabase("PostgresBackendTest-a");
        Database b = PostgresBackend.newDatabase("PostgresBackendTest-b");
        try {
            assertThat(a.name()).startsWith("postgresbackendtest_a_").isNotEqualTo(b.name());
            try (Connection c = a.connect(); Statement st = c.createStatement()) {
                assertThat(query(st, "SELECT current_database()")).isEqualTo(a.name());
                st.execute("CREATE TABLE marker (v TEXT)");
                st.execute("INSERT INTO marker VALUES ('written in a')");
            }
            // a new connection to a sees the committed row: the write itself worked
            try (Connection c = a.connect(); Statement st = c.createStatement()) {
                assertThat(query(st, "SELECT string_agg(v, ',') FROM marker")).isEqualTo("written in a");
            }
            try (Connection c = b.connect(); Statement st = c.createStatement()) {
                assertThat(query(st, "SELECT current_database()")).isEqualTo(b.name());
                assertThat(query(st, "SELECT to_regclass('marker')::text")).as("table of database a seen in b")
                        .isNull();
            }
        } finally {
            PostgresBackend.dropDatabase(a);
            PostgresBackend.dropDatabase(b);
        }
        assertThat(databaseExists(a.name())).isFalse();
        assertThat(databaseExists(b.name())).isFalse();
    }

    @Test
    void dropEndsSessionsLeftConnected() throws Exception {
        Database db = PostgresBackend.newDatabase("leftover");
        try (Connection leftover = db.connect()) {
            assertThat(databaseExists(db.name())).isTrue();
            PostgresBackend.dropDatabase(db);
            assertThat(databaseExists(db.name())).isFalse();
            assertThat(leftover.isValid(5)).as("the leftover session was ended").isFalse();
        }
        PostgresBackend.dropDatabase(db); // gone already: nothing happens
    }

    @Test
    void theServerIsATestServerOnLoopbackWithPasswordLogins() throws Exception {
        Database admin = PostgresBackend.maintenanceDatabase();
        try (Connection c = admin.connect(); Statement st = c.createStatement()) {
            assertThat(query(st, "SHOW fsync")).isEqualTo("off");
            assertThat(query(st, "SHOW synchronous_commit")).isEqualTo("off");
            assertThat(query(st, "SHOW full_page_writes")).isEqualTo("off");
            assertThat(Integer.parseInt(query(st, "SHOW max_connections"))).isGreaterThanOrEqualTo(300);
            assertThat(query(st, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
            assertThat(query(st, "SELECT host(inet_server_addr())")).isEqualTo("127.0.0.1");
            assertThat(query(st, "SELECT rolcreatedb::text FROM pg_roles WHERE rolname = current_user"))
                    .isEqualTo("true");
        }
        assertThatThrownBy(() -> DriverManager.getConnection(admin.jdbcUrl(), admin.user(), "wrong").close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");

        // the same port on this machine's other addresses: nobody answers
        int port = Integer.parseInt(env.get("PG_PORT"));
        for (InetAddress other : otherAddresses()) {
            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(other, port), 2000);
                }
            }).as("connect to %s:%d", other.getHostAddress(), port).isInstanceOf(IOException.class);
        }
    }

    private static String query(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }

    private static boolean databaseExists(String name) throws SQLException {
        try (Connection c = PostgresBackend.maintenanceDatabase().connect();
                Statement st = c.createStatement()) {
            return "1".equals(query(st, "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"));
        }
    }

    /** This machine's IPv4 addresses that are not loopback (a container may have none besides 127.0.0.1). */
    private static List<InetAddress> otherAddresses() throws SocketException {
        return NetworkInterface.networkInterfaces()
                .flatMap(NetworkInterface::inetAddresses)
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .toList();
    }
}
