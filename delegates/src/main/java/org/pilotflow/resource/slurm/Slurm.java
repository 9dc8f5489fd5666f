package org.pilotflow.resource.slurm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pilotflow.agent.nodes.SlurmHostlistFormat;
import org.pilotflow.resource.AgentStaging;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.batch.BatchAdapter;
import org.pilotflow.resource.batch.BatchSystem;
import org.pilotflow.resource.batch.BatchText;
import org.pilotflow.resource.batch.JobManagerCommands;
import org.pilotflow.resource.batch.JobScript;
import org.pilotflow.resource.batch.WallTime;
import org.pilotflow.resource.config.BatchSystemInfo;
import org.pilotflow.resource.shell.CommandResult;

/**
 * SLURM: the job script {@code pilot.sbatch}, {@code sbatch --parsable}, {@code squeue}/{@code scontrol}/
 * {@code sacct} for states, {@code scancel}.
 *
 * <h2>The job script</h2>
 * <pre>
 * #!/bin/sh
 * #SBATCH --job-name=&lt;job name: PilotLaunch.jobName(), e.g. pilot.0000.20250107.143012.a1b2c3&gt;
 * #SBATCH --output=&lt;sandbox&gt;/pilot.out
 * #SBATCH --error=&lt;sandbox&gt;/pilot.err
 * #SBATCH --chdir=&lt;sandbox&gt;
 * #SBATCH --time=&lt;H:MM:SS: runtime + WallTime.MARGIN, rounded up to whole minutes as SLURM enforces it&gt;
 * #SBATCH --nodes=&lt;ceil(cores / cores_per_node)&gt;
 * #SBATCH --ntasks=&lt;cores&gt;
 * #SBATCH --gpus=&lt;gpus&gt;            when gpus &gt; 0
 * #SBATCH --partition=&lt;queue&gt;       when given
 * #SBATCH --account=&lt;project&gt;       when given
 * #SBATCH --mem=&lt;memory MB&gt;         per node, when &gt; 0
 * #SBATCH --export=NONE
 * #SBATCH --no-requeue
 * #SBATCH --no-kill
 * # PilotFlow pilot ...
 * unset SLURM_EXPORT_ENV
 * &lt;pre_bootstrap&gt;
 * exec &lt;agent argv&gt; &gt;&gt; &lt;sandbox&gt;/agent.log 2&gt;&amp;1
 * </pre>
 * Cores are asked for as tasks ({@code --ntasks}, one CPU each) and not as whole nodes: a pilot gets and is
 * charged for the cores it was described with, and SLURM may pack them on fewer nodes' free cores; the agent
 * reads its nodes and cores from {@code SLURM_JOB_NODELIST}/{@code SLURM_TASKS_PER_NODE}. {@code --export=NONE}
 * keeps the engine's environment (which may hold credentials) out of the job: SLURM starts it with the user's
 * login environment on the node instead; {@code unset SLURM_EXPORT_ENV} then keeps {@code srun} inside the job
 * (a launch method of the agent) from inheriting that setting. {@code --no-requeue}: a pilot whose node failed
 * must end (the engine then sees it lost), not start a second agent with the same pilot secret later.
 *
 * <h2>States</h2>
 * One {@code squeue -h -a -t all -j <all ids> -o '%i|%T|%r'} per host for every job. For a job squeue lists as
 * ended, {@code scontrol show job -o <id>} adds its exit code. squeue and scontrol read the same job table
 * (ended jobs stay in it for MinJobAge), so a job squeue does not list is not asked to scontrol again but looked
 * up, all at once, in {@code sacct -n -X -P -j <ids>} (slurmdbd), and where that fails (no slurmdbd) in
 * {@code sacct -c} (the jobcomp/filetxt file). A job none of them knows is GONE; a failing squeue is UNKNOWN.
 * The mapping is {@link SlurmStates}'s.
 */
public final class Slurm implements BatchSystem {

