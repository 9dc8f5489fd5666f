package org.pilotflow.internal.store;

import java.util.Comparator;

/** A pilot's identity: uids are unique within a session ({@code pilot.0000}). Sorts by session, then uid. */
public record PilotKey(String sessionId, String uid) implements Comparable<PilotKey> {

    private static final Comparator<PilotKey> ORDER = Comparator.comparing(PilotKey::sessionId)
            .thenComparing(PilotKey::uid);

    @Override
    public int compareTo(PilotKey o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return sessionId + "/" + uid;
    }
}
