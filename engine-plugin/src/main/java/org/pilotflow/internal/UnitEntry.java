package org.pilotflow.internal;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.UnitCallback;

/** The live entry of one unit: its latest committed snapshot, its completion future and callbacks. */
final class UnitEntry {
    final String key;
    volatile UnitSnapshot current;
    final CompletableFuture<ComputeUnit> completion = new CompletableFuture<>();
    final List<UnitCallback> callbacks = new CopyOnWriteArrayList<>();
    volatile UnitHandle handle;

    UnitEntry(UnitSnapshot snapshot) {
        this.key = Keys.of(snapshot.sessionId(), snapshot.uid());
        this.current = snapshot;
    }
}
