package org.pilotflow.plugin;

import java.nio.file.Path;
import java.time.Duration;
import org.pilotflow.api.BadParameter;

/**
 * PilotFlow's settings, validated at construction (one immutable object, HikariCP style). Essential: the work
 * directory. Frequently used: the endpoint address and the heartbeat timings. Rarely used: the rest.
 *
 * @param workDirectory    where the default H2 database, logs and default sandboxes live ({@code ./pilotflow-work})
 * @param resourceDirectory extra {@code resource_*.json} files (null: {@code ~/.pilotflow/resources} if present)
 * @param endpointHost     the address agents report to ({@code 127.0.0.1})
 * @param endpointPort     the agent endpoint's port; 0 picks one, preferring the port of the last open session
 *                         so agents that outlived an engine restart find the engine again
 * @param heartbeatInterval how often an idle agent syncs (1 s)
 * @param heartbeatTimeout  an ACTIVE pilot whose agent was silent this long is FAILED, "pilot lost" (10 s)
 * @param orphanTimeout    an agent that cannot reach the engine this long ends itself and its units (5 min:
 *                         longer than an engine restart takes)
 * @param launchTimeout    a pilot whose agent has not reported this long after its job started is FAILED (2 min)
 * @param cancelGrace      how long a canceled pilot's agent has to stop before its job is killed (30 s)
 * @param jobPollInterval  how often the batch-job watcher asks each resource's job manager about its pilots' jobs,
 *                         with one call per resource host ({@code squeue}/{@code qstat}/{@code ps}) (3 s)
 * @param syncThreads      how many agent syncs this node works on at once (4): each may hold a database
 *                         connection while it applies reports; more syncs wait in a queue
 * @param launchThreads    how many pilots this node launches at once (4): each runs the resource's submission
 *                         (staging, sbatch) without holding a database connection
 * @param memorySampleInterval how often agents sample each running unit's memory (2 s; zero: never, and units'
 *                         memory limits are not enforced). Each sample reads {@code /proc} for the unit's whole
 *                         process tree; the PanDA pilot's prmon samples every 60 s
 * @param clientDirectory  what a staging directive's {@code client://} names: RADICAL-Pilot's client working
 *                         directory (the JVM's working directory)
 * @param unitActivityHistory whether unit processes write Camunda's activity instance history (false): a unit's
 *                         steps are its state history in PilotFlow's row, and each activity instance is a row with
 *                         ten indexes. Their process instance history (start, end, end event) is written either way,
 *                         and every other process's history as the engine's history level says
 * @param finishedUnitCache how many finished units a session keeps in this node's memory (10,000), besides its
 *                         unfinished ones: a finished unit beyond them is read from the database when asked for, and
 *                         the session keeps four bytes of it (its manager and final state, for waits and cancels)
 */
