package org.pilotflow.agent;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;

/** A minimal engine endpoint for tests: applies reports in seq order, acks them, hands out commands. */
final class FakeEngine implements AutoCloseable {
    final String secret;
    final HttpServer server;
    final List<SyncRequest> requests = new CopyOnWriteArrayList<>();
    final List<Report> applied = new CopyOnWriteArrayList<>();
    final Map<String, Report> latest = new ConcurrentHashMap<>();
    final List<Integer> statuses = new CopyOnWriteArrayList<>();
    private final List<Command> commands = new ArrayList<>();
    volatile boolean acking = true;
    volatile boolean refuseAll;
    volatile long ackedSeq;
    volatile boolean resendAllCommands; // sends every command in every response (duplicates)

    FakeEngine(String secret) throws IOException {
        this.secret = secret;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/pilots/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    synchronized void command(Command c) {
        commands.add(c);
    }

    synchronized long nextCommandSeq() {
        return commands.size() + 1;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst(Wire.AUTHORIZATION);
            byte[] body = ex.getRequestBody().readAllBytes();
            if (refuseAll || !(Wire.BEARER + secret).equals(auth)) {
                statuses.add(401);
                ex.sendResponseHeaders(401, -1);
                return;
            }
            SyncRequest req = Wire.mapper().readValue(body, SyncRequest.class);
            requests.add(req);
            SyncResponse resp;
            synchronized (this) {
                for (Report r : req.reports()) {
                    if (acking && r.seq() == ackedSeq + 1) {
                        applied.add(r);
                        latest.put(r.unitId() == null ? "pilot" : r.unitId(), r);
                        ackedSeq = r.seq();
                    }
                }
                List<Command> out = new ArrayList<>();
                for (Command c : commands) {
                    if (resendAllCommands || c.seq() > req.lastCommandSeq()) {
                        out.add(c);
                    }
                }
                resp = new SyncResponse(ackedSeq, out, 0);
            }
            byte[] json = Wire.mapper().writeValueAsBytes(resp);
            statuses.add(200);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, json.length);
            ex.getResponseBody().write(json);
        }
    }

    Report latest(String unitId) {
        return latest.get(unitId);
    }

    String state(String unitId) {
        Report r = latest.get(unitId);
        return r == null ? null : r.state();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    /** Waits for a condition with a deadline; fails with {@code what} when it does not come true. */
    static void await(String what, Duration timeout, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }
}
