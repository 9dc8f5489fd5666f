package org.pilotflow.resource;

import java.net.URI;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.resource.batch.BatchAdapter;
import org.pilotflow.resource.batch.BatchSystem;
import org.pilotflow.resource.batch.BatchSystems;
import org.pilotflow.resource.config.BatchSystemCatalog;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceSchema;
import org.pilotflow.resource.fork.ForkAdapter;
import org.pilotflow.resource.fork.RemoteForkAdapter;
import org.pilotflow.resource.shell.LocalOnlyShells;
import org.pilotflow.resource.shell.ShellProvider;

/**
 * The adapters of one engine, chosen by the scheme of a resource's job-manager endpoint: {@code fork}, {@code ssh},
 * and the two schemes of every installed batch system ({@link BatchSystemCatalog}: {@code slurm} and
 * {@code slurm+ssh}, {@code sge}, {@code pbs}, {@code lsf}, ... each with {@code +ssh}). A batch adapter serves
 * the local and the SSH scheme with one instance; the {@link ShellProvider} decides where its commands run.
 */
public final class ResourceAdapters {

    private final Map<String, ResourceAdapter> byScheme = new ConcurrentHashMap<>();

    /** Adapters whose commands run through {@code shells} (this host, or SSH connections). */
    public ResourceAdapters(ShellProvider shells) {
        Objects.requireNonNull(shells, "shells");
        byScheme.put(ForkAdapter.NAME, new ForkAdapter());
        byScheme.put(RemoteForkAdapter.SCHEME, new RemoteForkAdapter(shells));
        for (BatchSystem system : BatchSystems.of(BatchSystemCatalog.installed())) {
            BatchAdapter adapter = new BatchAdapter(shells, system);
            system.info().schemes().forEach(scheme -> byScheme.put(scheme, adapter));
        }
    }

    /** Adapters for this host only: an SSH endpoint fails with "SSH access is not configured". */
    public ResourceAdapters() {
        this(LocalOnlyShells.INSTANCE);
    }

    /** Registers (or replaces) the adapter for a job-manager scheme such as {@code slurm} or {@code slurm+ssh}. */
    public void register(String scheme, ResourceAdapter adapter) {
        byScheme.put(scheme, adapter);
    }

    /**
     * Passes a resource entry to the adapters of its schemes ({@link ResourceAdapter#configure}); call it for every
     * entry when the engine starts, before watching the jobs of earlier runs, and for entries added later.
     */
    public void configure(ResourceConfig resource) {
        Set<ResourceAdapter> adapters = new LinkedHashSet<>();
        for (ResourceSchema s : resource.schemas().values()) {
            ResourceAdapter a = byScheme.get(s.jobManagerEndpoint().scheme());
            if (a != null) {
                adapters.add(a);
            }
        }
        adapters.forEach(a -> a.configure(resource));
    }

    public ResourceAdapter forEndpoint(String jobManagerEndpoint) throws ResourceException {
        String scheme;
        try {
            scheme = new URI(jobManagerEndpoint).getScheme();
        } catch (java.net.URISyntaxException e) {
            scheme = null;
        }
        ResourceAdapter adapter = scheme == null ? null : byScheme.get(scheme);
        if (adapter == null) {
            throw new ResourceException("no resource adapter for job manager endpoint '" + jobManagerEndpoint
                    + "'; this build supports " + new java.util.TreeSet<>(byScheme.keySet()));
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
