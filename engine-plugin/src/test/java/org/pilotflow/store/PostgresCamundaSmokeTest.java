package org.pilotflow.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.task.Task;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.junit.jupiter.api.Test;
import org.pilotflow.testing.PostgresBackend;
import org.pilotflow.testing.PostgresBackend.Database;

/**
 * Plain Camunda (no PilotFlow plugin) on the test PostgreSQL server: the engine creates its schema with the
 * project's JDBC driver, deploys, runs a process instance through a wait state and records its history.
 */
class PostgresCamundaSmokeTest {

    @Test
    void camundaCreatesItsSchemaAndRunsAProcessOnPostgres() throws Exception {
        Database db = PostgresBackend.newDatabase("camunda_smoke");
        ProcessEngine engine = null;
        try {
            ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl) ProcessEngineConfiguration
                    .createStandaloneProcessEngineConfiguration()
                    .setProcessEngineName(db.name()) // engines register by name; no clash with other tests' engines
                    .setJdbcUrl(db.jdbcUrl())
                    .setJdbcUsername(db.user())
                    .setJdbcPassword(db.password())
                    .setJdbcDriver(PostgresBackend.JDBC_DRIVER)
                    .setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_TRUE)
                    .setJobExecutorActivate(false)
                    .setHistory(ProcessEngineConfiguration.HISTORY_FULL);
            engine = cfg.buildProcessEngine();
            assertThat(cfg.getDatabaseType()).isEqualTo("postgres");

            BpmnModelInstance model = Bpmn.createExecutableProcess("smoke")
                    .startEvent()
                    .userTask("wait")
                    .endEvent()
                    .done();
            engine.getRepositoryService().createDeployment().addModelInstance("smoke.bpmn", model).deploy();

            ProcessInstance pi = engine.getRuntimeService().startProcessInstanceByKey("smoke");
            Task task = engine.getTaskService().createTaskQuery().processInstanceId(pi.getId()).singleResult();
            assertThat(task.getTaskDefinitionKey()).isEqualTo("wait");
            engine.getTaskService().complete(task.getId());

            assertThat(engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(pi.getId()).count())
                    .isZero();
            assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().processInstanceId(pi.getId())
                    .singleResult().getState()).isEqualTo("COMPLETED");

            // the rows are in PostgreSQL itself, read past the engine
            try (Connection c = db.connect(); Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM act_hi_procinst WHERE id_ = '"
                            + pi.getId() + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        } finally {
            if (engine != null) {
                engine.close();
            }
            PostgresBackend.dropDatabase(db);
        }
    }
}
