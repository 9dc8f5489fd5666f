package org.pilotflow.internal.launch;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.IntSupplier;
import org.camunda.bpm.engine.ExternalTaskService;
import org.camunda.bpm.engine.externaltask.ExternalTask;
import org.camunda.bpm.engine.externaltask.LockedExternalTask;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.internal.lifecycle.PilotLifecycle;
import org.pilotflow.internal.lifecycle.Threads;
import org.pilotflow.internal.lifecycle.Transactions;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.resources.Resources;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.resource.PilotLaunch;
import org.pilotflow.resource.ResourceAdapter;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.Submitted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the "Launch pilot" external tasks ({@value BpmnContract#TOPIC_LAUNCH_PILOT}) of any pilot process, on any
 * engine node, and launches the pilots outside any transaction:
 * <ol>
 *   <li>record the attempt (LAUNCHING, a fresh secret, job phase SUBMITTING) and commit;</li>
 *   <li>ask the resource: on a retry, first look for the job an earlier attempt may have started (its name, its
 *       pid file), else submit (staging over SFTP, sbatch, qsub, fork) — no database connection is held;</li>
 *   <li>record the job and complete the task in one transaction; a pilot canceled meanwhile keeps the job's
 *       handle so the watchdog kills it.</li>
 * </ol>
 * A resource's refusal ("invalid partition") ends the pilot FAILED with the resource's words (the process takes
 * its "launch failed" path); an unexpected error is retried ({@link #RETRIES} attempts, the task's retries), then
 * fails the pilot the same way. The task's lock is extended while a launch runs; if this node dies, the lock expires
 * and another node's worker takes the task (and adopts the job if there is one).
 *
 * <p>Threads: {@code pilotflow-launch-fetch} fetches tasks; {@code pilotflow-launch-*} (the configured number)
 * launch, one pilot each; {@code pilotflow-launch-locks} extends locks.
 */
public final class LaunchWorker {
    /** How long work in hand gets to finish when this part stops. */
    private static final Duration GRACE = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(LaunchWorker.class);
    static final int RETRIES = 3;
    static final long LOCK_MILLIS = 60_000;
    static final long RETRY_PAUSE_MILLIS = 5_000;
    static final long IDLE_MILLIS = 1_000;

    private final ExternalTaskService tasks;
    private final Transactions txs;
    private final PilotLifecycle pilots;
    private final Resources resources;
    private final Function<PilotKey, List<String>> endpoints;
    private final IntSupplier enginePort;
    private final String workerId;
    private final Semaphore slots;
    private final ExecutorService fetcher;
    private final ExecutorService launchers;
    private final ScheduledExecutorService locks;
    private final Object wake = new Object();
    private boolean hinted;
    private volatile boolean stopped;

    public LaunchWorker(ExternalTaskService tasks, Transactions txs, PilotLifecycle pilots, Resources resources,
                        Function<PilotKey, List<String>> endpoints, IntSupplier enginePort, String workerId,
                        int threads) {
        this.tasks = tasks;
        this.txs = txs;
        this.pilots = pilots;
        this.resources = resources;
        this.endpoints = endpoints;
        this.enginePort = enginePort;
        this.workerId = workerId;
        this.slots = new Semaphore(threads);
        this.fetcher = Executors.newSingleThreadExecutor(Threads.named("pilotflow-launch-fetch"));
        this.launchers = Executors.newFixedThreadPool(threads, Threads.named("pilotflow-launch"));
        this.locks = Threads.scheduler("pilotflow-launch-locks");
    }

    public void start() {
        fetcher.execute(this::fetchLoop);
    }

    /** A pilot process was started here: look for its task now rather than at the next poll. */
    public void hint() {
        synchronized (wake) {
            hinted = true;
            wake.notifyAll();
        }
    }

    public void stop() {
        stopped = true;
        slots.release(Integer.MAX_VALUE / 2); // the fetcher may wait for a slot
        hint();
        Threads.stop(fetcher, GRACE);
        Threads.stop(launchers, GRACE);
        Threads.stop(locks, GRACE);
    }

    private void fetchLoop() {
        while (!stopped) {
            try {
                slots.acquire();
                if (stopped) {
                    return;
                }
                int free = 1 + slots.drainPermits();
                List<LockedExternalTask> got = List.of();
                try {
                    got = tasks.fetchAndLock(free, workerId)
                            .topic(BpmnContract.TOPIC_LAUNCH_PILOT, LOCK_MILLIS)
                            .variables(BpmnContract.VAR_SESSION, BpmnContract.VAR_PILOT)
                            .execute();
                } catch (RuntimeException e) {
                    LOG.warn("fetching pilot launches failed (trying again in {} ms): {}", IDLE_MILLIS, e.toString());
                }
                slots.release(free - got.size());
                for (LockedExternalTask t : got) {
                    try {
                        launchers.execute(() -> {
                            try {
                                launch(t);
                            } finally {
                                slots.release();
                            }
                        });
                    } catch (java.util.concurrent.RejectedExecutionException stopping) {
                        giveBack(t, new PilotKey((String) t.getVariables().get(BpmnContract.VAR_SESSION),
                                (String) t.getVariables().get(BpmnContract.VAR_PILOT)));
                    }
                }
                if (got.isEmpty()) {
                    synchronized (wake) {
                        if (!hinted) {
                            wake.wait(IDLE_MILLIS);
                        }
                        hinted = false;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void launch(LockedExternalTask task) {
        PilotKey key = new PilotKey((String) task.getVariables().get(BpmnContract.VAR_SESSION),
                (String) task.getVariables().get(BpmnContract.VAR_PILOT));
        AtomicBoolean lockLost = new AtomicBoolean();
        ScheduledFuture<?> extender = locks.scheduleWithFixedDelay(() -> extendLock(task, key, lockLost),
                LOCK_MILLIS / 3, LOCK_MILLIS / 3, TimeUnit.MILLISECONDS);
        try {
            PilotRecord before = txs.runRetrying(tx -> tx.pilot(key));
            if (before != null && resources.registry().find(before.description().resource()).isEmpty()) {
                // resource entries loaded by API live on the nodes that loaded them: leave it to such a node
                LOG.warn("pilot {}: resource {} is not configured on this node; its launch is left to a node that"
                        + " has it (load it on every node)", key, before.description().resource());
                tasks.handleFailure(task.getId(), workerId, "resource " + before.description().resource()
                        + " is not configured on engine node " + workerId, null,
                        task.getRetries() == null ? RETRIES : task.getRetries(), RETRY_PAUSE_MILLIS);
                return;
            }
            PilotLifecycle.LaunchStart start = txs.runRetrying(tx -> pilots.beginLaunch(tx, key));
            if (start == null) {
                endWithoutLaunch(task, key);
                return;
            }
            if (start.launchedAlready()) {
                completeLaunched(task, key, start.pilot());
                return;
            }
            PilotRecord p = start.pilot();
            ResourceAdapter adapter = resources.adapterOf(p);
            PilotLaunch launch = resources.launchOf(p, start.secret(), endpoints.apply(key),
                    enginePort.getAsInt());
            LOG.info("pilot {}: launching on {} ({} cores, runtime {}){}", key, p.description().resource(),
                    p.description().cores(), p.description().runtime(),
                    p.launchAttempt() > 1 ? ", attempt " + p.launchAttempt() : "");
            Optional<Submitted> earlier = p.launchAttempt() > 1 ? adapter.find(launch) : Optional.empty();
            if (earlier.isPresent()) {
                LOG.info("pilot {}: found job {} of an earlier launch attempt; adopting it", key,
                        earlier.get().handle());
            }
            Submitted job = earlier.isPresent() ? earlier.get() : adapter.submit(launch);
            PilotLifecycle.LaunchResult result = record(task, key, p.launchAttempt(), job);
            // a later attempt (this task's lock had expired) that is still at work may yet find and adopt this job
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2 * LOCK_MILLIS);
            while (result == PilotLifecycle.LaunchResult.UNDECIDED && !stopped && System.nanoTime() < deadline) {
                Thread.sleep(1000);
                result = record(task, key, p.launchAttempt(), job);
            }
            if (result == PilotLifecycle.LaunchResult.SUPERSEDED
                    || result == PilotLifecycle.LaunchResult.UNDECIDED && !stopped) {
                killSuperseded(adapter, key, job); // never beside another attempt's job
            } else if (result == PilotLifecycle.LaunchResult.UNDECIDED) {
                LOG.warn("pilot {}: job {} of launch attempt {} is left to the later attempt, which finds and adopts"
                        + " it (this node is stopping)", key, job.handle(), p.launchAttempt());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ResourceException | RuntimeException e) {
            if (stopped) {
                giveBack(task, key); // this node is stopping: not the pilot's failure
                return;
            }
            if (e instanceof ResourceException) {
                failLaunch(task, key, e.getMessage());
                return;
            }
            int left = (task.getRetries() == null ? RETRIES : task.getRetries()) - 1;
            if (left <= 0) {
                failLaunch(task, key, "after " + RETRIES + " attempts: " + e);
            } else {
                LOG.warn("pilot {}: launch attempt failed, {} more in {} ms: {}", key, left, RETRY_PAUSE_MILLIS,
                        e.toString());
                try {
                    tasks.handleFailure(task.getId(), workerId, String.valueOf(e.getMessage()), e.toString(), left,
                            RETRY_PAUSE_MILLIS);
                } catch (RuntimeException again) {
                    LOG.warn("pilot {}: could not record the failed attempt (the task's lock expires and it runs "
                            + "again): {}", key, again.toString());
                }
            }
        } finally {
            extender.cancel(false);
        }
    }

    /** Records the attempt's job; completes the task when the pilot goes on with it. */
    private PilotLifecycle.LaunchResult record(LockedExternalTask task, PilotKey key, int attempt, Submitted job) {
        return txs.runRetrying(tx -> {
            PilotLifecycle.LaunchResult r = pilots.launched(tx, key, attempt, job.handle().toString(), job.sandbox());
            if (r == PilotLifecycle.LaunchResult.GOES_ON && ours(task)) {
                tasks.complete(task.getId(), workerId);
            }
            return r;
        });
    }

    private void killSuperseded(ResourceAdapter adapter, PilotKey key, Submitted job) {
        try {
            adapter.kill(job.handle());
        } catch (ResourceException | RuntimeException e) {
            // not the pilot's failure: it goes on with the other attempt's job
            LOG.warn("pilot {}: could not kill job {} of a superseded launch attempt ({}); end it by hand", key,
                    job.handle(), e.getMessage());
        }
    }

    /** An earlier attempt launched the pilot but could not complete the task (its lock had expired): done now. */
    private void completeLaunched(LockedExternalTask task, PilotKey key, PilotRecord p) {
        txs.runRetrying(tx -> {
            if (ours(task)) {
                tasks.complete(task.getId(), workerId);
            }
            return null;
        });
        LOG.info("pilot {}: launched already by attempt {} (job {}); its launch task is completed now", key,
                p.launchAttempt(), p.job());
    }

    /** Unlocks the task at once so another node (or this one, restarted) takes it; its job, if any, is adopted. */
    private void giveBack(LockedExternalTask task, PilotKey key) {
        try {
            tasks.unlock(task.getId());
            LOG.info("pilot {}: launch interrupted by this node stopping; another node takes it over", key);
        } catch (RuntimeException e) {
            LOG.info("pilot {}: launch interrupted by this node stopping; its task's lock expires in {} s", key,
                    LOCK_MILLIS / 1000);
        }
    }

    /** The pilot is canceling or has ended: the process leaves the launch task by its "launch failed" path. */
    private void endWithoutLaunch(LockedExternalTask task, PilotKey key) {
        txs.runRetrying(tx -> {
            PilotRecord p = tx.pilot(key);
            if (ours(task)) {
                tasks.handleBpmnError(task.getId(), workerId, BpmnContract.ERR_PILOT_LAUNCH_FAILED,
                        "not launched: the pilot is " + (p == null ? "gone" : p.state()
                                + (p.reason() == null ? "" : " (" + p.reason() + ")")));
            }
            return null;
        });
    }

    private void failLaunch(LockedExternalTask task, PilotKey key, String reason) {
        try {
            txs.runRetrying(tx -> {
                pilots.launchFailed(tx, key, reason);
                if (ours(task)) {
                    tasks.handleBpmnError(task.getId(), workerId, BpmnContract.ERR_PILOT_LAUNCH_FAILED, reason,
                            Map.of(BpmnContract.VAR_PILOT_STATE, "FAILED"));
                }
                return null;
            });
        } catch (RuntimeException e) {
            LOG.error("pilot {}: could not record its failed launch ({}): {}", key, reason, e.toString());
        }
    }

    /** Whether the task still exists and is locked by this worker (it goes when the pilot is canceled). */
    private boolean ours(LockedExternalTask task) {
        ExternalTask t = tasks.createExternalTaskQuery().externalTaskId(task.getId()).singleResult();
        return t != null && workerId.equals(t.getWorkerId());
    }

    private void extendLock(LockedExternalTask task, PilotKey key, AtomicBoolean lost) {
        try {
            tasks.extendLock(task.getId(), workerId, LOCK_MILLIS);
        } catch (RuntimeException e) {
            if (lost.compareAndSet(false, true)) {
                LOG.warn("pilot {}: could not extend the lock of its launch task ({}); if it expires another attempt"
                        + " may start, and the two settle on one job", key, e.getMessage());
            }
        }
    }

}
