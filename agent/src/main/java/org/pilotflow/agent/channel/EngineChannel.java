package org.pilotflow.agent.channel;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's side of the channel: one thread, one HTTP request in flight at a time. Each sync POSTs a
 * {@link SyncRequest} (heartbeat, unacknowledged reports in seq order, highest command taken) to
 * {@code <endpoint>/pilots/<pilotId>/sync} with {@code Authorization: Bearer <secret>} and applies the
 * {@link SyncResponse}: drops acknowledged reports, takes commands with a seq above the highest taken (in seq
 * order) and hands them to the {@link Listener}.
 *
 * <p>Pacing: sync again at once while reports are pending or the last response carried commands; otherwise wait
 * {@link #IDLE_PAUSE_MILLIS} (at most the heartbeat interval) or until a report is queued. Errors are retried with
 * backoff (100 ms doubling to 2 s); HTTP 401/403 (secret refused) likewise, logged as errors. Without a successful
 * response for the orphan timeout the listener's {@link Listener#orphaned} is called and the loop ends.
 */
public final class EngineChannel implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineChannel.class);

    public static final int MAX_BATCH = 2000;
    public static final long IDLE_PAUSE_MILLIS = 150;
    static final long BACKOFF_START_MILLIS = 100;
    static final long BACKOFF_MAX_MILLIS = 2000;

    /** Called from the channel thread. */
    public interface Listener {
        /** New commands (seq above every one taken before), in seq order. */
        void commands(List<Command> commands);

        /** No successful response for {@code silentMillis}; the channel has stopped. */
        void orphaned(long silentMillis);
    }

    private final String pilotId;
    private final URI uri;
    private final String authorization;
    private final long orphanTimeoutMillis;
    private final ReportQueue queue;
    private final Listener listener;
    private final long pid;
    private final String host;
    private final HttpClient http;

    private volatile boolean stopped;
    private volatile long heartbeatMillis;
    private volatile long lastCommandSeq;
    private volatile long lastSuccessNanos;
    private volatile long syncs;
    private volatile long failures;

    public EngineChannel(String pilotId, String endpoint, String secret, long heartbeatMillis,
                         long orphanTimeoutMillis, ReportQueue queue, Listener listener, String host) {
        this.pilotId = pilotId;
        String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.uri = URI.create(base + String.format(Wire.SYNC_PATH_FORMAT, pilotId));
        this.authorization = Wire.BEARER + secret;
        this.heartbeatMillis = heartbeatMillis;
        this.orphanTimeoutMillis = orphanTimeoutMillis;
        this.queue = queue;
        this.listener = listener;
        this.pid = ProcessHandle.current().pid();
        this.host = host;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(Math.max(500, Math.min(5000, orphanTimeoutMillis / 2))))
                .build();
    }

    public URI uri() {
        return uri;
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

    /** Ends the loop after the request in flight (if any). */
    public void stop() {
        stopped = true;
        queue.wakeUp();
    }

    @Override
    public void run() {
        lastSuccessNanos = System.nanoTime();
        long backoff = BACKOFF_START_MILLIS;
        int failuresInRow = 0;
        long lastRefusalLog = 0;
        try {
            while (!stopped) {
                long silent = (System.nanoTime() - lastSuccessNanos) / 1_000_000L;
                if (silent >= orphanTimeoutMillis) {
                    stopped = true;
                    listener.orphaned(silent);
                    return;
                }
                List<Report> batch = queue.nextBatch(MAX_BATCH);
                SyncRequest req = new SyncRequest(pilotId, System.currentTimeMillis(), pid, host, batch,
                        lastCommandSeq);
                String failure;
                int status = 0;
                SyncResponse resp = null;
                try {
                    HttpResponse<byte[]> r = http.send(request(req, orphanTimeoutMillis - silent),
                            HttpResponse.BodyHandlers.ofByteArray());
                    status = r.statusCode();
                    if (status / 100 == 2) {
                        resp = Wire.mapper().readValue(r.body(), SyncResponse.class);
                        failure = null;
                    } else {
                        failure = "HTTP " + status;
                    }
                } catch (IOException e) {
                    failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                }
                syncs++;
                if (resp == null) {
                    failures++;
                    failuresInRow++;
                    if (status == 401 || status == 403) {
                        long now = System.nanoTime();
                        if (failuresInRow == 1 || now - lastRefusalLog > 10_000_000_000L) {
                            LOG.error("engine refused the pilot secret ({}) at {}; retrying until the orphan "
                                    + "timeout ({} ms)", failure, uri, orphanTimeoutMillis);
                            lastRefusalLog = now;
                        }
                    } else if (failuresInRow == 1) {
                        LOG.warn("sync with {} failed ({}); retrying with backoff", uri, failure);
                    } else {
                        LOG.debug("sync failed again ({}, {} in a row)", failure, failuresInRow);
                    }
                    sleep(backoff);
                    backoff = Math.min(BACKOFF_MAX_MILLIS, backoff * 2);
                    continue;
                }
                if (failuresInRow > 0) {
                    LOG.info("engine reachable again after {} failed syncs", failuresInRow);
                }
                failuresInRow = 0;
                backoff = BACKOFF_START_MILLIS;
                lastSuccessNanos = System.nanoTime();
                queue.ack(resp.ackedSeq());
                if (resp.heartbeatIntervalMillis() > 0) {
                    heartbeatMillis = resp.heartbeatIntervalMillis();
                }
                List<Command> fresh = take(resp.commands());
                if (!fresh.isEmpty()) {
                    listener.commands(fresh);
                }
                if (!resp.commands().isEmpty() || queue.hasPending()) {
                    continue; // at once
                }
                queue.awaitPending(Math.min(IDLE_PAUSE_MILLIS, heartbeatMillis));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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

    private HttpRequest request(SyncRequest req, long millisToOrphan) throws IOException {
        byte[] body = Wire.mapper().writeValueAsBytes(req);
        // the engine may hold an empty sync ~500 ms (long poll); never wait past the orphan deadline
        long timeout = Math.max(1000, Math.min(30_000, millisToOrphan));
        return HttpRequest.newBuilder(uri)
                .timeout(Duration.ofMillis(timeout))
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
