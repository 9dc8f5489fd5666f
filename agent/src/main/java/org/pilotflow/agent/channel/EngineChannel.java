package org.pilotflow.agent.channel;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The agent's side of the channel: one thread (and one that sends its long polls, see Threads), one HTTP request in
 * flight at a time (besides an abandoned long poll, see Pacing). Each sync POSTs a {@link SyncRequest} (heartbeat,
 * unacknowledged reports in seq order, highest command taken) to {@code <endpoint>/pilots/<pilotId>/sync} with
 * {@code Authorization: Bearer <secret>} and applies the {@link SyncResponse}: drops acknowledged reports, takes
 * commands with a seq above the highest taken (in seq order) and hands them to the {@link Listener}.
 *
 * <p>Pacing: sync again at once; the engine holds a sync that carries no reports while it has nothing for the agent
 * (its long poll: answered when a command commits, or after the heartbeat interval, at most 1 s), so a new unit's
 * command reaches an idle agent as soon as it commits. Only an empty sync answered at once (an engine that does not
 * hold, or one stopping) is followed by a pause of {@link #IDLE_PAUSE_MILLIS} (at most the heartbeat interval) or
 * until a report is queued, so such an engine is not polled in a loop. A report queued while a sync is held cuts it
 * short (the request is abandoned and the report goes at once), so an idle agent's DONE does not wait for the long
 * poll to end. Abandoning a held sync loses nothing: it carried no reports, and commands it may have brought come
 * again, since the next sync names the highest command taken. (Until the engine's server sent its answers without
 * Nagle's delay, polling again at once measured slower than pausing; with it, one unit every 100 ms, submit ->
 * EXECUTING went from 92 to 16 ms p50, PeerBenchmark.)
 *
 * <p>Failover: the channel knows a list of engine endpoints (any engine node serves any agent) and syncs with one
 * at a time. A connection failure or timeout, an HTTP 5xx, a 404 (the node does not know the pilot) or a 401/403
 * (the node refused the secret, perhaps before seeing it committed) sends the next sync to the next endpoint,
 * round robin. Re-sending the same batch to another node is safe: reports are numbered and the engine applies each
 * once. Backoff (100 ms doubling to 2 s) starts only after every endpoint failed in a row, so a dead node costs
 * one failed request; with one endpoint every failure backs off. Other failures (e.g. HTTP 400) are retried on the
 * same endpoint with backoff. A response that names endpoints replaces the list unless the endpoints are fixed;
 * the channel stays on its endpoint if the new list has it. Without an answer from a live engine for the orphan
 * timeout (a success, or an error the engine marks {@link Wire#HEARD}, such as 503 busy) the listener's
 * {@link Listener#orphaned} is called and the loop ends.
 *
 * <p>Threads: everything but the volatile fields is owned by the channel thread ({@link #run}); other threads
 * only read the volatile fields ({@link #currentEndpoint()}, {@link #endpoints()}, the counters) and call
 * {@link #stop()}. A sync that may be held is sent by a thread of the channel's own ({@code pilotflow-poll}, the same
 * one each time, for as long as {@link #run} runs) with a blocking send, so that the channel thread can wait for its
 * answer or a report, whichever comes first: not with {@link HttpClient#sendAsync}, whose future the JDK completes on
 * its default async executor (checked up to 25): the common pool, which function units' code may keep busy, and on a
 * host of 1-2 cores (JDK 17-24) a new thread for every answer.
 */
public final class EngineChannel implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineChannel.class);

    public static final int MAX_BATCH = 2000;
    /** About this much JSON per sync at most: well under the engine's request limit (64 MiB). */
    static final long MAX_BATCH_BYTES = 8L << 20;
    public static final long IDLE_PAUSE_MILLIS = 150;
    static final long BACKOFF_START_MILLIS = 100;
    static final long BACKOFF_MAX_MILLIS = 2000;
    /** The longest a request may take; also the only bound with a single endpoint. */
    static final long MAX_REQUEST_MILLIS = 30_000;
    /** The shortest request timeout when failing over: above the engine's long poll (at most 1 s). */
    static final long MIN_FAILOVER_REQUEST_MILLIS = 2000;
    private static final long REFUSAL_LOG_EVERY_NANOS = 10_000_000_000L;

    /** Called from the channel thread. */
    public interface Listener {
        /** New commands (seq above every one taken before), in seq order. */
        void commands(List<Command> commands);

        /** No successful response for {@code silentMillis}; the channel has stopped. */
        void orphaned(long silentMillis);
    }

    private final String pilotId;
    private final boolean fixedEndpoints;
    private final String authorization;
    private final long orphanTimeoutMillis;
    private final ReportQueue queue;
    private final Listener listener;
    private final long pid;
    private final String host;
    private final Duration connectTimeout;
    /** Owned by the channel thread; a sync the poll thread sends takes the client the channel thread gave it. */
    private HttpClient http;

    // written by the channel thread only; volatile where other threads read them
    private volatile List<String> endpoints;
    private int current;
    private volatile String currentEndpoint;
    private List<String> lastOffered = List.of();

    private volatile boolean stopped;
    private volatile long heartbeatMillis;
    private volatile long lastCommandSeq;
    /** When an engine last answered a sync as heard (a 2xx, or an error it marked {@link Wire#HEARD}). */
    private volatile long lastHeardNanos;
    private volatile long syncs;
    private volatile long failures;
    private volatile long switches;
    private volatile long cutShort;

    /**
     * @param endpoints      the engine's base URLs in order of preference (not empty; each valid per
     *                       {@link #endpointProblem})
     * @param fixedEndpoints true: never adopt the endpoint lists the engine sends
     */
    public EngineChannel(String pilotId, List<String> endpoints, boolean fixedEndpoints, String secret,
                         long heartbeatMillis, long orphanTimeoutMillis, ReportQueue queue, Listener listener,
                         String host) {
        this.pilotId = pilotId;
        this.fixedEndpoints = fixedEndpoints;
        this.endpoints = normalize(endpoints);
        if (this.endpoints.isEmpty()) {
            throw new IllegalArgumentException("no engine endpoint");
        }
        for (String e : this.endpoints) {
            String problem = endpointProblem(e);
            if (problem != null) {
                throw new IllegalArgumentException("engine endpoint '" + e + "' is not an http(s) URL: " + problem);
            }
        }
        this.currentEndpoint = this.endpoints.get(0);
        this.authorization = Wire.BEARER + secret;
        this.heartbeatMillis = heartbeatMillis;
        this.orphanTimeoutMillis = orphanTimeoutMillis;
        this.queue = queue;
        this.listener = listener;
        this.pid = ProcessHandle.current().pid();
        this.host = host;
        this.connectTimeout = Duration.ofMillis(Math.max(500, Math.min(5000, orphanTimeoutMillis / 2)));
        this.http = client(anyTls(this.endpoints), connectTimeout);
    }

    /**
     * The channel's HTTP client. Without TLS it gets a context of its own that refuses every TLS peer, because the
     * JDK's client otherwise builds the default context, which reads the JVM's trust store: 0.05-0.1 s of an
     * agent's start whose endpoints are all {@code http://} (examples' agent_first_request.py). With TLS it takes the
     * JVM's default context (its trust store and {@code javax.net.ssl.*} settings), as before.
     */
    static HttpClient client(boolean tls, Duration connectTimeout) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout);
        if (!tls) {
            b.sslContext(PlainHttpOnly.CONTEXT);
        }
        return b.build();
    }

    /** Whether the channel's client speaks TLS (see {@link #client}); read on the channel thread, or before it runs. */
    boolean speaksTls() {
        return http.sslContext() != PlainHttpOnly.CONTEXT;
    }

    private static boolean anyTls(List<String> endpoints) {
        return endpoints.stream().anyMatch(e -> e.regionMatches(true, 0, "https:", 0, 6));
    }

    /** A TLS context that trusts no one: what the client of a channel without https endpoints is built with. */
    private static final class PlainHttpOnly {
        static final SSLContext CONTEXT = create();
        static final String REFUSAL = "this channel has no https endpoint";

        private static SSLContext create() {
            X509TrustManager none = new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType)
                        throws CertificateException {
                    throw new CertificateException(REFUSAL);
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType)
                        throws CertificateException {
                    throw new CertificateException(REFUSAL);
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            };
            try {
                SSLContext c = SSLContext.getInstance("TLS");
                c.init(new KeyManager[0], new TrustManager[] {none}, null);
                return c;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("this JVM has no TLS provider: " + e, e);
            }
        }
    }

    /** Why {@code endpoint} cannot be an engine endpoint, or null when it can: an http(s) URL with a host. */
    public static String endpointProblem(String endpoint) {
        if (endpoint == null || endpoint.isBlank()) {
            return "missing or blank";
        }
        try {
            URI u = URI.create(endpoint);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                return "expected http(s)://host:port";
            }
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** The endpoint the next sync goes to (the one in use). */
    public String currentEndpoint() {
        return currentEndpoint;
    }

    /** The endpoints the channel fails over between, in order. */
    public List<String> endpoints() {
        return endpoints;
    }

    /** The sync URI of the endpoint in use. */
    public URI uri() {
        return syncUri(currentEndpoint);
    }

    public long lastCommandSeq() {
        return lastCommandSeq;
    }

    public long syncCount() {
        return syncs;
    }

    public long failureCount() {
        return failures;
    }

    /** How often a held sync was abandoned because a report came (see the class comment). */
    public long cutShortCount() {
        return cutShort;
    }

    /** How often the channel moved to another endpoint because the one in use failed or left the list. */
    public long switchCount() {
        return switches;
    }

    /** Ends the loop after the request in flight (if any). */
    public void stop() {
        stopped = true;
        queue.wakeUp();
    }

    /** Runs the channel until it is stopped or orphaned; once. */
    @Override
    public void run() {
        // sends the syncs that may be held, one at a time; interrupted to abandon one
        ExecutorService poller = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pilotflow-poll");
            t.setDaemon(true);
            return t;
        });
        lastHeardNanos = System.nanoTime();
        long backoff = BACKOFF_START_MILLIS;
        int failuresInRow = 0;
        int failedInRound = 0; // endpoints that failed one after the other since the last success or backoff
        boolean allFailed = false; // a whole round failed: switches are no longer news worth an INFO line each
        boolean backedOff = false;
        long lastRefusalLog = System.nanoTime() - REFUSAL_LOG_EVERY_NANOS;
        try {
            while (!stopped) {
                long silent = (System.nanoTime() - lastHeardNanos) / 1_000_000L;
                if (silent >= orphanTimeoutMillis) {
                    stopped = true;
                    listener.orphaned(silent);
                    return;
                }
                List<Report> batch = queue.nextBatch(MAX_BATCH, MAX_BATCH_BYTES);
                SyncRequest req = new SyncRequest(pilotId, System.currentTimeMillis(), pid, host, batch,
                        lastCommandSeq);
                String at = endpoints.get(current);
                String failure;
                int status = 0;
                SyncResponse resp = null;
                long sentNanos = System.nanoTime();
                try {
                    HttpRequest httpRequest = request(at, req, orphanTimeoutMillis - silent);
                    HttpResponse<byte[]> r = batch.isEmpty() ? sendUnlessAReportComes(poller, httpRequest)
                            : http.send(httpRequest, HttpResponse.BodyHandlers.ofByteArray());
                    if (r == null) { // a report came while the engine held the sync: send it now
                        cutShort++;
                        continue;
                    }
                    status = r.statusCode();
                    if (r.headers().firstValue(Wire.HEARD).isPresent()) {
                        // a live engine took the sync in (and counts this agent as heard) but could not work on
                        // it now, e.g. 503 busy: not a reason to feel orphaned
                        lastHeardNanos = System.nanoTime();
                    }
                    if (status / 100 == 2) {
                        resp = Wire.mapper().readValue(r.body(), SyncResponse.class);
                        failure = null;
                    } else {
                        failure = "HTTP " + status;
                    }
                } catch (IOException e) { // ConnectException, HttpTimeoutException, or a body that is no response
                    status = 0;
                    failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                }
                syncs++;
                if (resp == null) {
                    failures++;
                    failuresInRow++;
                    boolean refused = status == 401 || status == 403;
                    if (refused) {
                        long now = System.nanoTime();
                        if (failuresInRow == 1 || now - lastRefusalLog >= REFUSAL_LOG_EVERY_NANOS) {
                            LOG.error("engine refused the pilot secret ({}) at {}; retrying until the orphan "
                                    + "timeout ({} ms)", failure, syncUri(at), orphanTimeoutMillis);
                            lastRefusalLog = now;
                        }
                    }
                    int n = endpoints.size();
                    if (n > 1 && failsOver(status)) {
                        failedInRound++;
                        current = (current + 1) % n;
                        currentEndpoint = endpoints.get(current);
                        switches++;
                        if (failedInRound < n) {
                            LOG.atLevel(allFailed ? Level.DEBUG : Level.INFO).log(
                                    "engine endpoint {} unreachable ({}); trying {}", at, failure, currentEndpoint);
                            continue; // no backoff: the next node is probably fine
                        }
                        if (!allFailed) {
                            LOG.warn("all {} engine endpoints failed (the last, {}: {}); retrying them with backoff",
                                    n, at, failure);
                            allFailed = true;
                        }
                        failedInRound = 0;
                    } else if (!refused) {
                        if (failuresInRow == 1) {
                            LOG.warn("sync with {} failed ({}); retrying with backoff", syncUri(at), failure);
                        } else {
                            LOG.debug("sync failed again ({}, {} in a row)", failure, failuresInRow);
                        }
                    }
                    sleep(backoff);
                    backoff = Math.min(BACKOFF_MAX_MILLIS, backoff * 2);
                    backedOff = true;
                    continue;
                }
                if (backedOff) { // a failover without backoff was logged as the switch already
                    LOG.info("engine reachable again at {} after {} failed syncs", at, failuresInRow);
                }
                failuresInRow = 0;
                failedInRound = 0;
                allFailed = false;
                backedOff = false;
                backoff = BACKOFF_START_MILLIS;
                lastHeardNanos = System.nanoTime();
                queue.ack(resp.ackedSeq());
                if (resp.heartbeatIntervalMillis() > 0) {
                    heartbeatMillis = resp.heartbeatIntervalMillis();
                }
                adopt(resp.endpoints());
                List<Command> fresh = take(resp.commands());
                if (!fresh.isEmpty()) {
                    listener.commands(fresh);
                }
                if (!resp.commands().isEmpty() || queue.hasPending()) {
                    continue; // at once
                }
                if (!batch.isEmpty() || System.nanoTime() - sentNanos >= IDLE_PAUSE_MILLIS * 1_000_000L) {
                    continue; // the next sync is a long poll the engine holds: a new unit's command comes at once
                }
                // an empty sync the engine did not hold (an engine stopping, or one that does not hold): not in a loop
                queue.awaitPending(Math.min(IDLE_PAUSE_MILLIS, heartbeatMillis));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            poller.shutdownNow();
        }
    }

    /**
     * Sends a sync that carries no reports, which the engine may hold, on {@code poller}'s thread; abandons it when a
     * report is queued (or the channel stops) before the answer, and returns null then.
     */
    private HttpResponse<byte[]> sendUnlessAReportComes(ExecutorService poller, HttpRequest request)
            throws IOException, InterruptedException {
        HttpClient client = http;
        FutureTask<HttpResponse<byte[]>> answer = new FutureTask<>(
                () -> client.send(request, HttpResponse.BodyHandlers.ofByteArray())) {
            @Override
            protected void done() { // once isDone(): an answer ends the channel thread's wait below
                if (!isCancelled()) { // a cancel is the channel thread's own doing: it waits no more
                    queue.wakeUp();
                }
            }
        };
        poller.execute(answer);
        // the request's own timeout ends the send; this bound only guards against a poll thread that never runs it
        long bound = MAX_REQUEST_MILLIS + MIN_FAILOVER_REQUEST_MILLIS;
        long deadline = System.nanoTime() + bound * 1_000_000L;
        while (!answer.isDone()) {
            if (queue.hasPending() || stopped) {
                answer.cancel(true); // interrupts the send, which aborts the exchange (its connection is closed)
                return null;
            }
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                answer.cancel(true);
                throw new HttpTimeoutException("no answer to a long poll within " + bound + " ms");
            }
            queue.awaitPendingOr(() -> answer.isDone() || stopped, left);
        }
        try {
            return answer.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (CancellationException e) {
            return null;
        }
    }

    /** Whether a failed sync with this status (0: no HTTP response) should go to the next endpoint. */
    private static boolean failsOver(int status) {
        return status == 0 || status / 100 == 5 || status == 404 || status == 401 || status == 403;
    }

    /** Takes the engine's list of live endpoints, if it sent one and the endpoints are not fixed. */
    private void adopt(List<String> offered) {
        if (offered.isEmpty() || offered.equals(lastOffered)) {
            return; // the engine repeats its list in every response; look at each list once
        }
        lastOffered = offered;
        if (fixedEndpoints) {
            LOG.debug("engine offers endpoints {}; ignored, the endpoints are fixed", offered);
            return;
        }
        List<String> fresh = new ArrayList<>();
        for (String e : normalize(offered)) {
            String problem = endpointProblem(e);
            if (problem == null) {
                fresh.add(e);
            } else {
                LOG.warn("engine offers endpoint '{}', which is not an http(s) URL ({}); ignored", e, problem);
            }
        }
        if (fresh.isEmpty() || fresh.equals(endpoints)) {
            return;
        }
        String at = endpoints.get(current);
        int keep = fresh.indexOf(at); // stay on a node that is still live: no needless switch
        LOG.info("engine endpoints now {} (were {}){}", fresh, endpoints,
                keep >= 0 ? "" : "; " + at + " left the list, switching to " + fresh.get(0));
        if (!speaksTls() && anyTls(fresh)) { // its client refuses TLS: one that speaks it, from now on
            http = client(true, connectTimeout);
        }
        endpoints = List.copyOf(fresh);
        current = Math.max(keep, 0);
        currentEndpoint = endpoints.get(current);
        if (keep < 0) {
            switches++;
        }
    }

    /** Without trailing slashes and duplicates, in the given order. */
    private static List<String> normalize(List<String> urls) {
        List<String> out = new ArrayList<>(urls.size());
        for (String u : urls) {
            String s = u == null ? null : u.strip();
            while (s != null && s.endsWith("/")) {
                s = s.substring(0, s.length() - 1);
            }
            if (s != null && !out.contains(s)) {
                out.add(s);
            }
        }
        return List.copyOf(out);
    }

    private List<Command> take(List<Command> commands) {
        if (commands.isEmpty()) {
            return List.of();
        }
        List<Command> sorted = new ArrayList<>(commands);
        sorted.sort(Comparator.comparingLong(Command::seq));
        List<Command> fresh = new ArrayList<>(sorted.size());
        long highest = lastCommandSeq;
        for (Command c : sorted) {
            if (c.seq() > highest) {
                fresh.add(c);
                highest = c.seq();
            }
        }
        lastCommandSeq = highest;
        return fresh;
    }

    private URI syncUri(String endpoint) {
        return URI.create(endpoint + String.format(Wire.SYNC_PATH_FORMAT, pilotId));
    }

    /**
     * The request timeout: never past the orphan deadline, at most {@link #MAX_REQUEST_MILLIS}. With other
     * endpoints to fail over to, ten heartbeats (at least {@link #MIN_FAILOVER_REQUEST_MILLIS}), so a frozen node
     * is left within seconds; the engine may hold a request up to 1 s (long poll) or a few seconds (a big batch
     * under load), and a timed-out batch is simply sent again to the next node.
     */
    long requestTimeoutMillis(long millisToOrphan) {
        long bound = MAX_REQUEST_MILLIS;
        if (endpoints.size() > 1) {
            bound = Math.min(bound, Math.max(MIN_FAILOVER_REQUEST_MILLIS, heartbeatMillis * 10));
        }
        return Math.max(1000, Math.min(bound, millisToOrphan));
    }

    private HttpRequest request(String endpoint, SyncRequest req, long millisToOrphan) throws IOException {
        byte[] body = Wire.mapper().writeValueAsBytes(req);
        return HttpRequest.newBuilder(syncUri(endpoint))
                .timeout(Duration.ofMillis(requestTimeoutMillis(millisToOrphan)))
                .header(Wire.AUTHORIZATION, authorization)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    private void sleep(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!stopped) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.min(left, 50));
        }
    }
}