public record PilotFlowConfig(
        Path workDirectory,
        Path resourceDirectory,
        String endpointHost,
        int endpointPort,
        Duration heartbeatInterval,
        Duration heartbeatTimeout,
        Duration orphanTimeout,
        Duration launchTimeout,
        Duration cancelGrace,
        Duration jobPollInterval,
        int syncThreads,
        int launchThreads,
        Duration memorySampleInterval,
        Path clientDirectory,
        boolean unitActivityHistory,
        int finishedUnitCache) {

    public PilotFlowConfig {
        BadParameter.requireNonNull(workDirectory, "workDirectory", "a directory path");
        if (endpointHost == null || endpointHost.isBlank()) {
            throw new BadParameter("endpointHost", endpointHost, "a host name or address of this machine that agents"
                    + " can reach");
        }
        if (endpointPort < 0 || endpointPort > 65535) {
            throw new BadParameter("endpointPort", endpointPort, "0..65535 (0: any free port)");
        }
        positive("heartbeatInterval", heartbeatInterval);
        positive("heartbeatTimeout", heartbeatTimeout);
        positive("orphanTimeout", orphanTimeout);
        positive("launchTimeout", launchTimeout);
        positive("cancelGrace", cancelGrace);
        positive("jobPollInterval", jobPollInterval);
        if (syncThreads < 1 || syncThreads > 256) {
            throw new BadParameter("syncThreads", syncThreads, "1..256");
        }
        if (launchThreads < 1 || launchThreads > 256) {
            throw new BadParameter("launchThreads", launchThreads, "1..256");
        }
        if (memorySampleInterval == null || memorySampleInterval.isNegative()
                || (!memorySampleInterval.isZero() && memorySampleInterval.toMillis() < 100)) {
            // each sample reads /proc for every unit's processes: more often would cost the units' own CPU
            throw new BadParameter("memorySampleInterval", memorySampleInterval, "a duration of at least 100 ms, or "
                    + "zero to sample no memory");
        }
        BadParameter.requireNonNull(clientDirectory, "clientDirectory", "a directory path (client:// of staging "
                + "directives)");
        if (finishedUnitCache < 0 || finishedUnitCache > MAX_FINISHED_UNIT_CACHE) {
            throw new BadParameter("finishedUnitCache", finishedUnitCache, "0.." + MAX_FINISHED_UNIT_CACHE
                    + " finished units kept in memory per session (0: none, each read from the database when asked)");
        }
        if (heartbeatTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new BadParameter("heartbeatTimeout", heartbeatTimeout, "at least twice heartbeatInterval ("
                    + heartbeatInterval + ")");
        }
    }

    /** A cache this large holds about 2 GB of views (~2 KB a unit): beyond it, a heap limit is the real bound. */
    static final int MAX_FINISHED_UNIT_CACHE = 1_000_000;

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new BadParameter(name, d, "a positive duration");
        }
    }

    /**
     * The database connections this node can use at once besides the job executor's: sync workers, launch
     * workers, the watchdog and the job thread, the contact recorder, follow-ups and the refresher, and room for the
     * application's own API calls.
     */
    public int connectionsNeeded() {
        return syncThreads + launchThreads + 8;
    }

    public static PilotFlowConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().workDirectory(workDirectory).resourceDirectory(resourceDirectory)
                .endpointHost(endpointHost).endpointPort(endpointPort).heartbeatInterval(heartbeatInterval)
                .heartbeatTimeout(heartbeatTimeout).orphanTimeout(orphanTimeout).launchTimeout(launchTimeout)
                .cancelGrace(cancelGrace).jobPollInterval(jobPollInterval).syncThreads(syncThreads)
                .launchThreads(launchThreads).memorySampleInterval(memorySampleInterval)
                .clientDirectory(clientDirectory).unitActivityHistory(unitActivityHistory)
                .finishedUnitCache(finishedUnitCache);
    }

    public static final class Builder {
        private Path workDirectory = Path.of("pilotflow-work");
        private Path resourceDirectory;
        private String endpointHost = "127.0.0.1";
        private int endpointPort;
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private Duration heartbeatTimeout = Duration.ofSeconds(10);
        private Duration orphanTimeout = Duration.ofMinutes(5);
        private Duration launchTimeout = Duration.ofMinutes(2);
        private Duration cancelGrace = Duration.ofSeconds(30);
        private Duration jobPollInterval = Duration.ofSeconds(3);
        private int syncThreads = 4;
        private int launchThreads = 4;
        private Duration memorySampleInterval = Duration.ofSeconds(2);
        private Path clientDirectory = Path.of("");
        private boolean unitActivityHistory;
        private int finishedUnitCache = 10_000;

        public Builder workDirectory(Path v) { workDirectory = v; return this; }
        public Builder resourceDirectory(Path v) { resourceDirectory = v; return this; }
        public Builder endpointHost(String v) { endpointHost = v; return this; }
        public Builder endpointPort(int v) { endpointPort = v; return this; }
        public Builder heartbeatInterval(Duration v) { heartbeatInterval = v; return this; }
        public Builder heartbeatTimeout(Duration v) { heartbeatTimeout = v; return this; }
        public Builder orphanTimeout(Duration v) { orphanTimeout = v; return this; }
        public Builder launchTimeout(Duration v) { launchTimeout = v; return this; }
        public Builder cancelGrace(Duration v) { cancelGrace = v; return this; }
        public Builder jobPollInterval(Duration v) { jobPollInterval = v; return this; }
        public Builder syncThreads(int v) { syncThreads = v; return this; }
        public Builder launchThreads(int v) { launchThreads = v; return this; }
        public Builder memorySampleInterval(Duration v) { memorySampleInterval = v; return this; }
        public Builder clientDirectory(Path v) { clientDirectory = v; return this; }
        public Builder unitActivityHistory(boolean v) { unitActivityHistory = v; return this; }
        public Builder finishedUnitCache(int v) { finishedUnitCache = v; return this; }

        public PilotFlowConfig build() {
            BadParameter.requireNonNull(workDirectory, "workDirectory", "a directory path");
            return new PilotFlowConfig(workDirectory.toAbsolutePath().normalize(), resourceDirectory, endpointHost,
                    endpointPort, heartbeatInterval, heartbeatTimeout, orphanTimeout, launchTimeout, cancelGrace,
                    jobPollInterval, syncThreads, launchThreads, memorySampleInterval,
                    clientDirectory == null ? null : clientDirectory.toAbsolutePath().normalize(),
                    unitActivityHistory, finishedUnitCache);
        }
    }
}
