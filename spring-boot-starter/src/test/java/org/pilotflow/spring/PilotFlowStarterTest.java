package org.pilotflow.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.model.bpmn.instance.ServiceTask;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.model.PilotState;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.plugin.PilotFlowPlugin;
import org.pilotflow.testing.PostgresBackend;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A real Spring Boot application (Camunda's starter, PilotFlow's starter, an H2 database Spring Boot configures)
 * that runs units on a real local pilot: through the injected {@link Session}, and from the application's own BPMN
 * workflow that Camunda's auto-deployment found. One context for the class (a Spring context costs seconds).
 */
@SpringBootTest(classes = PilotFlowStarterTest.Application.class, properties = {
        "camunda.bpm.history-level=activity",
        "camunda.bpm.generic-properties.properties.history-removal-time-strategy=start",
        "camunda.bpm.job-execution.lock-time-in-millis=60000",
        "spring.datasource.hikari.maximum-pool-size=30",
        "pilotflow.heartbeat-timeout=20s",
        "pilotflow.cancel-grace=5s",
        "pilotflow.finished-unit-cache=2500"})
class PilotFlowStarterTest {

    @SpringBootApplication
    static class Application {
    }

    private static final Path WORK = tempDirectory();

    private static final boolean ON_POSTGRES = "postgres".equalsIgnoreCase(System.getProperty("pilotflow.test.db"));
    /** The pom's second run: a database of the test PostgreSQL server, as a cluster's nodes share one. */
    private static PostgresBackend.Database postgres;

    /** Before Spring loads the context, so a missing server skips the class (fails under CI=true) rather than
     *  failing the context. */
    @BeforeAll
    static void postgresWhenAsked() {
        if (ON_POSTGRES) {
            postgres = PostgresBackend.newDatabase("starter");
        }
    }

    @DynamicPropertySource
    static void workDirectory(DynamicPropertyRegistry registry) {
        registry.add("pilotflow.work-directory", WORK::toString);
        if (ON_POSTGRES) {
            registry.add("spring.datasource.url", () -> postgres.jdbcUrl());
            registry.add("spring.datasource.username", () -> postgres.user());
            registry.add("spring.datasource.password", () -> postgres.password());
            return;
        }
        // the README's database: an H2 file, written as PilotFlow's embedded default is
        registry.add("spring.datasource.url", () -> "jdbc:h2:async:" + WORK.toAbsolutePath().resolve("db").resolve("app")
                + ";WRITE_DELAY=0;LOCK_TIMEOUT=30000;DB_CLOSE_ON_EXIT=FALSE");
    }

    @Autowired
    private Session session;
    @Autowired
    private ProcessEngine engine;
    @Autowired
    private PilotFlowPlugin plugin;
    @Autowired
    private PilotFlowConfig config;
    @Autowired
    private ApplicationContext context;

    @Test
    void propertiesBecomeThePluginsConfig() {
        assertThat(config.workDirectory()).isEqualTo(WORK.toAbsolutePath().normalize());
        assertThat(config.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.cancelGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.orphanTimeout()).isEqualTo(PilotFlowConfig.defaults().orphanTimeout());
        assertThat(plugin.config()).isEqualTo(config);
        assertThat(config.unitActivityHistory()).isFalse();
        assertThat(config.finishedUnitCache()).isEqualTo(2500);
        // the README's properties: removal times written with each history row, not by updates when units end
        assertThat(((org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl)
                engine.getProcessEngineConfiguration()).getHistoryRemovalTimeStrategy()).isEqualTo("start");
    }

    @Test
    void everyDelegateTheModelsCallIsASpringBean() {
        var repository = engine.getRepositoryService();
        List<String> called = new java.util.ArrayList<>();
        for (String key : List.of("pilotflow-pilot", "pilotflow-unit")) {
            String id = repository.createProcessDefinitionQuery().processDefinitionKey(key).latestVersion()
                    .singleResult().getId();
            for (ServiceTask t : repository.getBpmnModelInstance(id).getModelElementsByType(ServiceTask.class)) {
                if (t.getCamundaDelegateExpression() != null) {
                    called.add(t.getCamundaDelegateExpression().replaceAll("^\\$\\{(.*)}$", "$1"));
                }
            }
        }
        assertThat(called).as("the models' delegate expressions").isNotEmpty();
        for (String name : called) {
            assertThat(context.getBean(name)).as("bean %s", name).isSameAs(plugin.delegates().get(name));
        }
    }

    @Test
    void pilotFlowModelsAreDeployedOnceAndTheApplicationsOwnToo() {
        var repository = engine.getRepositoryService();
        for (String key : List.of("pilotflow-pilot", "pilotflow-unit")) {
            assertThat(repository.createProcessDefinitionQuery().processDefinitionKey(key).count())
                    .as("versions of %s", key).isEqualTo(1);
        }
        assertThat(repository.createProcessDefinitionQuery().processDefinitionKey("starterTestWorkflow").count())
                .as("the application's workflow, auto-deployed by Camunda's starter").isEqualTo(1);
    }

    @Test
    void runsUnitsOnALocalPilotFromTheApiAndFromBpmn() {
        ComputePilot pilot = session.createPilotManager().submitPilot(ComputePilotDescription.builder()
                .resource("local.localhost").runtime(Duration.ofMinutes(5)).cores(2).build());
        UnitManager units = session.createUnitManager();
        units.addPilot(pilot);
        List<ComputeUnit> submitted = units.submitUnits(List.of(
                ComputeUnitDescription.builder().executable("/bin/echo").arguments("hello from Spring").build(),
                ComputeUnitDescription.builder().executable("/bin/sh").arguments("-c", "exit 3").build()));
        units.waitUnits(List.of(), List.of(), Duration.ofMinutes(2));
        assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
        assertThat(submitted.get(0).state()).isEqualTo(UnitState.DONE);
        assertThat(submitted.get(0).stdout()).contains("hello from Spring");
        assertThat(submitted.get(1).state()).isEqualTo(UnitState.FAILED);
        assertThat(submitted.get(1).exitCode()).contains(3);

        // the application's own workflow calls pilotflow-unit, whose "Submit unit" is the Spring bean
        ProcessInstance workflow = engine.getRuntimeService().startProcessInstanceByKey("starterTestWorkflow",
                Map.of("pilotflowSession", session.uid()));
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (engine.getRuntimeService().createEventSubscriptionQuery().processInstanceId(workflow.getId())
                .eventName("starterTest.seen").count() == 0) {
            assertThat(System.nanoTime()).as("the workflow's unit ended within 2 minutes").isLessThan(deadline);
            pause();
        }
        assertThat(engine.getRuntimeService().getVariable(workflow.getId(), "helloState")).isEqualTo("DONE");
        assertThat(engine.getRuntimeService().getVariable(workflow.getId(), "helloExitCode")).isEqualTo(0);
    }

    private static void pause() {
        try {
            Thread.sleep(100); // polling a condition with a deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Path tempDirectory() {
        try {
            Files.createDirectories(Path.of("target"));
            return Files.createTempDirectory(Path.of("target"), "starter-test-work");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
