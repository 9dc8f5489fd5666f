package org.pilotflow.resource.fork;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
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
import org.pilotflow.resource.StatusByLocation;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.config.JobManagerEndpoint;
import org.pilotflow.resource.fork.ProcessTable.AgentJob;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.resource.shell.ShellProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the agent as a plain process on an SSH host ({@code ssh://host/}: fork behind SSH, no batch system). The job
 * handle is {@code ssh:<user@host:port>/<pid>}. The same job semantics as {@link ForkAdapter}, over SSH:
 * <ul>
 *   <li>The agent is started as {@link AgentStart} says, detached from the SSH channel ({@code nohup}, stdin from
 *       /dev/null, output appended to {@code agent.log}): in a session and process group of its own, its pid in
 *       {@code agent.pid} in the sandbox before its JVM runs.</li>
 *   <li>The job is the agent's process group (and session). {@link #statusAll} asks each host once, with one
 *       {@code ps} for all its agents (plus, per agent, its command line's last argument and its pid file:
 *       {@link ProcessTable#remoteCommand}); RUNNING while any process of the group lives, orphaned units
 *       included.</li>
 *   <li>{@link #kill} sends SIGKILL to the whole group, whether the agent still runs or not.</li>
 *   <li>A recycled pid is never taken for the agent ({@link ProcessTable#isAgent}).</li>
 * </ul>
 */
public final class RemoteForkAdapter implements ResourceAdapter {

    public static final String SCHEME = "ssh";
    private static final Logger LOG = LoggerFactory.getLogger(RemoteForkAdapter.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration KILL_POLL = Duration.ofMillis(200);
    /**
     * Starts the agent argv "$@" in the directory $1, detached, as {@link AgentStart} says, waits until its pid file
     * is written (or it has ended), and prints its pid. The argv arrives as positional parameters, so no part of it
     * is parsed by the shell. Without job control a background job is not a process-group leader, so setsid does
     * not fork again and $! is the agent's own pid.
     */
    static final String DETACH = "cd \"$1\" || exit 1; shift; rm -f " + AgentStaging.AGENT_PID + "; "
            + "nohup setsid /bin/sh -c '" + AgentStart.START + "' pilotflow-agent \"$@\" </dev/null >>"
            + AgentStaging.AGENT_LOG + " 2>&1 & p=$!; "
            + "while [ ! -s " + AgentStaging.AGENT_PID + " ] && kill -0 $p 2>/dev/null; do :; done; echo $p";

    private final ShellProvider shells;
    /** The sandboxes of the agents this adapter started or found, by handle: the agent check's strongest form. */
    private final Map<JobHandle, String> sandboxes = new ConcurrentHashMap<>();
    /** Jobs whose agent was seen gone while orphaned units still ran, with those units (for the GONE reason). */
    private final Map<JobHandle, String> orphansSeen = new ConcurrentHashMap<>();

    public RemoteForkAdapter(ShellProvider shells) {
        this.shells = shells;
    }

    @Override
    public Submitted submit(PilotLaunch launch) throws ResourceException {
        JobManagerEndpoint ep = launch.schema().jobManagerEndpoint();
        ResourceShell shell = shells.forEndpoint(ep, launch.resource().hostKeyChecking());
        AgentStaging.Staged staged = AgentStaging.stage(shell, launch);
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", DETACH, "pilotflow-start", staged.sandbox()));
        argv.addAll(staged.agentArgv());
        CommandResult r = shell.run(argv, Map.of(), COMMAND_TIMEOUT);
        String pid = r.stdout().strip();
        if (!r.ok() || !pid.matches("\\d+")) {
            throw new ResourceException("cannot start the agent of " + launch.pilotId() + " on " + shell.target()
                    + " in " + staged.sandbox() + ": " + r.describe());
        }
        JobHandle handle = JobHandle.of(ep, pid);
        sandboxes.put(handle, staged.sandbox());
        LOG.info("pilot {}: agent started as process {} (its own process group) on {} in {}", launch.pilotId(), pid,
                shell.target(), staged.sandbox());
        return new Submitted(handle, staged.sandbox());
    }

    /** The agent of an earlier attempt: the pid in the sandbox's pid file, alive and this sandbox's agent. */
    @Override
    public Optional<Submitted> find(PilotLaunch launch) throws ResourceException {
        JobManagerEndpoint ep = launch.schema().jobManagerEndpoint();
        ResourceShell shell = shells.forEndpoint(ep, launch.resource().hostKeyChecking());
        String sandbox = AgentStaging.sandbox(shell, launch);
        byte[] content = shell.readTail(sandbox + "/" + AgentStaging.AGENT_PID, 64);
        String pid = content == null ? "" : new String(content, StandardCharsets.US_ASCII).strip();
        if (!pid.matches("\\d{1,18}")) {
            return Optional.empty();
        }
        ProcessTable table = table(shell, List.of(Long.parseLong(pid)));
        if (!table.isAgent(Long.parseLong(pid), sandbox)) {
            LOG.debug("pilot {}: pid file of {} on {} names process {}, which is not its agent", launch.pilotId(),
                    sandbox, shell.target(), pid);
            return Optional.empty();
        }
        JobHandle handle = JobHandle.of(ep, pid);
        sandboxes.put(handle, sandbox);
        LOG.info("pilot {}: found its agent of an earlier launch, process {} on {} in {}", launch.pilotId(), pid,
                shell.target(), sandbox);
        return Optional.of(new Submitted(handle, sandbox));
    }

    @Override
    public JobStatus status(JobHandle handle) {
        return statusAll(List.of(handle)).get(handle);
    }

    /** One process listing per host for all its agents. */
    @Override
    public Map<JobHandle, JobStatus> statusAll(Collection<JobHandle> handles) {
        return StatusByLocation.ask(handles, (location, jobs) -> {
            ProcessTable table = table(shells.forLocation(location), jobs.stream().map(RemoteForkAdapter::pid)
                    .toList());
            Map<String, JobStatus> out = new HashMap<>();
            for (JobHandle h : jobs) {
                out.put(h.jobId(), status(h, table));
            }
            return out;
        }, h -> JobStatus.unknown("no process listing for " + h));
    }

    private JobStatus status(JobHandle h, ProcessTable table) {
        AgentJob job = table.job(pid(h), sandboxes.get(h));
        String ended = "agent process " + h.jobId() + " on " + h.location() + " is gone";
        return switch (job.kind()) {
            case AGENT -> JobStatus.running();
            case ORPHANS -> {
                if (orphansSeen.put(h, job.describeMembers()) == null) {
                    LOG.warn("{}, but orphaned unit processes of its group still run: {}", ended,
                            job.describeMembers());
                }
                yield JobStatus.orphaned(ended + "; only orphaned unit processes of its group "
                        + "are left: " + job.describeMembers());
            }
            case NOT_AGENT -> JobStatus.gone(ended + " (its pid now belongs to another process, " + job.holder() + ")");
            case GONE -> JobStatus.gone(orphansSeen.containsKey(h) ? ended + "; only orphaned unit processes of its "
                    + "group were left (" + orphansSeen.get(h) + "), and they have ended too" : ended);
        };
    }

    /**
     * SIGKILL to the agent's process group, whether the agent runs or only its orphaned units do; returns once
     * nothing of the group is left. A pid that now belongs to another process is left alone.
     */
    @Override
    public void kill(JobHandle handle) throws ResourceException {
        ResourceShell shell = shells.forLocation(handle.location());
        long pid = pid(handle);
        String killed = GroupKill.kill(pid, () -> table(shell, List.of(pid)).job(pid, sandboxes.get(handle)),
                argv -> shell.run(argv, Map.of(), COMMAND_TIMEOUT), KILL_POLL, "on " + shell.target());
        if (!killed.isEmpty()) {
            LOG.info("killed {} on {}", killed, shell.target());
        }
    }

    /** The host's process table: one command. */
    private static ProcessTable table(ResourceShell shell, List<Long> leaders) throws ResourceException {
        CommandResult r = shell.run(ProcessTable.remoteCommand(leaders), Map.of(), COMMAND_TIMEOUT);
        if (!r.ok()) {
            throw new ResourceException("cannot list processes on " + shell.target() + ": " + r.describe());
        }
        try {
            return ProcessTable.parseRemote(r.stdout());
        } catch (IllegalArgumentException e) {
            throw new ResourceException("cannot list processes on " + shell.target() + ": " + e.getMessage()
                    + " (output '" + r.stdout().strip() + "')", e);
        }
    }

    private static long pid(JobHandle handle) {
        if (!SCHEME.equals(handle.adapter()) || !handle.jobId().matches("\\d{1,18}")) {
            throw new IllegalArgumentException("not an ssh job handle: " + handle);
        }
        return Long.parseLong(handle.jobId());
    }

    @Override
    public ResourceShell shell(JobHandle handle) throws ResourceException {
        return shells.forLocation(handle.location());
    }
}
