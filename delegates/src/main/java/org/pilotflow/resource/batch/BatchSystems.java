package org.pilotflow.resource.batch;

import java.util.ArrayList;
import java.util.List;
import org.pilotflow.resource.config.BatchSystemCatalog;
import org.pilotflow.resource.config.BatchSystemProvider;

/** The installed batch systems ({@link BatchSystemCatalog}) as {@link BatchSystem}s. */
public final class BatchSystems {

    private BatchSystems() {
    }

    /**
     * The systems of {@code catalog}, in its order.
     *
     * @throws IllegalStateException a registered provider is not a {@link BatchSystem} (a packaging error)
     */
    public static List<BatchSystem> of(BatchSystemCatalog catalog) {
        List<BatchSystem> out = new ArrayList<>();
        for (BatchSystemProvider p : catalog.providers()) {
            if (!(p instanceof BatchSystem system)) {
                throw new IllegalStateException("batch system provider " + p.getClass().getName() + " ("
                        + p.info().name() + ") does not implement " + BatchSystem.class.getName());
            }
            out.add(system);
        }
        return out;
    }
}
