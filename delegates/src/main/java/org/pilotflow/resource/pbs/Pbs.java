package org.pilotflow.resource.pbs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.pilotflow.agent.nodes.HostPerCoreFileFormat;
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
import org.pilotflow.resource.shell.ShellQuote;

/**
 * PBS Pro / OpenPBS (and Torque's job scripts): the job script {@code pilot.pbs}, {@code qsub}, {@code qstat -f -F
 * json -x} for states, {@code qselect} to find a pilot's job by name, {@code qdel}.
 *
 * <h2>The job script</h2>
 * <pre>
 * #!/bin/sh
 * #PBS -N &lt;job name: PilotLaunch.jobName()&gt;
 * #PBS -o &lt;sandbox&gt;/pilot.out
 * #PBS -e &lt;sandbox&gt;/pilot.err
 * #PBS -l walltime=&lt;H:MM:SS: runtime + WallTime.MARGIN&gt;
 * #PBS -k oed                      not for Torque
 * #PBS -l select=&lt;n&gt;:ncpus=&lt;cores_per_node&gt;:mpiprocs=&lt;cores_per_node&gt;[:mem=&lt;MB&gt;mb][+1:ncpus=&lt;rest&gt;...]
 *      (pbs_resource_syntax "nodes", Torque: #PBS -l nodes=&lt;n&gt;:ppn=&lt;cores_per_node&gt;[+1:ppn=&lt;rest&gt;])
 * #PBS -r n
 * #PBS -q &lt;queue&gt;                 when given
 * #PBS -A &lt;project&gt;               when given
 * # PilotFlow pilot ...
 * cd &lt;sandbox&gt;
 * &lt;pre_bootstrap&gt;
 * exec &lt;agent argv&gt; &gt;&gt; &lt;sandbox&gt;/agent.log 2&gt;&amp;1
 * </pre>
 * Cores are asked for as whole nodes' worth of cores (chunks of {@code cores_per_node}, the last one smaller), with
 * one MPI rank per core, so {@code PBS_NODEFILE} lists each host once per core: the agent counts its cores there.
 * {@code -k oed}: PBS writes the output straight to {@code -o}/{@code -e}, so pilot.out and pilot.err are readable
 * while the job runs (by default it spools them on the node and copies them when the job ends, as Torque always
 * does: Torque has no {@code d}). PBS starts a job in the home directory, hence the {@code cd}. No {@code -V}: the job gets no environment of the
 * engine. Memory is per node (as SLURM's {@code --mem}): in each chunk for PBS Pro, {@code mem} times the nodes
 * for Torque (a job total). GPUs ({@code ngpus}, Torque {@code gpus}) are asked for on a one-node pilot only: the
 * agent puts a pilot's GPUs on its first node, and a chunk per node cannot say "these GPUs on that node".
 * {@code -r n}: a pilot is not re-run after a node failure.
 *
 * <h2>States</h2>
 * One {@code qstat -f -F json -x <ids>} per host ({@code -x}: finished jobs too, while the server keeps their
 * history): {@code Jobs.<id>.job_state} and, for a finished job, {@code Exit_status}; the mapping is
 * {@link PbsStates}'s. A job the server does not know ({@code qstat: Unknown Job Id ...}) is GONE: it finished and
 * its history is off or expired (matched by sequence number: the server may print another domain). A job qstat
 * neither lists nor names is UNKNOWN: its silence proves nothing. The JSON output is PBS Pro's and OpenPBS's (18 and later); Torque's qstat has no
 * JSON (its {@code -x} is XML), so on Torque submit and cancel work and states do not: not tested, not claimed.
 */
public final class Pbs implements BatchSystem {

    public static final String SCRIPT = "pilot.pbs";

    /** {@code pbs_resource_syntax}: how the job script asks for cores. */
    public static final BatchSystemInfo.ConfigKey RESOURCE_SYNTAX = new BatchSystemInfo.ConfigKey(
            "pbs_resource_syntax", "select", Pattern.compile("select|nodes"),
            "\"select\" (PBS Pro, OpenPBS: -l select=...) or \"nodes\" (Torque: -l nodes=...:ppn=...)");

    public static final BatchSystemInfo INFO = new BatchSystemInfo("PBS", "pbs", List.of(RESOURCE_SYNTAX),
            new BatchSystemInfo.NodeListSource("PBS_NODEFILE", HostPerCoreFileFormat.NAME));

    @Override
    public BatchSystemInfo info() {
        return INFO;
    }

