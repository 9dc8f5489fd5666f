package org.pilotflow.api;

import java.time.Instant;

/**
 * One entry of a state history.
 *
 * @param attempt 1 for a unit's first run; a restartable unit that lost its pilot starts attempt 2, 3, ...
 */
public record StateEntry<S extends Enum<S>>(S state, Instant time, int attempt) { }
