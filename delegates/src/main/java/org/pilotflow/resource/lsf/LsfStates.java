package org.pilotflow.resource.lsf;

import org.pilotflow.resource.JobStatus;

/**
 * LSF job states ({@code STAT} of {@code bjobs}) as {@link JobStatus}es.
 *
 * <table>
 * <caption>mapping</caption>
 * <tr><th>STAT</th><th>JobStatus</th></tr>
 * <tr><td>PEND, PSUSP (suspended while pending), WAIT (chunk job member), PROV (host being provisioned)</td>
 *     <td>QUEUED</td></tr>
 * <tr><td>RUN, USUSP, SSUSP (suspended while running)</td><td>RUNNING (the job holds its hosts)</td></tr>
 * <tr><td>DONE</td><td>GONE: "LSF job 12 DONE"</td></tr>
 * <tr><td>EXIT</td><td>GONE: "LSF job 13 EXIT with exit code 3", with EXIT_REASON where LSF gives one
 *     ("killed by owner or administrator", "job killed after reaching LSF run time limit")</td></tr>
 * <tr><td>UNKWN (mbatchd lost contact with the host), ZOMBI, anything else</td><td>UNKNOWN</td></tr>
 * </table>
 */
final class LsfStates {

    private LsfStates() {
    }

    static JobStatus status(LsfOutput.LsfJob job) {
        String reason = job.exitReason().isEmpty() || job.exitReason().equals("-") ? ""
                : " (" + job.exitReason() + ")";
        switch (job.stat()) {
            case "PEND", "PSUSP", "WAIT", "PROV" -> {
                return new JobStatus(JobStatus.State.QUEUED, "LSF job " + job.id() + " " + job.stat());
            }
            case "RUN", "USUSP", "SSUSP" -> {
                return JobStatus.running();
            }
            case "DONE" -> {
                return JobStatus.gone("LSF job " + job.id() + " DONE" + reason);
            }
            case "EXIT" -> {
                String code = job.exitCode().isEmpty() || job.exitCode().equals("-") ? ""
                        : " with exit code " + job.exitCode();
                return JobStatus.gone("LSF job " + job.id() + " EXIT" + code + reason);
            }
            case "UNKWN" -> {
                return JobStatus.unknown("LSF job " + job.id() + " is UNKWN: mbatchd has lost contact with its host");
            }
            default -> {
                return JobStatus.unknown("LSF job " + job.id() + " is in state " + job.stat() + ", which PilotFlow "
                        + "does not know (expected one of PEND PSUSP WAIT PROV RUN USUSP SSUSP DONE EXIT)");
            }
        }
    }
}
