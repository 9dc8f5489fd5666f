package org.pilotflow.resource.fork;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.fork.ProcessTable.AgentJob;
import org.pilotflow.resource.shell.LocalShell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the agent as a process on this host ({@code fork://localhost/}). The job handle is
 * {@code fork:<host>/<pid>}: this host's name and the agent's process id.
 *
 * <ul>
 *   <li>The agent is started as {@link AgentStart} says: detached from the engine's JVM (stdin from /dev/null,
 *       output appended to {@code agent.log} in the sandbox), in a session and process group of its own (not the
 *       engine's), its pid written to {@code agent.pid} in the sandbox before its JVM runs. It outlives an engine
 *       crash and reports to the restarted engine.</li>
 *   <li>The job is the agent's process group (and session): the agent and the units it started. {@link #status} is
 *       RUNNING while any process of it lives, also when only units are left whose agent died; one scan of
 *       {@code /proc} serves all handles of a {@link #statusAll}.</li>
 *   <li>{@link #kill} sends SIGKILL to the whole group, whether the agent still runs or not, and returns once
 *       nothing of it is left.</li>
 *   <li>A pid counts as the agent only if the process leads its own session, its command line ends with
 *       {@code <sandbox>/agent.json} and that sandbox's {@code agent.pid} holds its pid (and, for agents this
 *       adapter started or found, the sandbox is theirs): a recycled pid is never reported as the agent nor killed.
 *       </li>
 *   <li>{@link #find} reads the pid file of the launch's sandbox.</li>
 * </ul>
 */
public final class ForkAdapter implements ResourceAdapter {

    public static final String NAME = "fork";
    private static final Logger LOG = LoggerFactory.getLogger(ForkAdapter.class);
    /** How long submit waits for the started agent's pid file (the shell writes it within milliseconds). */
    private static final Duration PID_FILE_WAIT = Duration.ofSeconds(10);
    private static final Duration KILL_POLL = Duration.ofMillis(20);

    /** Agents this JVM started: their exit codes are known here (after a restart only liveness is). */
    private final Map<Long, Process> started = new ConcurrentHashMap<>();
    /** The sandboxes of the agents this adapter started or found, by pid: the agent check's strongest form. */
    private final Map<Long, String> sandboxes = new ConcurrentHashMap<>();
    /** Jobs whose agent was seen gone while orphaned units still ran, with those units (for the GONE reason). */
    private final Map<Long, String> orphansSeen = new ConcurrentHashMap<>();

    @Override
    public Submitted submit(PilotLaunch launch) throws ResourceException {
        AgentStaging.Staged staged = AgentStaging.stage(LocalShell.INSTANCE, launch);
        Path pidFile = Path.of(staged.file(AgentStaging.AGENT_PID));
        try {
            Files.deleteIfExists(pidFile); // an earlier attempt's: the new one's appearing says the agent is up
        } catch (IOException e) {
            throw new ResourceException("cannot remove " + pidFile + " of an earlier launch of " + launch.pilotId()
                    + " on localhost: " + e.getMessage(), e);
        }
        Process process;
        try {
            ProcessBuilder pb = new ProcessBuilder(AgentStart.argv(staged.agentArgv()))
                    .directory(new File(staged.sandbox()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(new File(staged.file(AgentStaging.AGENT_LOG))));
            process = pb.start();
        } catch (IOException e) {
            throw new ResourceException("cannot start the agent of " + launch.pilotId() + " on localhost with '"
                    + launch.java() + "' in " + staged.sandbox() + ": " + e.getMessage()
                    + " (the fork adapter needs setsid, of util-linux)", e);
        }
        long pid = process.pid();
        started.put(pid, process);
        sandboxes.put(pid, staged.sandbox());
        awaitPidFile(process, pidFile);
        LOG.info("pilot {}: agent started as process {} (its own process group) in {}", launch.pilotId(), pid,
                staged.sandbox());
        return new Submitted(handle(pid), staged.sandbox());
    }

    /**
     * Waits until the agent's pid file holds its pid, so that once submit returns, {@link #find} finds the agent;
     * an agent that ends first is left to {@link #status} (its exit code and log tell why).
     */
    private static void awaitPidFile(Process process, Path pidFile) {
        String pid = Long.toString(process.pid());
        long deadline = System.nanoTime() + PID_FILE_WAIT.toNanos();
        while (process.isAlive() && System.nanoTime() < deadline) {
            if (pid.equals(readPidFile(pidFile))) {
                return;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (process.isAlive()) {
            LOG.warn("agent process {} has not written {} within {} s", pid, pidFile, PID_FILE_WAIT.toSeconds());
        }
    }

    /** The pid file's content, stripped, or null when it is missing or not a pid. */
    private static String readPidFile(Path pidFile) {
        try {
            if (Files.size(pidFile) > 64) {
                return null;
            }
            String s = Files.readString(pidFile, StandardCharsets.US_ASCII).strip();
            return s.matches("\\d{1,18}") ? s : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The agent of an earlier attempt: the pid in the sandbox's pid file, alive and this sandbox's agent. */
    @Override
    public Optional<Submitted> find(PilotLaunch launch) throws ResourceException {
        String sandbox = AgentStaging.sandbox(LocalShell.INSTANCE, launch);
        String pidText = readPidFile(Path.of(sandbox, AgentStaging.AGENT_PID));
        if (pidText == null) {
            return Optional.empty();
        }
        long pid = Long.parseLong(pidText);
        ProcessTable table = table(List.of(pid));
        if (!table.isAgent(pid, sandbox)) {
            LOG.debug("pilot {}: pid file of {} names process {}, which is not its agent", launch.pilotId(), sandbox,
                    pid);
            return Optional.empty();
        }
        sandboxes.put(pid, sandbox);
        LOG.info("pilot {}: found its agent of an earlier launch, process {} in {}", launch.pilotId(), pid, sandbox);
        return Optional.of(new Submitted(handle(pid), sandbox));
    }

    @Override
    public JobStatus status(JobHandle handle) {
        return statusAll(List.of(handle)).get(handle);
    }

    /**
     * One scan of /proc for all the handles of this host; a job another engine node started on another host is
     * UNKNOWN here (never GONE: its processes are simply not visible from this host).
     */
    @Override
    public Map<JobHandle, JobStatus> statusAll(Collection<JobHandle> handles) {
        Map<JobHandle, JobStatus> out = new LinkedHashMap<>();
        List<JobHandle> here = new java.util.ArrayList<>();
        for (JobHandle h : handles) {
            if (isHere(h)) {
                here.add(h);
            } else {
                out.put(h, JobStatus.unknown("agent process " + h.jobId() + " runs on " + h.location()
                        + "; only an engine node there can see it"));
            }
        }
        ProcessTable table;
        try {
            table = table(here.stream().map(ForkAdapter::pid).toList());
        } catch (ResourceException e) {
            here.forEach(h -> out.put(h, JobStatus.unknown(e.getMessage())));
            return out;
        }
        for (JobHandle h : here) {
            out.put(h, status(pid(h), table));
        }
        return out;
    }

    private JobStatus status(long pid, ProcessTable table) {
        Process own = started.get(pid);
        if (own != null && own.isAlive()) {
            return JobStatus.running();
        }
        AgentJob job = table.job(pid, sandboxes.get(pid));
        String ended = own != null ? "agent process " + pid + " exited with code " + own.exitValue()
                + describeSignal(own.exitValue()) : "agent process " + pid + " is gone";
        return switch (job.kind()) {
            case AGENT -> JobStatus.running();
            case ORPHANS -> {
                if (orphansSeen.put(pid, job.describeMembers()) == null) {
                    LOG.warn("{}, but orphaned unit processes of its group still run: {}", ended,
                            job.describeMembers());
                }
                yield JobStatus.orphaned(ended + "; only orphaned unit processes of its group "
                        + "are left: " + job.describeMembers());
            }
            case NOT_AGENT -> JobStatus.gone(own != null ? ended
                    : ended + " (its pid now belongs to another process, " + job.holder() + ")");
            case GONE -> JobStatus.gone(orphansSeen.containsKey(pid) ? ended + "; only orphaned unit processes of its "
                    + "group were left (" + orphansSeen.get(pid) + "), and they have ended too" : ended);
        };
    }

    /**
     * SIGKILL to the agent's process group, whether the agent runs or only its orphaned units do; returns once
     * nothing of the group is left. A pid that now belongs to another process is left alone.
     */
    @Override
    public void kill(JobHandle handle) throws ResourceException {
        if (!isHere(handle)) {
            throw new ResourceException("agent process " + handle.jobId() + " runs on " + handle.location()
                    + "; only an engine node on that host can kill it");
        }
        long pid = pid(handle);
        String killed = GroupKill.kill(pid, () -> {
            Process own = started.get(pid);
            ProcessTable t = table(List.of(pid));
            if (own != null && own.isAlive()) { // our own child: the pid cannot have been recycled
                return new AgentJob(pid, AgentJob.Kind.AGENT, t.members(pid), null);
            }
            return t.job(pid, sandboxes.get(pid));
        }, argv -> LocalShell.INSTANCE.run(argv, Map.of(), Duration.ofSeconds(30)), KILL_POLL, "on localhost");
        if (!killed.isEmpty()) {
            LOG.info("killed {} on localhost", killed);
        }
    }

    private static ProcessTable table(List<Long> leaders) throws ResourceException {
        try {
            return ProcessTable.local(leaders);
        } catch (IllegalStateException e) {
            throw new ResourceException(e.getMessage(), e);
        }
    }

    /**
     * {@code fork:<host>/<pid>}: the host names which engine node's machine the agent runs on, so a node of a
     * cluster on another host never takes the pid for one of its own (handles of the first releases,
     * {@code fork:<pid>}, mean this host).
     */
    private static JobHandle handle(long pid) {
        return new JobHandle(NAME, HOST + "/" + pid);
    }

    private static boolean isHere(JobHandle handle) {
        return handle.location() == null || HOST.equals(handle.location());
    }

    private static long pid(JobHandle handle) {
        if (!NAME.equals(handle.adapter())) {
            throw new IllegalArgumentException("not a fork job handle: " + handle);
        }
        return Long.parseLong(handle.jobId());
    }

    /** This host's name, as the handles of the agents started here carry it. */
    static final String HOST = hostName();

    private static String hostName() {
        try {
            String h = java.net.InetAddress.getLocalHost().getHostName();
            return h == null || h.isBlank() || h.contains("/") ? "localhost" : h;
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    static String describeSignal(int exitCode) {
        return exitCode > 128 && exitCode < 160 ? " (killed by signal " + (exitCode - 128) + ")" : "";
    }
}
