package org.pilotflow.resource.ssh;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSch's log, routed to slf4j logger {@code com.jcraft.jsch} one level lower than JSch rates it: its INFO (every
 * algorithm negotiated, every authentication step) is DEBUG here, its DEBUG is TRACE. Everything that matters to an
 * operator reaches them anyway as a {@link org.pilotflow.resource.ResourceException} or as this package's own INFO
 * and WARN lines, which name the host. JSch logs no passphrases or key material.
 */
final class JschLog implements com.jcraft.jsch.Logger {

    static final JschLog INSTANCE = new JschLog();

    private static final Logger LOG = LoggerFactory.getLogger("com.jcraft.jsch");

    private JschLog() {
    }

    @Override
    public boolean isEnabled(int level) {
        return level <= DEBUG ? LOG.isTraceEnabled() : LOG.isDebugEnabled();
    }

    @Override
    public void log(int level, String message) {
        if (level <= DEBUG) {
            LOG.trace(message);
        } else {
            LOG.debug("[{}] {}", name(level), message);
        }
    }

    private static String name(int level) {
        return switch (level) {
            case INFO -> "INFO";
            case WARN -> "WARN";
            case ERROR -> "ERROR";
            default -> "FATAL";
        };
    }
}
