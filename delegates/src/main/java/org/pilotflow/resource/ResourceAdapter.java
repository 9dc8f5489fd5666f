package org.pilotflow.resource;

/**
 * Acquires resources on one kind of machine and starts the pilot's agent there (the "hook" of the Airflow
 * split: the connection and the low-level job control; delegates do the unit of work, the BPMN wait states do
 * the waiting). Implementations must be thread-safe: job-executor threads call them concurrently.
 */
public interface ResourceAdapter {

    /** Starts the pilot's job, which starts the agent; returns a handle that survives an engine restart. */
    JobHandle submit(PilotLaunch launch) throws ResourceException;

    /** The job's state as the resource manager sees it, independent of the agent's reports. */
    JobStatus status(JobHandle handle);

    /** Ends the job at once (the agent had its chance to stop cleanly); idempotent. */
    void kill(JobHandle handle) throws ResourceException;
}
