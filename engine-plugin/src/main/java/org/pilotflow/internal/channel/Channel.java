package org.pilotflow.internal.channel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.Threads;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.lifecycle.UnitLifecycle;
import org.pilotflow.internal.store.ChannelTable;
import org.pilotflow.internal.store.NodeTable;
import org.pilotflow.internal.store.PilotKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's end of the agents' channel: the HTTP endpoint, the sync workers, the long polls, and the contact
 * recorder, which every half heartbeat interval writes who was heard ({@code PF_CONTACT}) and that this node is
 * alive ({@code PF_NODE}), and reads which nodes are ({@link #endpointsFor}).
 *
 * <p>Threads and what they own: {@code pilotflow-endpoint-*} (16) read requests; {@code pilotflow-sync-*} (the
 * configured number) authenticate, apply reports and answer, never more at once, so database connections and
 * memory stay bounded; {@code pilotflow-polls} times out held syncs; {@code pilotflow-contacts} records contacts.
 */
public final class Channel {
    /** Threads that read syncs off the wire (see {@link AgentEndpoint}); they hold no database connection. */
    static final int INTAKE_THREADS = 16;
    /** How long work in hand gets to finish when this part stops. */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(Channel.class);

    /** Settings of the channel (taken from the plugin's configuration). */
    public record Settings(String host, int port, long heartbeatMillis, long heartbeatTimeoutMillis,
                           int syncThreads) { }

    private final Transactions txs;
    private final Settings settings;
    private final String nodeId;
    private final ContactBook contacts = new ContactBook();
    private final ReportApplier applier;
    private final ExecutorService intake;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService timer;
    private final ScheduledExecutorService recorder;
    private final LongPolls polls;
    private final SyncService sync;
    private volatile List<String> nodes = List.of();
    private AgentEndpoint endpoint;

    public Channel(Transactions txs, PilotLifecycle pilots, UnitLifecycle units, Settings settings, String nodeId) {
        this.txs = txs;
        this.settings = settings;
        this.nodeId = nodeId;
        this.applier = new ReportApplier(txs, pilots, units);
        this.intake = Executors.newFixedThreadPool(INTAKE_THREADS, Threads.named("pilotflow-endpoint"));
        // a short queue: beyond it a sync gets 503 at once and its agent comes back after a back-off, rather than
        // waiting unseen behind hundreds of others (the agent counts as heard either way)
        this.workers = new ThreadPoolExecutor(settings.syncThreads(), settings.syncThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(16 * settings.syncThreads()), Threads.named("pilotflow-sync"));
        this.timer = Threads.scheduler("pilotflow-polls");
        this.recorder = Threads.scheduler("pilotflow-contacts");
        this.polls = new LongPolls(timer, workers);
        this.sync = new SyncService(txs, applier, contacts, polls, settings.heartbeatMillis(), this::endpointsFor);
    }

    /** Opens the endpoint, registers this node and starts recording contacts. */
    public void start(int port) {
        endpoint = AgentEndpoint.start(settings.host(), port, intake, workers, sync);
        txs.runRetrying(tx -> {
            NodeTable.register(tx.connection(), nodeId, endpoint.baseUrl(), tx.dbNow());
            return null;
        });
        recordContacts();
        long period = Math.max(100, settings.heartbeatMillis() / 2);
        recorder.scheduleWithFixedDelay(this::recordContacts, period, period, TimeUnit.MILLISECONDS);
    }

    /** This node's endpoint, e.g. {@code http://127.0.0.1:41234}. */
    public String baseUrl() {
        return endpoint.baseUrl();
    }

    public int port() {
        return endpoint.port();
    }

    /**
     * The agent endpoints of every live engine node for one pilot: what its agent is given at launch and in every
     * answer, so it can fail over to another node. The order is the same on every node and differs between
     * pilots (the list turned by the pilot's number), so a cluster's agents spread over its nodes.
     */
    public List<String> endpointsFor(PilotKey pilot) {
        java.util.TreeSet<String> all = new java.util.TreeSet<>(nodes);
        all.add(endpoint.baseUrl());
        List<String> sorted = new ArrayList<>(all);
        int turn = Math.floorMod(pilot.uid().hashCode(), sorted.size());
        List<String> out = new ArrayList<>(sorted.size());
        for (int i = 0; i < sorted.size(); i++) {
            out.add(sorted.get((turn + i) % sorted.size()) + "/sessions/" + pilot.sessionId());
        }
        return out;
    }

    /** How many engine nodes are alive, this one included (as of the last contact recording). */
    public int nodeCount() {
        return Math.max(1, nodes.size());
    }

    public ContactBook contacts() {
        return contacts;
    }

    /** A command for the pilot committed on this node: a held sync of its agent is answered now. */
    public void commandsQueued(PilotKey pilot) {
        sync.commandsQueued(pilot);
    }

    /** The pilot ended (a commit on this node): its agent is told at its next sync, without waiting a poll. */
    public void pilotEnded(PilotKey pilot) {
        sync.pilotEnded(pilot);
    }

    /** The pilot's agent is gone for good: forget its node-local state. */
    public void forget(PilotKey pilot) {
        contacts.forget(pilot);
        applier.forget(pilot);
        sync.forget(pilot);
    }

    private void recordContacts() {
        List<PilotKey> heard = new ArrayList<>(contacts.takeHeard());
        java.util.Collections.sort(heard); // every node stamps in the same order
        try {
            List<String> live = txs.runRetrying(tx -> {
                long now = tx.dbNow();
                if (!heard.isEmpty()) {
                    ChannelTable.stampContacts(tx.connection(), heard, now, nodeId);
                }
                if (!NodeTable.seen(tx.connection(), nodeId, now)) {
                    NodeTable.register(tx.connection(), nodeId, endpoint.baseUrl(), now); // forgotten while paused
                }
                List<String> urls = new ArrayList<>();
                long window = Math.max(3 * settings.heartbeatMillis(), settings.heartbeatTimeoutMillis());
                for (NodeTable.NodeRow n : NodeTable.seenSince(tx.connection(), now - window)) {
                    if (n.endpoint() != null) {
                        urls.add(n.endpoint());
                    }
                }
                return urls;
            });
            nodes = List.copyOf(live);
        } catch (RuntimeException e) {
            contacts.heardAgain(heard); // not written: the next recording writes them
            LOG.warn("could not record agent contacts (retrying in {} ms): {}", settings.heartbeatMillis() / 2,
                    e.toString());
        }
    }

    /** Stops taking syncs; held syncs are answered; this node's row goes (other nodes stop advertising it). */
    public void stop() {
        Threads.stop(recorder, GRACE);
        if (endpoint != null) {
            endpoint.stop();
        }
        polls.wakeAll();
        Threads.stop(timer, GRACE);
        Threads.stop(workers, GRACE);
        Threads.stop(intake, GRACE);
        try {
            txs.runRetrying(tx -> {
                NodeTable.remove(tx.connection(), nodeId);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("could not remove node {} from PF_NODE: {}", nodeId, e.toString());
        }
    }

}
