package org.pilotflow.internal.watch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.pilotflow.internal.lifecycle.FollowUps;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.Threads;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.lifecycle.UnitLifecycle;
import org.pilotflow.internal.store.ChannelTable;
import org.pilotflow.internal.store.JobPhase;
import org.pilotflow.internal.store.NodeTable;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.PilotTable;
import org.pilotflow.internal.store.UnitKey;
import org.pilotflow.internal.store.UnitRecord;
import org.pilotflow.internal.store.UnitTable;
import org.pilotflow.model.PilotState;
import org.pilotflow.resource.JobStatus;
import org.pilotflow.resource.ResourceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic work that runs once per cluster: whichever engine node holds the {@code watchdog} lease
 * ({@code PF_LEASE}, renewed every pass, taken over by a live node when its holder stops renewing) does it.
 *
 * <ul>
 *   <li><b>Silence.</b> An ACTIVE pilot no node has heard for {@code heartbeatTimeout} (database clock; a sync
 *       counts while it is being worked on) is lost, and so is a pilot whose job has run for {@code launchTimeout}
 *       without its agent reporting. Silence is counted only while some node was watching: after this node took
 *       the lease, or resumed from a pause (SIGSTOP, a stalled JVM), agents get a full timeout to be heard.</li>
 *   <li><b>Jobs</b> (every {@code jobPollInterval}, on their own thread): a vanished job fails its pilot with the
 *       job manager's words, once no sync of its agent is still at work (its last reports are applied first);
 *       the job of a final pilot is driven to its end (killed at once when the engine ended the pilot, after
 *       {@code cancelGrace} otherwise).</li>
 *   <li><b>Loose ends</b>: units and pilots whose process instance was deleted (Cockpit, REST, another node) are
 *       canceled; unfinished units of final pilots are ended; processes that missed their end message get it;
 *       managers with waiting units drain.</li>
 * </ul>
 *
 * <p>Threads: {@code pilotflow-watchdog} runs the lease and the silence check; {@code pilotflow-jobs} asks the job
 * managers and kills jobs; {@code pilotflow-loose-ends} ties loose ends every 2 s (slow calls over SSH and slow
 * correlations never delay the silence check). All act only while this node holds the lease, except kills asked
 * for on this node ({@link #killSoon}), which are idempotent anyway.
 */
public final class Watchdog {
    /** How long work in hand gets to finish when this part stops. */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);
    static final String LEASE = "watchdog";

    /** The watchdog's timings (from the plugin's configuration). */
    public record Settings(Duration heartbeatInterval, Duration heartbeatTimeout, Duration launchTimeout,
                           Duration cancelGrace, Duration jobPollInterval) {
        long periodMillis() {
            return Math.max(100, heartbeatInterval.toMillis() / 2);
        }

        /** How long a lease lasts without renewal: the longest the cluster goes unwatched after a node dies. */
        long leaseMillis() {
            return Math.max(3 * periodMillis(), heartbeatTimeout.toMillis());
        }
    }

    private final Transactions txs;
    private final PilotLifecycle pilots;
    private final UnitLifecycle units;
    private final FollowUps followUps;
    private final Jobs jobs;
    private final Predicate<PilotKey> inFlightHere;
    private final Settings settings;
    private final String nodeId;
    private final String camundaPrefix;
    private final ScheduledExecutorService watchThread;
    private final ScheduledExecutorService jobThread;
    private final ScheduledExecutorService looseEndsThread;
    /** Loose-ends passes so far (the loose-ends thread's own); every {@link #FULL_SCAN_EVERY}th scans every unit. */
    private long looseEndsPasses;
    private static final int FULL_SCAN_EVERY = 30;
    /** Stored units not started, as the previous {@link #startLeftovers} found them (the loose-ends thread's own). */
    private Set<UnitKey> storedAtLastScan = Set.of();
    /** Start every overdue stored unit: set while this node does not hold the lease, so it catches up on taking it. */
    private boolean catchingUp = true;
    private static final int STORED_SCAN = 10_000;
    private final Set<PilotKey> killRequests = ConcurrentHashMap.newKeySet();
    /** Pilots whose launch timed out, being ended on the job thread (reading their log may take an SSH call). */
    private final Set<PilotKey> launchTimeouts = ConcurrentHashMap.newKeySet();

    // owned by the watchdog thread
    private long lastPassNanos;
    private long tenure = -1;
    private long watchingSince;
    private volatile boolean leader;
    private volatile boolean stopped;

    public Watchdog(Transactions txs, PilotLifecycle pilots, UnitLifecycle units, FollowUps followUps, Jobs jobs,
                    Predicate<PilotKey> inFlightHere, Settings settings, String nodeId, String camundaPrefix) {
        this.txs = txs;
        this.pilots = pilots;
        this.units = units;
        this.followUps = followUps;
        this.jobs = jobs;
        this.inFlightHere = inFlightHere;
        this.settings = settings;
        this.nodeId = nodeId;
        this.camundaPrefix = camundaPrefix;
        this.watchThread = Threads.scheduler("pilotflow-watchdog");
        this.jobThread = Threads.scheduler("pilotflow-jobs");
        this.looseEndsThread = Threads.scheduler("pilotflow-loose-ends");
    }

    public void start() {
        long period = settings.periodMillis();
        watchThread.scheduleWithFixedDelay(this::pass, period, period, TimeUnit.MILLISECONDS);
        long poll = settings.jobPollInterval().toMillis();
        jobThread.scheduleWithFixedDelay(this::pollJobs, poll, poll, TimeUnit.MILLISECONDS);
        looseEndsThread.scheduleWithFixedDelay(this::looseEnds, 2000, 2000, TimeUnit.MILLISECONDS);
    }

    /** Whether this node holds the watchdog lease now. */
    public boolean isLeader() {
        return leader;
    }

    /** Ends the pilot's job soon (on the job thread), and confirms it ended. */
    public void killSoon(PilotKey pilot) {
        if (killRequests.add(pilot) && !stopped) {
            jobThread.execute(this::killRequested);
        }
    }

    /** Stops, and gives the lease up so another node takes over at once. */
    public void stop() {
        stopped = true;
        Threads.stop(watchThread, GRACE);
        Threads.stop(jobThread, GRACE);
        Threads.stop(looseEndsThread, GRACE);
        if (leader) {
            try {
                txs.runRetrying(tx -> {
                    NodeTable.release(tx.connection(), LEASE, nodeId);
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.debug("could not release the watchdog lease: {}", e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- the pass

    private void pass() {
        try {
            long nanos = System.nanoTime();
            // the time since the previous pass ended (a slow pass is not a pause); a gap long enough to have made
            // working agents look silent means this node was not watching
            long gapMillis = lastPassNanos == 0 ? 0 : (nanos - lastPassNanos) / 1_000_000;
            boolean paused = gapMillis > Math.max(3 * settings.periodMillis(),
                    settings.heartbeatTimeout().toMillis() / 2);
            long[] lease = txs.runRetrying(tx -> new long[] {
                    NodeTable.acquire(tx.connection(), LEASE, nodeId, tx.dbNow(), settings.leaseMillis()),
                    tx.dbNow()});
            long since = lease[0];
            long now = lease[1];
            if (since < 0) {
                if (leader) {
                    LOG.info("node {} no longer runs the watchdog (another node holds the lease)", nodeId);
                }
                leader = false;
                tenure = -1;
                return;
            }
            if (!leader || since != tenure) {
                LOG.info("node {} runs the cluster's watchdog", nodeId);
                watchingSince = now;
            } else if (paused) {
                LOG.warn("the watchdog did not run for {} ms (a paused or overloaded engine); agents get {} to be "
                        + "heard again before any is declared lost", gapMillis,
                        settings.heartbeatTimeout());
                watchingSince = now;
            }
            tenure = since;
            leader = true;
            checkSilence(now);
        } catch (RuntimeException e) {
            LOG.warn("watchdog pass failed (next one in {} ms): {}", settings.periodMillis(), e.toString());
        } finally {
            lastPassNanos = System.nanoTime();
        }
    }

    private void checkSilence(long now) {
        record Seen(List<PilotRecord> pilots, Map<PilotKey, Long> contacts) { }
        Seen seen = txs.runRetrying(tx -> new Seen(PilotTable.watched(tx.connection()),
                ChannelTable.contactsOfLivePilots(tx.connection())));
        long timeout = settings.heartbeatTimeout().toMillis();
        for (PilotRecord p : seen.pilots()) {
            if (p.state() == PilotState.ACTIVE) {
                long heard = Math.max(Math.max(seen.contacts().getOrDefault(p.key(), 0L), p.activeSince()),
                        watchingSince);
                if (now - heard > timeout && !inFlightHere.test(p.key())) {
                    lostIfStillSilent(p.key(), timeout);
                }
            } else if (p.state() == PilotState.PENDING_ACTIVE && p.jobRunningSince() > 0) {
                // an agent heard since its job started has reported (its sync may still wait to be applied)
                long running = Math.max(Math.max(p.jobRunningSince(), watchingSince),
                        seen.contacts().getOrDefault(p.key(), 0L));
                if (now - running > settings.launchTimeout().toMillis() && !stopped && launchTimeouts.add(p.key())) {
                    jobThread.execute(() -> launchTimedOut(p));
                }
            }
        }
    }

    /** On the job thread: the agent's log says why it did not report (read first: it may be over SSH). */
    private void launchTimedOut(PilotRecord p) {
        try {
            String tail = jobs.logTail(p);
            txs.runRetrying(tx -> { // the agent may have reported while the log was read
                PilotRecord again = tx.lockPilot(p.key());
                if (again != null && again.state() == PilotState.PENDING_ACTIVE) {
                    pilots.lost(tx, p.key(), "its agent did not report within " + settings.launchTimeout()
                            + " of its job starting" + tail);
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("pilot {}: could not end it after its launch timed out (trying again): {}", p.key(),
                    e.toString());
        } finally {
            launchTimeouts.remove(p.key());
        }
    }

    /** Re-checks under the pilot's lock (a sync may have arrived meanwhile) before declaring it lost. */
    private void lostIfStillSilent(PilotKey key, long timeout) {
        txs.runRetrying(tx -> {
            PilotRecord p = tx.lockPilot(key);
            long heard = Math.max(Math.max(ChannelTable.contact(tx.connection(), key),
                    p == null ? 0 : p.activeSince()), watchingSince);
            long silent = tx.dbNow() - heard;
            if (p != null && p.state() == PilotState.ACTIVE && silent > timeout && !inFlightHere.test(key)) {
                pilots.lost(tx, key, "no heartbeat from its agent for " + silent / 1000 + " s");
            }
            return null;
        });
    }

    private void lost(PilotKey key, String why) {
        txs.runRetrying(tx -> {
            pilots.lost(tx, key, why);
            return null;
        });
    }

    private void looseEnds() {
        if (!leader || stopped) {
            catchingUp = true;
            return;
        }
        try {
            tieLooseEnds();
        } catch (RuntimeException e) {
            LOG.warn("tying loose ends failed (next time in 2 s): {}", e.toString());
        }
    }

    private void tieLooseEnds() {
        record Found(List<UnitKey> orphanedUnits, List<PilotKey> orphanedPilots, List<PilotKey> unsettled,
                     List<UnitRecord> missedUnits, List<PilotRecord> missedPilots, List<String[]> waiting) { }
        // a scan of every waiting instance only once a minute: its cost grows with the units in flight
        boolean fullScan = ++looseEndsPasses % FULL_SCAN_EVERY == 0;
        try {
            startLeftovers(fullScan);
        } catch (RuntimeException e) {
            LOG.warn("looking for stored units whose processes did not start failed (next time in 2 s): {}",
                    e.toString());
        }
        Found f = txs.runRetrying(tx -> new Found(
                UnitTable.withoutProcessInstance(tx.connection(), camundaPrefix, 1000),
                PilotTable.withoutProcessInstance(tx.connection(), camundaPrefix),
                UnitTable.finalPilotsWithUnfinishedUnits(tx.connection()),
                fullScan
                        ? UnitTable.finalStillAwaited(tx.connection(), camundaPrefix, 200)
                        : UnitTable.undelivered(tx.connection(), 200),
                PilotTable.finalStillAwaited(tx.connection(), camundaPrefix),
                UnitTable.managersWithWaitingUnits(tx.connection())));
        for (PilotKey p : f.orphanedPilots()) {
            txs.runRetrying(tx -> {
                pilots.processDeleted(tx, p);
                return null;
            });
        }
        if (!f.orphanedUnits().isEmpty()) {
            LOG.info("canceling {} unit(s) whose process instance was deleted", f.orphanedUnits().size());
        }
        f.orphanedUnits().forEach(u -> followUps.cancel(u, "its process instance was deleted"));
        txs.runRetrying(tx -> NodeTable.forgetSilent(tx.connection(),
                tx.dbNow() - 10 * settings.heartbeatTimeout().toMillis()));
        f.unsettled().forEach(followUps::settle);
        f.waiting().forEach(m -> followUps.drain(m[0], m[1]));
        for (UnitRecord u : f.missedUnits()) {
            catchUp(tx -> units.catchUp(tx, u), "unit " + u.key());
        }
        for (PilotRecord p : f.missedPilots()) {
            catchUp(tx -> pilots.catchUp(p), "pilot " + p.key());
        }
    }

    /**
     * Units stored but not started (a large submission's processes are started after it returns, by the node that
     * stored them; that node may have stopped first, or met a database error). Started here at once after this node
     * took the lease (a restart, a failover) until it has caught up, scanning whenever its own starts are done;
     * otherwise, once a minute, those already waiting at the previous such scan. A node's backlog younger than a
     * minute stays its own; an older one is shared (no unit starts twice: the loser of a race runs again and skips
     * it). A session whose units this node still has queued is left to that queue.
     */
    private void startLeftovers(boolean fullScan) {
        boolean all;
        if (catchingUp && !followUps.startsPending()) {
            all = true;
        } else if (fullScan) {
            all = false;
        } else {
            return;
        }
        List<UnitKey> stored = txs.runRetrying(tx -> UnitTable.storedNotStarted(tx.connection(), STORED_SCAN));
        if (all) {
            catchingUp = stored.size() == STORED_SCAN;
        }
        Set<UnitKey> before = storedAtLastScan;
        storedAtLastScan = Set.copyOf(stored);
        Map<String, List<String>> bySession = new LinkedHashMap<>();
        int n = 0;
        for (UnitKey k : stored) {
            if (all || before.contains(k) && !followUps.startsPending(k.sessionId())) {
                bySession.computeIfAbsent(k.sessionId(), x -> new ArrayList<>()).add(k.uid());
                n++;
            }
        }
        if (n > 0) {
            LOG.info("starting the processes of {} stored unit(s) whose start is overdue (the node that stored them"
                    + " stopped, or met a database error, before it started them)", n);
            bySession.forEach(followUps::start);
        }
    }

    private void catchUp(Transactions.Body<Boolean> correlate, String what) {
        try {
            txs.runRetrying(correlate);
        } catch (RuntimeException e) {
            LOG.debug("{}: its process does not take its end message yet: {}", what, e.toString());
        }
    }

    // ---------------------------------------------------------------- jobs

    private void pollJobs() {
        if (!leader || stopped) {
            return;
        }
        try {
            List<PilotRecord> watched = txs.runRetrying(tx -> PilotTable.watched(tx.connection()));
            reconcile(watched);
        } catch (RuntimeException e) {
            LOG.warn("asking the job managers failed (next time in {}): {}", settings.jobPollInterval(),
                    e.toString());
        }
    }

    private void killRequested() {
        List<PilotKey> keys = new ArrayList<>(killRequests);
        killRequests.removeAll(keys);
        try {
            List<PilotRecord> ps = txs.runRetrying(tx -> {
                List<PilotRecord> out = new ArrayList<>();
                for (PilotKey k : keys) {
                    PilotRecord p = tx.pilot(k);
                    if (p != null) {
                        out.add(p);
                    }
                }
                return out;
            });
            reconcile(ps);
        } catch (RuntimeException e) {
            LOG.warn("ending {} job(s) failed (the watchdog tries again): {}", keys.size(), e.toString());
        }
    }

    /** Drives each pilot's job to where its pilot wants it: running while it is unfinished, ended after. */
    private void reconcile(List<PilotRecord> watched) {
        List<PilotRecord> withJob = new ArrayList<>();
        for (PilotRecord p : watched) {
            if (p.job() != null && p.jobPhase() != JobPhase.ENDED) {
                withJob.add(p);
            } else if (p.job() == null && p.isFinal()
                    && (p.jobPhase() == JobPhase.SUBMITTING || p.jobPhase() == JobPhase.KILL)) {
                findAndKill(p);
            }
        }
        if (withJob.isEmpty()) {
            return;
        }
        Map<PilotKey, JobStatus> states = jobs.statusAll(withJob);
        record Clock(long now, Map<PilotKey, Long> contacts) { }
        // read after the answer, which may take long over SSH
        Clock clock = txs.runRetrying(tx -> new Clock(tx.dbNow(),
                ChannelTable.contactsOfLivePilots(tx.connection())));
        long now = clock.now();
        List<PilotRecord> killed = new ArrayList<>();
        for (PilotRecord p : withJob) {
            JobStatus st = states.get(p.key());
            if (st == null) {
                continue;
            }
            boolean agentGone = st.state() == JobStatus.State.GONE || st.state() == JobStatus.State.ORPHANED;
            if (agentGone && !p.isFinal() && lastReportsUnderWay(p.key(), clock.contacts(), now)) {
                // an agent that ended (runtime over, say) may have sent its last reports just before: a sync still
                // waiting for a worker or being applied. Declaring the pilot lost now would fail units whose DONE
                // is in it; the next poll decides, once that sync is answered.
                LOG.debug("pilot {}: its job is {}, but a sync of its agent is still being worked on", p.key(),
                        st.state());
                continue;
            }
            switch (st.state()) {
                case GONE -> {
                    if (!p.isFinal()) {
                        lost(p.key(), st.reason() + jobs.logTail(p));
                    }
                    jobEnded(p.key());
                }
                case ORPHANED -> {
                    // the agent died but left processes: the pilot is lost, and the job must be killed before
                    // any of its units runs again elsewhere
                    if (!p.isFinal()) {
                        lost(p.key(), st.reason() + jobs.logTail(p));
                    }
                    if (kill(p)) {
                        killed.add(p);
                    }
                }
                case RUNNING, QUEUED -> {
                    if (!p.isFinal() && st.state() == JobStatus.State.RUNNING && p.jobRunningSince() == 0) {
                        txs.runRetrying(tx -> {
                            pilots.jobRunning(tx, p.key(), now);
                            return null;
                        });
                    }
                    boolean overdue = p.isFinal() && (p.jobPhase() == JobPhase.KILL
                            || now - p.endedAt() > settings.cancelGrace().toMillis());
                    if (overdue && kill(p)) {
                        killed.add(p);
                    }
                }
                case UNKNOWN -> LOG.debug("job {} of pilot {} is in an unknown state: {}", p.job(), p.key(),
                        st.reason());
            }
        }
        if (!killed.isEmpty()) { // confirm at once, so restartable units need not wait a poll interval
            Map<PilotKey, JobStatus> after = jobs.statusAll(killed);
            for (PilotRecord p : killed) {
                JobStatus st = after.get(p.key());
                if (st != null && st.state() == JobStatus.State.GONE) {
                    jobEnded(p.key());
                }
            }
        }
    }

    /**
     * Whether a sync of this pilot's agent may still be at work: in flight on this node, or stamped lately by any
     * node (a node stamps the contacts of syncs in hand every half heartbeat interval).
     */
    private boolean lastReportsUnderWay(PilotKey key, Map<PilotKey, Long> contacts, long now) {
        return inFlightHere.test(key)
                || now - contacts.getOrDefault(key, 0L) < 2 * settings.heartbeatInterval().toMillis();
    }

    private boolean kill(PilotRecord p) {
        try {
            jobs.kill(p);
            LOG.info("pilot {} is {}: its job {} was killed", p.key(), p.state(), p.job());
            return true;
        } catch (ResourceException | RuntimeException e) {
            LOG.warn("pilot {}: could not kill job {} (trying again in {}): {}", p.key(), p.job(),
                    settings.jobPollInterval(), e.getMessage());
            return false;
        }
    }

    /** A final pilot whose launch was under way: its job, if one was started, is found by name and killed. */
    private void findAndKill(PilotRecord p) {
        try {
            Optional<String> job = jobs.find(p);
            txs.runRetrying(tx -> {
                pilots.jobFound(tx, p.key(), job.orElse(null));
                return null;
            });
            if (job.isPresent()) {
                killSoon(p.key());
            }
        } catch (ResourceException | RuntimeException e) {
            LOG.warn("pilot {}: could not look for the job of its interrupted launch: {}", p.key(), e.getMessage());
        }
    }

    private void jobEnded(PilotKey key) {
        txs.runRetrying(tx -> {
            pilots.jobEnded(tx, key);
            return null;
        });
    }

}
