package org.pilotflow.api;

/** The operation does not fit the object's state, e.g. submitting units through a closed UnitManager. */
public class IncorrectState extends PilotException {
    public IncorrectState(String message) {
        super(message);
    }
}
