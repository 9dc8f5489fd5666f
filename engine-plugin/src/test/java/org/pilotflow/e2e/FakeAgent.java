package org.pilotflow.e2e;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.pilotflow.api.Session;
import org.pilotflow.internal.PilotFlowRuntime;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.Submitted;

/**
 * Stands in for the fork adapter of one engine: "launching" a pilot only records its agent configuration, so a
 * test can play the agent over the real endpoint, with full control over what it sends and when.
 */
final class FakeAgent implements ResourceAdapter {

    final Map<String, AgentConfig> launched = new ConcurrentHashMap<>();
    /** Jobs whose "agent" has ended: their status is GONE. */
    final java.util.Set<String> gone = ConcurrentHashMap.newKeySet();
    /** How often the engine asked each job's status, by job id. */
    final Map<String, java.util.concurrent.atomic.AtomicInteger> polls = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newHttpClient();

    static FakeAgent install(Session session) {
        FakeAgent fake = new FakeAgent();
        PilotFlowRuntime.of(session.processEngine()).adapters().register("fork", fake);
        return fake;
    }

    @Override
    public Submitted submit(PilotLaunch launch) {
        launched.put(launch.pilotId(), launch.agent());
        return new Submitted(new JobHandle("fork", jobId(launch.pilotId())), launch.sandbox());
    }

    @Override
    public JobStatus status(JobHandle handle) {
        polls.computeIfAbsent(handle.id(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        return gone.contains(handle.id()) ? JobStatus.gone("the fake agent ended") : JobStatus.running();
    }

    /** The job id the fake gives a pilot. */
    static String jobId(String pilotId) {
        return "fake-" + pilotId;
    }

    int pollsOf(String pilotId) {
        var n = polls.get(jobId(pilotId));
        return n == null ? 0 : n.get();
    }

    @Override
    public void kill(JobHandle handle) {
    }

    AgentConfig awaitLaunch(String pilotId) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!launched.containsKey(pilotId)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("pilot " + pilotId + " was not launched within 30 s");
            }
            Thread.sleep(20);
        }
        return launched.get(pilotId);
    }

    /** An answer: its status, its body when 200, and whether the engine marked it {@link Wire#HEARD}. */
    record Answer(int status, SyncResponse response, boolean heard) { }

    Answer sync(AgentConfig cfg, String secret, List<Report> reports, long lastCommandSeq) throws Exception {
        String url = cfg.endpoint() + String.format(Wire.SYNC_PATH_FORMAT, cfg.pilotId());
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Wire.mapper().writeValueAsBytes(
                        new SyncRequest(cfg.pilotId(), System.currentTimeMillis(), 0, "test", reports,
                                lastCommandSeq))));
        if (secret != null) {
            req.header(Wire.AUTHORIZATION, Wire.BEARER + secret);
        }
        HttpResponse<byte[]> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        SyncResponse body = resp.statusCode() == 200
                ? Wire.mapper().readValue(resp.body(), SyncResponse.class) : null;
        return new Answer(resp.statusCode(), body, resp.headers().firstValue(Wire.HEARD).isPresent());
    }

    static Report unit(long seq, String unitId, String state, Map<String, Long> ts, Integer exit) {
        return new Report(seq, unitId, state, ts, exit, null, exit == null ? null : "out " + unitId, null, null,
                List.of());
    }

    static Report pilot(long seq, String state) {
        return new Report(seq, null, state, Map.of(), null, null, null, null, null, List.of());
    }
    /** Plays this fake's agent of one pilot: reports ACTIVE at once, then counts the RUN_UNIT commands it gets. */
    Player player(AgentConfig cfg) throws Exception {
        return new Player(cfg);
    }

    final class Player {
        private static final Duration WITHIN = Duration.ofSeconds(60);
        final AgentConfig cfg;
        final Map<String, Integer> runs = new java.util.HashMap<>();
        long lastCommand;
        long seq;

        private Player(AgentConfig cfg) throws Exception {
            this.cfg = cfg;
            report(pilot(++seq, "ACTIVE"));
        }

        /** Syncs until the unit's {@code n}th RUN_UNIT has arrived. */
        void awaitRun(String unitId, int n) throws Exception {
            long deadline = System.nanoTime() + WITHIN.toNanos();
            while (runs.getOrDefault(unitId, 0) < n) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("RUN_UNIT #" + n + " of " + unitId + " not sent within " + WITHIN);
                }
                Answer a = sync(cfg, cfg.secret(), List.of(), lastCommand);
                if (a.status() != 200) {
                    throw new AssertionError("sync answered " + a.status());
                }
                for (org.pilotflow.model.wire.Command c : a.response().commands()) {
                    if (c.type() == org.pilotflow.model.wire.Command.Type.RUN_UNIT) {
                        runs.merge(c.unitId(), 1, Integer::sum);
                    }
                    lastCommand = Math.max(lastCommand, c.seq());
                }
            }
        }

        /** Reports the unit EXECUTING (the agent's clock). */
        void executing(String unitId) throws Exception {
            report(unit(++seq, unitId, "EXECUTING", Map.of("EXECUTING", System.currentTimeMillis()), null));
        }

        void failed(String unitId, org.pilotflow.model.ErrorCode code, String reason) throws Exception {
            long now = System.currentTimeMillis();
            report(new Report(++seq, unitId, "FAILED", Map.of("EXECUTING", now, "FAILED", now), null, reason,
                    null, null, null, List.of(), null, code.name()));
        }

        void report(Report r) throws Exception {
            Answer a = sync(cfg, cfg.secret(), List.of(r), lastCommand);
            if (a.status() != 200) {
                throw new AssertionError("report #" + r.seq() + " answered " + a.status());
            }
        }
    }
}
