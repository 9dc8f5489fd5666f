package org.pilotflow.internal.session;

import org.pilotflow.api.PilotCallback;
import org.pilotflow.internal.store.PilotRecord;

/** This node's cached view of one pilot (see {@link UnitView}). */
final class PilotView {
    /** Written under the session's view lock; read by anyone. */
    volatile PilotRecord current;
    final Callbacks<PilotCallback> callbacks = new Callbacks<>("PilotCallback");
    volatile PilotHandle handle;

    PilotView(PilotRecord record) {
        this.current = record;
    }
}
