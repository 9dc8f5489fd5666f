package org.pilotflow.resource.sge;

import org.pilotflow.resource.JobStatus;

/**
 * Grid Engine job states (the letters qstat prints) as {@link JobStatus}es. The letters combine, so the strongest
 * one decides, in this order:
 *
 * <table>
 * <caption>mapping</caption>
 * <tr><th>qstat state contains</th><th>JobStatus</th></tr>
 * <tr><td>{@code E} (e.g. {@code Eqw})</td><td>GONE: "SGE job 12 is in error state Eqw: &lt;error reason of qstat
 *     -j&gt;" (the job will never run by itself; the engine deletes it)</td></tr>
 * <tr><td>{@code d} (e.g. {@code dr}, {@code dt})</td><td>GONE: "SGE job 12 is being deleted (state dr)"</td></tr>
 * <tr><td>{@code r}, {@code t}, {@code s}, {@code S}, {@code T} (running, transferring, suspended)</td>
 *     <td>RUNNING</td></tr>
 * <tr><td>{@code q}, {@code w}, {@code h} (e.g. {@code qw}, {@code hqw}, {@code Rq})</td><td>QUEUED</td></tr>
 * <tr><td>anything else</td><td>UNKNOWN</td></tr>
 * <tr><td>{@code z} (finished: {@code qstat -s z} keeps the last {@code finished_jobs}), or not listed; and in
 *     {@code qacct -j}</td><td>GONE: "SGE job 12 ended: exit_status 137 (Killed), failed 100 : assumedly after
 *     job"</td></tr>
 * <tr><td>{@code z}, not in qacct</td><td>GONE: "SGE job 25 has finished, and qacct has no record of it (yet):
 *     it never started (deleted while queued), or its record is not flushed yet"</td></tr>
 * <tr><td>not listed, not in qacct</td><td>UNKNOWN: qacct lists a job only after the accounting flush time, and
 *     a job that never started not at all</td></tr>
 * </table>
 */
final class SgeStates {

    private SgeStates() {
    }

    /** Whether qstat lists the job as finished ({@code qstat -s z}). */
    static boolean finished(String state) {
        return state.equals("z");
    }

    /** Whether the state is an error state, whose reason {@code qstat -j} gives. */
    static boolean error(String state) {
        return state.contains("E");
    }

    /**
     * The status of a job qstat lists.
     *
     * @param errorReason for an error state, qstat -j's reason ("" if unknown)
     */
    static JobStatus fromQstat(String jobId, String state, String errorReason) {
        if (error(state)) {
            return JobStatus.gone("SGE job " + jobId + " is in error state " + state
                    + (errorReason.isEmpty() ? "" : ": " + errorReason));
        }
        if (state.contains("d")) {
            return JobStatus.gone("SGE job " + jobId + " is being deleted (state " + state + ")");
        }
        if (state.matches(".*[rtsST].*")) {
            return JobStatus.running();
        }
        if (state.matches(".*[qwh].*")) {
            return new JobStatus(JobStatus.State.QUEUED, "SGE job " + jobId + " " + state);
        }
        return JobStatus.unknown("SGE job " + jobId + " is in state " + state + ", which PilotFlow does not know");
    }

    /** The status of a job qstat lists as finished but qacct does not know. */
    static JobStatus finishedWithoutRecord(String jobId) {
        return JobStatus.gone("SGE job " + jobId + " has finished, and qacct has no record of it (yet): it never "
                + "started (deleted while queued), or its record is not flushed yet");
    }

    /** The status of a job that qacct lists: it has ended. */
    static JobStatus fromQacct(SgeOutput.Accounted a) {
        return JobStatus.gone("SGE job " + a.jobId() + " ended: exit_status " + a.exitStatus() + ", failed "
                + a.failed());
    }
}
