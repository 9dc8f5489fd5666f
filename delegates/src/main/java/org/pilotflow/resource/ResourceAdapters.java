package org.pilotflow.resource;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.resource.fork.ForkAdapter;

/** The adapters of one engine, chosen by the scheme of a resource's job-manager endpoint. */
public final class ResourceAdapters {

    private final Map<String, ResourceAdapter> byScheme = new ConcurrentHashMap<>();

    public ResourceAdapters() {
        byScheme.put("fork", new ForkAdapter());
    }

    /** Registers (or replaces) the adapter for a job-manager scheme such as {@code slurm} or {@code slurm+ssh}. */
    public void register(String scheme, ResourceAdapter adapter) {
        byScheme.put(scheme, adapter);
    }

    public ResourceAdapter forEndpoint(String jobManagerEndpoint) throws ResourceException {
        String scheme = URI.create(jobManagerEndpoint).getScheme();
        ResourceAdapter adapter = scheme == null ? null : byScheme.get(scheme);
        if (adapter == null) {
            throw new ResourceException("no resource adapter for job manager endpoint '" + jobManagerEndpoint
                    + "'; this build supports " + byScheme.keySet());
        }
        return adapter;
    }

    public ResourceAdapter forHandle(JobHandle handle) throws ResourceException {
        ResourceAdapter adapter = byScheme.get(handle.adapter());
        if (adapter == null) {
            throw new ResourceException("no resource adapter for job handle " + handle);
        }
        return adapter;
    }
}
