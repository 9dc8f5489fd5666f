package org.pilotflow.agent;

/**
 * The agent cannot start as configured: its config file is missing, unreadable or invalid (the message names the
 * file and the field), or the batch system's environment cannot be understood (the message names the variable and
 * its value). {@link AgentMain} exits with {@link AgentMain#EXIT_BAD_CONFIG}.
 */
public class BadConfigException extends Exception {
    public BadConfigException(String message) {
        super(message);
    }
}
