package org.pilotflow.api;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.pilotflow.internal.session.EmbeddedDatabaseServer;
import org.pilotflow.internal.session.SessionService;
import org.pilotflow.internal.session.SessionSnapshots;
import org.pilotflow.internal.session.SessionState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.plugin.PilotFlowPlugin;
import org.pilotflow.resource.ssh.SshCredentials;

/**
 * The root of PilotFlow's API (RADICAL-Pilot's {@code Session}): it owns pilot and unit managers and lives in a
 * Camunda 7 process engine. Either it builds an embedded engine (H2 file database under the work directory; the
 * default) or it attaches to an engine the application already runs with {@link PilotFlowPlugin}.
 *
 * <pre>{@code
 * try (Session session = Session.create()) {
 *     PilotManager pmgr = session.createPilotManager();
 *     ComputePilot pilot = pmgr.submitPilot(ComputePilotDescription.builder()
 *             .resource("local.localhost").runtime(Duration.ofMinutes(10)).cores(2).build());
 *     UnitManager umgr = session.createUnitManager();
 *     umgr.addPilot(pilot);
 *     umgr.submitUnits(List.of(ComputeUnitDescription.builder().executable("/bin/date").build()));
 *     umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(5));
 * }
 * }</pre>
 *
 * A session's pilots, units and managers are stored in the engine's database: after the application stopped
 * (even by {@code kill -9}), {@link #reconnect(String)} with the same id sees them again, and agents that kept
 * running report to the restarted engine.
 */
public final class Session implements AutoCloseable {

    /**
     * How long the job executor of an engine built here holds a job it acquired: when its node dies, the jobs it
     * held (a unit's last step, say) run elsewhere after this time.
     */
    public static final Duration JOB_LOCK_TIME = Duration.ofSeconds(60);

    private final SessionState state;
    private final ProcessEngine engine;
    /** The plugin of the engine this session built, or null when the application owns the engine. */
    private final PilotFlowPlugin ownPlugin;
    /** The server that lets a second process (Cockpit) reach the embedded H2 database; null on other databases. */
    private final EmbeddedDatabaseServer databaseServer;
    private volatile boolean closed;

    private Session(SessionState state, ProcessEngine engine, PilotFlowPlugin ownPlugin) {
        this(state, engine, ownPlugin, null);
    }

    private Session(SessionState state, ProcessEngine engine, PilotFlowPlugin ownPlugin,
            EmbeddedDatabaseServer databaseServer) {
        this.state = state;
        this.engine = engine;
        this.ownPlugin = ownPlugin;
        this.databaseServer = databaseServer;
    }

    /** A new session on an embedded engine with the default settings (work directory {@code ./pilotflow-work}). */
    public static Session create() {
        return builder().create();
    }

    /** A new session on an engine the application built with {@link PilotFlowPlugin}. */
    public static Session attach(ProcessEngine engine) {
        BadParameter.requireNonNull(engine, "engine", "a process engine built with PilotFlowPlugin");
        return new Session(SessionService.of(engine).create(), engine, null);
    }

    /** The session {@code sessionId}, on a new embedded engine with the default settings. */
    public static Session reconnect(String sessionId) {
        return builder().reconnect(sessionId);
    }

