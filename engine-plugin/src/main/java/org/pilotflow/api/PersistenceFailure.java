package org.pilotflow.api;

/** The engine's database refused or lost a write; the operation did not take effect. */
public class PersistenceFailure extends PilotException {
    public PersistenceFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
