package org.pilotflow.internal.channel;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.store.CommandTable;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.PilotTable;
import org.pilotflow.model.wire.Command;
import org.pilotflow.model.wire.Report;
import org.pilotflow.model.wire.SyncRequest;
import org.pilotflow.model.wire.SyncResponse;
import org.pilotflow.model.wire.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent sync, from its arrival to its answer: authenticate (the pilot's secret, compared as a SHA-256 in
 * constant time), record the contact, apply the reports, hand out the commands above the agent's last one (from
 * the database: a command queued on any node reaches the agent through any node), and hold a sync that has
 * nothing to carry (a long poll). An agent whose pilot has ended here hears CANCEL_PILOT, so it stops too.
 */
public final class SyncService {

    private static final Logger LOG = LoggerFactory.getLogger(SyncService.class);
    static final int MAX_COMMANDS = 2000;

    /**
     * The answer to a sync: an HTTP status, a JSON body, and whether the sync counted as its agent's contact (the
     * endpoint then sends {@link Wire#HEARD}).
     */
    public record Answer(int status, byte[] body, boolean heard) {
        Answer(int status, byte[] body) {
            this(status, body, false);
        }

        static Answer error(int status, String message) {
            return new Answer(status, ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
        }

        Answer asHeard() {
            return new Answer(status, body, true);
        }
    }

    /** Where an answer goes once it is ready (possibly on another thread). */
    public interface Reply {
        void send(Answer answer);
    }

    private final Transactions txs;
    private final ReportApplier applier;
    private final ContactBook contacts;
    private final LongPolls polls;
    private final long heartbeatMillis;
    private final long pollMillis;
    private final Function<PilotKey, List<String>> endpoints;
    /** Secret hashes by pilot: they change only with a new launch attempt, so a miss re-reads them once. */
    private final Map<PilotKey, List<String>> secrets = new ConcurrentHashMap<>();

    SyncService(Transactions txs, ReportApplier applier, ContactBook contacts, LongPolls polls, long heartbeatMillis,
                Function<PilotKey, List<String>> endpoints) {
        this.txs = txs;
        this.applier = applier;
        this.contacts = contacts;
        this.polls = polls;
        this.heartbeatMillis = heartbeatMillis;
        // an idle agent is held up to its heartbeat interval: a new command wakes it at once, and each held sync
        // is one less the engine has to work on
        this.pollMillis = Math.min(heartbeatMillis, 1000);
        this.endpoints = endpoints;
    }

    /**
     * Takes a sync on the endpoint's thread: checks the secret (from this node's cache; the database once per pilot)
     * and counts the agent as heard from this moment, also while its sync waits for a worker, then queues it. A
     * full queue answers 503 at once (the agent backs off and sends it again), so no sync waits long unseen.
     * {@code reply} is called exactly once.
     */
    void accept(String sessionId, String pilotUid, String authorization, byte[] body, Reply reply,
                Executor workers) {
        PilotKey pilot = new PilotKey(sessionId, pilotUid);
        try {
            List<String> hashes = secretHashes(pilot, false);
            if (hashes == null) {
                reply.send(Answer.error(404, "unknown pilot"));
                return;
            }
            if (!authorized(authorization, hashes) && !authorized(authorization, secretHashes(pilot, true))) {
                LOG.warn("refused a sync for pilot {}: wrong or missing secret", pilot);
                reply.send(Answer.error(401, "wrong secret"));
                return;
            }
        } catch (RuntimeException e) {
            LOG.warn("pilot {}: sync not answered, the agent will send it again: {}", pilot, e.toString());
            reply.send(Answer.error(503, "try again"));
            return;
        }
        contacts.arrived(pilot);
        Reply heard = answer -> reply.send(answer.asHeard());
        try {
            workers.execute(() -> handle(pilot, body, heard));
        } catch (RejectedExecutionException e) {
            contacts.answered(pilot);
            heard.send(Answer.error(503, "busy, try again"));
        }
    }

