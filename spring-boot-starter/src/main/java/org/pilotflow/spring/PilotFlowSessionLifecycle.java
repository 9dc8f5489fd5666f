package org.pilotflow.spring;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.camunda.bpm.engine.ProcessEngine;
import org.pilotflow.api.Session;
import org.pilotflow.plugin.PilotFlowPlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Opens the application's session once the engine runs, and on shutdown closes it (canceling its pilots) and stops
 * PilotFlow's threads, in that order and before the engine closes: a lifecycle stops before any bean is destroyed,
 * and closing a session needs PilotFlow running.
 */
public class PilotFlowSessionLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(PilotFlowSessionLifecycle.class);

    private final PilotFlowPlugin plugin;
    private final Session session;
    private volatile boolean running;

    public PilotFlowSessionLifecycle(ProcessEngine engine, PilotFlowPlugin plugin, String sessionId) {
        this.plugin = plugin;
        this.session = sessionId == null || sessionId.isBlank() ? Session.attach(engine)
                : Session.reconnect(engine, sessionId);
        LOG.info("PilotFlow session {} is open", session.uid());
    }

    public Session session() {
        return session;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        try {
            session.close();
        } finally {
            plugin.stop();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** PilotFlow's threads and the job executor wait for connections when the pool is smaller than they can use. */
    /**
     * Refuses an H2 file database that H2 closes itself at JVM exit: its shutdown hook runs before Spring stops
     * PilotFlow, so the session could not cancel its pilots (their batch jobs would run on) or stop its watchdog.
     *
     * @throws IllegalStateException naming the property, its value and what to add
     */
    static void requireDatabaseOpenUntilStopped(DataSource dataSource) {
        String url;
        try {
            if (dataSource == null || !dataSource.isWrapperFor(HikariDataSource.class)) {
                return;
            }
            url = dataSource.unwrap(HikariDataSource.class).getJdbcUrl();
        } catch (SQLException e) {
            return;
        }
        String u = url == null ? "" : url.toUpperCase(java.util.Locale.ROOT).replace(" ", "");
        if (u.startsWith("JDBC:H2:") && !u.startsWith("JDBC:H2:MEM:") && !u.startsWith("JDBC:H2:TCP:")
                && !u.startsWith("JDBC:H2:SSL:") && !u.contains(";DB_CLOSE_ON_EXIT=FALSE")) {
            throw new IllegalStateException("spring.datasource.url is " + url + ", expected an H2 URL with "
                    + ";DB_CLOSE_ON_EXIT=FALSE: H2 would close the database at JVM exit before PilotFlow cancels its "
                    + "pilots and stops");
        }
    }

    static void warnIfPoolTooSmall(DataSource dataSource, int needed) {
        try {
            if (dataSource != null && dataSource.isWrapperFor(HikariDataSource.class)) {
                int size = dataSource.unwrap(HikariDataSource.class).getMaximumPoolSize();
                if (size < needed) {
                    LOG.warn("the connection pool has {} connections; PilotFlow's threads and the job executor can use"
                            + " {} at once (set spring.datasource.hikari.maximum-pool-size to at least {})", size,
                            needed, needed);
                }
            }
        } catch (SQLException e) {
            LOG.debug("cannot read the connection pool's size: {}", e.getMessage());
        }
    }
}
