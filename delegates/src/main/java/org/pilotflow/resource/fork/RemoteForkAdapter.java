package org.pilotflow.resource.fork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.StatusByLocation;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.config.JobManagerEndpoint;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.resource.shell.ShellProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the agent as a plain process on an SSH host ({@code ssh://host/}: fork behind SSH, no batch system). The
 * agent is started in a session of its own ({@code setsid}), detached from the SSH channel, so it survives the
 * connection and is killed as a process group. The job handle is {@code ssh:<user@host:port>/<pid>}.
 */
public final class RemoteForkAdapter implements ResourceAdapter {

    public static final String SCHEME = "ssh";
    private static final Logger LOG = LoggerFactory.getLogger(RemoteForkAdapter.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Starts "$@" in the directory $1, detached; prints its pid. The agent's argv arrives as positional
     * parameters, so no part of it is parsed by the shell. Without job control a background job is not a
     * process-group leader, so setsid does not fork again and $! is the agent's own pid.
     */
    static final String DETACH = "cd \"$1\" || exit 1; shift; "
            + "nohup setsid \"$@\" </dev/null >>" + AgentStaging.AGENT_LOG + " 2>&1 & echo $!";

    private final ShellProvider shells;

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
        LOG.info("pilot {}: agent started as process {} on {} in {}", launch.pilotId(), pid, shell.target(),
                staged.sandbox());
        return new Submitted(JobHandle.of(ep, pid), staged.sandbox());
    }

    @Override
    public JobStatus status(JobHandle handle) {
        return statusAll(List.of(handle)).get(handle);
    }

    /** One {@code ps} per host for all its agents. */
    @Override
    public Map<JobHandle, JobStatus> statusAll(Collection<JobHandle> handles) {
        return StatusByLocation.ask(handles, (location, jobs) -> {
            Map<String, JobStatus> running = new HashMap<>();
            agentProcesses(shells.forLocation(location), jobs).keySet().forEach(pid -> running.put(pid,
                    JobStatus.running()));
            return running;
        }, h -> JobStatus.gone("agent process " + h.jobId() + " on " + h.location() + " is gone"));
    }

    /** pid -> command line of those of the jobs' processes that are alive and are agents. */
    private static Map<String, String> agentProcesses(ResourceShell shell, List<JobHandle> jobs)
            throws ResourceException {
        List<String> argv = new ArrayList<>(List.of("ps", "-o", "pid=,args=", "-p"));
        argv.add(String.join(",", jobs.stream().map(JobHandle::jobId).toList()));
        CommandResult r = shell.run(argv, Map.of(), COMMAND_TIMEOUT);
        if (!r.ok() && !r.stdout().isBlank()) {
            throw new ResourceException("cannot list processes on " + shell.target() + ": " + r.describe());
        }
        // ps exits 1 with no output when none of the pids exists
        Map<String, String> alive = new HashMap<>();
        for (String line : r.stdout().split("\n")) {
            String l = line.strip();
            int sp = l.indexOf(' ');
            if (sp > 0 && l.contains("pilotflow-agent")) { // a recycled pid is not our agent
                alive.put(l.substring(0, sp), l.substring(sp + 1));
            }
        }
        return alive;
    }

    @Override
    public void kill(JobHandle handle) throws ResourceException {
        ResourceShell shell = shells.forLocation(handle.location());
        if (!agentProcesses(shell, List.of(handle)).containsKey(handle.jobId())) {
            return;
        }
        // the agent leads its own process group (setsid): this ends it and every unit it started
        CommandResult r = shell.run(List.of("kill", "-KILL", "--", "-" + handle.jobId()), Map.of(), COMMAND_TIMEOUT);
        if (!r.ok() && !agentProcesses(shell, List.of(handle)).isEmpty()) {
            throw new ResourceException("cannot kill agent process group " + handle.jobId() + " on "
                    + shell.target() + ": " + r.describe());
        }
        LOG.info("killed agent process group {} on {}", handle.jobId(), shell.target());
    }

    @Override
    public ResourceShell shell(JobHandle handle) throws ResourceException {
        return shells.forLocation(handle.location());
    }
}
