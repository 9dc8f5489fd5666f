package org.pilotflow.internal;

/** Map keys: uids are unique within a session (RADICAL-style {@code pilot.0000}, {@code unit.000000}). */
final class Keys {
    private Keys() {
    }

    static String of(String sessionId, String uid) {
        return sessionId + "/" + uid;
    }
}