    public static final String SCRIPT = "pilot.sbatch";
    private static final String SQUEUE_FORMAT = "%i|%T|%r";
    private static final String SACCT_FIELDS = "JobID,State,ExitCode,Reason";

    /** SLURM reads no resource-config keys of its own; the agent reads its nodes from SLURM_JOB_NODELIST. */
    public static final BatchSystemInfo INFO = new BatchSystemInfo("SLURM", "slurm", List.of(),
            new BatchSystemInfo.NodeListSource("SLURM_JOB_NODELIST", SlurmHostlistFormat.NAME));

    @Override
    public BatchSystemInfo info() {
        return INFO;
    }

    @Override
    public String scriptName() {
        return SCRIPT;
    }

    @Override
    public String script(PilotLaunch launch, AgentStaging.Staged staged) {
        int cores = launch.cores();
        int nodes = (cores + launch.resource().coresPerNode() - 1) / launch.resource().coresPerNode();
        JobScript s = JobScript.withDirectivePrefix("#SBATCH")
                .directive("--job-name=" + launch.jobName())
                .directive("--output=" + staged.file(BatchAdapter.JOB_STDOUT))
                .directive("--error=" + staged.file(BatchAdapter.JOB_STDERR))
                .directive("--chdir=" + staged.sandbox())
                .directive("--time=" + timeLimit(WallTime.of(launch.runtime())))
                .directive("--nodes=" + nodes)
                .directive("--ntasks=" + cores);
        if (launch.agent().gpus() > 0) {
            s.directive("--gpus=" + launch.agent().gpus());
        }
        if (launch.queue() != null) {
            s.directive("--partition=" + launch.queue());
        }
        if (launch.project() != null) {
            s.directive("--account=" + launch.project());
        }
        if (launch.memoryMb() > 0) {
            s.directive("--mem=" + launch.memoryMb());
        }
        return s.directive("--export=NONE")
                .directive("--no-requeue")
                .directive("--no-kill") // a node that fails ends its units, not the pilot: the agent goes on without it
                .setup("unset SLURM_EXPORT_ENV")
                .render(launch, staged);
    }

    /** {@code H:MM:SS}, rounded up to whole minutes: SLURM's time limits have a resolution of one minute. */
    static String timeLimit(Duration wallTime) {
        long minutes = (wallTime.toSeconds() + 59) / 60;
        return String.format("%d:%02d:00", minutes / 60, minutes % 60);
    }

    @Override
    public List<String> submitCommand(String scriptPath) {
        return List.of("sbatch", "--parsable", scriptPath);
    }

    @Override
    public Optional<String> jobId(CommandResult submitted) {
        return SlurmOutput.sbatchJobId(submitted.stdout());
    }

    @Override
    public Map<String, JobStatus> statuses(JobManagerCommands commands, List<String> jobIds) {
        Map<String, JobStatus> out = new LinkedHashMap<>();
        Map<String, SlurmJob> listed;
        try {
            CommandResult q = commands.run("squeue", "-h", "-a", "-t", "all", "-j", String.join(",", jobIds),
                    "-o", SQUEUE_FORMAT);
            if (q.ok()) {
                listed = SlurmOutput.squeue(q.stdout());
            } else if (q.message().contains("Invalid job id specified")) {
                listed = Map.of(); // squeue fails so when asked for one id it does not know
            } else {
                return BatchSystem.allUnknown(jobIds, "squeue on " + commands.target() + " failed: "
                        + BatchText.oneLine(q.describe()));
            }
        } catch (ResourceException e) {
            return BatchSystem.allUnknown(jobIds, e.getMessage());
        }
        List<String> missing = new ArrayList<>();
        for (String id : jobIds) {
            SlurmJob job = listed.get(id);
            if (job == null) {
                missing.add(id);
            } else {
                out.put(id, SlurmStates.status(SlurmStates.ended(job) ? withExitCode(commands, job) : job));
            }
        }
        if (!missing.isEmpty()) {
            out.putAll(fromAccounting(commands, missing));
        }
        return out;
    }

