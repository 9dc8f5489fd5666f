package org.pilotflow.internal;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.jobexecutor.DefaultJobExecutor;
import org.camunda.bpm.engine.impl.jobexecutor.JobExecutor;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.delegates.CancelPilotDelegate;
import org.pilotflow.delegates.CancelUnitDelegate;
import org.pilotflow.delegates.StageUnitInputDelegate;
import org.pilotflow.delegates.StageUnitOutputDelegate;
import org.pilotflow.delegates.KillPilotDelegate;
import org.pilotflow.delegates.LaunchPilotDelegate;
import org.pilotflow.delegates.PilotFlowBackend;
import org.pilotflow.delegates.SubmitUnitDelegate;
import org.pilotflow.delegates.PilotFailedDelegate;
import org.pilotflow.delegates.ReleasePilotDelegate;
import org.pilotflow.delegates.StageDataDelegate;
import org.pilotflow.delegates.SubmitPilotDelegate;
import org.pilotflow.delegates.UnitFailedDelegate;
import org.pilotflow.delegates.UnitRejectedException;
import org.pilotflow.internal.channel.Channel;
import org.pilotflow.internal.launch.LaunchWorker;
import org.pilotflow.internal.launch.ResourceJobs;
import org.pilotflow.internal.lifecycle.Bpmn;
import org.pilotflow.internal.lifecycle.FollowUps;
import org.pilotflow.internal.lifecycle.ClientStaging;
import org.pilotflow.internal.lifecycle.LifecycleDelegates;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.StageDataRetries;
import org.pilotflow.internal.lifecycle.Published;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.lifecycle.UnitHistoryFilter;
import org.pilotflow.internal.lifecycle.UnitLifecycle;
import org.pilotflow.internal.lifecycle.UnitProcessEndListener;
import org.pilotflow.internal.resources.Resources;
import org.pilotflow.internal.session.SessionService;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.Schema;
import org.pilotflow.internal.store.SessionTable;
import org.pilotflow.internal.watch.Watchdog;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.resource.ResourceAdapters;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.ResourceRegistry;
import org.pilotflow.resource.ssh.SshConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires PilotFlow's parts into one engine node and routes what each commit publishes to the part that acts on it.
 * Only the plugin creates it; no other part refers to it.
 *
 * <h2>Threads and locks (who owns what)</h2>
 * <ul>
 *   <li><b>Application threads</b> call the API ({@code session} package). Every change runs in an engine
 *       transaction ({@code lifecycle.Transactions}); a lost race (optimistic lock, deadlock, lock wait) runs the
 *       whole transaction again.</li>
 *   <li><b>Database locks</b> (across nodes): a pilot's row is its lock; transactions take pilot locks first, in
 *       key order, and write unit rows and Camunda's rows at commit. The report cursor row serializes the
 *       application of one agent's reports. Uid counters are taken in short transactions of their own.</li>
 *   <li><b>Camunda's job executor</b> runs the models' async steps (ask an agent to stop, cancel a unit, the
 *       cancel-grace timer).</li>
 *   <li><b>{@code channel}</b>: 2 endpoint threads read requests; {@code syncThreads} workers apply reports and
 *       answer; one timer answers held syncs; one thread records contacts and this node's liveness.</li>
 *   <li><b>{@code launch}</b>: one thread fetches launch tasks; {@code launchThreads} workers launch pilots,
 *       holding no database connection while the resource answers.</li>
 *   <li><b>{@code watch}</b>: the watchdog thread (lease, silence), the loose-ends thread, and the job thread
 *       (everything that may wait on a job manager or SSH: status, kills, log tails); they act only on the node
 *       holding the lease.</li>
 *   <li><b>{@code lifecycle.FollowUps}</b>: one thread for draining, settling, canceling and starting stored units'
 *       processes in bounded transactions.</li>
 *   <li><b>{@code session}</b>: one callback thread per session; the refresher re-reads other nodes' changes.</li>
 *   <li>{@link #published} runs on the committing thread and only hands work to those threads.</li>
 *   <li>On {@link #stop}, each part's threads get a grace period before they are interrupted
 *       ({@code lifecycle.Threads}): a thread interrupted inside a database write can close an H2 database.</li>
 * </ul>
 */
public final class PilotFlowRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(PilotFlowRuntime.class);
    private static final Map<ProcessEngine, PilotFlowRuntime> BY_ENGINE = new ConcurrentHashMap<>();

    private final PilotFlowConfig config;
    private final String nodeId;
    private final Resources resources;
    /** The delegates exist before the engine does (they are beans); they reach the lifecycle through this. */
    private volatile PilotFlowBackend backend;
    private volatile Transactions txs;
    private ProcessEngine engine;
    private Channel channel;
    private FollowUps followUps;
    private Watchdog watchdog;
    private LaunchWorker launcher;
    private SessionService sessions;
    private ResourceJobs jobs;
    private PilotLifecycle pilots;
    private ClientStaging clientStaging;
    private volatile boolean stopped;
    /** The delegates the models name, by bean name; they exist before the engine and forward to it once it runs. */
    private final Map<String, Object> delegates;

    /** Every delegate the models call: its bean name and how it is made. */
    private static final Map<String, Function<PilotFlowBackend, Object>> DELEGATES = Map.ofEntries(
            Map.entry(BpmnContract.BEAN_LAUNCH_PILOT, LaunchPilotDelegate::new),
            Map.entry(BpmnContract.BEAN_CANCEL_PILOT, CancelPilotDelegate::new),
            Map.entry(BpmnContract.BEAN_KILL_PILOT, KillPilotDelegate::new),
            Map.entry(BpmnContract.BEAN_SUBMIT_UNIT, SubmitUnitDelegate::new),
            Map.entry(BpmnContract.BEAN_CANCEL_UNIT, CancelUnitDelegate::new),
            Map.entry(BpmnContract.BEAN_UNIT_FAILED, UnitFailedDelegate::new),
            Map.entry(BpmnContract.BEAN_STAGE_UNIT_INPUT, StageUnitInputDelegate::new),
            Map.entry(BpmnContract.BEAN_STAGE_UNIT_OUTPUT, StageUnitOutputDelegate::new),
            Map.entry(BpmnContract.BEAN_PILOT_FAILED, PilotFailedDelegate::new),
            Map.entry(BpmnContract.BEAN_SUBMIT_PILOT, SubmitPilotDelegate::new),
            Map.entry(BpmnContract.BEAN_RELEASE_PILOT, ReleasePilotDelegate::new),
            Map.entry(BpmnContract.BEAN_STAGE_DATA, StageDataDelegate::new));

    public PilotFlowRuntime(PilotFlowConfig config) {
        this.config = config;
        this.nodeId = hostName() + "/" + UUID.randomUUID().toString().substring(0, 8);
        this.resources = new Resources(config);
        PilotFlowBackend forward = new ForwardingBackend();
        Map<String, Object> made = new HashMap<>();
        DELEGATES.forEach((name, make) -> made.put(name, make.apply(forward)));
        this.delegates = Map.copyOf(made);
    }

    /** The bean names of the delegates the models call ({@link #delegates()}'s keys), known before any runtime. */
    public static java.util.Set<String> delegateNames() {
        return DELEGATES.keySet();
    }

    /**
     * The delegates the models call, by the bean names the models use ({@code ${pilotflowSubmitUnit}}, ...). {@link
     * #preInit} layers them over the engine's beans; a container whose expression manager resolves its own beans
     * (Spring's, built before plugins run) registers each under its name instead.
     */
    public Map<String, Object> delegates() {
        return delegates;
    }

    /** The runtime of an engine built with {@link org.pilotflow.plugin.PilotFlowPlugin}. */
    public static PilotFlowRuntime of(ProcessEngine engine) {
        PilotFlowRuntime rt = BY_ENGINE.get(engine);
        if (rt == null) {
            throw new IncorrectState("process engine '" + engine.getName() + "' has no PilotFlowPlugin; add "
                    + "org.pilotflow.plugin.PilotFlowPlugin to its processEnginePlugins");
        }
        return rt;
    }

    // ---------------------------------------------------------------- engine lifecycle

    public void preInit(ProcessEngineConfigurationImpl cfg) {
        // set before the expression manager reads the beans map (it runs after preInit)
        Map<Object, Object> ours = new HashMap<>(delegates);
        cfg.setBeans(cfg.getBeans() == null ? ours : new LayeredBeans(ours, cfg.getBeans()));
        if (cfg.getCustomPostBPMNParseListeners() == null) {
            cfg.setCustomPostBPMNParseListeners(new ArrayList<>());
        }
        cfg.getCustomPostBPMNParseListeners().add(new UnitProcessEndListener(() -> txs));
        cfg.getCustomPostBPMNParseListeners().add(new StageDataRetries());
        // the models give their cancel steps a high job priority, so a cancel is not queued behind a backlog of
        // units' continuations; acquisition by priority makes the job executor honour that
        cfg.setJobExecutorAcquireByPriority(true);
        if (!config.unitActivityHistory() && !UnitHistoryFilter.install(cfg)) {
            LOG.info("the engine has its own history event handler: unit processes write their activity history");
        }
    }

    public void start(ProcessEngine processEngine) {
        try {
            startParts(processEngine);
        } catch (RuntimeException e) {
            stop(); // what started must not outlive a failed start (the endpoint, the workers)
            throw e;
        }
    }

    private void startParts(ProcessEngine processEngine) {
        this.engine = processEngine;
        ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration();
        try {
            int before = Schema.migrate(cfg.getDataSource());
            if (before != 0 && before < Schema.CURRENT) {
                LOG.info("PilotFlow's tables were upgraded from schema version {} to {}", before, Schema.CURRENT);
            }
        } catch (SQLException e) {
            throw new ProcessEngineException("PilotFlow cannot create or upgrade its tables: " + e.getMessage(), e);
        }
        checkPoolSize(cfg);
        engine.getRepositoryService().createDeployment()
                .name("pilotflow").source("pilotflow-plugin")
                .enableDuplicateFiltering(true)
                .addClasspathResource(BpmnContract.PILOT_RESOURCE)
                .addClasspathResource(BpmnContract.UNIT_RESOURCE)
                .deploy();
        txs = new Transactions(cfg.getCommandExecutorTxRequired(), cfg.getCommandExecutorTxRequiresNew(),
                this::published);
        Bpmn bpmn = new Bpmn(engine.getRuntimeService());
        pilots = new PilotLifecycle(bpmn, config.cancelGrace());
        UnitLifecycle units = new UnitLifecycle(bpmn, new org.pilotflow.internal.lifecycle.PilotDataShells() {
            @Override
            public boolean isLocal(String resource) {
                return resources.isLocal(resource);
            }

            @Override
            public org.pilotflow.resource.shell.ResourceShell ofResource(String resource)
                    throws org.pilotflow.resource.ResourceException {
                return resources.shellOf(resource);
            }

            @Override
            public org.pilotflow.resource.shell.ResourceShell ofPilot(PilotRecord pilot)
                    throws org.pilotflow.resource.ResourceException {
                return resources.filesOf(pilot).orElseThrow(() -> new org.pilotflow.resource.ResourceException(
                        "pilot " + pilot.uid() + " has no sandbox on its resource yet")).shell();
            }
        });
        followUps = new FollowUps(txs, units);
        channel = new Channel(txs, pilots, units, new Channel.Settings(config.endpointHost(), config.endpointPort(),
                config.heartbeatInterval().toMillis(), config.heartbeatTimeout().toMillis(), config.syncThreads()),
                nodeId);
        channel.start(preferredPort());
        jobs = new ResourceJobs(resources, channel::port);
        watchdog = new Watchdog(txs, pilots, units, followUps, jobs, channel.contacts()::inFlight,
                new Watchdog.Settings(config.heartbeatInterval(), config.heartbeatTimeout(), config.launchTimeout(),
                        config.cancelGrace(), config.jobPollInterval()),
                nodeId, cfg.getDatabaseTablePrefix());
        launcher = new LaunchWorker(engine.getExternalTaskService(), txs, pilots, resources, channel::endpointsFor,
                channel::port, nodeId, config.launchThreads());
        sessions = new SessionService(txs, pilots, units, resources, config, channel::port, this::forceEnd,
                () -> channel.nodeCount() > 1, pilot -> launcher.hint(), followUps::startsPending);
        clientStaging = new ClientStaging(txs, units, p -> resources.filesOf(p).map(
                f -> f.mover(p.uid())),
                config.clientDirectory(), cfg.getDatabaseTablePrefix());
        // pilots submitted and files staged by BPMN tasks
        backend = new LifecycleDelegates(txs, pilots, units, sessions, sessions, clientStaging);
        sessions.start(engine);
        watchdog.start();
        launcher.start();
        BY_ENGINE.put(engine, this);
        LOG.info("PilotFlow started on engine '{}' as node {}: agent endpoint {}", engine.getName(), nodeId,
                channel.baseUrl());
    }

    /** Stops this node's part (agents keep running; another node, or this one restarted, serves them). */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (engine != null) {
            BY_ENGINE.remove(engine, this);
        }
        if (launcher != null) {
            launcher.stop();
        }
        if (watchdog != null) {
            watchdog.stop();
        }
        if (followUps != null) {
            followUps.stop();
        }
        if (clientStaging != null) {
            clientStaging.stop();
        }
        if (sessions != null && engine != null) {
            sessions.stop(engine);
        }
        if (channel != null) {
            channel.stop();
        }
        resources.close();
        LOG.info("PilotFlow stopped on node {}", nodeId);
    }

    // ---------------------------------------------------------------- routing

    /** What a commit on this node published: hand each part its work (runs on the committing thread). */
    private void published(List<Published> events) {
        if (stopped) {
            return;
        }
        // this runs after a commit, inside Camunda's listener: nothing thrown here may reach the caller, whose
        // transaction did commit
        try {
            if (sessions != null) {
                sessions.published(events);
            }
        } catch (RuntimeException ex) {
            LOG.error("updating the session views after a commit failed (they catch up from the database): {}",
                    ex.toString(), ex);
        }
        for (Published e : events) {
            try {
                route(e);
            } catch (RuntimeException ex) {
                LOG.error("handing on {} after a commit failed (the watchdog catches up): {}", e, ex.toString(), ex);
            }
        }
    }

    private void route(Published e) {
        if (e instanceof Published.CommandsQueued c) {
            channel.commandsQueued(c.pilot());
        } else if (e instanceof Published.DrainWanted d) {
            followUps.drain(d.sessionId(), d.manager());
        } else if (e instanceof Published.SettleWanted s) {
            followUps.settle(s.pilot());
        } else if (e instanceof Published.CancelWanted c) {
            followUps.cancel(c.unit(), c.why());
        } else if (e instanceof Published.StartWanted w) {
            followUps.start(w.sessionId(), w.uids());
        } else if (e instanceof Published.KillWanted k) {
            watchdog.killSoon(k.pilot());
        } else if (e instanceof Published.LaunchWanted) {
            launcher.hint();
        } else if (e instanceof Published.PilotChanged p && p.pilot().isFinal()) {
            if (p.pilot().jobPhase() == org.pilotflow.internal.store.JobPhase.ENDED) {
                channel.forget(p.pilot().key()); // no agent of it will sync again
            } else {
                channel.pilotEnded(p.pilot().key());
            }
        }
    }

    /**
     * Pilots whose agents did not stop when their session or manager closed: ended, and their jobs killed now (not
     * by the watchdog later: the application may be about to stop this node).
     */
    private void forceEnd(Collection<PilotKey> keys, String why) {
        for (PilotKey k : keys) {
            try {
                PilotRecord p = txs.runRetrying(tx -> {
                    pilots.lost(tx, k, why);
                    return tx.pilot(k);
                });
                if (p != null && p.job() != null) {
                    jobs.kill(p);
                    // ended only once it is seen gone (scancel and qdel return before the job has ended); else the
                    // watchdog keeps at it
                    var st = jobs.statusAll(List.of(p)).get(k);
                    if (st != null && st.state() == org.pilotflow.resource.JobStatus.State.GONE) {
                        txs.runRetrying(tx -> {
                            pilots.jobEnded(tx, k);
                            return null;
                        });
                    }
                }
            } catch (ResourceException | RuntimeException e) {
                LOG.warn("pilot {}: could not end it and kill its job: {}", k, e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- for the API and tests

    public PilotFlowConfig config() {
        return config;
    }

    public ResourceRegistry resources() {
        return resources.registry();
    }

    /** Tells the adapters about resource entries loaded after the start. */
    public void resourcesChanged() {
        resources.configureAdapters();
    }

    /** The SSH connections and credentials of this node. */
    public SshConnections shells() {
        return resources.shells();
    }

    public ResourceAdapters adapters() {
        return resources.adapters();
    }

    /** This node's agent endpoint, e.g. {@code http://127.0.0.1:41234}. */
    public String agentEndpointUrl() {
        return channel.baseUrl();
    }

    public String nodeId() {
        return nodeId;
    }

    /** How many engine nodes are alive on this database, this one included (as this node last read it). */
    public int liveNodes() {
        return channel == null ? 0 : channel.nodeCount();
    }

    /** Whether this node runs the cluster's watchdog now. */
    public boolean runsWatchdog() {
        return watchdog != null && watchdog.isLeader();
    }

    // ---------------------------------------------------------------- helpers

    /** The configured port, else the port of the newest open session (its agents, if any, know that one). */
    private int preferredPort() {
        if (config.endpointPort() != 0) {
            return config.endpointPort();
        }
        List<SessionTable.SessionRow> open = txs.runRetrying(tx -> SessionTable.openSessions(tx.connection()));
        return open.isEmpty() ? 0 : open.get(0).endpointPort();
    }

    private void checkPoolSize(ProcessEngineConfigurationImpl cfg) {
        JobExecutor je = cfg.getJobExecutor();
        int jobThreads = je instanceof DefaultJobExecutor d ? d.getMaxPoolSize() : 10;
        int needed = config.connectionsNeeded() + jobThreads;
        int pool = cfg.getJdbcMaxActiveConnections();
        if (cfg.getDataSource() instanceof org.apache.ibatis.datasource.pooled.PooledDataSource && pool < needed) {
            LOG.warn("the engine's connection pool has {} connections; PilotFlow's threads and the job executor can"
                    + " use {} at once (set jdbcMaxActiveConnections to at least {})", pool, needed, needed);
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "node";
        }
    }

    /** Hands the delegates' calls to the lifecycle once the engine exists. */
    private final class ForwardingBackend implements PilotFlowBackend {
        private PilotFlowBackend target() {
            PilotFlowBackend b = backend;
            if (b == null) {
                throw new ProcessEngineException("PilotFlow has not started on this engine yet");
            }
            return b;
        }

        @Override
        public boolean requestStop(DelegateExecution execution) {
            return target().requestStop(execution);
        }

        @Override
        public void kill(DelegateExecution execution) {
            target().kill(execution);
        }

        @Override
        public void submitUnit(DelegateExecution execution) throws UnitRejectedException {
            target().submitUnit(execution);
        }

        @Override
        public void cancelUnit(DelegateExecution execution) {
            target().cancelUnit(execution);
        }

        @Override
        public void unitSubmittedAgain(DelegateExecution execution) {
            target().unitSubmittedAgain(execution);
        }

        @Override
        public String replacePilot(DelegateExecution execution) {
            return target().replacePilot(execution);
        }

        @Override
        public String submitPilot(DelegateExecution execution) {
            return target().submitPilot(execution);
        }

        @Override
        public void releasePilot(DelegateExecution execution) {
            target().releasePilot(execution);
        }

        @Override
        public void stageUnitInput(DelegateExecution execution) {
            target().stageUnitInput(execution);
        }

        @Override
        public void stageUnitOutput(DelegateExecution execution) {
            target().stageUnitOutput(execution);
        }

        @Override
        public String legacyLaunch(DelegateExecution execution) {
            return target().legacyLaunch(execution);
        }

        @Override
        public List<Map<String, Object>> stageData(DelegateExecution execution) {
            return target().stageData(execution);
        }
    }
}
