package org.pilotflow.internal.store;

/** A unit's identity: uids are unique within a session ({@code unit.000123}). */
public record UnitKey(String sessionId, String uid) {
    @Override
    public String toString() {
        return sessionId + "/" + uid;
    }
}