    /** The job with scontrol's exit code, or as it is when scontrol cannot tell. */
    private static SlurmJob withExitCode(JobManagerCommands commands, SlurmJob job) {
        try {
            CommandResult r = commands.run("scontrol", "show", "job", "-o", job.id());
            if (r.ok()) {
                return SlurmOutput.scontrol(r.stdout()).map(job::withDetail).orElse(job);
            }
        } catch (ResourceException e) {
            // the state alone will do
        }
        return job;
    }

    /** Jobs the controller has forgotten: sacct (slurmdbd), else sacct -c (jobcomp file), else GONE. */
    private static Map<String, JobStatus> fromAccounting(JobManagerCommands commands, List<String> ids) {
        String idList = String.join(",", ids);
        List<String> failures = new ArrayList<>();
        Map<String, SlurmJob> found = lookup(commands, failures,
                List.of("sacct", "-n", "-X", "-P", "-j", idList, "-o", SACCT_FIELDS));
        if (found == null) {
            found = lookup(commands, failures,
                    List.of("sacct", "-c", "-n", "-X", "-P", "-j", idList, "-o", SACCT_FIELDS));
        }
        String why = found == null ? " (" + String.join("; ", failures) + ")" : "";
        Map<String, JobStatus> out = new LinkedHashMap<>();
        for (String id : ids) {
            SlurmJob job = found == null ? null : found.get(id);
            out.put(id, job != null ? SlurmStates.status(job)
                    : JobStatus.gone("SLURM job " + id + " is not known to squeue or sacct" + why));
        }
        return out;
    }

    /** The jobs one sacct command lists, or null (its failure added to {@code failures}). */
    private static Map<String, SlurmJob> lookup(JobManagerCommands commands, List<String> failures,
                                                List<String> argv) {
        String name = argv.get(1).equals("-c") ? "sacct -c" : "sacct";
        try {
            CommandResult r = commands.run(argv);
            if (r.ok()) {
                return SlurmOutput.sacct(r.stdout());
            }
            failures.add(name + ": " + BatchText.oneLine(r.message()));
        } catch (ResourceException e) {
            failures.add(name + ": " + e.getMessage());
        }
        return null;
    }

    /**
     * {@code squeue -h --me -n <name> -o '%i|%T|%r'} (SLURM 20.11 or later for {@code --me}): squeue lists jobs that
     * have not ended; those in a queued or running state are returned, except COMPLETING ones (their script has
     * ended: not a job to adopt).
     */
    @Override
    public List<String> liveJobsNamed(JobManagerCommands commands, String jobName) throws ResourceException {
        CommandResult q = commands.run("squeue", "-h", "--me", "-n", jobName, "-o", SQUEUE_FORMAT);
        if (!q.ok()) {
            throw new ResourceException("squeue on " + commands.target() + " failed: " + BatchText.oneLine(q.describe()));
        }
        List<String> ids = new ArrayList<>();
        for (SlurmJob job : SlurmOutput.squeue(q.stdout()).values()) {
            JobStatus.State st = SlurmStates.status(job).state();
            if ((st == JobStatus.State.QUEUED || st == JobStatus.State.RUNNING)
                    && !job.baseState().equals("COMPLETING")) {
                ids.add(job.id());
            }
        }
        ids.sort(BatchText.BY_NUMBER);
        return ids;
    }

    @Override
    public void cancel(JobManagerCommands commands, String jobId) throws ResourceException {
        CommandResult r = commands.run("scancel", jobId);
        String m = r.message();
        if (r.ok() || m.contains("already completing or completed") || m.contains("Invalid job id specified")) {
            return; // SLURM 22.05 exits 0 for both; older versions said so and exited 1
        }
        throw new ResourceException("scancel of SLURM job " + jobId + " on " + commands.target() + " failed: "
                + BatchText.oneLine(r.describe()));
    }
}
