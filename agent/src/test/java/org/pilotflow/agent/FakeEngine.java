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
import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;

/**
 * A minimal engine endpoint for tests: applies reports in seq order, acks them, hands out commands. Several
 * instances made with {@link #sibling()} are nodes of one engine cluster: they share the applied reports, the
 * acknowledged seq and the commands (the database), each with its own port, requests and statuses.
 */
final class FakeEngine implements AutoCloseable {
    /** What the nodes of one cluster share. */
    private static final class Db {
        final List<Report> applied = new CopyOnWriteArrayList<>();
        final Map<String, Report> latest = new ConcurrentHashMap<>();
        final List<Command> commands = new ArrayList<>();
        long ackedSeq;
    }

    final String secret;
    final HttpServer server;
    private final Db db;
    final List<SyncRequest> requests = new CopyOnWriteArrayList<>();
    final List<Report> applied;
    final Map<String, Report> latest;
    final List<Integer> statuses = new CopyOnWriteArrayList<>();
    volatile boolean acking = true;
    volatile boolean refuseAll;
    volatile int failWith; // answers every sync with this HTTP status (0: serves normally)
    volatile boolean failHeard; // marks those answers Wire.HEARD, as PilotFlow's own 503 "busy" is
    volatile boolean resendAllCommands; // sends every command in every response (duplicates)
    volatile List<String> endpointsToSend; // the live nodes this node names in its responses (null: none)
    volatile long holdEmptyMillis; // holds a sync with nothing to carry either way this long (a long poll)

    FakeEngine(String secret) throws IOException {
        this(secret, new Db());
    }

    private FakeEngine(String secret, Db db, SSLContext tls) throws IOException {
        this.secret = secret;
        this.db = db;
        this.applied = db.applied;
        this.latest = db.latest;
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        if (tls == null) {
            server = HttpServer.create(any, 0);
        } else {
            HttpsServer https = HttpsServer.create(any, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.createContext("/pilots/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
    }

    private FakeEngine(String secret, Db db) throws IOException {
        this(secret, db, null);
    }

    /** Another node of this engine's cluster, on its own port. */
    FakeEngine sibling() throws IOException {
        return new FakeEngine(secret, db);
    }

    /** Another node of this engine's cluster that serves HTTPS with {@code tls}'s key. */
    FakeEngine tlsSibling(SSLContext tls) throws IOException {
        return new FakeEngine(secret, db, tls);
    }

    String endpoint() {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:"
                + server.getAddress().getPort();
    }

    void command(Command c) {
        synchronized (db) {
            db.commands.add(c);
        }
    }

    long nextCommandSeq() {
        synchronized (db) {
            return db.commands.size() + 1;
        }
    }

    long ackedSeq() {
        synchronized (db) {
            return db.ackedSeq;
        }
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
            if (failWith != 0) {
                statuses.add(failWith);
                if (failHeard) {
                    ex.getResponseHeaders().add(Wire.HEARD, "true");
                }
                ex.sendResponseHeaders(failWith, -1);
                return;
            }
            SyncRequest req = Wire.mapper().readValue(body, SyncRequest.class);
            requests.add(req);
            SyncResponse resp;
            boolean empty;
            synchronized (db) {
                for (Report r : req.reports()) {
                    if (acking && r.seq() == db.ackedSeq + 1) {
                        db.applied.add(r);
                        db.latest.put(r.unitId() == null ? "pilot" : r.unitId(), r);
                        db.ackedSeq = r.seq();
                    }
                }
                List<Command> out = new ArrayList<>();
                for (Command c : db.commands) {
                    if (resendAllCommands || c.seq() > req.lastCommandSeq()) {
                        out.add(c);
                    }
                }
                resp = new SyncResponse(db.ackedSeq, out, 0, endpointsToSend);
                empty = req.reports().isEmpty() && out.isEmpty();
            }
            if (empty && holdEmptyMillis > 0) { // PilotFlow's engine answers when a command commits; this one never
                try {
                    Thread.sleep(holdEmptyMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
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
