package org.pilotflow.internal.scheduling;

/** What one unit asks for. {@code pinnedPilot} is null when any of the manager's pilots will do. */
public record Demand(int cores, int gpus, String pinnedPilot) { }
