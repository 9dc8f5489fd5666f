package org.pilotflow.agent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.pilotflow.agent.monitor.MemoryMonitor;
import org.pilotflow.agent.channel.EngineChannel;
import org.pilotflow.agent.channel.ReportQueue;
import org.pilotflow.agent.executor.ExecResult;
import org.pilotflow.agent.executor.Execution;
import org.pilotflow.agent.function.FunctionExecutor;
import org.pilotflow.agent.function.FunctionSpec;
import org.pilotflow.agent.executor.LaunchSpec;
import org.pilotflow.agent.executor.ProcessTrees;
import org.pilotflow.agent.executor.UnitExecution;
import org.pilotflow.agent.executor.UnitExecutor;
import org.pilotflow.agent.launch.Launch;
import org.pilotflow.agent.launch.LaunchMethods;
import org.pilotflow.agent.launch.LaunchRequest;
import org.pilotflow.agent.nodes.NodeDiscovery;
import org.pilotflow.agent.nodes.NodeWatcher;
import org.pilotflow.agent.nodes.PilotNodes;
import org.pilotflow.agent.nodes.SlurmHostlistFormat;
import org.pilotflow.agent.scheduler.Allocation;
import org.pilotflow.agent.scheduler.SlotScheduler;
import org.pilotflow.agent.staging.Stager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.memory.MemoryProfile;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.UnitSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent: takes commands from the {@link EngineChannel}, queues units on the {@link SlotScheduler} over the
 * pilot's nodes ({@link NodeDiscovery}), starts each with the first configured launch method that can
 * ({@link LaunchMethods}), runs it with the {@link UnitExecutor} and reports every state through the
 * {@link ReportQueue}.
 *
 * <p>Where things run: the launch method's process (the unit itself for FORK; srun, mpiexec or ssh otherwise) and
 * the unit's preExec and postExec lines all run on the agent's node, in the unit sandbox; only the launcher takes
 * the unit to other nodes. So preExec/postExec prepare and check files in the sandbox (a shared file system on a
 * cluster), not the environment of remote ranks.
 *
 * <p>Threads: all agent state is owned by one thread ("pilotflow-agent"); the channel thread, the launch pool and
 * process exits only post tasks to it. {@link #run()} blocks until the pilot ends and returns the exit code.
 *
 * <p>Endings: CANCEL_PILOT cancels every unit (reason "pilot canceled"), and when all are final reports the pilot
 * CANCELED; the runtime limit fails every unit (reason "pilot runtime expired after N s") and reports the pilot
 * DONE. Either way the agent then waits (bounded, {@link Options#ackWaitMillis}) until the engine acknowledged
 * everything and returns 0. Orphaned (engine silent longer than the orphan timeout): every unit is killed and
 * run() returns 3 without further reports.
 */
public final class Agent {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

    /**
     * Tunables with production defaults; tests shorten some. The acknowledgement wait is 30 s: a busy engine may
     * take that long to apply the last reports, and it fits in the minute a batch job gets beyond the pilot's
     * runtime (the delegates' {@code WallTime.MARGIN}).
     */
    public record Options(long killGraceMillis, long ackWaitMillis, int launchThreads, long summaryMillis) {
        public static Options defaults() {
            return new Options(1000, 30_000, 2, 10_000);
        }
    }

    private record Exit(int code, boolean waitForAcks) { }

    private static final class Unit {
        final UnitSpec spec;
        final Path sandbox;
        UnitState state = UnitState.NEW;
        Allocation allocation;
        /** The launch method that started it ({@code SRUN}, ...). */
        String launchMethod;
        /** When the scheduler gave the unit its slots (epoch ms): ALLOCATING's time, reported with EXECUTING. */
        long allocatedAt;
        volatile Execution execution;
        /** Input or output staging runs on the staging pool: nothing to kill, a cancel waits for it to end. */
        boolean staging;
        /** A cancel (or pilot end) that came while staging: applied when the staging ends. */
        UnitState cancelState;
        ErrorCode cancelCode;
        String cancelReason;

        Unit(UnitSpec spec, Path sandbox) {
            this.spec = spec;
            this.sandbox = sandbox;
        }
    }

    private final AgentConfig cfg;
    private final Options options;
    private final Path sandbox;
    private final ReportQueue queue = new ReportQueue();
    private final EngineChannel channel;
    private final PilotNodes nodes;
    private final SlotScheduler<Unit> scheduler;
    private final LaunchMethods launchMethods;
    private final UnitExecutor executor;
    /** Function units: run in this JVM, so on the agent's node only (null when it is not one of the pilot's). */
    private final FunctionExecutor functions;
    private final Stager stager;
    /** Staging is file I/O: off the core thread, a few at a time. */
    private final java.util.concurrent.ExecutorService stagingPool;
    private final ScheduledThreadPoolExecutor core;
    private final Map<String, Unit> units = new ConcurrentHashMap<>();
    private final CompletableFuture<Exit> exit = new CompletableFuture<>();
    private final long startMillis = System.currentTimeMillis();

    // owned by the core thread
    private int live;
    private boolean ending;
    private boolean orphaned;
    private PilotState pilotFinal;
    private String pilotReason;
    private UnitState unitFinal;
    private ErrorCode unitFinalCode;
    private ScheduledFuture<?> runtimeTimer;
    private NodeWatcher nodeWatcher;
    private final Map<Command.Type, Long> commandCounts = new EnumMap<>(Command.Type.class);
    private long ignoredCommands;
    private final Map<UnitState, Long> finals = new EnumMap<>(UnitState.class);
    private String lastSummary = "";

    public Agent(AgentConfig cfg) throws BadConfigException {
        this(cfg, Options.defaults(), System.getenv());
    }

    /**
     * @param env the environment the pilot's nodes and the launchers are found in ({@code System.getenv()}; tests
     *            pass their own so an enclosing batch job does not leak in)
     * @throws BadConfigException when the batch system's node list or the launch methods cannot be used
     */
    public Agent(AgentConfig cfg, Options options, Map<String, String> env) throws BadConfigException {
        this.cfg = cfg;
        this.options = options;
        this.sandbox = Path.of(cfg.sandbox()).toAbsolutePath().normalize();
        String thisHost = NodeDiscovery.localHostName(env);
        this.nodes = NodeDiscovery.discover(env, cfg, thisHost);
        this.scheduler = new SlotScheduler<>(nodes.nodes());
        this.launchMethods = LaunchMethods.create(cfg, env, nodes.agentNode(), LaunchMethods.runningAsRoot());
        this.executor = new UnitExecutor(options.launchThreads(), options.killGraceMillis(),
                cfg.memorySampleMillis() > 0 ? new MemoryMonitor(cfg.memorySampleMillis()) : null);
        this.stager = new Stager(sandbox, cfg.validRoots());
        this.functions = nodes.agentNode().map(n -> {
            scheduler.pinColocation(AGENT_NODE, n);
            int cores = nodes.nodes().stream().filter(x -> x.name().equals(n)).mapToInt(x -> x.cores()).sum();
            return new FunctionExecutor(cores, sandbox, stager.readableRoots(), options.killGraceMillis());
        }).orElse(null);
        this.stagingPool = java.util.concurrent.Executors.newFixedThreadPool(STAGING_THREADS, r -> {
            Thread t = new Thread(r, "pilotflow-staging");
            t.setDaemon(true);
            return t;
        });
        this.core = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pilotflow-agent");
            t.setDaemon(true);
            return t;
        });
        this.core.setRemoveOnCancelPolicy(true);
        this.channel = new EngineChannel(cfg.pilotId(), cfg.endpoints(), cfg.fixedEndpoints(), cfg.secret(),
                cfg.heartbeatIntervalMillis(), cfg.orphanTimeoutMillis(), queue, new EngineChannel.Listener() {
                    @Override
                    public void commands(List<Command> commands) {
                        post(() -> onCommands(commands));
                    }

                    @Override
                    public void orphaned(long silentMillis) {
                        post(() -> onOrphaned(silentMillis));
                    }
                }, thisHost);
    }

    /**
     * The co-location tag of function units: they run in the agent's JVM, so on its node. A NUL cannot be in a
     * user's tag (the engine refuses it), so no user's units share it.
     */
    static final String AGENT_NODE = "\0agent-node";

    /** How many staging directives lists run at once. */
    static final int STAGING_THREADS = 2;

    /** Runs the pilot until it ends; returns the process exit code (see {@link AgentMain}). */
    public int run() throws InterruptedException {
        LOG.info("agent starting (pid {}): {}", ProcessHandle.current().pid(), cfg);
        LOG.info("nodes from {}: {}; {} cores in all; the agent runs on {}; launch methods {}", nodes.source(),
                nodes.describe(), nodes.totalCores(), nodes.agentNode().orElse("none of them"),
                launchMethods.names());
        LOG.info("syncing with {}{}", channel.uri(), channel.endpoints().size() > 1
                ? " (failing over to " + channel.endpoints().subList(1, channel.endpoints().size()) + ")" : "");
        // the channel runs while the pilot's inputs are staged: its syncs are the contact that keeps the engine's
        // launch timeout from declaring a pilot with a long staging lost
        Thread channelThread = new Thread(channel, "pilotflow-channel");
        channelThread.setDaemon(true);
        channelThread.start();
        String stagingFailure = stagePilotInputs();
        if (stagingFailure != null) {
            LOG.error("pilot FAILED: {}", stagingFailure);
            queue.offer(new Report(0, null, PilotState.FAILED.name(), Map.of(PilotState.FAILED.name(),
                    System.currentTimeMillis()), null, stagingFailure, null, null, sandbox.toString(), List.of()));
            // units sent meanwhile end at once, as after any pilot end
            ending = true;
            pilotFinal = PilotState.FAILED;
            pilotReason = stagingFailure;
            unitFinal = UnitState.FAILED;
            unitFinalCode = ErrorCode.PILOT_LOST;
            exit.complete(new Exit(AgentMain.EXIT_OK, true));
        } else {
            // stamped now, ready for units: the pilot's inputs are staged and the channel runs (the JVM's start and
            // the staging are PENDING_ACTIVE's time)
            queue.offer(new Report(0, null, PilotState.ACTIVE.name(), Map.of(PilotState.ACTIVE.name(),
                    System.currentTimeMillis()), null, null, null, null, sandbox.toString(), List.of()));
        }
        // counted from the agent's start, as the batch system counts the walltime (staging took some of it)
        long runtimeLeft = Math.max(0, cfg.runtimeSeconds() * 1000L - (System.currentTimeMillis() - startMillis));
        runtimeTimer = core.schedule(() -> guarded(() -> endPilot(PilotState.DONE, UnitState.FAILED,
                ErrorCode.PILOT_RUNTIME_EXPIRED, "pilot runtime expired after " + cfg.runtimeSeconds() + " s")),
                runtimeLeft, TimeUnit.MILLISECONDS);
        core.scheduleWithFixedDelay(() -> guarded(this::logSummary), options.summaryMillis(),
                options.summaryMillis(), TimeUnit.MILLISECONDS);
        if (SlurmHostlistFormat.NAME.equals(nodes.format()) && nodes.nodes().size() > 1) {
            nodeWatcher = new NodeWatcher(nodes.nodes().stream().map(n -> n.name()).toList(),
                    (node, why) -> post(() -> onNodeLost(node, why)));
        }
        Exit e;
        try {
            e = exit.get();
        } catch (ExecutionException ex) {
            e = new Exit(AgentMain.EXIT_ERROR, false);
        }
        boolean allAcked = false;
        if (e.waitForAcks()) {
            allAcked = queue.awaitAllAcked(options.ackWaitMillis());
            if (allAcked) {
                LOG.info("engine acknowledged every report (last seq {})", queue.lastSeq());
            } else {
                LOG.warn("engine did not acknowledge every report within {} ms (acked {} of {}); ending anyway",
                        options.ackWaitMillis(), queue.ackedSeq(), queue.lastSeq());
            }
        }
        if (nodeWatcher != null) {
            nodeWatcher.close();
        }
        channel.stop();
        channelThread.join(2000);
        core.submit(this::logSummary);
        core.shutdown();
        core.awaitTermination(2, TimeUnit.SECONDS);
        stagingPool.shutdownNow();
        executor.close();
        if (functions != null) {
            functions.close();
        }
        if (cfg.cleanup()) {
            if (e.code() == AgentMain.EXIT_OK && allAcked) {
                removeSandbox();
            } else {
                LOG.info("sandbox {} kept despite cleanup: the agent did not end normally with every report "
                        + "acknowledged (the files may be needed)", sandbox);
            }
        }
        LOG.info("agent ends with exit code {}", e.code());
        return e.code();
    }

    /**
     * The pilot's input staging, into its sandbox before it takes units; null when done (NON_FATAL failures
     * logged), else why the pilot fails.
     */
    private String stagePilotInputs() {
        if (cfg.inputStaging().isEmpty()) {
            return null;
        }
        long t0 = System.currentTimeMillis();
        Stager.Outcome o = stager.stage("pilot input staging", cfg.inputStaging(), null);
        o.warnings().forEach(w -> LOG.warn("{}", w));
        if (!o.failed()) {
            LOG.info("pilot input staging: {} directives in {} ms", cfg.inputStaging().size(),
                    System.currentTimeMillis() - t0);
        }
        return o.failure();
    }

    /**
     * The pilot's {@code cleanup}: its sandbox goes once every report is acknowledged (the engine has the units'
     * results; their files go with it, as in RADICAL-Pilot). Symbolic links are removed, never followed, so nothing
     * outside the sandbox is touched. This process's own log is unlinked while open; its last lines go nowhere.
     */
    private void removeSandbox() {
        LOG.info("removing sandbox {} (cleanup)", sandbox);
        try {
            java.nio.file.Files.walkFileTree(sandbox, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path file,
                                                               java.nio.file.attribute.BasicFileAttributes attrs)
                        throws java.io.IOException {
                    java.nio.file.Files.delete(file);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult postVisitDirectory(Path dir, java.io.IOException failed)
                        throws java.io.IOException {
                    if (failed != null) {
                        throw failed;
                    }
                    java.nio.file.Files.delete(dir);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        } catch (java.io.IOException | RuntimeException ex) {
            LOG.warn("could not remove all of sandbox {} (cleanup): {}; remove what is left by hand", sandbox,
                    ex.toString());
        }
    }

    /**
     * Kills every unit's process tree at once (JVM shutdown hook), and SIGKILLs the processes launchers started on
     * other nodes (waiting at most {@link #REMOTE_KILL_WAIT_MILLIS} for that: a batch system ending the job gives
     * little time); safe from any thread.
     */
    public void killAllNow() {
        for (Unit u : units.values()) {
            Process p = u.execution instanceof UnitExecution ex ? ex.currentProcess() : null;
            if (p != null && p.isAlive()) {
                ProcessTrees.kill(p.toHandle(), 0, null);
            }
        }
        executor.killRemoteNow(REMOTE_KILL_WAIT_MILLIS);
    }

    /** How long {@link #killAllNow} waits for the remote kills. */
    static final long REMOTE_KILL_WAIT_MILLIS = 5000;

    // ---------------------------------------------------------------- core thread

    private void post(Runnable r) {
        try {
            core.execute(() -> guarded(r));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("agent shutting down, dropped a task");
        }
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            LOG.error("unexpected error in the agent, killing all units and ending", t);
            killAllNow();
            exit.complete(new Exit(AgentMain.EXIT_ERROR, false));
        }
    }

    private void onCommands(List<Command> commands) {
        for (Command c : commands) {
            commandCounts.merge(c.type(), 1L, Long::sum);
            switch (c.type()) {
                case RUN_UNIT -> onRun(c.unit());
                case CANCEL_UNIT -> onCancelUnit(c.unitId(), c.reason());
                case CANCEL_PILOT -> {
                    LOG.info("CANCEL_PILOT (command {}): canceling {} live units", c.seq(), live);
                    endPilot(PilotState.CANCELED, UnitState.CANCELED, ErrorCode.PILOT_CANCELED, "pilot canceled");
                }
                default -> LOG.warn("unknown command type {}", c.type());
            }
        }
        schedule();
    }

    private void onRun(UnitSpec spec) {
        if (spec == null || spec.unitId() == null) {
            LOG.warn("RUN_UNIT without a unit or unit id ignored");
            ignoredCommands++;
            return;
        }
        Unit known = units.get(spec.unitId());
        if (known != null && !known.state.isFinal()) {
            LOG.debug("RUN_UNIT for known unit {} ignored", spec.unitId());
            ignoredCommands++;
            return;
        }
        // a final unit sent again is a new attempt: the engine restarts a restartable unit after a recoverable end
        String id = spec.unitId();
        Unit u = new Unit(spec, unitSandbox(spec));
        units.put(id, u);
        live++;
        LOG.debug("unit {}: RUN_UNIT {} cores {} gpus{}", id, spec.cores(), spec.gpus(), spec.mpi() ? " (MPI)" : "");
        if (ending) {
            finish(u, unitFinal, unitFinalCode, pilotReason, null, Map.of());
            return;
        }
        String invalid = validate(spec);
        boolean spanNodes = spansNodes(spec);
        if (invalid == null) {
            invalid = scheduler.neverFits(spec.cores(), spec.gpus(), spanNodes).orElse(null);
        }
        if (invalid != null) {
            finish(u, UnitState.FAILED, ErrorCode.INVALID_UNIT, invalid, null, Map.of());
            return;
        }
        long t0 = System.currentTimeMillis();
        String noSandbox = makeUnitSandbox(u.sandbox);
        if (noSandbox != null) {
            finish(u, UnitState.FAILED, ErrorCode.SANDBOX_FAILED, noSandbox, null, Map.of());
            return;
        }
        if (!spec.inputStaging().isEmpty()) {
            // reported now: staging may take a while, and the engine shows the unit in STAGING_INPUT meanwhile
            u.state = UnitState.STAGING_INPUT;
            u.staging = true;
            queue.offer(new Report(0, id, UnitState.STAGING_INPUT.name(), Map.of(UnitState.STAGING_INPUT.name(), t0),
                    null, null, null, null, u.sandbox.toString(), List.of()));
            stagingPool.execute(() -> {
                Stager.Outcome o = stager.stage("input staging", spec.inputStaging(), u.sandbox);
                post(() -> onStagedIn(u, o, t0));
            });
            return;
        }
        enqueue(u, t0);
    }

    private void onStagedIn(Unit u, Stager.Outcome o, long t0) {
        u.staging = false;
        if (u.state.isFinal()) {
            return;
        }
        if (u.cancelState != null) {
            finish(u, u.cancelState, u.cancelCode, u.cancelReason, null, Map.of());
            return;
        }
        if (o.failed()) {
            finish(u, UnitState.FAILED, ErrorCode.STAGING_INPUT_FAILED, o.failure(), null, Map.of());
            return;
        }
        recordWarnings(u, o);
        enqueue(u, t0);
        schedule();
    }

    /** NON_FATAL staging failures: in the agent log, and in the unit's stderr file (so in its stderr tail). */
    private void recordWarnings(Unit u, Stager.Outcome o) {
        if (o.warnings().isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (String w : o.warnings()) {
            LOG.warn("unit {}: {}", u.spec.unitId(), w);
            text.append("pilotflow: warning: ").append(w).append('\n');
        }
        try {
            java.nio.file.Files.writeString(u.sandbox.resolve(u.spec.stderr()), text,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException | RuntimeException e) {
            LOG.warn("unit {}: cannot write staging warnings to {}: {}", u.spec.unitId(), u.spec.stderr(),
                    e.toString());
        }
    }

    /** Function units run on the agent's node; others where their co-location tag says, if any. */
    private static String colocation(UnitSpec spec) {
        return spec.function() != null ? AGENT_NODE : spec.colocate();
    }

    /** MPI ranks may span nodes, unless co-located. */
    private static boolean spansNodes(UnitSpec spec) {
        return spec.mpi() && spec.colocate() == null;
    }

    /** Queues a unit (its sandbox ready, its inputs staged) for slots. */
    private void enqueue(Unit u, long t0) {
        String id = u.spec.unitId();
        UnitSpec spec = u.spec;
        long t1 = System.currentTimeMillis();
        // PENDING_EXECUTION: here, waiting for slots. ALLOCATING (slots given, launching) is timed when the scheduler
        // places the unit and reported with EXECUTING, so the time between them is the agent's launch overhead
        Map<String, Long> ts = new HashMap<>(4);
        ts.put(UnitState.STAGING_INPUT.name(), t0);
        ts.put(UnitState.PENDING_EXECUTION.name(), t1);
        u.state = UnitState.PENDING_EXECUTION;
        queue.offer(new Report(0, id, UnitState.PENDING_EXECUTION.name(), ts, null, null, null, null,
                u.sandbox.toString(), List.of()));
        try {
            scheduler.submit(u, spec.cores(), spec.gpus(), spansNodes(spec), spec.priority(), colocation(spec));
        } catch (IllegalArgumentException e) { // e.g. the co-location node is too small for this unit
            finish(u, UnitState.FAILED, ErrorCode.INVALID_UNIT, e.getMessage(), null, Map.of());
        }
    }

    /** The unit's sandbox: its own name below the pilot sandbox, else its id. Checked by {@link #validate}. */
    private Path unitSandbox(UnitSpec spec) {
        String name = spec.sandbox() != null ? spec.sandbox() : spec.unitId();
        if (name == null || !safeName(spec.unitId()) || !safeRelativePath(name)) {
            return sandbox.resolve("_invalid");
        }
        return sandbox.resolve(name).normalize();
    }

    /**
     * Creates the unit sandbox one directory at a time; null when it is there, else the reason to fail the unit. A
     * name may pass through a link an earlier unit made: each existing part must resolve inside the pilot sandbox,
     * and nothing is created before that is known (createDirectories would follow the link and create outside).
     */
    private String makeUnitSandbox(Path dir) {
        try {
            Path base = sandbox.toRealPath();
            Path current = sandbox;
            for (Path part : sandbox.relativize(dir)) {
                current = current.resolve(part);
                if (java.nio.file.Files.exists(current, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Path real = current.toRealPath();
                    if (!real.startsWith(base) || real.equals(base)) {
                        return "unit sandbox " + dir + " passes through " + current + ", which resolves to " + real
                                + ", outside the pilot sandbox " + sandbox;
                    }
                    if (!java.nio.file.Files.isDirectory(real)) {
                        return "unit sandbox " + dir + ": " + current + " is not a directory";
                    }
                } else {
                    java.nio.file.Files.createDirectory(current); // fails if a unit made something here meanwhile
                }
            }
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            return "cannot create unit sandbox " + dir + ": " + e;
        }
    }

    /** A relative path of plain names (no '.', '..', empty parts, NUL), as a unit's sandbox name must be. */
    private static boolean safeRelativePath(String s) {
        if (s.isEmpty() || s.startsWith("/") || s.length() > 255) {
            return false;
        }
        for (String part : s.split("/", -1)) {
            if (!safeName(part)) {
                return false;
            }
        }
        return true;
    }

    private String validate(UnitSpec spec) {
        if (!safeName(spec.unitId())) {
            return "unit id '" + spec.unitId() + "' cannot be used as a directory name";
        }
        if (spec.sandbox() != null && !safeRelativePath(spec.sandbox())) {
            return "unit sandbox '" + spec.sandbox() + "' must be a relative path of plain names below the pilot "
                    + "sandbox";
        }
        if (spec.function() != null) {
            String bad = validateFunction(spec);
            if (bad != null) {
                return bad;
            }
        } else if (spec.executable() == null || spec.executable().isBlank()) {
            return "unit has no executable";
        }
        for (String f : List.of(spec.stdout(), spec.stderr())) {
            if (!safeName(f)) {
                return "output file name '" + f + "' must be a plain file name inside the unit sandbox";
            }
        }
        try { // the engine checked them; an agent takes nothing on trust that touches files
            for (int i = 0; i < spec.inputStaging().size(); i++) {
                spec.inputStaging().get(i).resolved("inputStaging[" + i + "]", StagingDirective.Direction.INPUT);
            }
            for (int i = 0; i < spec.outputStaging().size(); i++) {
                spec.outputStaging().get(i).resolved("outputStaging[" + i + "]", StagingDirective.Direction.OUTPUT);
            }
        } catch (StagingDirective.Invalid e) {
            return e.getMessage();
        }
        return null;
    }

    /** What the engine checked too; and a function unit needs the agent's node among the pilot's. */
    private String validateFunction(UnitSpec spec) {
        if (functions == null) {
            return "function unit " + spec.function() + " cannot run: function units run inside the agent, and the "
                    + "agent's node is not one of the pilot's nodes";
        }
        if (spec.executable() != null) {
            return "unit has both an executable and a function";
        }
        if (spec.functionJars().isEmpty()) {
            return "function unit " + spec.function() + " names no functionJars";
        }
        if (spec.mpi() || !spec.preExec().isEmpty() || !spec.postExec().isEmpty() || spec.memoryMb() > 0) {
            return "function unit " + spec.function() + " cannot be MPI, have preExec/postExec or a memory limit "
                    + "(it runs as a thread of the agent, not as a process)";
        }
        if (spec.colocate() != null) {
            return "function unit " + spec.function() + " cannot be co-located (it runs on the agent's node)";
        }
        int agentGpus = nodes.nodes().stream().filter(n -> n.name().equals(nodes.agentNode().orElse("")))
                .mapToInt(n -> n.gpus()).sum();
        if (spec.gpus() > agentGpus) {
            return "function unit needs " + spec.gpus() + " gpus, the agent's node " + nodes.agentNode().orElse("")
                    + " (where function units run) has " + agentGpus;
        }
        if (spec.cores() > functions.threads()) {
            return "function unit needs " + spec.cores() + " cores, the agent's node " + nodes.agentNode().orElse("")
                    + " (where function units run) has " + functions.threads();
        }
        return null;
    }

    private static boolean safeName(String s) {
        return s != null && !s.isBlank() && !s.equals(".") && !s.equals("..") && s.indexOf('/') < 0
                && s.indexOf('\0') < 0;
    }

    private void onCancelUnit(String unitId, String reason) {
        Unit u = unitId == null ? null : units.get(unitId);
        if (u == null) {
            LOG.warn("CANCEL_UNIT for unknown unit {} ignored", unitId);
            ignoredCommands++;
            return;
        }
        if (u.state.isFinal()) {
            LOG.debug("CANCEL_UNIT for unit {} ignored, it is {} already", unitId, u.state);
            return;
        }
        cancel(u, UnitState.CANCELED, ErrorCode.CANCELED, reason == null || reason.isBlank() ? "canceled on request" : reason);
    }

    /** Ends a non-final unit: a waiting one at once, a running one by killing its process tree. */
    private void cancel(Unit u, UnitState state, ErrorCode code, String reason) {
        if (scheduler.withdraw(u)) {
            finish(u, state, code, reason, null, Map.of());
        } else if (u.execution != null) {
            u.execution.kill(state, code, reason);
        } else if (u.staging && u.cancelState == null) {
            u.cancelState = state;
            u.cancelCode = code;
            u.cancelReason = reason;
        }
    }

    private void endPilot(PilotState pilotState, UnitState unitState, ErrorCode unitCode, String reason) {
        if (ending || orphaned) {
            return;
        }
        ending = true;
        pilotFinal = pilotState;
        unitFinal = unitState;
        unitFinalCode = unitCode;
        pilotReason = reason;
        if (runtimeTimer != null) {
            runtimeTimer.cancel(false);
        }
        LOG.info("pilot ending ({}): {}; ending {} live units as {}", pilotState, reason, live, unitState);
        for (Unit u : scheduler.waitingItems()) {
            cancel(u, unitState, unitCode, reason);
        }
        for (Unit u : units.values()) {
            if (!u.state.isFinal() && u.execution != null) {
                u.execution.kill(unitState, unitCode, reason);
            } else if (!u.state.isFinal() && u.staging) {
                cancel(u, unitState, unitCode, reason);
            }
        }
        checkEnded();
    }

    private void checkEnded() {
        if (orphaned) {
            if (live == 0) {
                exit.complete(new Exit(AgentMain.EXIT_ORPHANED, false));
            }
            return;
        }
        if (ending && live == 0 && !exit.isDone()) {
            long now = System.currentTimeMillis();
            queue.offer(new Report(0, null, pilotFinal.name(), Map.of(pilotFinal.name(), now), null,
                    pilotFinal == PilotState.DONE ? pilotReason : pilotReason, null, null, sandbox.toString(),
                    List.of()));
            LOG.info("all units final; pilot reported {}, waiting for the engine's acknowledgement", pilotFinal);
            exit.complete(new Exit(AgentMain.EXIT_OK, true));
        }
    }

    private void onOrphaned(long silentMillis) {
        LOG.error("engine unreachable for {}s, ending (orphan timeout)", silentMillis / 1000);
        orphaned = true;
        for (Unit u : scheduler.waitingItems()) {
            scheduler.withdraw(u);
            finish(u, UnitState.FAILED, ErrorCode.AGENT_ORPHANED, "agent orphaned", null, Map.of());
        }
        for (Unit u : units.values()) {
            if (!u.state.isFinal() && u.execution != null) {
                u.execution.kill(UnitState.FAILED, ErrorCode.AGENT_ORPHANED, "agent orphaned");
            } else if (!u.state.isFinal() && u.staging) {
                cancel(u, UnitState.FAILED, ErrorCode.AGENT_ORPHANED, "agent orphaned");
            }
        }
        checkEnded();
        // bounded: the kill grace plus a margin
        core.schedule(() -> exit.complete(new Exit(AgentMain.EXIT_ORPHANED, false)),
                options.killGraceMillis() + 2000, TimeUnit.MILLISECONDS);
    }

    /**
     * A node of the pilot is lost: the units running on it (in part, for one spanning nodes) end FAILED with
     * NODE_LOST, their launchers here killed; the waiting units that no longer fit the nodes left end the same way;
     * the others go on, and new units are placed on the nodes left.
     */
    private void onNodeLost(String node, String why) {
        if (ending || orphaned || scheduler.isLost(node)) {
            return;
        }
        String reason = "node " + node + " lost: " + why;
        List<Unit> neverFit = scheduler.loseNode(node);
        List<Unit> onIt = units.values().stream().filter(u -> !u.state.isFinal() && u.execution != null
                && u.allocation != null && u.allocation.hosts().contains(node)).toList();
        LOG.warn("{}; ending its {} units, and {} waiting ones that no longer fit; going on with the other nodes",
                reason, onIt.size(), neverFit.size());
        for (Unit u : neverFit) {
            finish(u, UnitState.FAILED, ErrorCode.NODE_LOST, reason + "; the unit no longer fits the nodes left",
                    null, Map.of());
        }
        for (Unit u : onIt) {
            u.execution.kill(UnitState.FAILED, ErrorCode.NODE_LOST, reason);
        }
        schedule();
    }

    private void schedule() {
        boolean released;
        do { // a unit no launch method can start gives its slots back, which may let others in
            released = false;
            for (SlotScheduler.Placement<Unit> p : scheduler.schedule()) {
                released |= !launch(p.item(), p.allocation());
            }
        } while (released);
    }

    /** Starts the unit on its slots; false when no launch method can (the unit FAILED, its slots are free). */
    private boolean launch(Unit u, Allocation a) {
        u.allocatedAt = System.currentTimeMillis();
        UnitSpec s = u.spec;
        Map<String, String> env = new HashMap<>(s.environment().size() + 10);
        env.putAll(s.environment());
        env.put("PILOTFLOW_UNIT_ID", s.unitId());
        env.put("PILOTFLOW_PILOT_ID", cfg.pilotId());
        env.put("PILOTFLOW_SESSION_ID", cfg.sessionId() == null ? "" : cfg.sessionId());
        env.put("PILOTFLOW_UNIT_SANDBOX", u.sandbox.toString());
        env.put("PILOTFLOW_CORES", Integer.toString(a.coreCount()));
        env.put("PILOTFLOW_GPUS", Integer.toString(a.gpuCount()));
        env.put("PILOTFLOW_NODES", String.join(",", a.hosts()));
        if (s.threads() > 0) {
            env.putIfAbsent("OMP_NUM_THREADS", Integer.toString(s.threads())); // RP's cpu_threads
        }
        if (s.mpi()) {
            env.put("PILOTFLOW_RANKS", Integer.toString(a.coreCount()));
        }
        if (a.gpuCount() > 0) {
            env.put("CUDA_VISIBLE_DEVICES", a.gpuList());
        }
        if (s.function() != null) {
            return launchFunction(u, a, env);
        }
        List<String> argv = new ArrayList<>(1 + s.arguments().size());
        argv.add(s.executable());
        argv.addAll(s.arguments());
        Launch launch;
        try {
            launch = launchMethods.select(new LaunchRequest(s, a, argv, u.sandbox, env));
        } catch (LaunchMethods.NoLaunchMethodException e) {
            scheduler.release(a);
            finish(u, UnitState.FAILED, ErrorCode.INVALID_UNIT, e.getMessage(), null,
                    Map.of(UnitState.ALLOCATING.name(), u.allocatedAt));
            return false;
        }
        u.allocation = a;
        u.launchMethod = launch.method();
        env.putAll(launch.environment());
        LaunchSpec ls = new LaunchSpec(s.unitId(), u.sandbox, launch.argv(), s.preExec(), s.postExec(), env,
                s.stdout(), s.stderr(), s.timeoutSeconds(), s.memoryMb() * 1024 * 1024, launch.remoteKill());
        LOG.debug("unit {}: launching with {} on {}", s.unitId(), launch.method(), a.slots());
        u.execution = executor.launch(ls, listenerFor(u));
        return true;
    }

    /** Starts a function unit in the agent's worker pool on its slots (of the agent's node). */
    private boolean launchFunction(Unit u, Allocation a, Map<String, String> env) {
        UnitSpec s = u.spec;
        u.allocation = a;
        u.launchMethod = "FUNCTION";
        FunctionSpec fs = new FunctionSpec(s.unitId(), u.sandbox, s.function(), s.functionJars(), s.arguments(), env,
                s.stdout(), s.stderr(), s.timeoutSeconds(), a.coreCount());
        u.execution = functions.launch(fs, listenerFor(u));
        return true;
    }

    private UnitExecutor.Listener listenerFor(Unit u) {
        return new UnitExecutor.Listener() {
            @Override
            public void started(long epochMillis) {
                post(() -> onStarted(u, epochMillis));
            }

            @Override
            public void finished(ExecResult result) {
                post(() -> onFinished(u, result));
            }
        };
    }

    private void onStarted(Unit u, long at) {
        if (u.state.isFinal()) {
            return;
        }
        u.state = UnitState.EXECUTING;
        queue.offer(new Report(0, u.spec.unitId(), UnitState.EXECUTING.name(),
                Map.of(UnitState.ALLOCATING.name(), u.allocatedAt, UnitState.EXECUTING.name(), at), null, null, null,
                null, null, u.allocation.slots()));
    }

    private void onFinished(Unit u, ExecResult r) {
        if (u.allocation != null) {
            scheduler.release(u.allocation);
        }
        Map<String, Long> ts = new HashMap<>(4);
        if (u.allocatedAt > 0) { // it held cores, whether its process started or not
            ts.put(UnitState.ALLOCATING.name(), u.allocatedAt);
        }
        if (r.startedAt() > 0) {
            ts.put(UnitState.EXECUTING.name(), r.startedAt());
            ts.put(UnitState.PENDING_OUTPUT_STAGING.name(), r.exitedAt());
            ts.put(UnitState.STAGING_OUTPUT.name(), r.stagingAt());
        }
        u.execution = null;
        // srun ends "successfully" when SLURM calls a node of its step DOWN: its tasks there are lost
        Optional<String> failedNode = "SRUN".equals(u.launchMethod) && u.allocation != null
                ? NodeWatcher.srunNodeFailure(r.stderrTail()).filter(n -> u.allocation.hosts().contains(n))
                : Optional.empty();
        if (failedNode.isPresent()) {
            String why = "srun reports a node failure";
            onNodeLost(failedNode.get(), why);
            finishWith(u, UnitState.FAILED, ErrorCode.NODE_LOST, "node " + failedNode.get() + " lost: " + why, null,
                    ts, r.stdoutTail(), r.stderrTail(), r.finishedAt(), r.memory(), List.of());
        } else if (stagesOut(u, r)) {
            stageOut(u, r, ts);
        } else {
            finishWith(u, r.state(), r.errorCode(), r.reason(), r.exitCode(), ts, r.stdoutTail(), r.stderrTail(),
                    r.finishedAt(), r.memory(), List.of());
        }
        schedule();
    }

    /** Output staging follows a DONE unit, and a FAILED or CANCELED one that asked for it ({@code stageOnError}). */
    private boolean stagesOut(Unit u, ExecResult r) {
        return !u.spec.outputStaging().isEmpty() && !orphaned && r.startedAt() > 0
                && (r.state() == UnitState.DONE || u.spec.stageOnError());
    }

    /** Reports STAGING_OUTPUT, stages on the staging pool, and finishes the unit when that is done. */
    private void stageOut(Unit u, ExecResult r, Map<String, Long> ts) {
        long t0 = System.currentTimeMillis();
        Map<String, Long> until = new HashMap<>(ts);
        until.put(UnitState.STAGING_OUTPUT.name(), t0);
        u.state = UnitState.STAGING_OUTPUT;
        u.staging = true;
        queue.offer(new Report(0, u.spec.unitId(), UnitState.STAGING_OUTPUT.name(), until, null, null, null, null,
                null, u.allocation == null ? List.of() : u.allocation.slots()));
        stagingPool.execute(() -> {
            Stager.Outcome o = stager.stage("output staging", u.spec.outputStaging(), u.sandbox, true);
            post(() -> onStagedOut(u, r, o));
        });
    }

    private void onStagedOut(Unit u, ExecResult r, Stager.Outcome o) {
        u.staging = false;
        recordWarnings(u, o);
        String err = o.warnings().isEmpty() ? r.stderrTail()
                : org.pilotflow.agent.executor.Tails.read(u.sandbox.resolve(u.spec.stderr()));
        UnitState state = r.state();
        ErrorCode code = r.errorCode();
        String reason = r.reason();
        if (o.failed()) {
            if (state == UnitState.DONE) {
                state = UnitState.FAILED;
                code = ErrorCode.STAGING_OUTPUT_FAILED;
                reason = o.failure();
            } else {
                reason = (reason == null ? "" : reason + "; ") + "and " + o.failure();
            }
        }
        // a cancel that came during output staging is too late: the unit ran to its end (DONE wins, as RP)
        finishWith(u, state, code, reason, r.exitCode(), Map.of(), r.stdoutTail(), err,
                System.currentTimeMillis(), r.memory(), o.files());
    }

    private void finish(Unit u, UnitState state, ErrorCode code, String reason, Integer exitCode,
                        Map<String, Long> ts) {
        finishWith(u, state, code, reason, exitCode, ts, null, null, System.currentTimeMillis(), null, List.of());
    }

    private void finishWith(Unit u, UnitState state, ErrorCode code, String reason, Integer exitCode,
                            Map<String, Long> ts,
                            String out, String err, long at, MemoryProfile memory, List<StagedFile> outputs) {
        if (u.state.isFinal()) {
            return;
        }
        Map<String, Long> all = new HashMap<>(ts);
        all.put(state.name(), at);
        u.state = state;
        live--;
        finals.merge(state, 1L, Long::sum);
        queue.offer(new Report(0, u.spec.unitId(), state.name(), all, exitCode, reason, out, err,
                u.sandbox.toString(), u.allocation == null ? List.of() : u.allocation.slots(), memory,
                code == null ? null : code.name(), outputs));
        if (LOG.isDebugEnabled()) {
            LOG.debug("unit {}: {}{}", u.spec.unitId(), state, reason == null ? "" : " (" + reason + ")");
        }
        if (ending || orphaned) {
            checkEnded();
        }
    }

    private void logSummary() {
        String s = "units: " + units.size() + " received, " + (live - scheduler.waitingCount()) + " running, "
                + scheduler.waitingCount() + " waiting, " + finals.getOrDefault(UnitState.DONE, 0L) + " done, "
                + finals.getOrDefault(UnitState.FAILED, 0L) + " failed, "
                + finals.getOrDefault(UnitState.CANCELED, 0L) + " canceled; commands: " + commandCounts
                + (ignoredCommands > 0 ? " (" + ignoredCommands + " ignored)" : "") + "; reports: "
                + queue.lastSeq() + " sent, " + queue.ackedSeq() + " acked; syncs: " + channel.syncCount()
                + " (" + channel.failureCount() + " failed)";
        String key = s.substring(0, s.indexOf("; syncs"));
        if (!key.equals(lastSummary)) {
            lastSummary = key;
            LOG.info(s);
        }
    }
}
