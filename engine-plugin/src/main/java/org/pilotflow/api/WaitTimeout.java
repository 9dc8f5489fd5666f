package org.pilotflow.api;

import java.util.Map;

/**
 * A {@code waitPilots}/{@code waitUnits}/{@code waitFor} call ran out of time. {@link #pending()} tells which
 * objects had not reached the awaited states, with the state each was in.
 */
public class WaitTimeout extends PilotException {
    private final transient Map<String, ? extends Enum<?>> pending;

    public WaitTimeout(String message, Map<String, ? extends Enum<?>> pending) {
        super(message);
        this.pending = Map.copyOf(pending);
    }

    public Map<String, ? extends Enum<?>> pending() {
        return pending;
    }
}
