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
