package org.pilotflow.resource.slurm;

import java.util.Map;
import java.util.Set;
import org.pilotflow.resource.JobStatus;

/**
 * SLURM job states as {@link JobStatus}es.
 *
 * <table>
 * <caption>mapping</caption>
 * <tr><th>SLURM state</th><th>JobStatus</th></tr>
 * <tr><td>PENDING, CONFIGURING, REQUEUED, REQUEUE_HOLD, REQUEUE_FED, RESV_DEL_HOLD, SPECIAL_EXIT</td>
 *     <td>QUEUED</td></tr>
 * <tr><td>RUNNING, COMPLETING, SUSPENDED, STOPPED, SIGNALING, STAGE_OUT, RESIZING</td><td>RUNNING (the job holds
 *     its nodes)</td></tr>
 * <tr><td>COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY, BOOT_FAIL, DEADLINE,
 *     REVOKED</td><td>GONE, reason in SLURM's words: "SLURM job 12 FAILED with exit code 3:0 (reason:
 *     NonZeroExitCode)", "SLURM job 7 TIMEOUT: wall time reached (reason: TimeLimit)"</td></tr>
 * <tr><td>anything else</td><td>UNKNOWN</td></tr>
 * </table>
 */
final class SlurmStates {

    private static final Set<String> QUEUED = Set.of("PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD",
            "REQUEUE_FED", "RESV_DEL_HOLD", "SPECIAL_EXIT");
    private static final Set<String> RUNNING = Set.of("RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING",
            "STAGE_OUT", "RESIZING");
    /** The ended states, with what they mean where SLURM's name alone does not say it. */
    private static final Map<String, String> ENDED = Map.ofEntries(
            Map.entry("COMPLETED", ""),
            Map.entry("FAILED", ""),
            Map.entry("CANCELLED", ""),
            Map.entry("TIMEOUT", ": wall time reached"),
            Map.entry("NODE_FAIL", ": a node of the job failed"),
            Map.entry("PREEMPTED", ": preempted by another job"),
            Map.entry("OUT_OF_MEMORY", ": out of memory"),
            Map.entry("BOOT_FAIL", ": a node of the job failed to boot"),
            Map.entry("DEADLINE", ": its deadline passed"),
            Map.entry("REVOKED", ": revoked by the federation"));

    private SlurmStates() {
    }

    /** Whether SLURM says the job has ended (its exit code is worth a look). */
    static boolean ended(SlurmJob job) {
        return ENDED.containsKey(job.baseState());
    }

    static JobStatus status(SlurmJob job) {
        String base = job.baseState();
        String reason = job.reason().isEmpty() ? "" : " (reason: " + job.reason() + ")";
        if (QUEUED.contains(base)) {
            return new JobStatus(JobStatus.State.QUEUED, "SLURM job " + job.id() + " " + job.state() + reason);
        }
        if (RUNNING.contains(base)) {
            return new JobStatus(JobStatus.State.RUNNING, null);
        }
        String meaning = ENDED.get(base);
        if (meaning == null) {
            return JobStatus.unknown("SLURM job " + job.id() + " is in state " + job.state() + reason
                    + ", which PilotFlow does not know");
        }
        boolean exit = (base.equals("FAILED") || base.equals("COMPLETED")) && !job.exitCode().isEmpty();
        return JobStatus.gone("SLURM job " + job.id() + " " + job.state() + meaning
                + (exit ? " with exit code " + job.exitCode() : "") + reason);
    }
}
