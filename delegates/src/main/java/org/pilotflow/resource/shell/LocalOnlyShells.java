package org.pilotflow.resource.shell;

import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.JobManagerEndpoint;

/**
 * A {@link ShellProvider} for an engine without SSH: {@link LocalShell} for local endpoints, and a clear error for
 * SSH ones, so a {@code slurm+ssh://} resource fails its pilot with a reason instead of reaching a wrong host.
 */
public final class LocalOnlyShells implements ShellProvider {

    public static final LocalOnlyShells INSTANCE = new LocalOnlyShells();

    private LocalOnlyShells() {
    }

    @Override
    public ResourceShell forEndpoint(JobManagerEndpoint endpoint, boolean hostKeyChecking) throws ResourceException {
        if (endpoint.access() == Access.LOCAL) {
            return LocalShell.INSTANCE;
        }
        throw notConfigured(endpoint.uri());
    }

    @Override
    public ResourceShell forLocation(String location) throws ResourceException {
        if (location == null) {
            return LocalShell.INSTANCE;
        }
        throw notConfigured(location);
    }

    @Override
    public void close() {
        // nothing is held
    }

    private static ResourceException notConfigured(String where) {
        return new ResourceException("SSH access is not configured: cannot reach " + where
                + " (this engine's resource adapters were built with local access only)");
    }
}
