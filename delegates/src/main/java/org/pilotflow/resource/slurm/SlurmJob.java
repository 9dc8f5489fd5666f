package org.pilotflow.resource.slurm;

/**
 * One job as a SLURM command reports it.
 *
 * @param id       the job id
 * @param state    the state as printed, e.g. {@code PENDING}, {@code CANCELLED by 0} (sacct with slurmdbd)
 * @param reason   SLURM's reason (e.g. {@code Resources}, {@code TimeLimit}, {@code None}), or "" when the source
 *                 has none (the jobcomp file)
 * @param exitCode {@code <exit>:<signal>}, e.g. {@code 3:0}, or "" when the source has none (squeue)
 */
record SlurmJob(String id, String state, String reason, String exitCode) {

    /** The state without a suffix such as {@code by 0}: {@code CANCELLED}. */
    String baseState() {
        int sp = state.indexOf(' ');
        String s = sp < 0 ? state : state.substring(0, sp);
        return s.endsWith("+") ? s.substring(0, s.length() - 1) : s; // sacct marks truncated columns with '+'
    }

    /** This job with the exit code (and reason, if it has none) of a more detailed record of it. */
    SlurmJob withDetail(SlurmJob detail) {
        return new SlurmJob(id, state, reason.isEmpty() ? detail.reason() : reason, detail.exitCode());
    }
}
