package org.pilotflow.resource.shell;

import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.JobManagerEndpoint;

/**
 * Hands out the {@link ResourceShell} for a job manager endpoint: {@link LocalShell} for local access, a shell on
 * the one shared SSH connection of that host for SSH access. One per engine.
 */
public interface ShellProvider {

    /**
     * The shell for {@code endpoint}.
     *
     * @param hostKeyChecking the resource's {@code host_key_checking}; remembered for the host, so later lookups
     *                        by {@link #forLocation} (after an engine restart: from a stored job handle) use it
     * @throws ResourceException naming the host when it cannot be reached or authenticated
     */
    ResourceShell forEndpoint(JobManagerEndpoint endpoint, boolean hostKeyChecking) throws ResourceException;

    /** The shell for a job handle's location ({@code [user@]host[:port]}), or {@link LocalShell} for null. */
    ResourceShell forLocation(String location) throws ResourceException;

    /** Closes every connection (engine shutdown). */
    void close();
}
