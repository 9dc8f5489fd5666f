package org.pilotflow.resource.pbs;

import org.pilotflow.resource.JobStatus;

/**
 * PBS job states ({@code job_state} of {@code qstat -f -F json}) as {@link JobStatus}es.
 *
 * <table>
 * <caption>mapping</caption>
 * <tr><th>job_state</th><th>JobStatus</th></tr>
 * <tr><td>Q (queued), H (held), W (waiting for its start time), T (being moved), M (moved)</td><td>QUEUED</td></tr>
 * <tr><td>R (running), E (exiting), S and U (suspended), B (array begun)</td><td>RUNNING (the job holds its
 *     nodes)</td></tr>
 * <tr><td>F (finished), X (subjob expired)</td><td>GONE: "PBS job 12.srv finished with Exit_status 3", with what
 *     the value means: 129-255 the job's shell or exec'd program ended after signal n - 128 (143: SIGTERM, as
 *     a qdel'd pilot's JVM exits), above 256 PBS killed the job's top process with signal n - 256 (265: SIGKILL,
 *     e.g. after qdel's kill_delay), below 0 PBS's own codes (-29: wall time)</td></tr>
 * <tr><td>anything else</td><td>UNKNOWN</td></tr>
 * </table>
 */
final class PbsStates {

    private PbsStates() {
    }

    static JobStatus status(PbsOutput.PbsJob job) {
        String comment = job.comment().isEmpty() ? "" : " (" + job.comment() + ")";
        switch (job.state()) {
            case "Q", "H", "W", "T", "M" -> {
                return new JobStatus(JobStatus.State.QUEUED, "PBS job " + job.id() + " " + job.state() + comment);
            }
            case "R", "E", "S", "U", "B" -> {
                return JobStatus.running();
            }
            case "F", "X" -> {
                return JobStatus.gone("PBS job " + job.id() + " finished" + exit(job.exitStatus()) + comment);
            }
            default -> {
                return JobStatus.unknown("PBS job " + job.id() + " is in state " + job.state()
                        + ", which PilotFlow does not know (expected one of Q H W T M R E S U B F X)");
            }
        }
    }

    /**
     * What an Exit_status means: the script's exit code, a signal the script's program ended after (128 + n, the
     * shell's convention), a signal PBS killed the job with (256 + n), or PBS's own negative codes.
     */
    static String exit(Integer status) {
        if (status == null) {
            return " before it started (no Exit_status)";
        }
        String meaning;
        if (status > 256) {
            meaning = ": killed by signal " + (status - 256);
        } else if (status > 128 && status < 256) {
            meaning = ": ended after signal " + (status - 128) + (status == 143 ? " (SIGTERM, e.g. qdel)" : "");
        } else if (status == -29) {
            meaning = ": wall time reached";
        } else if (status < 0) {
            meaning = ": PBS could not run it (JOB_EXEC code " + status + ")";
        } else {
            meaning = "";
        }
        return " with Exit_status " + status + meaning;
    }
}
