package org.pilotflow.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.camunda.bpm.engine.OptimisticLockingException;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineException;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.Command;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.IncorrectState;
import org.pilotflow.api.PersistenceFailure;
import org.pilotflow.api.PilotException;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.delegates.CancelPilotDelegate;
import org.pilotflow.delegates.KillPilotDelegate;
import org.pilotflow.delegates.LaunchPilotDelegate;
import org.pilotflow.delegates.PilotFlowBackend;
import org.pilotflow.delegates.SubmitUnitDelegate;
import org.pilotflow.delegates.UnitRejectedException;
import org.pilotflow.model.IllegalStateTransitionException;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.UnitSpec;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceAdapters;
import org.pilotflow.resource.ssh.SshConnections;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.LaunchMethods;
import org.pilotflow.resource.config.ResourceSchema;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PilotFlow inside one process engine: the live pilot and unit records, the backend the lifecycle delegates call,
 * report application, unit scheduling and the heartbeat watchdog. One per engine, created by the plugin.
 */
public final class PilotFlowRuntime implements PilotFlowBackend {

    private static final Logger LOG = LoggerFactory.getLogger(PilotFlowRuntime.class);
    private static final Map<String, PilotFlowRuntime> BY_ENGINE = new ConcurrentHashMap<>();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PilotFlowConfig config;
    private final Store store = new Store();
    private final ResourceRegistry resources = ResourceRegistry.withBuiltIns();
    /** One SSH connection per host, shared by all adapters and pilots of this engine. */
    private final SshConnections shells = SshConnections.builder().build();
    private final ResourceAdapters adapters = new ResourceAdapters(shells);
    /** When the watchdog last asked the job managers (ms); only the watchdog thread touches it. */
    private long lastJobPoll;
    final Map<String, PilotEntry> pilots = new ConcurrentHashMap<>();
    final Map<String, UnitEntry> units = new ConcurrentHashMap<>();
    final Map<String, SessionState> sessions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            daemon("pilotflow-watchdog"));
    /** Work that must run in its own transaction after another one committed (drains, cancels). */
    private final ExecutorService worker = Executors.newSingleThreadExecutor(daemon("pilotflow-worker"));

    private ProcessEngine engine;
    private ProcessEngineConfigurationImpl engineConfig;
    private AgentEndpoint endpoint;
    private volatile boolean stopped;

    public PilotFlowRuntime(PilotFlowConfig config) {
        this.config = config;
        Path userDir = config.resourceDirectory() != null ? config.resourceDirectory()
                : Path.of(System.getProperty("user.home"), ".pilotflow", "resources");
        if (config.resourceDirectory() != null || Files.isDirectory(userDir)) {
            resources.loadDirectory(userDir);
        }
    }

    /** The runtime of an engine built with {@link org.pilotflow.plugin.PilotFlowPlugin}. */
    public static PilotFlowRuntime of(ProcessEngine engine) {
        PilotFlowRuntime rt = BY_ENGINE.get(engine.getName());
        if (rt == null) {
            throw new IncorrectState("process engine '" + engine.getName() + "' has no PilotFlowPlugin; add "
                    + "org.pilotflow.plugin.PilotFlowPlugin to its processEnginePlugins");
        }
        return rt;
    }

    // ---------------------------------------------------------------- lifecycle

    public void preInit(ProcessEngineConfigurationImpl cfg) {
        this.engineConfig = cfg;
        // set before the expression manager reads the beans map (it runs after preInit)
        Map<Object, Object> ours = new HashMap<>();
        ours.put(BpmnContract.BEAN_LAUNCH_PILOT, new LaunchPilotDelegate(this));
        ours.put(BpmnContract.BEAN_CANCEL_PILOT, new CancelPilotDelegate(this));
        ours.put(BpmnContract.BEAN_KILL_PILOT, new KillPilotDelegate(this));
        ours.put(BpmnContract.BEAN_SUBMIT_UNIT, new SubmitUnitDelegate(this));
        cfg.setBeans(cfg.getBeans() == null ? ours : new LayeredBeans(ours, cfg.getBeans()));
        if (cfg.getCustomPostBPMNParseListeners() == null) {
            cfg.setCustomPostBPMNParseListeners(new ArrayList<>());
        }
        cfg.getCustomPostBPMNParseListeners().add(new UnitProcessEndListener(this));
    }

    public void start(ProcessEngine processEngine) {
        this.engine = processEngine;
        BY_ENGINE.put(processEngine.getName(), this);
        engine.getRepositoryService().createDeployment()
                .name("pilotflow").source("pilotflow-plugin")
                .enableDuplicateFiltering(true)
                .addClasspathResource(BpmnContract.PILOT_RESOURCE)
                .addClasspathResource(BpmnContract.UNIT_RESOURCE)
                .deploy();
        List<Store.SessionRow> open = tx(ctx -> {
            store.createTables(connection());
            return store.openSessions(connection());
        });
        int port = config.endpointPort();
        if (port == 0 && !open.isEmpty()) {
            port = open.get(0).endpointPort(); // agents of an earlier run know this port
        }
        endpoint = AgentEndpoint.start(this, config.endpointHost(), port);
        for (Store.SessionRow row : open) {
            loadSession(row.id());
        }
        long period = Math.max(100, config.heartbeatInterval().toMillis() / 2);
        timer.scheduleWithFixedDelay(this::watch, period, period, TimeUnit.MILLISECONDS);
        LOG.info("PilotFlow started on engine '{}': agent endpoint {}, {} open session(s) loaded",
                engine.getName(), endpoint.baseUrl(), open.size());
    }

    /** Stops the endpoint and the background threads; agents keep running until their orphan timeout. */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        timer.shutdownNow();
        worker.shutdownNow();
        if (endpoint != null) {
            endpoint.stop();
        }
        shells.close(); // agents behind an SSH tunnel lose the engine now, as direct ones do with the endpoint
        sessions.values().forEach(SessionState::stopCallbacks);
        if (engine != null) {
            BY_ENGINE.remove(engine.getName(), this);
        }
    }

    public ProcessEngine engine() {
        return engine;
    }

    public PilotFlowConfig config() {
        return config;
    }

    public ResourceRegistry resources() {
        return resources;
    }

    /** The SSH connections and credentials of this engine. */
    public SshConnections shells() {
        return shells;
    }

    public ResourceAdapters adapters() {
        return adapters;
    }

    Store store() {
        return store;
    }

    /** The agent endpoint's base URL on the engine's host, e.g. {@code http://127.0.0.1:41234}. */
    public String agentEndpointUrl() {
        return endpoint.baseUrl();
    }

    String endpointBase() {
        return endpoint.baseUrl();
    }

    // ---------------------------------------------------------------- transactions

    /** The body of a transaction; it may throw SQL exceptions, which roll the transaction back. */
    @FunctionalInterface
    interface TxBody<T> {
        T run(org.camunda.bpm.engine.impl.interceptor.CommandContext ctx) throws java.sql.SQLException;
    }

    /** Runs {@code body} in one engine transaction; maps database trouble to {@link PersistenceFailure}. */
    <T> T tx(TxBody<T> body) {
        Command<T> command = ctx -> {
            try {
                return body.run(ctx);
            } catch (java.sql.SQLException e) {
                throw new ProcessEngineException("PilotFlow database access failed: " + e.getMessage(), e);
            }
        };
        try {
            return engineConfig.getCommandExecutorTxRequired().execute(command);
        } catch (PilotException | OptimisticLockingException e) {
            throw e;
        } catch (ProcessEngineException e) {
            if (hasSqlCause(e)) {
                throw new PersistenceFailure("the engine database refused a PilotFlow change: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** {@link #tx} retried on optimistic-locking conflicts (a concurrent cancel, say). */
    <T> T txRetrying(TxBody<T> body) {
        for (int attempt = 1; ; attempt++) {
            try {
                return tx(body);
            } catch (OptimisticLockingException e) {
                if (attempt >= 10) {
                    throw e;
                }
                LOG.debug("optimistic locking conflict, attempt {}: {}", attempt, e.getMessage());
            }
        }
    }

    private static boolean hasSqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException) {
                return true;
            }
        }
        return false;
    }

    static Connection connection() {
        return Context.getCommandContext().getDbSqlSession().getSqlSession().getConnection();
    }

    RuntimeService runtimeService() {
        return engine.getRuntimeService();
    }

    void async(Runnable r) {
        if (!stopped) {
            worker.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("PilotFlow background step failed: {}", e.toString(), e);
                }
            });
        }
    }

    // ---------------------------------------------------------------- sessions

    /** Internal: the public face is {@link org.pilotflow.api.Session#reconnect}. */
    public SessionState reconnectSession(String id) {
        return session(id);
    }

    /** Internal: the public face is {@link org.pilotflow.api.Session#create}. */
    public SessionState createSession() {
        String id = "session." + java.time.LocalDateTime.now().format(
                java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd.HHmmss")) + "."
                + HexFormat.of().formatHex(randomBytes(3));
        tx(ctx -> {
            store.insertSession(connection(), new Store.SessionRow(id, System.currentTimeMillis(),
                    endpoint.port(), false));
            return null;
        });
        SessionState s = new SessionState(this, id);
        sessions.put(id, s);
        LOG.info("session {} created", id);
        return s;
    }

    SessionState session(String id) {
        SessionState s = sessions.get(id);
        if (s != null) {
            return s;
        }
        return loadSession(id);
    }

    private synchronized SessionState loadSession(String id) {
        SessionState existing = sessions.get(id);
        if (existing != null) {
            return existing;
        }
        record Loaded(Store.SessionRow row, List<Store.ManagerRow> managers, List<PilotSnapshot> pilots,
                      List<UnitSnapshot> units) { }
        Loaded l = tx(ctx -> new Loaded(store.session(connection(), id), store.managers(connection(), id),
                store.pilots(connection(), id), store.units(connection(), id)));
        if (l.row() == null) {
            throw new BadParameter("sessionId", id, "the id of a session stored in this engine's database");
        }
        SessionState s = new SessionState(this, id);
        long now = System.currentTimeMillis();
        for (PilotSnapshot p : l.pilots()) {
            if (!p.isFinal()) { // the batch-job watcher needs e.g. the resource's job_manager_environment
                resources.find(p.description().resource()).ifPresent(adapters::configure);
            }
            PilotEntry e = new PilotEntry(p);
            e.lastHeartbeat = now; // the agent gets a full timeout to find the restarted engine
            pilots.put(e.key, e);
        }
        for (UnitSnapshot u : l.units()) {
            UnitEntry e = new UnitEntry(u);
            units.put(e.key, e);
            if (u.isFinal()) {
                e.completion.complete(handle(e));
            }
        }
        s.restore(l.managers(), l.pilots(), l.units());
        // commands that may not have reached an agent before the restart: the agent ignores what it knows
        for (PilotSnapshot p : l.pilots()) {
            PilotEntry pe = pilots.get(Keys.of(id, p.uid()));
            if (p.isFinal()) {
                continue;
            }
            pe.commands.rebaseOnNextSync();
            if (p.state() == PilotState.CANCELING) {
                pe.commands.cancelPilot();
            }
        }
        for (UnitSnapshot u : l.units()) {
            if (!u.isFinal() && u.pilot() != null && u.state() == UnitState.PENDING_INPUT_STAGING) {
                PilotEntry pe = pilots.get(Keys.of(id, u.pilot()));
                if (pe != null && !pe.current.isFinal()) {
                    pe.commands.runUnit(spec(u));
                }
            }
        }
        sessions.put(id, s);
        LOG.info("session {} loaded: {} pilot(s), {} unit(s)", id, l.pilots().size(), l.units().size());
        async(s::drainAll);
        return s;
    }

    public void closeSession(SessionState s) {
        tx(ctx -> {
            store.closeSession(connection(), s.id());
            return null;
        });
    }

    // ---------------------------------------------------------------- lookups

    PilotEntry pilot(String sessionId, String uid) {
        String key = Keys.of(sessionId, uid);
        Tx tx = Tx.peek();
        if (tx != null) {
            PilotEntry e = tx.newPilot(key);
            if (e != null) {
                return e;
            }
        }
        return pilots.get(key);
    }

    UnitEntry unit(String sessionId, String uid) {
        String key = Keys.of(sessionId, uid);
        Tx tx = Tx.peek();
        if (tx != null) {
            UnitEntry e = tx.newUnit(key);
            if (e != null) {
                return e;
            }
        }
        return units.get(key);
    }

    PilotHandle handle(PilotEntry e) {
        PilotHandle h = e.handle;
        if (h == null) {
            h = new PilotHandle(this, e);
            e.handle = h;
        }
        return h;
    }

    UnitHandle handle(UnitEntry e) {
        UnitHandle h = e.handle;
        if (h == null) {
            h = new UnitHandle(this, e);
            e.handle = h;
        }
        return h;
    }

    // ---------------------------------------------------------------- after commit

    /** Publishes one committed transaction: new records, callbacks, waiters, then its after-commit work. */
    void committed(Set<PilotEntry> newPilots, Set<UnitEntry> newUnits, List<Object[]> events,
                   List<Runnable> afterCommit) {
        for (PilotEntry e : newPilots) {
            pilots.put(e.key, e);
            session(e.current.sessionId()).pilotAdded(e);
        }
        for (UnitEntry e : newUnits) {
            units.put(e.key, e);
            session(e.current.sessionId()).unitAdded(e);
        }
        Set<SessionState> touched = new java.util.HashSet<>();
        for (Object[] ev : events) {
            if (ev[0] instanceof UnitEntry ue) {
                SessionState s = sessions.get(ue.current.sessionId());
                UnitState st = (UnitState) ev[1];
                if (s != null) {
                    s.unitEvent(ue, st);
                    touched.add(s);
                }
                if (st.isFinal()) {
                    ue.completion.complete(handle(ue));
                }
            } else {
                PilotEntry pe = (PilotEntry) ev[0];
                SessionState s = sessions.get(pe.current.sessionId());
                if (s != null) {
                    s.pilotEvent(pe, (PilotState) ev[1]);
                    touched.add(s);
                }
            }
        }
        for (Runnable r : afterCommit) {
            try {
                r.run();
            } catch (RuntimeException ex) {
                LOG.error("PilotFlow after-commit step failed: {}", ex.toString(), ex);
            }
        }
        for (SessionState s : touched) {
            s.signal();
        }
    }

    // ---------------------------------------------------------------- submission (API side)

    /** Creates pilot records and starts their process instances, all in one transaction. */
    List<PilotEntry> submitPilots(SessionState session, String manager, List<ComputePilotDescription> descriptions) {
        List<String> sandboxes = new ArrayList<>();
        List<String> uids = new ArrayList<>();
        for (int i = 0; i < descriptions.size(); i++) {
            String field = "pilots[" + i + "].";
            ComputePilotDescription d = descriptions.get(i);
            if (d == null) {
                throw new BadParameter("pilots[" + i + "]", null, "a ComputePilotDescription");
            }
            ResourceConfig rc = Validation.resource(resources, field, d);
            String uid = session.peekPilotUid(i);
            sandboxes.add(Validation.sandbox(rc, field, d, session.id(), uid));
            uids.add(uid);
        }
        return txRetrying(ctx -> {
            Tx tx = Tx.current(this);
            List<PilotEntry> out = new ArrayList<>();
            for (int i = 0; i < descriptions.size(); i++) {
                PilotSnapshot snap = PilotSnapshot.created(session.id(), uids.get(i), manager, descriptions.get(i),
                        sandboxes.get(i));
                PilotEntry e = new PilotEntry(snap);
                tx.insert(e, List.of(PilotState.NEW));
                String pi = runtimeService().createProcessInstanceByKey(BpmnContract.PILOT_PROCESS)
                        .businessKey(snap.uid())
                        .setVariable(BpmnContract.VAR_SESSION, session.id())
                        .setVariable(BpmnContract.VAR_PILOT, snap.uid())
                        .setVariable(BpmnContract.VAR_CANCEL_GRACE, config.cancelGrace().toString())
                        .execute().getId();
                PilotSnapshot s = tx.pilot(e).withProcessInstance(pi);
                List<PilotState> ann = s.advanceTo(PilotState.PENDING_LAUNCH);
                tx.update(e, s.withStates(ann, Map.of()), ann);
                out.add(e);
            }
            tx.afterCommit(() -> session.pilotUidsUsed(descriptions.size()));
            return out;
        });
    }

    /** Creates unit records and starts their process instances, in transactions of {@code chunk} units. */
    List<UnitEntry> submitUnits(SessionState session, UnitManagerImpl manager,
                                List<ComputeUnitDescription> descriptions) {
        List<UnitEntry> out = new ArrayList<>(descriptions.size());
        int chunk = 200;
        for (int from = 0; from < descriptions.size(); from += chunk) {
            List<ComputeUnitDescription> part = descriptions.subList(from, Math.min(descriptions.size(), from + chunk));
            out.addAll(tx(ctx -> {
                Tx tx = Tx.current(this);
                List<UnitEntry> created = new ArrayList<>(part.size());
                for (ComputeUnitDescription d : part) {
                    UnitEntry e = new UnitEntry(UnitSnapshot.created(session.id(), session.nextUnitUid(),
                            manager.uid(), d));
                    tx.insert(e, List.of(UnitState.NEW));
                    runtimeService().createProcessInstanceByKey(BpmnContract.UNIT_PROCESS)
                            .businessKey(e.current.uid())
                            .setVariable(BpmnContract.VAR_SESSION, session.id())
                            .setVariable(BpmnContract.VAR_UNIT, e.current.uid())
                            .execute();
                    created.add(e);
                }
                return created;
            }));
        }
        return out;
    }

    // ---------------------------------------------------------------- delegate backend

    private PilotEntry pilotOf(DelegateExecution execution) {
        String sid = (String) execution.getVariable(BpmnContract.VAR_SESSION);
        String uid = (String) execution.getVariable(BpmnContract.VAR_PILOT);
        PilotEntry e = sid == null || uid == null ? null : pilot(sid, uid);
        if (e == null) {
            throw new ProcessEngineException("process instance " + execution.getProcessInstanceId()
                    + " names pilot " + uid + " of session " + sid + ", which this engine does not know");
        }
        return e;
    }

    @Override
    public LaunchPlan beginLaunch(DelegateExecution execution) throws ResourceException {
        PilotEntry e = pilotOf(execution);
        Tx tx = Tx.current(this);
        PilotSnapshot s = tx.pilot(e);
        ComputePilotDescription d = s.description();
        ResourceConfig rc;
        try {
            rc = resources.get(d.resource());
        } catch (RuntimeException ex) {
            throw new ResourceException("resource " + d.resource() + " is no longer configured: " + ex.getMessage());
        }
        ResourceSchema schema = rc.schema(d.accessSchema());
        ResourceAdapter adapter = adapters.forEndpoint(schema.jobManagerEndpoint().uri());
        adapters.configure(rc);
        byte[] secretBytes = randomBytes(32);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        LaunchMethods methods = rc.launchMethods();
        Map<String, Map<String, Object>> methodOptions = new java.util.LinkedHashMap<>();
        methods.options().forEach((m, o) -> methodOptions.put(m.name(), o));
        AgentConfig agent = new AgentConfig(s.sessionId(), s.uid(), List.of(endpoint.baseUrl() + "/sessions/" + s.sessionId()),
                secret, s.sandbox(), d.cores(), d.gpus(), d.runtime().toSeconds(),
                config.heartbeatInterval().toMillis(), config.orphanTimeout().toMillis(),
                methods.order().stream().map(Enum::name).toList(), methodOptions);
        // on this host the engine's own java serves the agent; elsewhere the resource says where java is
        String java = schema.access() == Access.LOCAL && "java".equals(rc.agentJava())
                ? Path.of(System.getProperty("java.home"), "bin", "java").toString() : rc.agentJava();
        List<PilotState> ann = s.advanceTo(PilotState.LAUNCHING);
        tx.update(e, s.withSecretHash(hash(secret)).withStates(ann, Map.of()), ann);
        LOG.info("pilot {}: launching on {} via {} ({} cores, runtime {})", s.uid(), d.resource(),
                schema.jobManagerEndpoint(), d.cores(), d.runtime());
        return new LaunchPlan(adapter, new PilotLaunch(agent, rc, schema, s.sandbox(), d.sandbox() != null, java,
                d.runtime(), d.queue() != null ? d.queue() : rc.defaultQueue().orElse(null), d.project(),
                (int) Math.min(Integer.MAX_VALUE, d.memoryMb()), endpoint.port()));
    }

    @Override
    public void launched(DelegateExecution execution, Submitted submitted) {
        PilotEntry e = pilotOf(execution);
        Tx tx = Tx.current(this);
        PilotSnapshot s = tx.pilot(e).withJob(submitted.handle().toString()).withSandbox(submitted.sandbox());
        List<PilotState> ann = s.advanceTo(PilotState.PENDING_ACTIVE);
        tx.update(e, s.withStates(ann, Map.of()), ann);
        LOG.info("pilot {}: job {} accepted, sandbox {}", s.uid(), submitted.handle(), submitted.sandbox());
    }

    @Override
    public void launchFailed(DelegateExecution execution, String reason) {
        PilotEntry e = pilotOf(execution);
        LOG.warn("pilot {}: launch failed: {}", e.current.uid(), reason);
        endPilot(Tx.current(this), e, PilotState.FAILED, "launch failed: " + reason, false);
    }

    @Override
    public void requestStop(DelegateExecution execution) {
        PilotEntry e = pilotOf(execution);
        Tx tx = Tx.current(this);
        PilotSnapshot s = tx.pilot(e);
        PilotState before = s.state();
        List<PilotState> ann = s.advanceTo(PilotState.CANCELING);
        tx.update(e, s.withStates(ann, Map.of()), ann);
        if (s.job() == null) {
            // never launched: no agent will answer, so end it in a transaction of its own
            tx.afterCommit(() -> async(() -> txRetrying(ctx -> {
                endPilot(Tx.current(this), e, PilotState.CANCELED, "canceled before its job started", true);
                return null;
            })));
        } else if (before != PilotState.ACTIVE) {
            // no agent has reported yet (the job may still wait in the batch queue): remove the job now rather
            // than wait a grace period for an agent that may never start
            tx.afterCommit(() -> async(() -> {
                killJob(e.current);
                synchronized (e.applyLock) {
                    txRetrying(ctx -> {
                        endPilot(Tx.current(this), e, PilotState.CANCELED, "canceled before its agent started; job "
                                + s.job() + " removed", true);
                        return null;
                    });
                }
            }));
        } else {
            tx.afterCommit(e.commands::cancelPilot);
        }
    }

    @Override
    public void kill(DelegateExecution execution) {
        PilotEntry e = pilotOf(execution);
        Tx tx = Tx.current(this);
        PilotSnapshot s = tx.pilot(e);
        killJob(s);
        execution.setVariable(BpmnContract.VAR_PILOT_STATE, PilotState.CANCELED.name());
        endPilot(tx, e, PilotState.CANCELED, "the agent did not stop within " + config.cancelGrace()
                + " of the cancel request; its job was killed", false);
    }

    @Override
    public JobHandle jobOf(DelegateExecution execution) {
        String job = Tx.current(this).pilot(pilotOf(execution)).job();
        return job == null ? null : JobHandle.parse(job);
    }

    private void killJob(PilotSnapshot s) {
        if (s.job() == null) {
            return;
        }
        try {
            JobHandle h = JobHandle.parse(s.job());
            adapters.forHandle(h).kill(h);
        } catch (ResourceException | RuntimeException ex) {
            LOG.warn("pilot {}: could not kill job {}: {}", s.uid(), s.job(), ex.getMessage());
        }
    }

    @Override
    public void submitUnit(DelegateExecution execution) throws UnitRejectedException {
        String sid = (String) execution.getVariable(BpmnContract.VAR_SESSION);
        String uid = (String) execution.getVariable(BpmnContract.VAR_UNIT);
        Tx tx = Tx.current(this);
        UnitEntry e;
        if (uid == null) {
            e = UnitFromVariables.create(this, tx, sid, execution);
            execution.setVariable(BpmnContract.VAR_UNIT, e.current.uid());
        } else {
            e = unit(sid, uid);
            if (e == null) {
                throw new UnitRejectedException("unit " + uid + " of session " + sid + " is unknown to this engine");
            }
        }
        UnitSnapshot s = tx.unit(e).withProcessInstance(execution.getProcessInstanceId());
        List<UnitState> ann = s.advanceTo(UnitState.UNSCHEDULED);
        tx.update(e, s.withStates(ann, Map.of()), ann);
        SessionState session = session(sid);
        UnitManagerImpl um = session.unitManager(s.manager());
        String reason = um.schedule(tx, e);
        if (reason != null) {
            UnitSnapshot f = tx.unit(e);
            List<UnitState> fa = f.advanceTo(UnitState.FAILED);
            tx.update(e, f.withStates(fa, Map.of()).withReason(reason), fa);
            throw new UnitRejectedException(reason);
        }
    }

    // ---------------------------------------------------------------- binding and dispatch

    /** Binds a unit to a pilot inside {@code tx}; the RUN command is queued after the commit. */
    void bind(Tx tx, UnitEntry e, PilotEntry pilot) {
        UnitSnapshot s = tx.unit(e).withPilot(pilot.current.uid());
        List<UnitState> ann = s.advanceTo(UnitState.PENDING_INPUT_STAGING);
        UnitSnapshot bound = s.withStates(ann, Map.of());
        tx.update(e, bound, ann);
        tx.afterCommit(() -> pilot.commands.runUnit(spec(bound)));
    }

    static UnitSpec spec(UnitSnapshot u) {
        ComputeUnitDescription d = u.description();
        return new UnitSpec(u.uid(), d.name(), d.executable(), d.arguments(), d.environment(), d.cores(), d.gpus(),
                d.preExec(), d.postExec(), d.stdout(), d.stderr(), d.timeout() == null ? 0 : d.timeout().toSeconds(),
                d.mpi());
    }

    // ---------------------------------------------------------------- reports from agents

    /** Applies a batch of one pilot's reports; returns the highest sequence number now committed. */
    long applyReports(PilotEntry pe, List<Report> reports) {
        synchronized (pe.applyLock) {
            return txRetrying(ctx -> applyInTx(pe, reports));
        }
    }

    private long applyInTx(PilotEntry pe, List<Report> reports) {
        Tx tx = Tx.current(this);
        long last = tx.pilot(pe).lastSeq();
        long before = last;
        List<Report> sorted = new ArrayList<>(reports);
        sorted.sort(java.util.Comparator.comparingLong(Report::seq));
        for (Report r : sorted) {
            if (r.seq() <= last) {
                continue; // a duplicate: applied before
            }
            if (r.seq() != last + 1) {
                break; // a gap: wait for the missing report
            }
            boolean applied = r.isPilotReport() ? applyPilotReport(tx, pe, r) : applyUnitReport(tx, pe, r);
            if (!applied) {
                break; // its process instance is not waiting yet: the agent sends it again
            }
            last = r.seq();
        }
        if (last != before) {
            tx.update(pe, tx.pilot(pe).withLastSeq(last), List.of());
        }
        return last;
    }

    private boolean applyUnitReport(Tx tx, PilotEntry pe, Report r) {
        String pilotUid = pe.current.uid();
        UnitEntry ue = unit(pe.current.sessionId(), r.unitId());
        if (ue == null || !pilotUid.equals(tx.unit(ue).pilot())) {
            LOG.warn("refused report #{} from pilot {} about unit {}: that unit is {}", r.seq(), pilotUid,
                    r.unitId(), ue == null ? "unknown" : "bound to pilot " + tx.unit(ue).pilot());
            return true;
        }
        UnitState target;
        try {
            target = UnitState.valueOf(r.state());
        } catch (IllegalArgumentException | NullPointerException ex) {
            LOG.warn("refused report #{} from pilot {}: '{}' is not a unit state", r.seq(), pilotUid, r.state());
            return true;
        }
        UnitSnapshot s = tx.unit(ue);
        List<UnitState> ann;
        try {
            ann = s.advanceTo(target);
        } catch (IllegalStateTransitionException ex) {
            LOG.warn("refused report #{} from pilot {} about unit {}: {}", r.seq(), pilotUid, r.unitId(),
                    ex.getMessage());
            return true;
        }
        if (ann.isEmpty()) {
            return true;
        }
        UnitSnapshot next = s.withReport(r).withStates(ann, r.timestamps());
        if (target.isFinal() && !correlateUnitEnded(next)) {
            return false;
        }
        tx.update(ue, next, ann);
        if (target.isFinal()) {
            scheduleDrainAfterCommit(tx, next);
        }
        return true;
    }

    private void scheduleDrainAfterCommit(Tx tx, UnitSnapshot finished) {
        SessionState session = sessions.get(finished.sessionId());
        if (session != null) {
            UnitManagerImpl um = session.unitManagerOrNull(finished.manager());
            if (um != null && um.needsDrainOnFinish()) {
                tx.afterCommit(() -> um.requestDrain());
            }
        }
    }

    /** Sends the final-state message to the unit's process; false when the instance exists but is not waiting. */
    boolean correlateUnitEnded(UnitSnapshot u) {
        if (u.processInstanceId() == null) {
            return true;
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put(BpmnContract.VAR_UNIT_STATE, u.state().name());
        vars.put(BpmnContract.VAR_EXIT_CODE, u.exitCode());
        vars.put(BpmnContract.VAR_FAILURE_REASON, u.reason());
        var result = runtimeService().createMessageCorrelation(BpmnContract.MSG_UNIT_ENDED)
                .processInstanceId(u.processInstanceId()).setVariables(vars).correlateAllWithResult();
        return !result.isEmpty() || !instanceExists(u.processInstanceId());
    }

    private boolean correlatePilot(PilotSnapshot p, String message) {
        var result = runtimeService().createMessageCorrelation(message)
                .processInstanceId(p.processInstanceId())
                .setVariable(BpmnContract.VAR_PILOT_STATE, p.state().name())
                .correlateAllWithResult();
        return !result.isEmpty() || !instanceExists(p.processInstanceId());
    }

    private boolean instanceExists(String processInstanceId) {
        return runtimeService().createProcessInstanceQuery().processInstanceId(processInstanceId).count() > 0;
    }

    private boolean applyPilotReport(Tx tx, PilotEntry pe, Report r) {
        PilotState target;
        try {
            target = PilotState.valueOf(r.state());
        } catch (IllegalArgumentException | NullPointerException ex) {
            LOG.warn("refused report #{} from pilot {}: '{}' is not a pilot state", r.seq(), pe.current.uid(),
                    r.state());
            return true;
        }
        PilotSnapshot s = tx.pilot(pe);
        List<PilotState> ann;
        try {
            ann = s.advanceTo(target);
        } catch (IllegalStateTransitionException ex) {
            LOG.warn("refused report #{} from pilot {}: {}", r.seq(), pe.current.uid(), ex.getMessage());
            return true;
        }
        if (ann.isEmpty()) {
            return true;
        }
        if (target.isFinal()) {
            endPilot(tx, pe, target, r.reason(), true, r.timestamps());
            return true;
        }
        PilotSnapshot next = s.withStates(ann, r.timestamps());
        if (ann.contains(PilotState.ACTIVE) && !correlatePilot(next, BpmnContract.MSG_PILOT_ACTIVE)) {
            return false;
        }
        tx.update(pe, next, ann);
        if (target == PilotState.ACTIVE) {
            LOG.info("pilot {} is ACTIVE", s.uid());
            tx.afterCommit(() -> session(s.sessionId()).pilotActive(pe));
        }
        return true;
    }

    private void endPilot(Tx tx, PilotEntry pe, PilotState state, String reason, boolean correlate) {
        endPilot(tx, pe, state, reason, correlate, Map.of());
    }

    /**
     * Ends a pilot in {@code state} and deals with its unfinished units: canceled with it, failed ("pilot lost",
     * "pilot runtime expired"), or, when restartable and the pilot was lost, bound again elsewhere.
     */
    void endPilot(Tx tx, PilotEntry pe, PilotState state, String reason, boolean correlate,
                  Map<String, Long> timestamps) {
        PilotSnapshot s = tx.pilot(pe);
        List<PilotState> ann = s.advanceTo(state);
        if (ann.isEmpty()) {
            return;
        }
        PilotSnapshot next = s.withStates(ann, timestamps);
        if (reason != null) {
            next = next.withReason(reason);
        }
        tx.update(pe, next, ann);
        if (correlate) {
            correlatePilot(next, BpmnContract.MSG_PILOT_ENDED);
        }
        PilotState end = next.state();
        LOG.info("pilot {} is {}{}", s.uid(), end, reason == null ? "" : ": " + reason);
        List<UnitEntry> restart = new ArrayList<>();
        for (UnitEntry ue : units.values()) {
            UnitSnapshot u = tx.unit(ue);
            if (u.isFinal() || !s.uid().equals(u.pilot()) || !s.sessionId().equals(u.sessionId())) {
                continue;
            }
            if (end == PilotState.FAILED && u.description().restartable()) {
                restart.add(ue);
                continue;
            }
            UnitState unitEnd = end == PilotState.CANCELED ? UnitState.CANCELED : UnitState.FAILED;
            String why = switch (end) {
                case CANCELED -> "pilot " + s.uid() + " was canceled";
                case DONE -> "pilot " + s.uid() + " ended (runtime expired) before the unit finished";
                default -> "pilot lost: " + s.uid() + (reason == null ? "" : " (" + reason + ")");
            };
            List<UnitState> ua = u.advanceTo(unitEnd);
            UnitSnapshot un = u.withStates(ua, Map.of()).withReason(why);
            correlateUnitEnded(un);
            tx.update(ue, un, ua);
        }
        SessionState session = session(s.sessionId());
        for (UnitEntry ue : restart) {
            UnitSnapshot r = tx.unit(ue).restarted("restarted after pilot " + s.uid() + " was lost");
            tx.update(ue, r, List.of(UnitState.UNSCHEDULED));
            String rejected = session.unitManager(r.manager()).schedule(tx, ue);
            if (rejected != null) {
                UnitSnapshot f = tx.unit(ue);
                List<UnitState> fa = f.advanceTo(UnitState.FAILED);
                UnitSnapshot failed = f.withStates(fa, Map.of()).withReason(rejected);
                correlateUnitEnded(failed);
                tx.update(ue, failed, fa);
            }
        }
        tx.afterCommit(() -> session.pilotEnded(pe));
    }

    // ---------------------------------------------------------------- API operations

    void cancelPilot(PilotEntry pe) {
        PilotSnapshot s = pe.current;
        if (s.isFinal() || s.state() == PilotState.CANCELING) {
            return;
        }
        txRetrying(ctx -> {
            runtimeService().createMessageCorrelation(BpmnContract.MSG_PILOT_CANCEL)
                    .processInstanceId(s.processInstanceId()).correlateAllWithResult();
            return null;
        });
    }

    void cancelUnits(List<UnitEntry> entries) {
        cancelUnits(entries, "canceled on request");
    }

    /** Cancels units: through their agent when it may have them, directly otherwise. */
    void cancelUnits(List<UnitEntry> entries, String why) {
        List<UnitEntry> direct = new ArrayList<>();
        for (UnitEntry ue : entries) {
            UnitSnapshot u = ue.current;
            if (u.isFinal()) {
                continue;
            }
            PilotEntry pe = u.pilot() == null ? null : pilot(u.sessionId(), u.pilot());
            if (pe == null || pe.current.isFinal() || pe.commands.withdrawRun(u.uid())) {
                direct.add(ue);
            } else {
                pe.commands.cancelUnit(u.uid());
                LOG.debug("unit {}: cancel sent to pilot {} ({})", u.uid(), u.pilot(), why);
            }
        }
        if (!direct.isEmpty()) {
            txRetrying(ctx -> {
                Tx tx = Tx.current(this);
                for (UnitEntry ue : direct) {
                    UnitSnapshot u = tx.unit(ue);
                    List<UnitState> ann = u.advanceTo(UnitState.CANCELED);
                    if (ann.isEmpty()) {
                        continue;
                    }
                    UnitSnapshot c = u.withStates(ann, Map.of()).withReason(why + "; canceled before it reached an agent");
                    correlateUnitEnded(c);
                    tx.update(ue, c, ann);
                }
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- watchdog

    /**
     * The heartbeat watchdog and the batch-job watcher, every half heartbeat interval. Job states come from the
     * job managers once per {@code jobPollInterval}, one {@link ResourceAdapter#statusAll} call per adapter for all
     * its pilots (the adapter makes one {@code squeue}/{@code qstat}/{@code ps} call per host), so a pilot whose
     * job vanished, was cancelled by an admin or hit its wall time ends with the job manager's reason even when
     * its agent never said a word.
     */
    private void watch() {
        long now = System.currentTimeMillis();
        if (now - lastJobPoll >= config.jobPollInterval().toMillis()) {
            lastJobPoll = now;
            pollJobs(now);
        }
        for (PilotEntry pe : pilots.values()) {
            PilotSnapshot s = pe.current;
            if (s.isFinal() || s.job() == null) {
                continue;
            }
            if (s.state() == PilotState.ACTIVE && now - pe.lastHeartbeat > config.heartbeatTimeout().toMillis()) {
                pilotLost(pe, "no heartbeat from its agent for " + (now - pe.lastHeartbeat) / 1000 + " s");
            } else if (s.state() == PilotState.PENDING_ACTIVE && pe.jobRunningSince > 0
                    && now - pe.jobRunningSince > config.launchTimeout().toMillis()) {
                pilotLost(pe, "its agent did not report within " + config.launchTimeout() + " of its job starting"
                        + logTail(s));
            }
        }
    }

    private void pollJobs(long now) {
        Map<ResourceAdapter, Map<JobHandle, PilotEntry>> byAdapter = new HashMap<>();
        for (PilotEntry pe : pilots.values()) {
            PilotSnapshot s = pe.current;
            if (s.isFinal() || s.job() == null) {
                continue;
            }
            try {
                JobHandle h = JobHandle.parse(s.job());
                byAdapter.computeIfAbsent(adapters.forHandle(h), a -> new HashMap<>()).put(h, pe);
            } catch (RuntimeException | ResourceException e) {
                LOG.warn("watchdog: pilot {} has a job handle no adapter knows: {}", s.uid(), e.getMessage());
            }
        }
        byAdapter.forEach((adapter, jobs) -> {
            Map<JobHandle, JobStatus> states;
            try {
                states = adapter.statusAll(jobs.keySet());
            } catch (RuntimeException e) {
                LOG.warn("watchdog: asking the job manager about {} job(s) failed: {}", jobs.size(), e.toString());
                return;
            }
            jobs.forEach((h, pe) -> {
                JobStatus st = states.get(h);
                if (st == null || pe.current.isFinal()) {
                    return;
                }
                switch (st.state()) {
                    case GONE -> pilotLost(pe, st.reason() + logTail(pe.current));
                    case QUEUED -> pe.jobRunningSince = 0;
                    case RUNNING -> {
                        if (pe.jobRunningSince == 0) {
                            pe.jobRunningSince = now;
                        }
                    }
                    case UNKNOWN -> LOG.debug("watchdog: job {} of pilot {} is in an unknown state: {}", h,
                            pe.current.uid(), st.reason());
                }
            });
        });
    }

    private void pilotLost(PilotEntry pe, String why) {
        PilotSnapshot s = pe.current;
        killJob(s);
        PilotState end = s.state() == PilotState.CANCELING ? PilotState.CANCELED : PilotState.FAILED;
        LOG.warn("pilot {} lost: {}", s.uid(), why);
        synchronized (pe.applyLock) {
            txRetrying(ctx -> {
                endPilot(Tx.current(this), pe, end, end == PilotState.FAILED ? "pilot lost: " + why
                        : "agent gone while canceling: " + why, true);
                return null;
            });
        }
    }

    /**
     * The last {@code lines} lines of a pilot's agent.log, read where its sandbox is (over SFTP for SSH
     * resources); empty when there is no job yet or the log cannot be read.
     */
    String agentLog(PilotSnapshot s, int lines) {
        if (s.job() == null) {
            return "";
        }
        try {
            JobHandle h = JobHandle.parse(s.job());
            byte[] tail = adapters.forHandle(h).shell(h).readTail(s.sandbox() + "/" + AgentStaging.AGENT_LOG,
                    64 * 1024);
            if (tail == null) {
                return "";
            }
            List<String> all = List.of(new String(tail, StandardCharsets.UTF_8).split("\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (ResourceException | RuntimeException e) {
            LOG.debug("pilot {}: cannot read agent.log: {}", s.uid(), e.toString());
            return "";
        }
    }

    /** The job's log tail for a lost pilot's reason; never throws (a diagnostic must not hide the reason). */
    private String logTail(PilotSnapshot s) {
        try {
            JobHandle h = JobHandle.parse(s.job());
            return adapters.forHandle(h).logTail(h, s.sandbox());
        } catch (RuntimeException | ResourceException e) {
            return "";
        }
    }

    // ---------------------------------------------------------------- helpers

    static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    Duration heartbeatInterval() {
        return config.heartbeatInterval();
    }

    Collection<UnitEntry> allUnits() {
        return units.values();
    }
}
