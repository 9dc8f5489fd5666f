package org.pilotflow.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoint agents sync with: {@code POST /sessions/<session>/pilots/<pilot>/sync}, authenticated by the
 * pilot's secret (compared as a SHA-256 digest in constant time). A sync carries reports and a heartbeat; the
 * answer acknowledges what is committed and carries new commands. A sync without reports is held up to half a
 * heartbeat interval while there is nothing to send (a long poll), so new units reach idle agents at once.
 */
final class AgentEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(AgentEndpoint.class);
    private static final String PREFIX = "/sessions/";

    private final PilotFlowRuntime runtime;
    private final HttpServer server;
    private final ExecutorService threads;
    private final String baseUrl;

    private AgentEndpoint(PilotFlowRuntime runtime, HttpServer server, ExecutorService threads, String host) {
        this.runtime = runtime;
        this.server = server;
        this.threads = threads;
        this.baseUrl = "http://" + host + ":" + server.getAddress().getPort();
    }

    static AgentEndpoint start(PilotFlowRuntime runtime, String host, int port) {
        HttpServer server;
        try {
            try {
                server = HttpServer.create(new InetSocketAddress(host, port), 256);
            } catch (BindException e) {
                if (port == 0) {
                    throw e;
                }
                LOG.warn("agent endpoint port {} is taken; using another one: agents started before this engine "
                        + "restart cannot reach it and will end at their orphan timeout", port);
                server = HttpServer.create(new InetSocketAddress(host, 0), 256);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the agent endpoint on " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
        ExecutorService threads = Executors.newCachedThreadPool(PilotFlowRuntime.daemon("pilotflow-endpoint"));
        AgentEndpoint endpoint = new AgentEndpoint(runtime, server, threads, host);
        server.setExecutor(threads);
        server.createContext(PREFIX, endpoint::handle);
        server.start();
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
        threads.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
                reply(ex, 405, "{\"error\":\"POST only\"}");
                return;
            }
            // /sessions/<session>/pilots/<pilot>/sync
            String[] parts = ex.getRequestURI().getPath().substring(PREFIX.length()).split("/");
            if (parts.length != 4 || !"pilots".equals(parts[1]) || !"sync".equals(parts[3])) {
                reply(ex, 404, "{\"error\":\"unknown path\"}");
                return;
            }
            PilotEntry pe = runtime.pilot(parts[0], parts[2]);
            if (pe == null) {
                reply(ex, 404, "{\"error\":\"unknown pilot\"}");
                return;
            }
            if (!authorized(ex.getRequestHeaders().getFirst(Wire.AUTHORIZATION), pe.current.secretHash())) {
                LOG.warn("refused a sync for pilot {} from {}: wrong or missing secret", parts[2],
                        ex.getRemoteAddress());
                reply(ex, 401, "{\"error\":\"wrong secret\"}");
                return;
            }
            SyncRequest req;
            try (InputStream in = ex.getRequestBody()) {
                req = Wire.mapper().readValue(in, SyncRequest.class);
            } catch (IOException e) {
                reply(ex, 400, "{\"error\":\"malformed sync request\"}");
                return;
            }
            if (!parts[2].equals(req.pilotId())) {
                reply(ex, 400, "{\"error\":\"pilotId does not match the path\"}");
                return;
            }
            pe.lastHeartbeat = System.currentTimeMillis();
            long acked;
            try {
                acked = req.reports().isEmpty() ? pe.current.lastSeq() : runtime.applyReports(pe, req.reports());
            } catch (RuntimeException e) {
                LOG.warn("pilot {}: reports not applied, the agent will send them again: {}", parts[2], e.toString());
                reply(ex, 503, "{\"error\":\"try again\"}");
                return;
            }
            if (pe.current.isFinal() && !pe.stopSent) {
                pe.stopSent = true; // an agent the engine gave up on (say, a late heartbeat) must stop too
                pe.commands.cancelPilot();
            }
            List<Command> commands = pe.commands.sync(req.lastCommandSeq());
            if (commands.isEmpty() && req.reports().isEmpty()) {
                try {
                    pe.commands.awaitCommand(Math.min(500, runtime.heartbeatInterval().toMillis() / 2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                commands = pe.commands.sync(req.lastCommandSeq());
            }
            byte[] body = Wire.mapper().writeValueAsBytes(new SyncResponse(acked, commands,
                    runtime.heartbeatInterval().toMillis()));
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        } catch (RuntimeException e) {
            LOG.error("agent endpoint failed on {}: {}", ex.getRequestURI(), e.toString(), e);
        }
    }

    private static boolean authorized(String header, String expectedHash) {
        if (header == null || expectedHash == null || !header.startsWith(Wire.BEARER)) {
            return false;
        }
        String got = PilotFlowRuntime.hash(header.substring(Wire.BEARER.length()));
        return MessageDigest.isEqual(got.getBytes(StandardCharsets.US_ASCII),
                expectedHash.getBytes(StandardCharsets.US_ASCII));
    }

    private static void reply(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
