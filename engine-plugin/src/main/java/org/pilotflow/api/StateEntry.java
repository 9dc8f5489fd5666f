package org.pilotflow.api;

import java.time.Instant;

/**
 * One entry of a state history.
 *
 * @param attempt 1 for a unit's first run; a restartable unit that lost its pilot starts attempt 2, 3, ...
 * @param clock   whose clock gave {@code time}: {@code "agent"} (the pilot's agent saw the state, on its host) or
 *                {@code "engine"} (the engine entered it, or filled in a state the agent passed without a time);
 *                null for entries written before clocks were recorded
 */
public record StateEntry<S extends Enum<S>>(S state, Instant time, int attempt, String clock) {

    public static final String AGENT = "agent";
    public static final String ENGINE = "engine";

    /** An entry the engine's clock timed. */
    public StateEntry(S state, Instant time, int attempt) {
        this(state, time, attempt, ENGINE);
    }
}
