package org.pilotflow.internal.watch;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.ResourceException;

/** What the watchdog needs from the resources: the state of pilots' jobs, and ending them. */
public interface Jobs {

    /** The state of each pilot's job (pilots with a job handle), asking each job manager host once. */
    Map<PilotKey, JobStatus> statusAll(Collection<PilotRecord> pilots);

    /** Ends the pilot's job at once (idempotent). */
    void kill(PilotRecord pilot) throws ResourceException;

    /** The handle of a job an unfinished launch attempt of this pilot started, found by what the job carries. */
    Optional<String> find(PilotRecord pilot) throws ResourceException;

    /** The last lines of the agent's log and the job's output, for a lost pilot's reason; never throws. */
    String logTail(PilotRecord pilot);
}
