package org.pilotflow.internal.scheduling;

/** The scheduler's decision for one unit. */
public sealed interface Placement {

    /** Bind the unit to this pilot now. */
    record Bind(String pilot) implements Placement { }

    /** Leave the unit waiting (UNSCHEDULED): no pilot can take it now, but one may later. */
    record Wait() implements Placement { }

    /** The unit can never run on this manager's pilots; the reason says why, in words a person can act on. */
    record Reject(String reason) implements Placement { }
}
