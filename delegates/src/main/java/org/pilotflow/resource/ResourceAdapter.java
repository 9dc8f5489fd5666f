package org.pilotflow.resource;

import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.pilotflow.resource.config.ResourceConfig;

/**
 * Acquires resources on one kind of machine and starts the pilot's agent there (the "hook" of the Airflow
 * split: the connection and the low-level job control; delegates do the unit of work, the BPMN wait states do
 * the waiting). Implementations must be thread-safe: job-executor threads call them concurrently.
 */
public interface ResourceAdapter {

    /**
     * Prepares the sandbox (agent jar, agent.json), starts the pilot's job, which starts the agent, and returns
     * its handle, which survives an engine restart.
     *
     * @throws ResourceException naming the host and, for a rejected job, the job manager's own message
     */
    Submitted submit(PilotLaunch launch) throws ResourceException;

    /**
     * The job an earlier launch attempt of this pilot started and that is still queued or running, found through what the job itself
     * carries (its name, its pid file in the sandbox); empty when there is none. Lets a retried launch adopt the job instead of starting
     * a second one.
     *
     * <p>The sandbox is resolved as {@link #submit} resolves it, and the result has the handle {@code submit} returned
     * for that job. Nothing is staged, started or changed.
     *
     * @throws ResourceException the resource cannot be asked (unreachable, the job manager's listing fails): the
     *                           caller cannot tell whether a job exists, and must not start one
     */
    default Optional<Submitted> find(PilotLaunch launch) throws ResourceException {
        return Optional.empty();
    }

    /** The job's state as the resource manager sees it, independent of the agent's reports. */
    JobStatus status(JobHandle handle);

    /**
     * The states of many jobs of this adapter, as few job-manager calls as possible (one {@code squeue} per
     * host for all its pilots, not one per pilot). Every handle given is a key of the result.
     */
    default Map<JobHandle, JobStatus> statusAll(Collection<JobHandle> handles) {
        Map<JobHandle, JobStatus> out = new LinkedHashMap<>();
        for (JobHandle h : handles) {
            out.put(h, status(h));
        }
        return out;
    }

    /**
     * Tells the adapter about a resource entry one of whose schemas it serves. The engine calls it for every entry
     * when it starts (and for entries added later), before any handle of a job on that resource reaches
     * {@link #status} or {@link #kill}: a handle names the host but not the entry, so what the entry says about its
     * job manager (e.g. {@code job_manager_environment}) must be known by then. Adapters without such settings
     * ignore it.
     */
    default void configure(ResourceConfig resource) {
    }

    /** Ends the job at once (a queued job is removed from the queue); idempotent. */
    void kill(JobHandle handle) throws ResourceException;

    /**
     * The shell on the machine the job's sandbox is on (for reading its logs): this host unless the adapter
     * reaches its resource over SSH.
     */
    default ResourceShell shell(JobHandle handle) throws ResourceException {
        return LocalShell.INSTANCE;
    }

    /**
     * The last lines of the agent's log (and, where the adapter has them, the job's own output files) in the
     * sandbox, for the reason of a lost pilot; empty when there is none or it cannot be read.
     */
    default String logTail(JobHandle handle, String sandbox) {
        try {
            return LogTails.lastLines(shell(handle), sandbox + "/" + AgentStaging.AGENT_LOG, 3);
        } catch (ResourceException e) {
            return "";
        }
    }
}
