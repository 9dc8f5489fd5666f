package org.pilotflow.internal.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a transaction publishes goes out only once its rows are committed, also when only PilotFlow wrote in it
 * (Camunda's commit goes through MyBatis, which commits only a session it wrote through). Checked the way a crash
 * would see it: from another connection, while the publisher runs.
 */
class TxCommitTest {

    private final String url = "jdbc:h2:mem:tx-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    private HikariDataSource pool;
    private ProcessEngine engine;
    private Transactions txs;
    private final List<Integer> rowsSeenWhenPublished = new ArrayList<>();

    @BeforeEach
    void engine() throws SQLException {
        pool = new HikariDataSource();
        pool.setJdbcUrl(url);
        pool.setUsername("sa");
        pool.setPassword("");
        pool.setMaximumPoolSize(2);
        ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                ProcessEngineConfiguration.createStandaloneProcessEngineConfiguration();
        cfg.setProcessEngineName("tx-commit-" + UUID.randomUUID());
        cfg.setDataSource(pool);
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_TRUE);
        cfg.setJobExecutorActivate(false);
        engine = cfg.buildProcessEngine();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE PF_PROBE (ID INT PRIMARY KEY)");
        }
        txs = new Transactions(cfg.getCommandExecutorTxRequired(), cfg.getCommandExecutorTxRequiresNew(),
                events -> rowsSeenWhenPublished.add(rowsSeenFromElsewhere()));
    }

    @AfterEach
    void close() {
        engine.close();
        pool.close();
    }

    private int rowsSeenFromElsewhere() {
        try (Connection other = DriverManager.getConnection(url, "sa", "");
             ResultSet rs = other.createStatement().executeQuery("SELECT COUNT(*) FROM PF_PROBE")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aTransactionOnlyPilotFlowWroteInIsCommittedBeforeItsEventsGoOut() {
        txs.runRetrying(tx -> {
            try (Statement s = tx.connection().createStatement()) {
                s.executeUpdate("INSERT INTO PF_PROBE VALUES (1)");
            }
            tx.publish(new Published.LaunchWanted());
            return null;
        });
        assertThat(rowsSeenWhenPublished).containsExactly(1);
        assertThat(rowsSeenFromElsewhere()).isEqualTo(1);
    }
}
