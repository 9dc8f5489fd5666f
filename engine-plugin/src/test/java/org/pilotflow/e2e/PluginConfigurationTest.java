package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.internal.PilotFlowRuntime;
import org.pilotflow.model.UnitState;

/**
 * The plugin in an engine the application configures itself (camunda.cfg.xml): the models are deployed once
 * (duplicate filtering across restarts), a Session attaches to the engine, and a callback that throws breaks
 * nothing.
 */
class PluginConfigurationTest {

    @TempDir
    Path work;

    private ProcessEngine build() throws Exception {
        String xml = new String(getClass().getResourceAsStream("/pilotflow-plugin.cfg.xml").readAllBytes(),
                StandardCharsets.UTF_8)
                .replace("${jdbcUrl}", "jdbc:h2:file:" + work.resolve("appdb") + ";WRITE_DELAY=0")
                .replace("${workDirectory}", work.toString());
        Path cfg = Files.writeString(work.resolve("camunda.cfg.xml"), xml);
        try (var in = Files.newInputStream(cfg)) {
            return ProcessEngineConfiguration.createProcessEngineConfigurationFromInputStream(in).buildProcessEngine();
        }
    }

    @Test
    void pluginFromCamundaCfgXmlDeploysOnceAndRunsUnitsForAnAttachedSession() throws Exception {
        ProcessEngine engine = build();
        try {
            assertThat(engine.getRepositoryService().createProcessDefinitionQuery()
                    .processDefinitionKeyIn("pilotflow-pilot", "pilotflow-unit").count()).isEqualTo(2);
            Session session = Session.attach(engine);
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<String> seen = new CopyOnWriteArrayList<>();
            umgr.registerCallback((u, s) -> {
                throw new IllegalStateException("a careless callback");
            });
            umgr.registerCallback((u, s) -> seen.add(s.name()));
            ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/echo")
                    .arguments("hello").build());
            assertThat(u.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.DONE);
            assertThat(u.stdout()).contains("hello");
            long deadline = System.currentTimeMillis() + 5000;
            while (!seen.contains("DONE") && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertThat(seen).endsWith("DONE").doesNotHaveDuplicates();
            session.close(true);
        } finally {
            PilotFlowRuntime.of(engine).stop();
            engine.close();
        }
        // a restart of the application: nothing new is deployed
        ProcessEngine again = build();
        try {
            assertThat(again.getRepositoryService().createProcessDefinitionQuery()
                    .processDefinitionKeyIn("pilotflow-pilot", "pilotflow-unit").count()).isEqualTo(2);
            assertThat(again.getRepositoryService().createDeploymentQuery().deploymentName("pilotflow").count())
                    .isEqualTo(1);
        } finally {
            PilotFlowRuntime.of(again).stop();
            again.close();
        }
    }

    @Test
    void anEngineWithoutThePluginIsRefusedWithWhatToDo() {
        ProcessEngine plain = ProcessEngineConfiguration.createStandaloneInMemProcessEngineConfiguration()
                .setJdbcUrl("jdbc:h2:mem:plain-" + System.nanoTime()).setProcessEngineName("plain")
                .buildProcessEngine();
        try {
            assertThatThrownBy(() -> Session.attach(plain)).isInstanceOf(IncorrectState.class)
                    .hasMessageContaining("PilotFlowPlugin");
        } finally {
            plain.close();
        }
    }
}
