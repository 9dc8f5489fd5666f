package org.pilotflow.api;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;

/**
 * The connection pool of an embedded engine: HikariCP, sized from PilotFlow's configuration. (Camunda's own
 * MyBatis pool reclaims a connection checked out longer than 20 s, even while its transaction still runs, which
 * broke report application under load.)
 */
final class Pools {
    private Pools() {
    }

    static DataSource dataSource(String url, String user, String password, int size) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password);
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(Math.min(4, size));
        c.setAutoCommit(false);
        c.setPoolName("pilotflow");
        c.setConnectionTimeout(60_000); // a busy machine: wait for a connection rather than fail
        return new HikariDataSource(c);
    }
}
