package org.pilotflow.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training run of the agent's class archive (AppCDS): one whole agent, from its config to its end, against an
 * engine in this JVM that cancels the pilot at the first sync and acknowledges its reports. Run by the engine once
 * per host, agent jar and Java runtime, as
 * {@code java -XX:ArchiveClassesAtExit=<archive> -cp <agent jar> org.pilotflow.agent.ClassArchiveTraining <dir>}:
 * the JVM writes the classes the run loaded to the archive as it exits, and later agents started with
 * {@code -XX:SharedArchiveFile=<archive>} map them instead of loading, verifying and linking them again (their start
 * until the first sync: about 40 % shorter).
 *
 * <p>{@code <dir>}: a directory the run may use for a sandbox of its own; it is removed at the end. Exit code 0
 * when the agent ended normally; anything else means the archive is not worth keeping.
 */
public final class ClassArchiveTraining {

    /** The training is a few seconds' work even on a loaded host; past this the JVM halts without an archive. */
    static final long DEADLINE_MILLIS = 120_000;

    private ClassArchiveTraining() {
    }

    public static void main(String[] args) throws Exception {
        AgentMain.configureLogging();
        Logger log = LoggerFactory.getLogger(ClassArchiveTraining.class); // after configureLogging: it reads them
        if (args.length != 1) {
            log.error("usage: java -cp <agent jar> {} <dir>", ClassArchiveTraining.class.getName());
            System.exit(AgentMain.EXIT_BAD_CONFIG);
        }
        Thread deadline = new Thread(() -> {
            try {
                Thread.sleep(DEADLINE_MILLIS);
                log.error("the class archive training did not end in {} ms", DEADLINE_MILLIS);
                Runtime.getRuntime().halt(AgentMain.EXIT_ERROR); // halt: no archive is written
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pilotflow-training-deadline");
        deadline.setDaemon(true);
        deadline.start();
        System.exit(run(Path.of(args[0])));
    }

    static int run(Path dir) throws IOException {
        Path sandbox = Files.createTempDirectory(Files.createDirectories(dir), "class-archive-training");
        HttpServer engine = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        engine.createContext("/", ClassArchiveTraining::sync);
        engine.setExecutor(threads);
        engine.start();
        try {
            String endpoint = "http://127.0.0.1:" + engine.getAddress().getPort() + "/sessions/training";
            AgentConfig config = new AgentConfig("training", "pilot.training", List.of(endpoint), true,
                    "training", sandbox.toString(), 1, 0, 600, 1000, 60_000, List.of("FORK"), Map.of(), true,
                    0, null, List.of(sandbox.toString()), List.of());
            Path file = sandbox.resolve("agent.json");
            Files.write(file, Wire.mapper().writeValueAsBytes(config));
            return AgentMain.run(new String[] {file.toString()});
        } finally {
            engine.stop(0);
            threads.shutdownNow();
            try {
                threads.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            deleteTree(sandbox);
        }
    }

    /** Cancels the pilot in every answer (the agent takes it once) and acknowledges every report it got. */
    private static void sync(HttpExchange ex) throws IOException {
        try (ex) {
            SyncRequest req = Wire.mapper().readValue(ex.getRequestBody().readAllBytes(), SyncRequest.class);
            long acked = req.reports().stream().mapToLong(Report::seq).max().orElse(0);
            byte[] body = Wire.mapper().writeValueAsBytes(new SyncResponse(acked,
                    List.of(Command.cancelPilot(1)), 1000));
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
