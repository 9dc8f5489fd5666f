package org.pilotflow.model;

/** A report asked a final pilot or unit to move somewhere the state table forbids. */
public class IllegalStateTransitionException extends RuntimeException {
    public IllegalStateTransitionException(String message) {
        super(message);
    }
}
