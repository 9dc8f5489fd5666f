package org.pilotflow.plugin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.pilotflow.api.IncorrectState;
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
        fixedRuntime().preInit(configuration);
    }

    /**
     * The delegates the models call, by the bean names the models use. The plugin layers them over the engine's
     * beans map itself; under Spring, whose expression manager Camunda's starter builds before plugins run and which
     * resolves the application context's beans, register each as a bean of its name (PilotFlow's Spring Boot starter
     * does). Fixes the settings: the setters below refuse changes from here on.
     */
    public Map<String, Object> delegates() {
        return fixedRuntime().delegates();
    }

    /** The names {@link #delegates()} has, known before any plugin is made (a container registers beans first). */
    public static java.util.Set<String> delegateNames() {
        return PilotFlowRuntime.delegateNames();
    }

    private PilotFlowRuntime fixedRuntime() {
        if (runtime == null) {
            runtime = new PilotFlowRuntime(settings.build());
        }
        return runtime;
    }

    /** The settings this plugin runs with (they are fixed once the engine or the delegates were built). */
    public PilotFlowConfig config() {
        return runtime != null ? runtime.config() : settings.build();
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

    /** The runtime of this plugin; null before the engine (or {@link #delegates()}) was built. */
    public PilotFlowRuntime runtime() {
        return runtime;
    }

    // bean-style setters for camunda.cfg.xml and Spring

    private void requireSettable() {
        if (runtime != null) {
            throw new IncorrectState("PilotFlowPlugin's settings are fixed once its engine or its delegates were built");
        }
    }

    public void setWorkDirectory(String dir) {
        requireSettable();
        settings.workDirectory(Path.of(dir));
    }

    public void setResourceDirectory(String dir) {
        requireSettable();
        settings.resourceDirectory(Path.of(dir));
    }

    public void setEndpointHost(String host) {
        requireSettable();
        settings.endpointHost(host);
    }

    public void setEndpointPort(int port) {
        requireSettable();
        settings.endpointPort(port);
    }

    /** ISO-8601, e.g. {@code PT1S}. */
    public void setHeartbeatInterval(String duration) {
        requireSettable();
        settings.heartbeatInterval(Duration.parse(duration));
    }

    public void setHeartbeatTimeout(String duration) {
        requireSettable();
        settings.heartbeatTimeout(Duration.parse(duration));
    }

    public void setOrphanTimeout(String duration) {
        requireSettable();
        settings.orphanTimeout(Duration.parse(duration));
    }

    public void setLaunchTimeout(String duration) {
        requireSettable();
        settings.launchTimeout(Duration.parse(duration));
    }

    public void setCancelGrace(String duration) {
        requireSettable();
        settings.cancelGrace(Duration.parse(duration));
    }

    public void setJobPollInterval(String duration) {
        requireSettable();
        settings.jobPollInterval(Duration.parse(duration));
    }

    /** ISO-8601, e.g. {@code PT2S}; {@code PT0S} samples no memory. */
    public void setMemorySampleInterval(String duration) {
        requireSettable();
        settings.memorySampleInterval(Duration.parse(duration));
    }

    public void setSyncThreads(int n) {
        requireSettable();
        settings.syncThreads(n);
    }

    public void setLaunchThreads(int n) {
        requireSettable();
        settings.launchThreads(n);
    }
}
