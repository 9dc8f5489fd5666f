package org.pilotflow.resource.lsf;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pilotflow.agent.nodes.HostCorePairsFormat;
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
import org.pilotflow.resource.config.InvalidDescriptionException;
import org.pilotflow.resource.config.PilotShape;
import org.pilotflow.resource.shell.CommandResult;

/**
 * IBM Spectrum LSF: the job script {@code pilot.lsf}, {@code bsub < pilot.lsf}, {@code bjobs -json} for states and
 * to find a pilot's job by name, {@code bkill}.
 *
 * <h2>The job script</h2>
 * <pre>
 * #!/bin/sh
 * #BSUB -J &lt;job name: PilotLaunch.jobName()&gt;
 * #BSUB -o &lt;sandbox&gt;/pilot.out
 * #BSUB -e &lt;sandbox&gt;/pilot.err
 * #BSUB -cwd &lt;sandbox&gt;
 * #BSUB -W &lt;H:MM: runtime + WallTime.MARGIN, rounded up to whole minutes&gt;
 * #BSUB -n &lt;cores&gt;
 * #BSUB -R span[hosts=1]              cores &lt;= cores_per_node; else span[ptile=&lt;cores_per_node&gt;]
 * #BSUB -env none
 * #BSUB -L /bin/sh
 * #BSUB -rn
 * #BSUB -q &lt;queue&gt;                    when given
 * #BSUB -P &lt;project&gt;                  when given
 * #BSUB -M &lt;memory&gt;MB                when &gt; 0
 * #BSUB -gpu num=&lt;gpus&gt;               when &gt; 0 (one-host pilots only)
 * # PilotFlow pilot ...
 * &lt;pre_bootstrap&gt;
 * exec &lt;agent argv&gt; &gt;&gt; &lt;sandbox&gt;/agent.log 2&gt;&amp;1
 * </pre>
 * bsub reads {@code #BSUB} lines only from a script on its standard input, so the submit command is
 * {@code sh -c 'exec bsub < "$1"' bsub <script>}: the path is the shell's {@code $1}, never parsed as shell text.
 * {@code -env none}: bsub would otherwise copy the submitting environment (the engine's) into the job;
 * {@code -L /bin/sh} gives the job the user's login environment instead ({@code /etc/profile}, {@code ~/.profile}:
 * PATH, modules), as SLURM's {@code --export=NONE} does.
 * {@code span[ptile=...]} fills whole hosts, so the agent finds a host's cores in {@code LSB_MCPU_HOSTS}.
 * {@code -M} is a memory limit (per process on most sites; {@code LSB_JOB_MEMLIMIT=y} makes it per job), the only
 * memory option whose unit is written with it. {@code -rn}: a pilot is never re-run.
 *
 * <h2>States</h2>
 * One {@code bjobs -a -json -o 'jobid stat exit_code exit_reason' <ids>} per host: finished jobs stay listed
 * for {@code CLEAN_PERIOD} (one hour by default); a job bjobs no longer knows ({@code "ERROR": "Job <7> is not
 * found"}) is GONE; one without a record, or with another ERROR, is UNKNOWN. The mapping is {@link LsfStates}'s.
 */
public final class Lsf implements BatchSystem {

    public static final String SCRIPT = "pilot.lsf";
    static final String BJOBS_FIELDS = "jobid stat exit_code exit_reason";

    /** LSF reads no resource-config keys of its own. */
    public static final BatchSystemInfo INFO = new BatchSystemInfo("LSF", "lsf", List.of(),
            new BatchSystemInfo.NodeListSource("LSB_MCPU_HOSTS", HostCorePairsFormat.NAME));

    @Override
    public BatchSystemInfo info() {
        return INFO;
    }

    /** GPUs on one-host pilots only: LSF's -gpu is per host and the agent puts a pilot's GPUs on its first host. */
    @Override
    public void checkPilot(PilotShape shape) {
        if (shape.gpus() > 0 && shape.nodes() > 1) {
            throw new InvalidDescriptionException("gpus", Integer.toString(shape.gpus()), "0 on a pilot of "
                    + shape.nodes() + " hosts (" + shape.cores() + " cores, cores_per_node " + shape.coresPerNode()
                    + "): LSF's -gpu is per host and a pilot's GPUs are on its first host, so GPUs are requested for "
                    + "one-host pilots only");
        }
    }

    @Override
    public String scriptName() {
        return SCRIPT;
    }

