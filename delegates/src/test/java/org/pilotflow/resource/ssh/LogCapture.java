package org.pilotflow.resource.ssh;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Captures everything this package and JSch log, down to TRACE, while open. */
final class LogCapture implements AutoCloseable {

    private static final List<String> LOGGERS = List.of("org.pilotflow", "com.jcraft.jsch");

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final List<Level> previous;

    LogCapture() {
        appender.start();
        previous = LOGGERS.stream().map(n -> logger(n).getLevel()).collect(Collectors.toList());
        for (String n : LOGGERS) {
            logger(n).setLevel(Level.TRACE);
            logger(n).addAppender(appender);
        }
    }

    private static Logger logger(String name) {
        return (Logger) LoggerFactory.getLogger(name);
    }

    /** Every line: level, formatted message and stack trace text. */
    List<String> lines() {
        synchronized (appender) {
            return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()
                    + (e.getThrowableProxy() == null ? "" : "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy())))
                    .collect(Collectors.toList());
        }
    }

    List<String> lines(Level level) {
        synchronized (appender) {
            return appender.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage)
                    .collect(Collectors.toList());
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < LOGGERS.size(); i++) {
            logger(LOGGERS.get(i)).detachAppender(appender);
            logger(LOGGERS.get(i)).setLevel(previous.get(i));
        }
        appender.stop();
    }
}
