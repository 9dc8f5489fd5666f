package org.pilotflow.resource.config;

/**
 * The service a batch system registers through {@link java.util.ServiceLoader}: one line naming its class in
 * {@code META-INF/services/org.pilotflow.resource.config.BatchSystemProvider}. The class implements
 * {@code org.pilotflow.resource.batch.BatchSystem} (which extends this interface); this part lives here so the
 * resource configuration can know the schemes and keys of every installed system without depending on the
 * adapters ({@link BatchSystemCatalog}).
 */
public interface BatchSystemProvider {

    /** What the system offers; the same value on every call. */
    BatchSystemInfo info();
}
