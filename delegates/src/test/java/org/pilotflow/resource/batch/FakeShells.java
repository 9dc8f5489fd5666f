package org.pilotflow.resource.batch;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.Access;
import org.pilotflow.resource.config.JobManagerEndpoint;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.resource.shell.ShellProvider;

/** A {@link ShellProvider} of given shells by location ({@code null}: this host); others are unreachable. */
public final class FakeShells implements ShellProvider {

    private final Map<String, ResourceShell> byLocation = new ConcurrentHashMap<>();
    private static final String LOCAL = "(local)";

    public FakeShells local(ResourceShell shell) {
        byLocation.put(LOCAL, shell);
        return this;
    }

    public FakeShells at(String location, ResourceShell shell) {
        byLocation.put(location, shell);
        return this;
    }

    @Override
    public ResourceShell forEndpoint(JobManagerEndpoint endpoint, boolean hostKeyChecking) throws ResourceException {
        return forLocation(endpoint.access() == Access.LOCAL ? null : JobHandle.location(endpoint));
    }

    @Override
    public ResourceShell forLocation(String location) throws ResourceException {
        ResourceShell s = byLocation.get(location == null ? LOCAL : location);
        if (s == null) {
            throw new ResourceException("cannot connect to " + location + ": Connection refused");
        }
        return s;
    }

    @Override
    public void close() {
    }
}
