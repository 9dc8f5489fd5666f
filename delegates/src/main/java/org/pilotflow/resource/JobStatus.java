package org.pilotflow.resource;

/**
 * What the resource manager says about a pilot's job.
 *
 * @param reason for {@link State#GONE} and {@link State#ORPHANED}: why, in the resource manager's words when it has
 *               any
 */
public record JobStatus(State state, String reason) {

    /**
     * QUEUED and RUNNING: the job is alive. ORPHANED: its agent is gone but processes of the job (units the agent
     * started) still run, so its pilot is lost, yet the job has not ended (kill it before running its units again).
     * GONE: nothing of the job is left. UNKNOWN: the job manager could not tell.
     */
    public enum State { QUEUED, RUNNING, ORPHANED, GONE, UNKNOWN }

    public static JobStatus running() {
        return new JobStatus(State.RUNNING, null);
    }

    public static JobStatus gone(String reason) {
        return new JobStatus(State.GONE, reason);
    }

    /** The agent is gone but processes of its job are left; {@code reason} says which. */
    public static JobStatus orphaned(String reason) {
        return new JobStatus(State.ORPHANED, reason);
    }

    public static JobStatus unknown(String reason) {
        return new JobStatus(State.UNKNOWN, reason);
    }
}
