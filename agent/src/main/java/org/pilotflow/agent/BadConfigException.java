package org.pilotflow.agent;

/** The agent's config file is missing, unreadable or invalid; the message names the file and the field. */
public class BadConfigException extends Exception {
    public BadConfigException(String message) {
        super(message);
    }
}