    /** GPUs on one-node pilots only: a chunk per node cannot say "these GPUs on that node". */
    @Override
    public void checkPilot(PilotShape shape) {
        if (shape.gpus() > 0 && shape.nodes() > 1) {
            throw new InvalidDescriptionException("gpus", Integer.toString(shape.gpus()), "0 on a pilot of "
                    + shape.nodes() + " nodes (" + shape.cores() + " cores, cores_per_node " + shape.coresPerNode()
                    + "): PBS GPUs are requested for one-node pilots only (a pilot's GPUs are on its first node)");
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
        int full = cores / perNode;
        int rest = cores % perNode;
        int gpus = launch.agent().gpus();
        PilotShape shape = new PilotShape(cores, gpus, perNode);
        checkPilot(shape);
        int nodes = shape.nodes();
        boolean torque = launch.resource().batchSystemKey(RESOURCE_SYNTAX).equals("nodes");
        int mem = launch.memoryMb();
        JobScript s = JobScript.withDirectivePrefix("#PBS")
                .directive("-N", launch.jobName())
                .directive("-o", staged.file(BatchAdapter.JOB_STDOUT))
                .directive("-e", staged.file(BatchAdapter.JOB_STDERR))
                .directive("-l", "walltime=" + wallTime(WallTime.of(launch.runtime())));
        if (!torque) { // Torque's -k has no "d": there the output is copied to -o/-e only when the job ends
            s.directive("-k", "oed");
        }
        List<String> chunks = new ArrayList<>();
        if (full > 0) {
            chunks.add(chunk(torque, full, perNode, gpus, mem));
        }
        if (rest > 0) {
            chunks.add(chunk(torque, 1, rest, gpus, mem));
        }
        s.directive("-l", (torque ? "nodes=" : "select=") + String.join("+", chunks));
        if (torque && mem > 0) {
            s.directive("-l", "mem=" + ((long) mem * nodes) + "mb");
        }
        s.directive("-r", "n");
        if (launch.queue() != null) {
            s.directive("-q", launch.queue());
        }
        if (launch.project() != null) {
            s.directive("-A", launch.project());
        }
        return s.setup("cd " + ShellQuote.quote(staged.sandbox())).render(launch, staged);
    }

    /** One chunk: {@code 2:ncpus=4:mpiprocs=4[:ngpus=1][:mem=2048mb]}, or Torque's {@code 2:ppn=4[:gpus=1]}. */
    private static String chunk(boolean torque, int count, int cores, int gpus, int memMb) {
        if (torque) {
            return count + ":ppn=" + cores + (gpus > 0 ? ":gpus=" + gpus : "");
        }
        return count + ":ncpus=" + cores + ":mpiprocs=" + cores + (gpus > 0 ? ":ngpus=" + gpus : "")
                + (memMb > 0 ? ":mem=" + memMb + "mb" : "");
    }

    /** {@code H:MM:SS}. */
    static String wallTime(Duration d) {
        long s = d.toSeconds();
        return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public List<String> submitCommand(String scriptPath) {
        return List.of("qsub", scriptPath);
    }

    @Override
    public Optional<String> jobId(CommandResult submitted) {
        return PbsOutput.qsubJobId(submitted.stdout());
    }

    @Override
    public Map<String, JobStatus> statuses(JobManagerCommands commands, List<String> jobIds) {
        List<String> argv = new ArrayList<>(List.of("qstat", "-f", "-F", "json", "-x"));
        argv.addAll(jobIds);
        Map<String, PbsOutput.PbsJob> listed;
        List<String> unknownToServer;
        try {
            CommandResult q = commands.run(argv);
            // with an unknown id among known ones, qstat prints the known ones and fails (exit 153)
            unknownToServer = PbsOutput.unknownJobIds(q.stderr());
            if (q.ok() || !unknownToServer.isEmpty()) {
                listed = q.stdout().isBlank() ? Map.of() : PbsOutput.qstatJson(q.stdout());
            } else {
                return BatchSystem.allUnknown(jobIds, "qstat on " + commands.target() + " failed: "
                        + BatchText.oneLine(q.describe()));
            }
        } catch (ResourceException | IllegalArgumentException e) {
            return BatchSystem.allUnknown(jobIds, "qstat on " + commands.target() + ": " + e.getMessage());
        }
        Map<String, JobStatus> out = new LinkedHashMap<>();
        for (String id : jobIds) {
            PbsOutput.PbsJob job = PbsOutput.find(listed, id);
            String seq = PbsOutput.sequenceNumber(id);
            if (job != null) {
                out.put(id, PbsStates.status(job));
            } else if (unknownToServer.stream().anyMatch(u -> PbsOutput.sequenceNumber(u).equals(seq))) {
                out.put(id, JobStatus.gone("PBS job " + id + " is not known to the server (qstat: Unknown Job Id): "
                        + "it has finished, and job history is off or has expired"));
            } else { // neither listed nor named unknown: qstat said nothing about it, so nothing can be concluded
                out.put(id, JobStatus.unknown("qstat on " + commands.target() + " neither listed PBS job " + id
                        + " nor said it is unknown"));
            }
        }
        return out;
    }

    /**
     * {@code qselect -u <user> -N <name> -s QHWTRSU}: the ids of the user's queued, held, waiting, moving, running
     * and suspended jobs of that name (another user's job of the same name is not ours to adopt).
     */
    @Override
    public List<String> liveJobsNamed(JobManagerCommands commands, String jobName) throws ResourceException {
        CommandResult r = commands.run("qselect", "-u", commands.user(), "-N", jobName, "-s", "QHWTRSU");
        if (!r.ok()) {
            throw new ResourceException("qselect on " + commands.target() + " failed: "
                    + BatchText.oneLine(r.describe()));
        }
        List<String> ids = new ArrayList<>(PbsOutput.jobIdLines(r.stdout()));
        ids.sort(java.util.Comparator.comparing(PbsOutput::sequenceNumber, BatchText.BY_NUMBER));
        return ids;
    }

    @Override
    public void cancel(JobManagerCommands commands, String jobId) throws ResourceException {
        CommandResult r = commands.run("qdel", jobId);
        String m = r.message();
        if (r.ok() || m.contains("Unknown Job Id") || m.contains("Job has finished")) {
            return; // ended, or history expired: nothing to cancel
        }
        throw new ResourceException("qdel of PBS job " + jobId + " on " + commands.target() + " failed: "
                + BatchText.oneLine(r.describe()));
    }
}
