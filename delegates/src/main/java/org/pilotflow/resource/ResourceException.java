package org.pilotflow.resource;

/** Submitting, watching or killing a job failed; the message is what a person needs to act on it. */
public class ResourceException extends Exception {
    public ResourceException(String message) {
        super(message);
    }

    public ResourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
