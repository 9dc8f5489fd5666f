package org.pilotflow.internal.lifecycle;

import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.internal.store.PilotKey;

/**
 * Pilots that BPMN tasks submit, in the task's transaction. The session service does it: it knows the resources
 * and the session's managers, as for a pilot of the Java API.
 */
public interface PilotSubmitter {

    /**
     * A replacement for a FAILED pilot: its description, its pilot manager, the open unit managers it served.
     *
     * @return the new pilot's uid
     * @throws org.camunda.bpm.engine.ProcessEngineException saying what stops a replacement
     */
    String replacement(PilotKey failed);

    /**
     * A pilot a workflow's "Submit pilot" task describes.
     *
     * @param pilotManager uid of an open pilot manager of the session, null for the first open one
     * @param unitManager  uid of an open unit manager to add the pilot to, null for the first open one (if any)
     * @return the new pilot's uid
     * @throws org.camunda.bpm.engine.ProcessEngineException naming the variable, its value and what was expected
     */
    String fromWorkflow(String sessionId, ComputePilotDescription description, String pilotManager,
                        String unitManager);
}
