package org.pilotflow.resource.sge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.pilotflow.agent.nodes.PeHostfileFormat;
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
import java.util.regex.Pattern;
import org.pilotflow.resource.config.BatchSystemInfo;
import org.pilotflow.resource.shell.CommandResult;

/**
 * (Son of / Univa / Open) Grid Engine: the job script {@code pilot.qsub}, {@code qsub -terse}, {@code qstat} and
 * {@code qacct} for states, {@code qdel}.
 *
 * <h2>The job script</h2>
 * <pre>
 * #!/bin/sh
 * #$ -N &lt;job name: PilotLaunch.jobName(), e.g. pilot.0000.20250107.143012.a1b2c3&gt;
 * #$ -o &lt;sandbox&gt;/pilot.out
 * #$ -e &lt;sandbox&gt;/pilot.err
 * #$ -wd &lt;sandbox&gt;
 * #$ -S /bin/sh
 * #$ -pe &lt;sge_parallel_environment&gt; &lt;cores&gt;
 * #$ -l h_rt=&lt;seconds: runtime + WallTime.MARGIN&gt;
 * #$ -r n
 * #$ -q &lt;queue&gt;                 when given
 * #$ -P &lt;project&gt;               when given
 * #$ -l mem_free=&lt;memory&gt;M      when &gt; 0
 * # PilotFlow pilot ...
 * &lt;pre_bootstrap&gt;
 * exec &lt;agent argv&gt; &gt;&gt; &lt;sandbox&gt;/agent.log 2&gt;&amp;1
 * </pre>
 * No {@code -V}: the job must not inherit the engine's environment (Grid Engine passes only its {@code SGE_O_*}
 * variables). Cores are always requested through the parallel environment, so the agent finds them in
 * {@code PE_HOSTFILE} whatever the count. {@code mem_free} is Grid Engine's standard per-host memory request
 * (not a consumable unless the site made it one). GPUs have no standard request in Grid Engine: a pilot asking
 * for them is refused rather than started without them. {@code -r n}: a pilot is not re-run after a node failure.
 *
 * <h2>States</h2>
 * One {@code qstat -xml -u '*' -s prsz} per host: pending, running, suspended and recently finished jobs (the
 * qmaster keeps the last {@code finished_jobs}, 100 by default, as state {@code z}); XML because job names and
 * states come in their own elements, nothing truncated into columns. For a job in an error state,
 * {@code qstat -j <id>} gives the reason; a finished job, or one qstat no longer lists, is looked up with
 * {@code qacct -j <id>} for its exit status. qacct knows a job only once the accounting flush time has passed,
 * and never a job deleted before it started: a finished job without a record is GONE (qstat says it ended), an
 * unlisted one without a record UNKNOWN. The mapping is {@link SgeStates}'s.
 */
public final class GridEngine implements BatchSystem {

    public static final String SCRIPT = "pilot.qsub";

    /**
     * {@code sge_parallel_environment}: the parallel environment a pilot's cores are requested in
     * ({@code qsub -pe <name> <cores>}); for pilots larger than one node, one whose allocation rule spans nodes.
     */
    public static final BatchSystemInfo.ConfigKey PARALLEL_ENVIRONMENT = new BatchSystemInfo.ConfigKey(
            "sge_parallel_environment", "smp", Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*"),
            "a parallel environment name of letters, digits, '_', '.' and '-'");