    /** Works on one sync (on a sync worker); the contact book counts it in flight until it is answered. */
    private void handle(PilotKey pilot, byte[] body, Reply reply) {
        boolean parked = false;
        try {
            SyncRequest parsed;
            try {
                parsed = Wire.mapper().readValue(body, SyncRequest.class);
            } catch (IOException e) {
                reply.send(Answer.error(400, "malformed sync request"));
                return;
            }
            if (parsed == null) { // the body "null"
                reply.send(Answer.error(400, "malformed sync request: no object"));
                return;
            }
            SyncRequest req = withoutNul(parsed);
            if (!pilot.uid().equals(req.pilotId())) {
                reply.send(Answer.error(400, "pilotId does not match the path"));
                return;
            }
            // -1: nothing applied by this sync (none carried, or another sync of the pilot is applying them here)
            long acked = req.reports().isEmpty() ? -1 : applier.apply(pilot, req.reports());
            long seen = wakes(pilot);
            Answer now = answer(pilot, req, acked, seen);
            if (now != null) {
                reply.send(now);
                return;
            }
            // nothing to carry yet: hold the sync; it stays "in flight" for the contact book until answered
            parked = true;
            Runnable answerNow = polls.park(pilot, pollMillis, () -> {
                try {
                    reply.send(later(pilot, req, acked));
                } catch (ImpossibleAck e) {
                    reply.send(Answer.error(400, e.getMessage()));
                } catch (RuntimeException e) {
                    LOG.warn("pilot {}: sync not answered, the agent will send it again: {}", pilot, e.toString());
                    reply.send(Answer.error(503, "try again"));
                } finally {
                    contacts.answered(pilot);
                }
            });
            if (wakes(pilot) != seen) {
                // a command committed after this sync looked and before it parked: its wake found nothing parked
                answerNow.run();
            }
        } catch (ImpossibleAck e) {
            reply.send(Answer.error(400, e.getMessage()));
        } catch (RuntimeException e) {
            LOG.warn("pilot {}: sync not answered, the agent will send it again: {}", pilot, e.toString());
            reply.send(Answer.error(503, "try again"));
        } finally {
            if (!parked) {
                contacts.answered(pilot);
            }
        }
    }

    /** The answer when there is something to carry (commands, an ack); null when the sync may wait. */
    private Answer answer(PilotKey pilot, SyncRequest req, long acked, long seen) {
        if (req.reports().isEmpty() && nothingNew(pilot, req.lastCommandSeq())) {
            return null;
        }
        Snapshot s = read(pilot, req.lastCommandSeq(), seen);
        if (s.commands().isEmpty() && req.reports().isEmpty()) {
            return null;
        }
        return encode(pilot, s, acked);
    }

    /** The answer to a held sync when its time is up or a command arrived. */
    private Answer later(PilotKey pilot, SyncRequest req, long acked) {
        long seen = wakes(pilot);
        Horizon h = horizons.get(pilot);
        if (h != null && nothingNew(pilot, req.lastCommandSeq())) {
            return encode(pilot, new Snapshot(h.cursor(), List.of()), acked);
        }
        return encode(pilot, read(pilot, req.lastCommandSeq(), seen), acked);
    }

    /**
     * How many times a command or the pilot's end committed on this node, counted before the parked syncs are
     * woken: a sync that looked before a wake and parks after it is answered at once, and what a read saw before a
     * wake is not kept as the pilot's horizon (it may miss that command).
     */
    private final Map<PilotKey, AtomicLong> wakeCounts = new ConcurrentHashMap<>();

    private long wakes(PilotKey pilot) {
        AtomicLong n = wakeCounts.get(pilot);
        return n == null ? 0 : n.get();
    }

    private void woken(PilotKey pilot) {
        wakeCounts.computeIfAbsent(pilot, k -> new AtomicLong()).incrementAndGet();
        horizons.remove(pilot);
        polls.wake(pilot);
    }

    /**
     * What this node last read of a pilot: an idle agent's sync is answered from it, without the database, while
     * it is younger than {@link #HORIZON_MILLIS} and nothing committed here since (a command queued on this node, the
     * pilot's end) made it stale; a command queued on another node reaches the agent at most that much later.
     */
    private record Horizon(long commandSeq, long cursor, boolean ended, long readAtNanos) { }

    static final long HORIZON_MILLIS = 1000;
    private final Map<PilotKey, Horizon> horizons = new ConcurrentHashMap<>();

    private boolean nothingNew(PilotKey pilot, long agentLastCommand) {
        Horizon h = horizons.get(pilot);
        return h != null && !h.ended() && agentLastCommand >= h.commandSeq()
                && System.nanoTime() - h.readAtNanos() < HORIZON_MILLIS * 1_000_000L;
    }

    /**
     * The request with every NUL character replaced by U+FFFD: a unit's output tail may hold binary bytes, and
     * PostgreSQL refuses a NUL in text ("invalid byte sequence"), which would make its report unappliable forever.
     */
    static SyncRequest withoutNul(SyncRequest req) {
        List<Report> reports = new ArrayList<>(req.reports().size());
        boolean changed = false;
        for (Report r : req.reports()) {
            Report clean = r == null ? null : new Report(r.seq(), clean(r.unitId()), clean(r.state()),
                    cleanKeys(r.timestamps()), r.exitCode(), clean(r.reason()), clean(r.stdoutTail()),
                    clean(r.stderrTail()), clean(r.sandbox()), r.slots() == null ? null
                    : r.slots().stream().map(SyncService::clean).toList(), r.memory(), clean(r.errorCode()),
                    r.outputs().stream().map(f -> new org.pilotflow.model.StagedFile(clean(f.target()), f.size(),
                            clean(f.checksum()))).toList());
            changed |= clean != null && !clean.equals(r);
            reports.add(clean);
        }
        String host = clean(req.host());
        if (!changed && java.util.Objects.equals(host, req.host())) {
            return req;
        }
        return new SyncRequest(req.pilotId(), req.agentTimeMillis(), req.agentPid(), host, reports,
                req.lastCommandSeq());
    }

