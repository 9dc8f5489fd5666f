package org.pilotflow.spring;

import javax.sql.DataSource;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.spring.boot.starter.CamundaBpmAutoConfiguration;
import org.camunda.bpm.spring.boot.starter.property.CamundaBpmProperties;
import org.pilotflow.api.Session;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.plugin.PilotFlowPlugin;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * PilotFlow in an application built on Camunda's Spring Boot starter: the plugin as a {@code ProcessEnginePlugin}
 * bean (Camunda's starter adds every such bean to its engine), the models' delegates as beans of the names the
 * models use (Camunda's starter builds its expression manager on the application context before plugins run, so
 * the plugin's own beans map is not seen), PilotFlow's models kept out of Camunda's auto-deployment (the plugin
 * deploys them, once), and a {@link Session} to inject.
 */
@AutoConfiguration(after = CamundaBpmAutoConfiguration.class)
@EnableConfigurationProperties(PilotFlowProperties.class)
public class PilotFlowAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public PilotFlowConfig pilotFlowConfig(PilotFlowProperties properties) {
        return properties.toConfig();
    }

    @Bean
    @ConditionalOnMissingBean
    public PilotFlowPlugin pilotFlowPlugin(PilotFlowConfig config) {
        return new PilotFlowPlugin(config);
    }

    @Bean
    public static PilotFlowModelsDeployedOnce pilotFlowModelsDeployedOnce() {
        return new PilotFlowModelsDeployedOnce();
    }

    /** The models' delegates as beans of the names the models call ({@link PilotFlowDelegateBeans}). */
    @Bean
    public static PilotFlowDelegateBeans pilotFlowDelegateBeans() {
        return new PilotFlowDelegateBeans();
    }

    @Bean
    public PilotFlowSessionLifecycle pilotFlowSessionLifecycle(ProcessEngine engine, PilotFlowPlugin plugin,
            PilotFlowProperties properties, ObjectProvider<DataSource> dataSource,
            ObjectProvider<CamundaBpmProperties> camunda) {
        CamundaBpmProperties c = camunda.getIfAvailable();
        int jobThreads = c == null ? 0 : c.getJobExecution().getMaxPoolSize();
        PilotFlowSessionLifecycle.requireDatabaseOpenUntilStopped(dataSource.getIfAvailable());
        PilotFlowSessionLifecycle.warnIfPoolTooSmall(dataSource.getIfAvailable(),
                plugin.config().connectionsNeeded() + jobThreads);
        return new PilotFlowSessionLifecycle(engine, plugin, properties.getSessionId());
    }

    /** The session this application's PilotFlow works in; closed (its pilots canceled) when the application stops. */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    public Session pilotflowSession(PilotFlowSessionLifecycle lifecycle) {
        return lifecycle.session();
    }
}
