package org.pilotflow.agent;

import java.nio.file.Path;

import org.pilotflow.model.wire.AgentConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent JVM's entry point: {@code java -cp <classpath> org.pilotflow.agent.AgentMain <sandbox>/agent.json}.
 *
 * <p>Exit codes: {@value #EXIT_OK} normal end (pilot DONE or CANCELED), {@value #EXIT_ERROR} unexpected error,
 * {@value #EXIT_BAD_CONFIG} bad config (the log names the file and the field, or the batch system's variable and
 * its value), {@value #EXIT_ORPHANED} orphaned (the engine was unreachable longer than the orphan timeout).
 */
public final class AgentMain {
    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_BAD_CONFIG = 2;
    public static final int EXIT_ORPHANED = 3;

    private AgentMain() {
    }

    public static void main(String[] args) {
        configureLogging();
        System.exit(run(args));
    }

    /** Logs with timestamps to stderr (the sandbox's agent.log); a -D on the command line wins. */
    static void configureLogging() {
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "info");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    static int run(String[] args) {
        Logger log = LoggerFactory.getLogger(AgentMain.class);
        if (args.length != 1) {
            log.error("usage: java -cp <classpath> {} <sandbox>/agent.json", AgentMain.class.getName());
            return EXIT_BAD_CONFIG;
        }
        AgentConfig cfg;
        try {
            cfg = AgentConfigs.load(Path.of(args[0]));
        } catch (BadConfigException e) {
            log.error(e.getMessage());
            return EXIT_BAD_CONFIG;
        }
        try {
            Agent agent = new Agent(cfg);
            Thread hook = new Thread(agent::killAllNow, "pilotflow-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            int code = agent.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
            return code;
        } catch (BadConfigException e) { // from the batch system's environment (node list)
            log.error(e.getMessage());
            return EXIT_BAD_CONFIG;
        } catch (Throwable t) {
            log.error("unexpected error, ending", t);
            return EXIT_ERROR;
        }
    }
}
