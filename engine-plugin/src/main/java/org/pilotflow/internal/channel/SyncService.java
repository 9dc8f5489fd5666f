package org.pilotflow.internal.channel;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.store.CommandTable;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.PilotTable;
import org.pilotflow.model.wire.Command;
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

    /** The answer to a sync: an HTTP status and a JSON body. */
    public record Answer(int status, byte[] body) {
        static Answer error(int status, String message) {
            return new Answer(status, ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8));
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
        this.pollMillis = Math.min(500, heartbeatMillis / 2);
        this.endpoints = endpoints;
    }

    /** Handles one sync; {@code reply} is called exactly once. Runs on a sync worker. */
    void handle(String sessionId, String pilotUid, String authorization, byte[] body, Reply reply) {
        PilotKey pilot = new PilotKey(sessionId, pilotUid);
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
        contacts.arrived(pilot);
        boolean parked = false;
        try {
            SyncRequest req;
            try {
                req = Wire.mapper().readValue(body, SyncRequest.class);
            } catch (IOException e) {
                reply.send(Answer.error(400, "malformed sync request"));
                return;
            }
            if (!pilotUid.equals(req.pilotId())) {
                reply.send(Answer.error(400, "pilotId does not match the path"));
                return;
            }
            long acked = req.reports().isEmpty() ? -1 : applier.apply(pilot, req.reports());
            Answer now = answer(pilot, req, acked);
            if (now != null) {
                reply.send(now);
                return;
            }
            // nothing to carry yet: hold the sync; it stays "in flight" for the contact book until answered
            parked = true;
            polls.park(pilot, pollMillis, () -> {
                try {
                    reply.send(encode(pilot, read(pilot, req.lastCommandSeq()), acked));
                } catch (RuntimeException e) {
                    LOG.warn("pilot {}: sync not answered, the agent will send it again: {}", pilot, e.toString());
                    reply.send(Answer.error(503, "try again"));
                } finally {
                    contacts.answered(pilot);
                }
            });
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
    private Answer answer(PilotKey pilot, SyncRequest req, long acked) {
        Snapshot s = read(pilot, req.lastCommandSeq());
        if (s.commands().isEmpty() && req.reports().isEmpty()) {
            return null;
        }
        return encode(pilot, s, acked);
    }

    private record Snapshot(long cursor, List<Command> commands) { }

    /** The pilot's commands above the agent's last (dropping the acknowledged ones) and its report cursor. */
    private Snapshot read(PilotKey pilot, long agentLastCommand) {
        return txs.runRetrying(tx -> {
            CommandTable.deleteUpTo(tx.connection(), pilot, agentLastCommand);
            PilotRecord p = PilotTable.get(tx.connection(), pilot);
            List<Command> commands = new ArrayList<>(CommandTable.after(tx.connection(), pilot, agentLastCommand,
                    MAX_COMMANDS));
            if (p != null && p.isFinal() && agentLastCommand <= p.nextCommandSeq()
                    && commands.stream().noneMatch(c -> c.type() == Command.Type.CANCEL_PILOT)) {
                // an agent the engine gave up on (a late heartbeat, say) must stop too; the number is the one after
                // the pilot's last, the same in every answer, so the agent takes it once
                commands.add(Command.cancelPilot(p.nextCommandSeq() + 1));
            }
            return new Snapshot(org.pilotflow.internal.store.ChannelTable.cursor(tx.connection(), pilot), commands);
        });
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
        polls.wake(pilot);
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
    }
}
