package org.pilotflow.resource.batch;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.LogTails;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.StatusByLocation;
import org.pilotflow.resource.Submitted;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.JobManagerEndpoint;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceSchema;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.resource.shell.ShellProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pilot as a batch job ({@code slurm://}, {@code slurm+ssh://}, {@code pbs+ssh://}, ...): the part
 * every batch system shares, with the system-specific part in a {@link BatchSystem}.
 *
 * <ul>
 *   <li>{@link #submit}: stages the agent ({@link AgentStaging}), writes the system's job script into the
 *       sandbox, submits it and returns the job id as the handle; a rejected job becomes a
 *       {@link ResourceException} with the batch system's own message, prefixed with the pilot and host.</li>
 *   <li>{@link #statusAll}: groups the handles by host and asks each host once ({@link BatchSystem#statuses}),
 *       so N pilots on one cluster cost one {@code squeue}/{@code qstat}, not N.</li>
 *   <li>Every command runs through the host's {@link ResourceShell} (this host or SSH: the same code) with the
 *       resource's {@code job_manager_environment}.</li>
 * </ul>
 *
 * <h2>The job manager environment after a restart</h2>
 * Status and kill get only a job handle, which names the host but not the resource entry. The adapter therefore
 * remembers each host's {@code job_manager_environment}: from every submit and from {@link #configure}, which the
 * engine calls for its resource entries when it starts. Two entries that reach the same host through the same
 * job manager with different environments cannot be told apart by a handle; the later one wins, with a warning.
 * A host no entry told about gets no extra environment (right for a cluster configured in /etc).
 */
public final class BatchAdapter implements ResourceAdapter {

    /** The batch job's standard output in the sandbox (the job script's own output; the agent's is agent.log). */
    public static final String JOB_STDOUT = "pilot.out";
    /** The batch job's standard error in the sandbox. */
    public static final String JOB_STDERR = "pilot.err";

    private static final Logger LOG = LoggerFactory.getLogger(BatchAdapter.class);
    private static final String LOCAL = "";

    private final ShellProvider shells;
    private final BatchSystem system;
    /** job_manager_environment by host ({@link JobHandle#location()}, or {@link #LOCAL}). */
    private final Map<String, Map<String, String>> environments = new ConcurrentHashMap<>();

    public BatchAdapter(ShellProvider shells, BatchSystem system) {
        this.shells = Objects.requireNonNull(shells, "shells");
        this.system = Objects.requireNonNull(system, "system");
    }

    public BatchSystem system() {
        return system;
    }

    @Override
    public void configure(ResourceConfig resource) {
        for (ResourceSchema s : resource.schemas().values()) {
            if (s.jobManagerEndpoint().type().equals(system.type())) {
                remember(key(s.jobManagerEndpoint()), resource.jobManagerEnvironment(), resource.label());
            }
        }
    }

    @Override
    public Submitted submit(PilotLaunch launch) throws ResourceException {
        JobManagerEndpoint endpoint = launch.schema().jobManagerEndpoint();
        if (!endpoint.type().equals(system.type())) {
            throw new IllegalArgumentException(system.name() + " adapter given endpoint " + endpoint);
        }
        ResourceConfig rc = launch.resource();
        ResourceShell shell = shells.forEndpoint(endpoint, rc.hostKeyChecking());
        String pilot = "pilot " + launch.pilotId() + " on " + shell.target();
        remember(key(endpoint), rc.jobManagerEnvironment(), rc.label());

        AgentStaging.Staged staged = AgentStaging.stage(shell, launch);
        String script;
        try {
            script = system.script(launch, staged);
        } catch (IllegalArgumentException e) {
            throw new ResourceException("cannot submit " + pilot + " to " + system.name() + ": " + e.getMessage(), e);
        }
        String scriptPath = staged.file(system.scriptName());
        shell.write(scriptPath, script.getBytes(StandardCharsets.UTF_8), 0700);

        JobManagerCommands commands = new JobManagerCommands(shell, rc.jobManagerEnvironment());
        long t0 = System.nanoTime();
        CommandResult r = commands.run(system.submitCommand(scriptPath));
        if (!r.ok()) {
            throw new ResourceException(system.name() + " rejected " + pilot + ": " + system.submitError(r));
        }
        String submit = system.submitProgram();
        String jobId = system.jobId(r).orElseThrow(() -> new ResourceException(pilot + ": " + submit
                + " succeeded but printed no job id (output '" + BatchText.oneLine(r.stdout()) + "'); a job may be "
                + "queued that PilotFlow does not know of"));
        if (!r.stderr().isBlank()) {
            LOG.warn("{}: {} accepted job {} with a warning: {}", pilot, system.name(), jobId,
                    BatchText.oneLine(r.stderr()));
        }
        LOG.info("{}: {} job {} submitted in {} ms ({} cores, runtime {}), sandbox {}", pilot, system.name(), jobId,
                (System.nanoTime() - t0) / 1_000_000, launch.cores(), launch.runtime(), staged.sandbox());
        return new Submitted(JobHandle.of(endpoint, jobId), staged.sandbox());
    }

    /**
     * The job an earlier launch of this pilot submitted, by its name ({@link PilotLaunch#jobName}, unique per pilot
     * across sessions): one listing of the submitting user's queued and running jobs of that name. Should there be
     * more than one (launches that did not use find), the oldest is returned and the others are named in a warning.
     */
    @Override
    public Optional<Submitted> find(PilotLaunch launch) throws ResourceException {
        JobManagerEndpoint endpoint = launch.schema().jobManagerEndpoint();
        if (!endpoint.type().equals(system.type())) {
            throw new IllegalArgumentException(system.name() + " adapter given endpoint " + endpoint);
        }
        ResourceConfig rc = launch.resource();
        ResourceShell shell = shells.forEndpoint(endpoint, rc.hostKeyChecking());
        remember(key(endpoint), rc.jobManagerEnvironment(), rc.label());
        String name = launch.jobName();
        List<String> ids = system.liveJobsNamed(new JobManagerCommands(shell, rc.jobManagerEnvironment()), name);
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        String jobId = ids.get(0);
        if (ids.size() > 1) {
            LOG.warn("pilot {} on {}: {} has {} live jobs named {}: {}; adopting {}, the others are not PilotFlow's "
                    + "to watch (cancel them)", launch.pilotId(), shell.target(), system.name(), ids.size(), name, ids,
                    jobId);
        }
        String sandbox = AgentStaging.sandbox(shell, launch);
        LOG.info("pilot {} on {}: found its {} job {} ({}) of an earlier launch, sandbox {}", launch.pilotId(),
                shell.target(), system.name(), jobId, name, sandbox);
        return Optional.of(new Submitted(JobHandle.of(endpoint, jobId), sandbox));
    }

    @Override
    public JobStatus status(JobHandle handle) {
        return statusAll(List.of(handle)).get(handle);
    }

    @Override
    public Map<JobHandle, JobStatus> statusAll(Collection<JobHandle> handles) {
        return StatusByLocation.ask(handles,
                (location, jobs) -> system.statuses(commands(location == null ? LOCAL : location),
                        jobs.stream().map(JobHandle::jobId).distinct().toList()),
                h -> JobStatus.unknown(system.name() + " gave no state for job " + h.jobId()));
    }

    @Override
    public void kill(JobHandle handle) throws ResourceException {
        JobManagerCommands commands = commands(key(handle));
        system.cancel(commands, handle.jobId());
        LOG.info("{} job {} on {} cancelled", system.name(), handle.jobId(), commands.target());
    }

    /** The last lines of agent.log, then of the job's stderr and stdout (where the batch system puts its errors). */
    @Override
    public ResourceShell shell(JobHandle handle) throws ResourceException {
        return shells.forLocation(handle.location());
    }

    @Override
    public String logTail(JobHandle handle, String sandbox) {
        ResourceShell shell;
        try {
            shell = shell(handle);
        } catch (ResourceException e) {
            return "";
        }
        return LogTails.lastLines(shell, sandbox + "/" + AgentStaging.AGENT_LOG, 3)
                + LogTails.lastLines(shell, sandbox + "/" + JOB_STDERR, 3)
                + LogTails.lastLines(shell, sandbox + "/" + JOB_STDOUT, 3);
    }

    private JobManagerCommands commands(String key) throws ResourceException {
        ResourceShell shell = shells.forLocation(key.equals(LOCAL) ? null : key);
        return new JobManagerCommands(shell, environments.getOrDefault(key, Map.of()));
    }

    private void remember(String key, Map<String, String> env, String label) {
        Map<String, String> before = environments.put(key, env);
        if (before != null && !before.equals(env)) {
            LOG.warn("{} at {}: resource {} sets job_manager_environment {}, another entry set {}; job handles name "
                            + "only the host, so status and kill now use {}'s", system.name(),
                    key.equals(LOCAL) ? "localhost" : key, label, env.keySet(), before.keySet(), label);
        }
    }

    private static String key(JobManagerEndpoint endpoint) {
        return endpoint.access() == Access.LOCAL ? LOCAL : JobHandle.location(endpoint);
    }

    private static String key(JobHandle handle) {
        return handle.location() == null ? LOCAL : handle.location();
    }
}
