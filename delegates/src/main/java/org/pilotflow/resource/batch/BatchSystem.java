package org.pilotflow.resource.batch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.BatchSystemInfo;
import org.pilotflow.resource.config.BatchSystemProvider;
import org.pilotflow.resource.config.JobManagerType;
import org.pilotflow.resource.shell.CommandResult;

/**
 * What differs between batch systems: the job script, the submit command and its output, how job states are
 * queried and read, and how a job is cancelled. Everything else (staging, shells, the job manager environment,
 * grouping status queries by host, error wording, log tails) is {@link BatchAdapter}'s, written once.
 *
 * <h2>Adding a batch system</h2>
 * One package ({@code org.pilotflow.resource.<system>}) that uses only this package (the shared batch API),
 * {@code resource}, {@code resource.config} and {@code resource.shell}, never another system's package (an
 * ArchUnit rule holds this), and one line naming its class in
 * {@code META-INF/services/org.pilotflow.resource.config.BatchSystemProvider}. Its {@link #info()} declares the
 * scheme, the resource-config keys and the agent's node-list source; {@code ResourceAdapters} serves both of its
 * schemes with a {@link BatchAdapter}.
 *
 * <p>Implementations are stateless and thread-safe, with a public no-argument constructor (ServiceLoader).
 */
public interface BatchSystem extends BatchSystemProvider {

    /** The job-manager type whose endpoints ({@code slurm://}, {@code slurm+ssh://}) this system serves. */
    default JobManagerType type() {
        return JobManagerType.batch(info().scheme());
    }

    /** The system's name in messages: {@code SLURM}, {@code SGE}. */
    default String name() {
        return info().name();
    }

    /** The job script's file name in the sandbox, e.g. {@code pilot.sbatch}. */
    String scriptName();

    /**
     * The job script that starts the staged agent.
     *
     * @throws IllegalArgumentException for a request the script cannot express (a value with whitespace in a
     *                                  directive, GPUs on a system without a standard GPU request); the message says
     *                                  which value and why
     */
    String script(PilotLaunch launch, AgentStaging.Staged staged);

    /** The command that submits the script at {@code scriptPath}. */
    List<String> submitCommand(String scriptPath);

    /** The submit program's name for messages ({@code sbatch}); differs from argv[0] when a shell feeds it. */
    default String submitProgram() {
        return submitCommand("script").get(0);
    }

    /** The job id in the output of a successful submit command, or empty when it holds none. */
    Optional<String> jobId(CommandResult submitted);

    /** The reason a failed submit command gives, in the system's own words, on one line. */
    default String submitError(CommandResult failed) {
        return BatchText.oneLine(failed.message());
    }

    /**
     * The states of jobs on one host with as few commands as the system allows: one listing for all of them,
     * and a lookup only for the jobs the listing cannot describe. Never throws: a failing command gives
     * {@link JobStatus.State#UNKNOWN} with the command's message, so a flaky controller never fails a pilot.
     *
     * @return a status for every id in {@code jobIds}
     */
    Map<String, JobStatus> statuses(JobManagerCommands commands, List<String> jobIds);

    /**
     * The ids of the submitting user's jobs named {@code jobName} that are queued or running (not ending, ended or
     * in an error state), oldest first: the jobs an earlier launch of the pilot with that {@link PilotLaunch#jobName}
     * left. One listing command.
     *
     * @throws ResourceException the listing failed, so whether there is such a job is not known
     */
    List<String> liveJobsNamed(JobManagerCommands commands, String jobName) throws ResourceException;

    /**
     * Removes the job from the queue or ends it. Idempotent: a job that already ended, or that the system no
     * longer knows, is not an error.
     */
    void cancel(JobManagerCommands commands, String jobId) throws ResourceException;

    /** Every id UNKNOWN for the same reason (a listing command failed, the host is unreachable). */
    static Map<String, JobStatus> allUnknown(List<String> jobIds, String why) {
        Map<String, JobStatus> out = new LinkedHashMap<>();
        jobIds.forEach(id -> out.put(id, JobStatus.unknown(why)));
        return out;
    }
}