    @Override
    public String script(PilotLaunch launch, AgentStaging.Staged staged) {
        int cores = launch.cores();
        int perNode = launch.resource().coresPerNode();
        int gpus = launch.agent().gpus();
        checkPilot(new PilotShape(cores, gpus, perNode));
        JobScript s = JobScript.withDirectivePrefix("#BSUB")
                .directive("-J", launch.jobName())
                .directive("-o", staged.file(BatchAdapter.JOB_STDOUT))
                .directive("-e", staged.file(BatchAdapter.JOB_STDERR))
                .directive("-cwd", staged.sandbox())
                .directive("-W", runLimit(WallTime.of(launch.runtime())))
                .directive("-n", Integer.toString(cores))
                .directive("-R", cores <= perNode ? "span[hosts=1]" : "span[ptile=" + perNode + "]")
                .directive("-env", "none")
                .directive("-L", "/bin/sh")
                .directive("-rn");
        if (launch.queue() != null) {
            s.directive("-q", launch.queue());
        }
        if (launch.project() != null) {
            s.directive("-P", launch.project());
        }
        if (launch.memoryMb() > 0) {
            s.directive("-M", launch.memoryMb() + "MB");
        }
        if (gpus > 0) {
            s.directive("-gpu", "num=" + gpus);
        }
        return s.render(launch, staged);
    }

    /** {@code H:MM}, rounded up to whole minutes: LSF's run limit has a resolution of one minute. */
    static String runLimit(Duration wallTime) {
        long minutes = (wallTime.toSeconds() + 59) / 60;
        return String.format("%d:%02d", minutes / 60, minutes % 60);
    }

    @Override
    public List<String> submitCommand(String scriptPath) {
        return List.of("sh", "-c", "exec bsub < \"$1\"", "bsub", scriptPath);
    }

    @Override
    public String submitProgram() {
        return "bsub";
    }

    @Override
    public Optional<String> jobId(CommandResult submitted) {
        return LsfOutput.bsubJobId(submitted.stdout());
    }

    @Override
    public Map<String, JobStatus> statuses(JobManagerCommands commands, List<String> jobIds) {
        List<String> argv = new ArrayList<>(List.of("bjobs", "-a", "-json", "-o", BJOBS_FIELDS));
        argv.addAll(jobIds);
        Map<String, LsfOutput.LsfJob> listed;
        try {
            CommandResult q = commands.run(argv);
            // bjobs exits 255 when any id is unknown, and still prints every record (an unknown one with ERROR)
            if (q.stdout().isBlank()) {
                return BatchSystem.allUnknown(jobIds, "bjobs on " + commands.target() + " failed: "
                        + BatchText.oneLine(q.describe()));
            }
            listed = LsfOutput.bjobsJson(q.stdout());
        } catch (ResourceException | IllegalArgumentException e) {
            return BatchSystem.allUnknown(jobIds, "bjobs on " + commands.target() + ": " + e.getMessage());
        }
        Map<String, JobStatus> out = new LinkedHashMap<>();
        for (String id : jobIds) {
            LsfOutput.LsfJob job = listed.get(id);
            if (job == null) {
                out.put(id, JobStatus.unknown("bjobs on " + commands.target() + " printed no record of LSF job " + id));
            } else if (job.error() == null) {
                out.put(id, LsfStates.status(job));
            } else if (job.error().contains("is not found")) {
                out.put(id, JobStatus.gone("LSF job " + id + " is not known to bjobs (" + job.error()
                        + "): it finished longer ago than CLEAN_PERIOD, or never was"));
            } else {
                out.put(id, JobStatus.unknown("bjobs on " + commands.target() + " about LSF job " + id + ": "
                        + job.error()));
            }
        }
        return out;
    }

    /**
     * {@code bjobs -json -o 'jobid stat' -J <name>}: the submitting user's unfinished jobs of that name; those
     * pending, running or suspended are returned (not a record of a job that ended).
     */
    @Override
    public List<String> liveJobsNamed(JobManagerCommands commands, String jobName) throws ResourceException {
        CommandResult r = commands.run("bjobs", "-json", "-o", "jobid stat", "-J", jobName);
        if (!r.ok() && r.message().contains("No unfinished job found")) {
            return List.of();
        }
        if (!r.ok()) {
            throw new ResourceException("bjobs on " + commands.target() + " failed: " + BatchText.oneLine(r.describe()));
        }
        List<String> ids = new ArrayList<>();
        try {
            for (LsfOutput.LsfJob job : LsfOutput.bjobsJson(r.stdout()).values()) {
                JobStatus.State st = job.error() == null ? LsfStates.status(job).state() : JobStatus.State.UNKNOWN;
                if (st == JobStatus.State.QUEUED || st == JobStatus.State.RUNNING) {
                    ids.add(job.id());
                }
            }
        } catch (IllegalArgumentException e) {
            throw new ResourceException("bjobs on " + commands.target() + ": " + e.getMessage(), e);
        }
        ids.sort(BatchText.BY_NUMBER);
        return ids;
    }

    @Override
    public void cancel(JobManagerCommands commands, String jobId) throws ResourceException {
        CommandResult r = commands.run("bkill", jobId);
        String m = r.message();
        if (r.ok() || m.contains("Job has already finished") || m.contains("No matching job found")) {
            return; // ended, or forgotten: nothing to cancel
        }
        throw new ResourceException("bkill of LSF job " + jobId + " on " + commands.target() + " failed: "
                + BatchText.oneLine(r.describe()));
    }
}