    /**
     * The session {@code sessionId} on an engine the application built with {@link PilotFlowPlugin}. Any engine
     * node on the session's database can open it, also while another node has it open.
     */
    public static Session reconnect(ProcessEngine engine, String sessionId) {
        BadParameter.requireNonNull(engine, "engine", "a process engine built with PilotFlowPlugin");
        requireSessionId(sessionId);
        return new Session(SessionService.of(engine).reconnect(sessionId), engine, null);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The JDBC URL (the session's user and password: {@code sa} and none unless {@code Builder.credentials} gave
     * others) at which another process on this host reaches the embedded H2
     * database of a session that runs on {@code workDirectory} now (a loopback H2 TCP server the session started,
     * whose address and key it wrote into {@code <work directory>/db/pilotflow.server}, mode 0600); empty when no
     * such session runs, or the last one was killed (then the URL no longer answers).
     */
    public static Optional<String> embeddedDatabaseUrl(Path workDirectory) {
        BadParameter.requireNonNull(workDirectory, "workDirectory", "a directory path");
        return EmbeddedDatabaseServer.url(workDirectory.resolve("db"));
    }

    private static void requireSessionId(String sessionId) {
        if (sessionId == null || sessionId.isBlank()) {
            throw new BadParameter("sessionId", sessionId, "the id of an existing session, e.g. "
                    + "session.20261121.101500.a1b2c3 (Session.uid())");
        }
    }

    /** The session id, e.g. {@code session.20261121.101500.a1b2c3}: keep it to reconnect. */
    public String uid() {
        return state.id();
    }

    public ProcessEngine processEngine() {
        return engine;
    }

    /** The resource configurations this engine knows; add or load more here. */
    public ResourceConfigs resources() {
        return state.resourceConfigs();
    }

    /**
     * Adds or overrides resource configurations from every {@code resource_<site>.json} in {@code directory}.
     * All or nothing: an invalid file changes nothing and gives a {@link BadParameter} whose field names the file
     * and the key (e.g. {@code resource_mysite.json: mysite.cluster/cores_per_node}) or the line and column of a
     * JSON syntax error.
     *
     * @return the labels loaded
     */
    public List<String> loadResourceConfigs(Path directory) {
        return resources().loadDirectory(directory);
    }

    /**
     * Adds SSH credentials (RADICAL-Pilot's {@code session.add_context}) for every host that has none of its own:
     * the user, key file, passphrase and known_hosts the engine uses for {@code ssh://}, {@code slurm+ssh://} and
     * {@code sge+ssh://} resources. They live in this engine's memory only (never in the database, never copied to
     * a resource), so after an engine restart add them again before pilots on SSH resources are watched.
     */
    public void addContext(SshCredentials credentials) {
        BadParameter.requireNonNull(credentials, "credentials", "SSH credentials (SshCredentials.builder())");
        state.sshConnections().defaultCredentials(credentials);
    }

    /** Adds SSH credentials for one host (as written in the resources' endpoints), overriding the default. */
    public void addContext(String host, SshCredentials credentials) {
        if (host == null || host.isBlank()) {
            throw new BadParameter("host", host, "a host name as written in the resources' endpoints");
        }
        BadParameter.requireNonNull(credentials, "credentials", "SSH credentials (SshCredentials.builder())");
        state.sshConnections().credentials(host, credentials);
    }

    public PilotManager createPilotManager() {
        requireOpen();
        return state.createPilotManager();
    }

    /**
     * The session's Pilot-Data manager (BigJob's {@code PilotDataService}): pilot-data on resources and data units
     * that units read ({@code inputData}) and write ({@code outputData}). Local resources only for now.
     */
    public PilotDataManager pilotDataManager() {
        requireOpen();
        return state.pilotDataManager();
    }

    /** A unit manager with the ROUND_ROBIN policy. */
    public UnitManager createUnitManager() {
        return createUnitManager(SchedulerPolicy.ROUND_ROBIN);
    }

    public UnitManager createUnitManager(SchedulerPolicy policy) {
        BadParameter.requireNonNull(policy, "policy", "one of " + java.util.Arrays.toString(SchedulerPolicy.values()));
        requireOpen();
        return state.createUnitManager(policy);
    }

    /**
     * The Data API for a pilot (PanDA's stage-in and stage-out clients): moves files between this machine and the
     * pilot's resource without running units, over the pilot's own SSH connection where the resource is remote. See
     * {@link DataClient}.
     *
     * @throws BadParameter when the pilot is not one of this session's
     */
    public DataClient dataClient(ComputePilot pilot) {
        BadParameter.requireNonNull(pilot, "pilot", "a pilot of this session");
        return dataClient(pilot.uid());
    }

    /** The Data API for the pilot with this uid; as {@link #dataClient(ComputePilot)}. */
    public DataClient dataClient(String pilotUid) {
        requireOpen();
        return state.dataClient(pilotUid);
    }

    public List<PilotManager> pilotManagers() {
        return state.pilotManagers();
    }

    public List<UnitManager> unitManagers() {
        return state.unitManagers();
    }

    /** Closes the session, canceling its pilots first ({@code close(true)}). */
    @Override
    public void close() {
        close(true);
    }

    /**
     * Closes the session. With {@code terminate}, cancels every pilot and waits until they ended; without, leaves
     * them running (a later {@link #reconnect} finds them). Closes the engine when this session built it.
     */
    public void close(boolean terminate) {
        close(terminate, false);
    }

    /**
     * Closes the session as {@link #close(boolean)} does; with {@code download}, first brings each pilot's agent log
     * and each unit's stdout and stderr files into {@code <work directory>/<session id>/} (RADICAL-Pilot's
     * {@code session.close(download=True)}; a pilot with {@code cleanup} has nothing left to fetch).
     */
    public void close(boolean terminate, boolean download) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (terminate) {
                for (PilotManager pm : state.pilotManagers()) {
                    pm.close(true);
                }
                for (UnitManager um : state.unitManagers()) {
                    um.close(false);
                }
                state.markClosed();
            }
            if (download) {
                state.download(downloadDirectory());
                state.exportProfile(downloadDirectory().resolve(PROFILE_FILE));
            }
        } finally {
            state.detach();
            if (databaseServer != null) {
                databaseServer.close(); // before the engine: its connections would keep the database open
            }
            if (ownPlugin != null) {
                ownPlugin.stop();
                closeEngine(engine);
            }
        }
    }

    /** Closes an engine this class built, and its connection pool (the engine leaves a given pool open). */
    private static void closeEngine(ProcessEngine engine) {
        javax.sql.DataSource ds = ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration())
                .getDataSource();
        engine.close();
        if (ds instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new PersistenceFailure("cannot close the engine's connection pool: " + e.getMessage(), e);
            }
        }
    }

    /** The name of the profile {@link #close(boolean, boolean)} writes with what it downloads. */
    public static final String PROFILE_FILE = "pilotflow.prof";

    /**
     * Writes the session's profile: every state entry of its pilots and units, with the time the clock that saw it
     * gave (the agent's or the engine's), as one CSV in RADICAL-Pilot's {@code *.prof} shape
     * ({@code time,event,comp,thread,uid,state,msg}; {@code comp} is the clock, {@code msg} the attempt and pilot),
     * readable by tools written for RP's profiles. {@code close(terminate, true)} writes it too.
     *
     * @return the number of events written
     * @throws BadParameter when the file cannot be written
     */
    public int exportProfile(Path file) {
        BadParameter.requireNonNull(file, "file", "a file path");
        return state.exportProfile(file);
    }

    /**
     * The session as the database holds it now, read over one read-only connection of the engine's pool (the
     * session's live views are not used: a snapshot of 100,000 units does not hold 100,000 memory series, see
     * {@link SessionSnapshot}).
     */
    public SessionSnapshot snapshot() {
        requireOpen();
        javax.sql.DataSource ds = ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration())
                .getDataSource();
        try (java.sql.Connection c = ds.getConnection()) {
            return SessionSnapshots.read(c, uid(), SessionSnapshot.DEFAULT_SERIES_KEPT);
        } catch (java.sql.SQLException e) {
            throw new PersistenceFailure("cannot read session " + uid() + ": " + e.getMessage(), e);
        }
    }

    /** Where {@link #close(boolean, boolean)} puts what it downloads: {@code <work directory>/<session id>}. */
    public Path downloadDirectory() {
        return state.workDirectory().resolve(uid());
    }

        private void requireOpen() {
        if (closed) {
            throw new IncorrectState("session " + uid() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "Session[" + uid() + "]";
    }

    /** Settings for a session on an embedded engine. */
    public static final class Builder {
        private PilotFlowConfig config = PilotFlowConfig.defaults();
        private String jdbcUrl;
        private String user = "sa";
        private String password = "";
        private String historyLevel = ProcessEngineConfiguration.HISTORY_ACTIVITY;

        /** The work directory (default {@code ./pilotflow-work}): database, logs. */
        public Builder workDirectory(Path dir) {
            BadParameter.requireNonNull(dir, "workDirectory", "a directory path");
            config = config.toBuilder().workDirectory(dir).build();
            return this;
        }

        public Builder config(PilotFlowConfig c) {
            config = BadParameter.requireNonNull(c, "config", "a PilotFlowConfig (PilotFlowConfig.builder())");
            return this;
        }

        /**
         * A JDBC URL instead of the default H2 file database {@code <work>/db/pilotflow}, e.g.
         * {@code jdbc:postgresql://db.example.org/pilotflow}: several engine nodes on one PostgreSQL database form
         * a PilotFlow cluster.
         */
        public Builder jdbcUrl(String url) {
            jdbcUrl = url;
            return this;
        }

        /** The database user and password (default {@code sa} and an empty password, H2's defaults). */
        public Builder credentials(String databaseUser, String databasePassword) {
            user = databaseUser;
            password = databasePassword;
            return this;
        }

        /**
         * Camunda's history level (default {@code activity}: Cockpit shows which activities each pilot and unit
         * passed, without the cost of variable history). See the README for the measured cost of each level.
         */
        public Builder historyLevel(String level) {
            if (level == null || level.isBlank()) { // Camunda itself names an unknown level when the engine starts
                throw new BadParameter("historyLevel", level, "a Camunda history level: none, activity, audit, full"
                        + " or auto");
            }
            historyLevel = level;
            return this;
        }

        public Session create() {
            return open(null);
        }

        public Session reconnect(String sessionId) {
            requireSessionId(sessionId);
            return open(sessionId);
        }

        /** A new session (null id) or an existing one, on an engine built here. */
        private Session open(String sessionId) {
            PilotFlowPlugin plugin = new PilotFlowPlugin(config);
            ProcessEngine engine = buildEngine(plugin);
            EmbeddedDatabaseServer server = null;
            try {
                SessionService sessions = SessionService.of(engine);
                SessionState state = sessionId == null ? sessions.create() : sessions.reconnect(sessionId);
                if (jdbcUrl == null) {
                    server = EmbeddedDatabaseServer.start(EMBEDDED_DATABASE_PREFIX + embeddedDatabasePath(),
                            embeddedDatabasePath().getParent(), user);
                }
                return new Session(state, engine, plugin, server);
            } catch (RuntimeException e) {
                if (server != null) {
                    server.close();
                }
                plugin.stop();
                closeEngine(engine);
                throw e;
            }
        }

        // async: (H2's AsynchronousFileChannel store) rather than file: a thread interrupted while H2 writes a
        // plain file channel closes the whole database for every thread
        private static final String EMBEDDED_DATABASE_PREFIX = "async:";
        static final int ID_BLOCK_SIZE = 10_000;

        private Path embeddedDatabasePath() {
            return config.workDirectory().resolve("db").resolve("pilotflow").toAbsolutePath();
        }

        /** {@link #snapshot(String, int)} keeping {@link SessionSnapshot#DEFAULT_SERIES_KEPT} memory series. */
        public SessionSnapshot snapshot(String sessionId) {
            return snapshot(sessionId, SessionSnapshot.DEFAULT_SERIES_KEPT);
        }

        /**
         * The stored session {@code sessionId}, read over one read-only connection without starting an engine:
         * nothing is created, upgraded or written, no agent is served (for reports on a finished run; the embedded H2
         * file can be read once its application ended, H2 allowing one process per file).
         *
         * @param seriesKept how many non-leaking units keep their memory series (the largest peaks)
         * @throws BadParameter       when the database holds no such session
         * @throws PersistenceFailure when the database cannot be opened or holds no PilotFlow tables of this version
         */
        public SessionSnapshot snapshot(String sessionId, int seriesKept) {
            requireSessionId(sessionId);
            if (seriesKept < 0) {
                throw new BadParameter("seriesKept", seriesKept, "an integer >= 0");
            }
            // IFEXISTS: a wrong path is an error, not a new empty database; ACCESS_MODE_DATA=r: H2 writes nothing
            String url = jdbcUrl == null ? "jdbc:h2:file:" + embeddedDatabasePath() + ";IFEXISTS=TRUE;ACCESS_MODE_DATA=r"
                    : jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.toUpperCase(java.util.Locale.ROOT).contains("IFEXISTS")
                    ? jdbcUrl + ";IFEXISTS=TRUE" : jdbcUrl;
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, user, password)) {
                return SessionSnapshots.read(c, sessionId, seriesKept);
            } catch (java.sql.SQLException e) {
                throw new PersistenceFailure("cannot open the database " + redacted(url) + " as " + user + ": "
                        + e.getMessage() + (jdbcUrl == null ? " (has the application that used this work directory"
                        + " ended? H2 opens a database file in one process at a time)" : ""), e);
            }
        }

        /** A JDBC URL for messages: without a password parameter or user information in it. */
        static String redacted(String url) {
            return url.replaceAll("(?i)(password=)[^;&]*", "$1***").replaceAll("//[^/@]*@", "//***@");
        }

        private ProcessEngine buildEngine(PilotFlowPlugin plugin) {
            Path work = config.workDirectory();
            String url = jdbcUrl != null ? jdbcUrl
                    : "jdbc:h2:" + EMBEDDED_DATABASE_PREFIX + embeddedDatabasePath()
                    // WRITE_DELAY=0: a commit reaches the file before PilotFlow acknowledges it to an agent (with
                    // H2's default of 500 ms a kill -9 lost acknowledged reports); LOCK_TIMEOUT: a transaction
                    // waits this long for a row another one holds, then fails and runs again
                    + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;LOCK_TIMEOUT=30000";
            ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                    ProcessEngineConfiguration.createStandaloneProcessEngineConfiguration();
            // unique per engine: two engines on one work directory (a second node in this JVM) do not collide
            cfg.setProcessEngineName("pilotflow-" + digest(work.toString()) + "-"
                    + Integer.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 16)));
            int jobThreads = 10;
            javax.sql.DataSource pool;
            try {
                pool = Pools.dataSource(url, user, password, config.connectionsNeeded() + jobThreads);
            } catch (RuntimeException e) { // HikariCP tries one connection at once: a wrong URL, host or password
                throw new PersistenceFailure("cannot connect to the database " + redacted(url) + " as " + user + ": "
                        + e.getMessage() + " (check the JDBC URL, that the server runs, the user and the password)", e);
            }
            cfg.setDataSource(pool);
            cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_TRUE);
            cfg.setHistory(historyLevel);
            // a history row's removal time is set when it is written (start + time to live) instead of by updating 15
            // history tables when the instance ends: 16 of a unit's 65 statements (examples UnitStatements, README
            // "Performance")
            cfg.setHistoryRemovalTimeStrategy(ProcessEngineConfiguration.HISTORY_REMOVAL_TIME_STRATEGY_START);
            // Camunda's ids come in blocks from a database row, each block a transaction of its own (a durable
            // commit): 100 ids (the default) last a unit about five steps, 10,000 last hundreds of units
            cfg.setIdBlockSize(ID_BLOCK_SIZE);
            cfg.setJobExecutorActivate(true);
            // a unit's continuation after its end is a job: fetch them in batches
            org.camunda.bpm.engine.impl.jobexecutor.DefaultJobExecutor jobs =
                    new org.camunda.bpm.engine.impl.jobexecutor.DefaultJobExecutor();
            jobs.setMaxJobsPerAcquisition(10);
            jobs.setQueueSize(10);
            jobs.setMaxPoolSize(jobThreads);
            // a job acquired by a node that dies waits this long before another node takes it (Camunda's default
            // is 5 minutes); PilotFlow's jobs are continuations and cancels that run in milliseconds
            jobs.setLockTimeInMillis((int) JOB_LOCK_TIME.toMillis());
            cfg.setJobExecutor(jobs);
            cfg.setMetricsEnabled(false);
            cfg.getProcessEnginePlugins().add(plugin);
            try {
                return cfg.buildProcessEngine();
            } catch (RuntimeException e) {
                ((com.zaxxer.hikari.HikariDataSource) pool).close();
                throw new PersistenceFailure("cannot start the embedded engine on " + redacted(url) + ": "
                        + e.getMessage() + (jdbcUrl == null ? " (is another application using this work directory?)"
                        : ""), e);
            }
        }

        private static String digest(String s) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 10);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