    public static final BatchSystemInfo INFO = new BatchSystemInfo("SGE", "sge", List.of(PARALLEL_ENVIRONMENT),
            new BatchSystemInfo.NodeListSource("PE_HOSTFILE", PeHostfileFormat.NAME));

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
        if (launch.agent().gpus() > 0) {
            throw new IllegalArgumentException("the pilot asks for " + launch.agent().gpus() + " GPUs, but Grid "
                    + "Engine has no standard GPU request (each site names its own complex)");
        }
        JobScript s = JobScript.withDirectivePrefix("#$")
                .directive("-N", launch.jobName())
                .directive("-o", staged.file(BatchAdapter.JOB_STDOUT))
                .directive("-e", staged.file(BatchAdapter.JOB_STDERR))
                .directive("-wd", staged.sandbox())
                .directive("-S", "/bin/sh")
                .directive("-pe", launch.resource().batchSystemKey(PARALLEL_ENVIRONMENT), Integer.toString(launch.cores()))
                .directive("-l", "h_rt=" + WallTime.of(launch.runtime()).toSeconds())
                .directive("-r", "n");
        if (launch.queue() != null) {
            s.directive("-q", launch.queue());
        }
        if (launch.project() != null) {
            s.directive("-P", launch.project());
        }
        if (launch.memoryMb() > 0) {
            s.directive("-l", "mem_free=" + launch.memoryMb() + "M");
        }
        return s.render(launch, staged);
    }

    @Override
    public List<String> submitCommand(String scriptPath) {
        return List.of("qsub", "-terse", scriptPath);
    }

    @Override
    public Optional<String> jobId(CommandResult submitted) {
        return SgeOutput.qsubJobId(submitted.stdout());
    }

    /** qsub's reason without its closing "Exiting.". */
    @Override
    public String submitError(CommandResult failed) {
        return BatchText.oneLine(Arrays.stream(failed.message().split("\n"))
                .filter(l -> !l.strip().equals("Exiting.")).collect(Collectors.joining("\n")));
    }

    @Override
    public Map<String, JobStatus> statuses(JobManagerCommands commands, List<String> jobIds) {
        Map<String, JobStatus> out = new LinkedHashMap<>();
        Map<String, String> listed;
        try {
            CommandResult q = commands.run("qstat", "-xml", "-u", "*", "-s", "prsz");
            if (!q.ok()) {
                return BatchSystem.allUnknown(jobIds, "qstat on " + commands.target() + " failed: "
                        + BatchText.oneLine(q.describe()));
            }
            listed = SgeOutput.qstatXml(q.stdout());
        } catch (ResourceException | IllegalArgumentException e) {
            return BatchSystem.allUnknown(jobIds, "qstat on " + commands.target() + ": " + e.getMessage());
        }
        for (String id : jobIds) {
            String state = listed.get(id);
            if (state == null || SgeStates.finished(state)) {
                out.put(id, fromAccounting(commands, id, state != null));
            } else {
                out.put(id, SgeStates.fromQstat(id, state, SgeStates.error(state) ? errorReason(commands, id) : ""));
            }
        }
        return out;
    }

    private static String errorReason(JobManagerCommands commands, String jobId) {
        try {
            CommandResult r = commands.run("qstat", "-j", jobId);
            return r.ok() ? SgeOutput.errorReasons(r.stdout()) : "";
        } catch (ResourceException e) {
            return "";
        }
    }

    /** A job that has left the queue, from qacct; {@code finished}: qstat lists it as finished. */
    private static JobStatus fromAccounting(JobManagerCommands commands, String jobId, boolean finished) {
        try {
            CommandResult r = commands.run("qacct", "-j", jobId);
            Optional<SgeOutput.Accounted> a = r.ok() ? SgeOutput.qacct(jobId, r.stdout()) : Optional.empty();
            if (a.isPresent()) {
                return SgeStates.fromQacct(a.get());
            }
            if (finished) {
                return SgeStates.finishedWithoutRecord(jobId);
            }
            return JobStatus.unknown("SGE job " + jobId + " is not in qstat and not (yet) in qacct"
                    + (r.ok() ? "" : " (" + BatchText.oneLine(r.message()) + ")"));
        } catch (ResourceException e) {
            return finished ? SgeStates.finishedWithoutRecord(jobId)
                    : JobStatus.unknown("SGE job " + jobId + " is not in qstat; qacct: " + e.getMessage());
        }
    }

    /**
     * {@code qstat -xml -u '$user' -s prs}: the submitting user's pending, running and suspended jobs with their
     * names ({@code $user} is qstat's own placeholder for the caller, its default, given so that a site's
     * {@code sge_qstat} defaults cannot widen the listing); those named {@code jobName} in a queued or running state are returned (not one in
     * an error state or being deleted).
     */
    @Override
    public List<String> liveJobsNamed(JobManagerCommands commands, String jobName) throws ResourceException {
        CommandResult q = commands.run("qstat", "-xml", "-u", "$user", "-s", "prs");
        if (!q.ok()) {
            throw new ResourceException("qstat on " + commands.target() + " failed: " + BatchText.oneLine(q.describe()));
        }
        List<SgeOutput.Listed> jobs;
        try {
            jobs = SgeOutput.qstatJobs(q.stdout());
        } catch (IllegalArgumentException e) {
            throw new ResourceException("qstat on " + commands.target() + ": " + e.getMessage(), e);
        }
        List<String> ids = new ArrayList<>();
        for (SgeOutput.Listed job : jobs) {
            JobStatus.State st = SgeStates.fromQstat(job.id(), job.state(), "").state();
            if (job.name().equals(jobName) && (st == JobStatus.State.QUEUED || st == JobStatus.State.RUNNING)
                    && !ids.contains(job.id())) {
                ids.add(job.id());
            }
        }
        ids.sort(BatchText.BY_NUMBER);
        return ids;
    }

    @Override
    public void cancel(JobManagerCommands commands, String jobId) throws ResourceException {
        CommandResult r = commands.run("qdel", jobId);
        if (r.ok() || r.message().contains("does not exist")) {
            return; // 'denied: job "12" does not exist': ended (or never was); either way nothing to do
        }
        throw new ResourceException("qdel of SGE job " + jobId + " on " + commands.target() + " failed: "
                + BatchText.oneLine(r.describe()));
    }
}
