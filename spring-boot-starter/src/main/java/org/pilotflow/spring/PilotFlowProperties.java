package org.pilotflow.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.pilotflow.api.BadParameter;
import org.pilotflow.plugin.PilotFlowConfig;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code pilotflow.*} properties: {@link PilotFlowConfig}'s settings under their Spring names
 * ({@code pilotflow.heartbeat-timeout=10s}), with its defaults, plus the session to open. They become one validated
 * {@link PilotFlowConfig} ({@link #toConfig()}); an unknown {@code pilotflow.*} name fails the start too.
 */
@ConfigurationProperties(prefix = PilotFlowProperties.PREFIX, ignoreUnknownFields = false)
public class PilotFlowProperties {

    static final String PREFIX = "pilotflow";
    private static final PilotFlowConfig DEFAULTS = PilotFlowConfig.defaults();

    private Path workDirectory = DEFAULTS.workDirectory();
    private Path resourceDirectory;
    private String endpointHost = DEFAULTS.endpointHost();
    private int endpointPort = DEFAULTS.endpointPort();
    private Duration heartbeatInterval = DEFAULTS.heartbeatInterval();
    private Duration heartbeatTimeout = DEFAULTS.heartbeatTimeout();
    private Duration orphanTimeout = DEFAULTS.orphanTimeout();
    private Duration launchTimeout = DEFAULTS.launchTimeout();
    private Duration cancelGrace = DEFAULTS.cancelGrace();
    private Duration jobPollInterval = DEFAULTS.jobPollInterval();
    private int syncThreads = DEFAULTS.syncThreads();
    private int launchThreads = DEFAULTS.launchThreads();
    private Duration memorySampleInterval = DEFAULTS.memorySampleInterval();
    private Path clientDirectory = DEFAULTS.clientDirectory();
    private boolean unitActivityHistory = DEFAULTS.unitActivityHistory();
    private int finishedUnitCache = DEFAULTS.finishedUnitCache();
    /** The session the injectable {@code Session} reopens ({@code Session.uid()}); empty: a new one per start. */
    private String sessionId;

    /**
     * The validated settings.
     *
     * @throws BadParameter naming the property ({@code pilotflow.heartbeat-timeout}), its value and what was expected
     */
    public PilotFlowConfig toConfig() {
        try {
            return PilotFlowConfig.builder().workDirectory(workDirectory).resourceDirectory(resourceDirectory)
                    .endpointHost(endpointHost).endpointPort(endpointPort).heartbeatInterval(heartbeatInterval)
                    .heartbeatTimeout(heartbeatTimeout).orphanTimeout(orphanTimeout).launchTimeout(launchTimeout)
                    .cancelGrace(cancelGrace).jobPollInterval(jobPollInterval).syncThreads(syncThreads)
                    .launchThreads(launchThreads).memorySampleInterval(memorySampleInterval)
                    .clientDirectory(clientDirectory).unitActivityHistory(unitActivityHistory)
                    .finishedUnitCache(finishedUnitCache).build();
        } catch (BadParameter e) {
            throw new BadParameter(propertyName(e.field()), e.value(), e.expected());
        }
    }

    /** {@code heartbeatTimeout} as the property {@code pilotflow.heartbeat-timeout}. */
    static String propertyName(String field) {
        return PREFIX + "." + field.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    public Path getWorkDirectory() { return workDirectory; }
    public void setWorkDirectory(Path v) { workDirectory = v; }
    public Path getResourceDirectory() { return resourceDirectory; }
    public void setResourceDirectory(Path v) { resourceDirectory = v; }
    public String getEndpointHost() { return endpointHost; }
    public void setEndpointHost(String v) { endpointHost = v; }
    public int getEndpointPort() { return endpointPort; }
    public void setEndpointPort(int v) { endpointPort = v; }
    public Duration getHeartbeatInterval() { return heartbeatInterval; }
    public void setHeartbeatInterval(Duration v) { heartbeatInterval = v; }
    public Duration getHeartbeatTimeout() { return heartbeatTimeout; }
    public void setHeartbeatTimeout(Duration v) { heartbeatTimeout = v; }
    public Duration getOrphanTimeout() { return orphanTimeout; }
    public void setOrphanTimeout(Duration v) { orphanTimeout = v; }
    public Duration getLaunchTimeout() { return launchTimeout; }
    public void setLaunchTimeout(Duration v) { launchTimeout = v; }
    public Duration getCancelGrace() { return cancelGrace; }
    public void setCancelGrace(Duration v) { cancelGrace = v; }
    public Duration getJobPollInterval() { return jobPollInterval; }
    public void setJobPollInterval(Duration v) { jobPollInterval = v; }
    public int getSyncThreads() { return syncThreads; }
    public void setSyncThreads(int v) { syncThreads = v; }
    public int getLaunchThreads() { return launchThreads; }
    public void setLaunchThreads(int v) { launchThreads = v; }
    public Duration getMemorySampleInterval() { return memorySampleInterval; }
    public void setMemorySampleInterval(Duration v) { memorySampleInterval = v; }
    public Path getClientDirectory() { return clientDirectory; }
    public void setClientDirectory(Path v) { clientDirectory = v; }
    public boolean isUnitActivityHistory() { return unitActivityHistory; }
    public void setUnitActivityHistory(boolean v) { unitActivityHistory = v; }
    public int getFinishedUnitCache() { return finishedUnitCache; }
    public void setFinishedUnitCache(int v) { finishedUnitCache = v; }
    public String getSessionId() { return sessionId; }
    public void setSessionId(String v) { sessionId = v; }
}