    private static String clean(String s) {
        return s == null || s.indexOf('\0') < 0 ? s : s.replace('\0', '\uFFFD');
    }

    private static java.util.Map<String, Long> cleanKeys(java.util.Map<String, Long> m) {
        if (m == null || m.keySet().stream().noneMatch(k -> k != null && k.indexOf('\0') >= 0)) {
            return m;
        }
        java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(clean(k), v));
        return out;
    }

    private record Snapshot(long cursor, List<Command> commands) { }

    /** A sync acknowledging a command number that was never issued: answered 400, nothing deleted. */
    private static final class ImpossibleAck extends RuntimeException {
        ImpossibleAck(String message) {
            super(message, null, false, false);
        }
    }

    /** The pilot's commands above the agent's last (dropping the acknowledged ones) and its report cursor. */
    private Snapshot read(PilotKey pilot, long agentLastCommand, long seen) {
        long readAt = System.nanoTime();
        PilotTable.Head[] head = new PilotTable.Head[1];
        Snapshot s = txs.runRetrying(tx -> {
            PilotTable.Head p = PilotTable.head(tx.connection(), pilot);
            head[0] = p;
            List<Command> commands = new ArrayList<>();
            if (p != null && p.state().isFinal()) {
                // an agent the engine gave up on (a late heartbeat, say) must stop, and start nothing: it hears only
                // CANCEL_PILOT, numbered after the pilot's last command, the same in every answer (taken once)
                CommandTable.deleteAll(tx.connection(), pilot);
                if (agentLastCommand <= p.nextCommandSeq()) {
                    commands.add(Command.cancelPilot(p.nextCommandSeq() + 1));
                }
            } else {
                if (p != null && agentLastCommand > p.nextCommandSeq()) {
                    // acknowledging a number never issued would drop commands the agent has not seen
                    throw new ImpossibleAck("lastCommandSeq " + agentLastCommand + " is beyond the last command "
                            + "issued to this pilot (" + p.nextCommandSeq() + ")");
                }
                CommandTable.deleteUpTo(tx.connection(), pilot, agentLastCommand);
                commands.addAll(CommandTable.after(tx.connection(), pilot, agentLastCommand, MAX_COMMANDS));
            }
            return new Snapshot(org.pilotflow.internal.store.ChannelTable.cursor(tx.connection(), pilot), commands);
        });
        if (head[0] != null && wakes(pilot) == seen) {
            horizons.put(pilot, new Horizon(head[0].nextCommandSeq(), s.cursor(), head[0].state().isFinal(), readAt));
        }
        return s;
    }

    private Answer encode(PilotKey pilot, Snapshot s, long acked) {
        try {
            SyncResponse resp = new SyncResponse(acked >= 0 ? acked : s.cursor(), s.commands(), heartbeatMillis,
                    endpoints.apply(pilot));
            return new Answer(200, Wire.mapper().writeValueAsBytes(resp));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a sync response", e);
        }
    }

    /** A command for the pilot committed on this node: answer its held sync now. */
    void commandsQueued(PilotKey pilot) {
        woken(pilot);
    }

    /** The pilot ended (committed on this node): its agent hears so at its next sync. */
    void pilotEnded(PilotKey pilot) {
        woken(pilot);
    }

    private List<String> secretHashes(PilotKey pilot, boolean reload) {
        if (!reload) {
            List<String> cached = secrets.get(pilot);
            if (cached != null) {
                return cached;
            }
        }
        PilotRecord p = txs.runRetrying(tx -> PilotTable.get(tx.connection(), pilot));
        if (p == null) {
            return null;
        }
        secrets.put(pilot, p.secretHashes());
        return p.secretHashes();
    }

    private static boolean authorized(String header, List<String> hashes) {
        if (header == null || hashes == null || !header.startsWith(Wire.BEARER)) {
            return false;
        }
        byte[] got = PilotLifecycle.hash(header.substring(Wire.BEARER.length())).getBytes(StandardCharsets.US_ASCII);
        boolean ok = false;
        for (String h : hashes) {
            ok |= MessageDigest.isEqual(got, h.getBytes(StandardCharsets.US_ASCII));
        }
        return ok;
    }

    void forget(PilotKey pilot) {
        secrets.remove(pilot);
        horizons.remove(pilot);
        wakeCounts.remove(pilot);
    }
}
