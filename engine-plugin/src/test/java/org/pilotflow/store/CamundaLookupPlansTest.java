package org.pilotflow.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.pilotflow.internal.store.Schema;

/**
 * Two lookups Camunda makes for every unit, planned by H2 on Camunda's own schema plus PilotFlow's migrations: each
 * must find its rows by execution, not walk an index that holds a row of every waiting unit (what H2 chose before
 * migration 7, so a unit cost more the more units were in flight). The statements are Camunda 7.24's, from its
 * MyBatis mappings ({@code VariableInstance.xml} selectVariablesByExecutionId; {@code Execution.xml}
 * selectExecutionsByQueryCriteria as a message correlation by process instance fills it), with literals for the
 * parameters.
 */
class CamundaLookupPlansTest {

    private static final String LOAD_VARIABLES = "SELECT RES.*, (case when RES.TASK_ID_ is not null and "
            + "RES.EXECUTION_ID_ is not null then EXECUTION.ACT_INST_ID_ when RES.CASE_EXECUTION_ID_ is not null "
            + "then RES.CASE_EXECUTION_ID_ when EXECUTION.PARENT_ID_ is null and RES.IS_CONCURRENT_LOCAL_ = false "
            + "then EXECUTION.ID_ when EXECUTION.IS_SCOPE_ = true and EXECUTION.PARENT_ID_ is not null and "
            + "RES.IS_CONCURRENT_LOCAL_ = false then PARENT_EXECUTION.ACT_INST_ID_ else EXECUTION.ACT_INST_ID_ end) "
            + "ACT_INST_ID_ FROM ACT_RU_VARIABLE RES LEFT JOIN ACT_RU_EXECUTION EXECUTION ON RES.EXECUTION_ID_ = "
            + "EXECUTION.ID_ LEFT JOIN ACT_RU_EXECUTION PARENT_EXECUTION ON EXECUTION.PARENT_ID_ = "
            + "PARENT_EXECUTION.ID_ WHERE EXECUTION_ID_ = 'execution-1' AND TASK_ID_ is null";

    private static final String CORRELATION_LOOKUP = "select distinct RES.* from ACT_RU_EXECUTION RES inner join "
            + "ACT_RE_PROCDEF P on RES.PROC_DEF_ID_ = P.ID_ WHERE RES.PROC_INST_ID_ = 'instance-1' and exists "
            + "(select ID_ from ACT_RU_EVENT_SUBSCR EVT where EVT.EXECUTION_ID_ = RES.ID_ and EVT.EVENT_TYPE_ = "
            + "'message' and EVT.EVENT_NAME_ = 'pilotflow.unit.ended')";

    @Test
    void variablesAndEventSubscriptionsAreFoundByExecution() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:plans;DB_CLOSE_DELAY=-1", "sa", "");
             Statement st = c.createStatement()) {
            st.execute("RUNSCRIPT FROM 'classpath:/org/camunda/bpm/engine/db/create/activiti.h2.create.engine.sql'");
            Schema.migrate(new SingleConnection(c));

            assertThat(plan(st, LOAD_VARIABLES)).as("loading an instance's variables")
                    .contains("PF_IDX_ACT_VAR_EXE_TASK: EXECUTION_ID_ = 'execution-1'");
            assertThat(plan(st, CORRELATION_LOOKUP)).as("the executions waiting for the message")
                    .containsPattern("PF_IDX_ACT_EVT_EXE_TYPE_NAME: [^*]*EXECUTION_ID_ = RES.ID_");
        }
    }

    private static String plan(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery("EXPLAIN " + sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
