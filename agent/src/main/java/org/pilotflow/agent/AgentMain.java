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
        setIfAbsent(COMMON_POOL_PARALLELISM, commonPoolParallelism(Runtime.getRuntime().availableProcessors()));
        configureLogging();
        System.exit(run(args));
    }

    /** The JDK's property for the threads of its common pool, its default executor of asynchronous steps. */
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /**
     * The common pool's threads for a host of {@code processors}: at least two, else null (the JDK's default, one
     * fewer than the processors). Each exit of a unit's process reaches the agent through {@link Process#onExit()},
     * which hands it on to the JDK's default executor of asynchronous steps; with fewer than two common-pool threads
     * (a host of 1 or 2 cores) that executor starts a new thread for every step: a thread made and ended for every
     * unit (agent CPU a {@code /bin/true} unit on 2 cores, three runs each: 2.1-3.0 ms with, 1.5-2.0 ms without).
     * Set first thing in {@code main}, before anything uses the pool; a -D on the command line wins.
     */
    static String commonPoolParallelism(int processors) {
        return processors <= 2 ? "2" : null;
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
        if (value != null && System.getProperty(key) == null) {
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
