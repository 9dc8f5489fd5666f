package org.pilotflow.resource;

import java.util.List;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * Work the engine does in a pilot's sandbox during the launch, after the sandbox is made and before the agent can
 * start: RADICAL-Pilot's pilot staging from the client. A failure fails the launch with its message.
 */
@FunctionalInterface
public interface SandboxStep {

    /** Nothing to do. */
    SandboxStep NONE = (shell, sandbox, validRoots) -> { };

    /**
     * @param shell      the resource's shell (over SSH: the launch's connection)
     * @param sandbox    the pilot sandbox, absolute, as the resource sees it
     * @param validRoots the resource's valid roots, absolute
     */
    void run(ResourceShell shell, String sandbox, List<String> validRoots) throws ResourceException;
}
