package org.pilotflow.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pilotflow.api.PilotCallback;

/** The live entry of one pilot: its latest committed snapshot, its command queue, heartbeats, callbacks. */
final class PilotEntry {
    final String key;
    volatile PilotSnapshot current;
    final CommandQueue commands = new CommandQueue();
    /** When the agent last synced (engine clock, ms); 0 before the first sync. */
    volatile long lastHeartbeat;
    /**
     * When the batch-job watcher first saw the pilot's job running (engine clock, ms), for the launch timeout:
     * time spent queued does not count. 0 while queued or not yet seen.
     */
    volatile long jobRunningSince;
    final List<PilotCallback> callbacks = new CopyOnWriteArrayList<>();
    volatile PilotHandle handle;
    /** Serialises report batches of this pilot (an agent's retry may overlap a slow request). */
    final Object applyLock = new Object();
    /** Whether a CANCEL_PILOT went out after the pilot had already ended here. */
    volatile boolean stopSent;

    PilotEntry(PilotSnapshot snapshot) {
        this.key = Keys.of(snapshot.sessionId(), snapshot.uid());
        this.current = snapshot;
    }
}
