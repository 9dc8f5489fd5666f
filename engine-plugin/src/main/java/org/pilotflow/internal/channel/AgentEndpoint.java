package org.pilotflow.internal.channel;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import org.pilotflow.model.wire.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint agents sync with: {@code POST /sessions/<session>/pilots/<pilot>/sync}. Its own threads only
 * read requests (sixteen: reading a body blocks while a starved agent sends it, and two such agents must not keep
 * everyone else's sync unread, and so unheard); the work runs on the bounded pool of sync workers, and a sync that cannot be queued gets
 * 503 at once (its agent backs off and sends it again). Answers are written by whichever thread has them ready
 * (a worker, or the long-poll timer's hand-off to a worker), so a held sync holds no thread.
 */
final class AgentEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(AgentEndpoint.class);
    private static final String PREFIX = "/sessions/";
    /**
     * The largest sync body taken in (read before the secret is checked): an agent's largest batch is 2,000
     * reports with two 4 KiB output tails each, about 20 MiB.
     */
    static final int MAX_BODY_BYTES = 64 << 20;
    /**
     * The JDK server writes an answer's headers and body in two segments; with Nagle's algorithm on, the body waits
     * for the agent's delayed acknowledgement of the headers, 40 ms or more on Linux: measured, a unit's command
     * reached its agent 90-100 ms after it committed, 20-40 ms with this on. Read once, when the JDK's server
     * configuration loads: an application that started a {@code com.sun.net.httpserver} server before PilotFlow must
     * pass {@code -Dsun.net.httpserver.nodelay=true} itself.
     */
    static final String NODELAY = "sun.net.httpserver.nodelay";

    static {
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
    }

    private final HttpServer server;
    private final ExecutorService intake;
    private final String baseUrl;

    private AgentEndpoint(HttpServer server, ExecutorService intake, String host) {
        this.server = server;
        this.intake = intake;
        this.baseUrl = "http://" + host + ":" + server.getAddress().getPort();
    }

    /**
     * Listens on {@code host:port}; when that port is taken, on another one (agents started before a restart then
     * find this node through the others, or end at their orphan timeout: logged).
     */
    static AgentEndpoint start(String host, int port, ExecutorService intake, ExecutorService workers,
                               SyncService sync) {
        HttpServer server;
        try {
            try {
                server = HttpServer.create(new InetSocketAddress(host, port), 512);
            } catch (BindException e) {
                if (port == 0) {
                    throw e;
                }
                LOG.warn("agent endpoint port {} is taken; using another one: agents started before this engine "
                        + "restart reach it only through other engine nodes, else they end at their orphan timeout",
                        port);
                server = HttpServer.create(new InetSocketAddress(host, 0), 512);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the agent endpoint on " + host + ":" + port + ": "
                    + e.getMessage() + " (set endpointHost/endpointPort to an address of this host that is free)", e);
        }
        AgentEndpoint endpoint = new AgentEndpoint(server, intake, host);
        server.setExecutor(intake);
        server.createContext(PREFIX, ex -> endpoint.handle(ex, workers, sync));
        // the server's dispatcher thread inherits daemon-ness from the thread that starts it: a daemon, so an
        // application that closes its engine without stopping PilotFlow still exits
        HttpServer started = server;
        Thread starter = new Thread(started::start, "pilotflow-endpoint-start");
        starter.setDaemon(true);
        starter.start();
        try {
            starter.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return endpoint;
    }

    String baseUrl() {
        return baseUrl;
    }

    int port() {
        return server.getAddress().getPort();
    }

    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange ex, ExecutorService workers, SyncService sync) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            send(ex, SyncService.Answer.error(405, "POST only"));
            return;
        }
        // /sessions/<session>/pilots/<pilot>/sync
        String[] parts = ex.getRequestURI().getPath().substring(PREFIX.length()).split("/");
        if (parts.length != 4 || !"pilots".equals(parts[1]) || !"sync".equals(parts[3])) {
            send(ex, SyncService.Answer.error(404, "unknown path"));
            return;
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
            send(ex, SyncService.Answer.error(413, "a sync body is at most " + MAX_BODY_BYTES + " bytes"));
            return;
        }
        String authorization = ex.getRequestHeaders().getFirst(Wire.AUTHORIZATION);
        sync.accept(parts[0], parts[2], authorization, body, answer -> send(ex, answer), workers);
    }

    private static void send(HttpExchange ex, SyncService.Answer answer) {
        try (ex) {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            if (answer.heard()) {
                ex.getResponseHeaders().set(Wire.HEARD, "true");
            }
            ex.sendResponseHeaders(answer.status(), answer.body().length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(answer.body());
            }
        } catch (IOException e) {
            LOG.debug("could not answer a sync (the agent gave up waiting?): {}", e.toString());
        }
    }
}
