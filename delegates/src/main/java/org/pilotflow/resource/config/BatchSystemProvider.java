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

    /**
     * Refuses a pilot this system cannot ask for. Called when the pilot is submitted (so the user hears of it before
     * anything is staged or queued) and again by the job script's writer, which relies on it.
     *
     * @throws InvalidDescriptionException naming the description's field ({@code gpus}), its value and what would
     *                                     work
     */
    default void checkPilot(PilotShape shape) {
    }
}
