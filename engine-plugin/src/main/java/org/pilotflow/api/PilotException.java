package org.pilotflow.api;

/** The base of every error PilotFlow's API raises (RADICAL-Pilot's {@code PilotException}). */
public class PilotException extends RuntimeException {
    public PilotException(String message) {
        super(message);
    }

    public PilotException(String message, Throwable cause) {
        super(message, cause);
    }
}
