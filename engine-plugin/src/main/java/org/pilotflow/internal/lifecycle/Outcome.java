package org.pilotflow.internal.lifecycle;

/** How applying one agent report went. */
public sealed interface Outcome {

    /** Applied, or a duplicate or stale report that changes nothing: either way, done with. */
    record Applied() implements Outcome { }

    /** Refused for good (a unit of another pilot, an unknown state, a move out of a final state): logged, skipped. */
    record Refused(String why) implements Outcome { }

    /** The process instance does not wait for this yet: stop here, the agent sends the report again. */
    record NotYet(String why) implements Outcome { }

    Outcome APPLIED = new Applied();

    default boolean done() {
        return !(this instanceof NotYet);
    }
}
