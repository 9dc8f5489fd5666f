package org.pilotflow.plugin;

import java.nio.file.Path;
import java.time.Duration;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.pilotflow.internal.PilotFlowRuntime;

/**
 * Wires PilotFlow into a Camunda 7 engine: registers the lifecycle delegates as beans, deploys the pilot and unit
 * models (duplicate filtering on, so a restart deploys nothing new), creates PilotFlow's tables, loads the open
 * sessions and starts the agent endpoint and the heartbeat watchdog.
 *
 * <p>Use it from code ({@code new PilotFlowPlugin(config)}), from {@code camunda.cfg.xml} or Spring (the bean
 * setters below), or let {@link org.pilotflow.api.Session#create()} build an embedded engine with it.
 */
public class PilotFlowPlugin extends AbstractProcessEnginePlugin {

    private PilotFlowConfig.Builder settings;
    private PilotFlowRuntime runtime;

    public PilotFlowPlugin() {
        this(PilotFlowConfig.defaults());
    }

    public PilotFlowPlugin(PilotFlowConfig config) {
        this.settings = config.toBuilder();
    }

    @Override
    public void preInit(ProcessEngineConfigurationImpl configuration) {
        runtime = new PilotFlowRuntime(settings.build());
        runtime.preInit(configuration);
    }

    @Override
    public void postProcessEngineBuild(ProcessEngine processEngine) {
        runtime.start(processEngine);
    }

    /** Stops PilotFlow on this engine (endpoint, workers, watchdog); agents keep running until their orphan timeout. */
    public void stop() {
        if (runtime != null) {
            runtime.stop();
        }
    }

    /** The runtime this plugin started; null before the engine was built. */
    public PilotFlowRuntime runtime() {
        return runtime;
    }

    // bean-style setters for camunda.cfg.xml and Spring

    public void setWorkDirectory(String dir) {
        settings.workDirectory(Path.of(dir));
    }

    public void setResourceDirectory(String dir) {
        settings.resourceDirectory(Path.of(dir));
    }

    public void setEndpointHost(String host) {
        settings.endpointHost(host);
    }

    public void setEndpointPort(int port) {
        settings.endpointPort(port);
    }

    /** ISO-8601, e.g. {@code PT1S}. */
    public void setHeartbeatInterval(String duration) {
        settings.heartbeatInterval(Duration.parse(duration));
    }

    public void setHeartbeatTimeout(String duration) {
        settings.heartbeatTimeout(Duration.parse(duration));
    }

    public void setOrphanTimeout(String duration) {
        settings.orphanTimeout(Duration.parse(duration));
    }

    public void setLaunchTimeout(String duration) {
        settings.launchTimeout(Duration.parse(duration));
    }

    public void setCancelGrace(String duration) {
        settings.cancelGrace(Duration.parse(duration));
    }

    public void setJobPollInterval(String duration) {
        settings.jobPollInterval(Duration.parse(duration));
    }

    /** ISO-8601, e.g. {@code PT2S}; {@code PT0S} samples no memory. */
    public void setMemorySampleInterval(String duration) {
        settings.memorySampleInterval(Duration.parse(duration));
    }

    public void setSyncThreads(int n) {
        settings.syncThreads(n);
    }

    public void setLaunchThreads(int n) {
        settings.launchThreads(n);
    }
}
