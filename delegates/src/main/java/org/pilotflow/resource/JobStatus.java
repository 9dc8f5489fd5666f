package org.pilotflow.resource;

/**
 * What the resource manager says about a pilot's job.
 *
 * @param reason for {@link State#GONE}: why, in the resource manager's words when it has any
 */
public record JobStatus(State state, String reason) {

    public enum State { QUEUED, RUNNING, GONE, UNKNOWN }

    public static JobStatus running() {
        return new JobStatus(State.RUNNING, null);
    }

    public static JobStatus gone(String reason) {
        return new JobStatus(State.GONE, reason);
    }

    public static JobStatus unknown(String reason) {
        return new JobStatus(State.UNKNOWN, reason);
    }
}
