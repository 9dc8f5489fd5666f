package org.pilotflow.internal.session;

import java.util.concurrent.CompletableFuture;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.UnitCallback;
import org.pilotflow.internal.store.UnitRecord;

/**
 * This node's cached view of one unit: the newest row version it has seen (from its own commits, or read back
 * from the database when another node changed it), its completion future and callbacks. The database stays the
 * truth; the view can always be rebuilt from it.
 */
final class UnitView {
    /** Written under the session's view lock; read by anyone. */
    volatile UnitRecord current;
    final CompletableFuture<ComputeUnit> completion = new CompletableFuture<>();
    final Callbacks<UnitCallback> callbacks = new Callbacks<>("UnitCallback");
    volatile UnitHandle handle;

    UnitView(UnitRecord record) {
        this.current = record;
    }
}
