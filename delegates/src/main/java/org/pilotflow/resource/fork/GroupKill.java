package org.pilotflow.resource.fork;

import java.time.Duration;
import java.util.List;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.fork.ProcessTable.AgentJob;

/**
 * Ends an agent's job, the same way on this host and over SSH: SIGKILL to its process group (and to any other group
 * of its session), whether or not the agent itself still runs, then a fresh look at the process table, until
 * nothing of the job is left. Never signals a group whose leader pid now belongs to an unrelated process
 * ({@link AgentJob.Kind#NOT_AGENT}).
 */
final class GroupKill {

    /** A fresh process table of the host, and what it says about the job. */
    @FunctionalInterface
    interface Look {
        AgentJob job() throws ResourceException;
    }

    /** Runs {@code kill} on the host; its outcome does not matter (the next look tells). */
    @FunctionalInterface
    interface Signal {
        void send(List<String> argv) throws ResourceException;
    }

    /** How long processes may take to die after SIGKILL before kill gives up (a process in uninterruptible I/O). */
    static final Duration WAIT = Duration.ofSeconds(10);

    private GroupKill() {
    }

    /**
     * Kills the job and returns what was killed ("" when nothing of it ran).
     *
     * @param where for messages: "on localhost", "on alice@host:22"
     * @throws ResourceException a process of the job still lives {@link #WAIT} after its SIGKILL, or the host cannot
     *                           be reached
     */
    static String kill(long pid, Look look, Signal signal, Duration poll, String where) throws ResourceException {
        AgentJob job = look.job();
        if (!job.alive()) {
            return "";
        }
        String killed = job.kind() == AgentJob.Kind.AGENT ? "agent process group " + pid
                : "orphaned unit processes " + job.describeMembers() + " of agent process group " + pid;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            signal.send(ProcessTable.killArgv(job.groups()));
            job = look.job();
            if (!job.alive()) {
                return killed;
            }
            if (System.nanoTime() > deadline) {
                throw new ResourceException("processes of agent process group " + pid + " " + where
                        + " still run " + WAIT.toSeconds() + " s after SIGKILL: " + job.describeMembers());
            }
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ResourceException("interrupted while killing agent process group " + pid + " " + where, e);
            }
        }
    }
}
