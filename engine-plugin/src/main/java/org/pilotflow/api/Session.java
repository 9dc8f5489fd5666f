package org.pilotflow.api;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.pilotflow.internal.PilotFlowRuntime;
import org.pilotflow.internal.SessionState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.plugin.PilotFlowPlugin;
import org.pilotflow.resource.config.ResourceConfigException;
import org.pilotflow.resource.config.ResourceRegistry;
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

    private final SessionState state;
    private final ProcessEngine engine;
    private final boolean ownsEngine;
    private volatile boolean closed;

    private Session(SessionState state, ProcessEngine engine, boolean ownsEngine) {
        this.state = state;
        this.engine = engine;
        this.ownsEngine = ownsEngine;
    }

    /** A new session on an embedded engine with the default settings (work directory {@code ./pilotflow-work}). */
    public static Session create() {
        return builder().create();
    }

    /** A new session on an engine the application built with {@link PilotFlowPlugin}. */
    public static Session attach(ProcessEngine engine) {
        PilotFlowRuntime rt = PilotFlowRuntime.of(engine);
        return new Session(rt.createSession(), engine, false);
    }

    /** The session {@code sessionId}, on a new embedded engine with the default settings. */
    public static Session reconnect(String sessionId) {
        return builder().reconnect(sessionId);
    }

    /** The session {@code sessionId} on an engine the application built with {@link PilotFlowPlugin}. */
    public static Session reconnect(ProcessEngine engine, String sessionId) {
        PilotFlowRuntime rt = PilotFlowRuntime.of(engine);
        return new Session(rt.reconnectSession(sessionId), engine, false);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The session id, e.g. {@code session.20261121.101500.a1b2c3}: keep it to reconnect. */
    public String uid() {
        return state.id();
    }

    public ProcessEngine processEngine() {
        return engine;
    }

    /** The resource configurations this engine knows; add or load more here. */
    public ResourceRegistry resources() {
        return state.runtime().resources();
    }

    /**
     * Adds or overrides resource configurations from every {@code resource_<site>.json} in {@code directory}.
     * All or nothing: an invalid file changes nothing and gives a {@link BadParameter} whose field names the file
     * and the key (e.g. {@code resource_mysite.json: mysite.cluster/cores_per_node}).
     *
     * @return the labels loaded
     */
    public List<String> loadResourceConfigs(Path directory) {
        try {
            return state.runtime().resources().loadDirectory(directory);
        } catch (ResourceConfigException e) {
            String field = (e.file() == null ? "" : Path.of(e.file()).getFileName() + ": ")
                    + (e.key() == null ? "(file)" : e.key());
            throw new BadParameter(field, e.value(), e.expected() == null ? e.getMessage() : e.expected(), e);
        }
    }

    /**
     * Adds SSH credentials (RADICAL-Pilot's {@code session.add_context}) for every host that has none of its own:
     * the user, key file, passphrase and known_hosts the engine uses for {@code ssh://}, {@code slurm+ssh://} and
     * {@code sge+ssh://} resources. They live in this engine's memory only (never in the database, never copied to
     * a resource), so after an engine restart add them again before pilots on SSH resources are watched.
     */
    public void addContext(SshCredentials credentials) {
        state.runtime().shells().defaultCredentials(credentials);
    }

    /** Adds SSH credentials for one host (as written in the resources' endpoints), overriding the default. */
    public void addContext(String host, SshCredentials credentials) {
        state.runtime().shells().credentials(host, credentials);
    }

    public PilotManager createPilotManager() {
        requireOpen();
        return state.createPilotManager();
    }

    /** A unit manager with the ROUND_ROBIN policy. */
    public UnitManager createUnitManager() {
        return createUnitManager(SchedulerPolicy.ROUND_ROBIN);
    }

    public UnitManager createUnitManager(SchedulerPolicy policy) {
        requireOpen();
        return state.createUnitManager(policy);
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
                state.runtime().closeSession(state);
            }
        } finally {
            if (ownsEngine) {
                state.runtime().stop();
                engine.close();
            }
        }
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
        private String historyLevel = ProcessEngineConfiguration.HISTORY_ACTIVITY;

        /** The work directory (default {@code ./pilotflow-work}): database, logs. */
        public Builder workDirectory(Path dir) {
            config = config.toBuilder().workDirectory(dir).build();
            return this;
        }

        public Builder config(PilotFlowConfig c) {
            config = c;
            return this;
        }

        /** A JDBC URL instead of the default H2 file database {@code <work>/db/pilotflow}. */
        public Builder jdbcUrl(String url) {
            jdbcUrl = url;
            return this;
        }

        /**
         * Camunda's history level (default {@code activity}: Cockpit shows which activities each pilot and unit
         * passed, without the cost of variable history). See the README for the measured cost of each level.
         */
        public Builder historyLevel(String level) {
            historyLevel = level;
            return this;
        }

        public Session create() {
            ProcessEngine engine = buildEngine();
            try {
                return new Session(PilotFlowRuntime.of(engine).createSession(), engine, true);
            } catch (RuntimeException e) {
                PilotFlowRuntime.of(engine).stop();
                engine.close();
                throw e;
            }
        }

        public Session reconnect(String sessionId) {
            ProcessEngine engine = buildEngine();
            try {
                return new Session(PilotFlowRuntime.of(engine).reconnectSession(sessionId), engine, true);
            } catch (RuntimeException e) {
                PilotFlowRuntime.of(engine).stop();
                engine.close();
                throw e;
            }
        }

        private ProcessEngine buildEngine() {
            Path work = config.workDirectory();
            ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl)
                    ProcessEngineConfiguration.createStandaloneProcessEngineConfiguration();
            cfg.setProcessEngineName("pilotflow-" + digest(work.toString()));
            cfg.setJdbcUrl(jdbcUrl != null ? jdbcUrl
                    : "jdbc:h2:file:" + work.resolve("db").resolve("pilotflow")
                    // WRITE_DELAY=0: a commit reaches the file before PilotFlow acknowledges it to an agent; with
                    // H2's default (500 ms) a kill -9 lost acknowledged reports and left agents stuck
                    + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0");
            cfg.setJdbcUsername("sa");
            cfg.setJdbcPassword("");
            cfg.setJdbcMaxActiveConnections(20);
            cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_TRUE);
            cfg.setHistory(historyLevel);
            cfg.setJobExecutorActivate(true);
            cfg.setMetricsEnabled(false);
            cfg.getProcessEnginePlugins().add(new PilotFlowPlugin(config));
            try {
                return cfg.buildProcessEngine();
            } catch (RuntimeException e) {
                throw new PersistenceFailure("cannot start the embedded engine on " + cfg.getJdbcUrl() + ": "
                        + e.getMessage() + " (is another application using this work directory?)", e);
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
