package org.pilotflow.agent.monitor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.pilotflow.model.memory.MemoryProfile;
import org.pilotflow.model.memory.MemorySample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the memory of the units running on this node, as the PanDA pilot's prmon does for its payload: every
 * interval, each unit's whole process tree (RSS, PSS and swap from {@code /proc}); a unit whose {@code pss + swap}
 * exceeds its limit is handed to its over-limit action (the executor kills it). At its end a unit gets a
 * {@link MemoryProfile}: peaks, the series (thinned to at most {@link MemoryProfile#MAX_SAMPLES}) and the leak fit.
 *
 * <p>Threads: one thread ({@code pilotflow-memory}) takes every sample and runs the over-limit actions; a
 * {@link Watch}'s series is guarded by the watch, because the unit's own exit thread stops it and reads it.
 * Processes a unit starts on other nodes (SSH, srun, MPI ranks elsewhere) are not on this node's {@code /proc}: only
 * their local launcher is sampled.
 */
public final class MemoryMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryMonitor.class);

    private final long intervalMillis;
    private final ProcMemory proc;
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread;

    /** A monitor sampling every {@code intervalMillis} on this system's {@code /proc}; nothing samples without one. */
    public MemoryMonitor(long intervalMillis) {
        this(intervalMillis, Path.of("/proc"));
    }

    MemoryMonitor(long intervalMillis, Path procRoot) {
        if (intervalMillis <= 0) {
            throw new IllegalArgumentException("memory sample interval " + intervalMillis + " ms: expected > 0");
        }
        this.intervalMillis = intervalMillis;
        this.proc = new ProcMemory(procRoot);
        if (!proc.available()) {
            LOG.warn("no readable {}/self/status: unit memory is not sampled and memory limits are not enforced",
                    procRoot);
            thread = null;
            return;
        }
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "pilotflow-memory");
            th.setDaemon(true);
            return th;
        });
        t.scheduleWithFixedDelay(this::sampleAll, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        thread = t;
    }

    public long intervalMillis() {
        return intervalMillis;
    }

    /**
     * Starts sampling a unit.
     *
     * @param process    the unit's process running now (its current step), or null between steps
     * @param limitBytes the most {@code pss + swap} the unit may use; 0 for no limit
     * @param overLimit  called once, on the sampling thread, with a reason naming the limit and the use seen
     */
    public Watch watch(String unitId, Supplier<ProcessHandle> process, long limitBytes, Consumer<String> overLimit) {
        Watch w = new Watch(unitId, process, limitBytes, overLimit, System.currentTimeMillis());
        if (thread != null) {
            watches.add(w);
        }
        return w;
    }

    private void sampleAll() {
        if (watches.isEmpty()) {
            return;
        }
        Map<Long, List<Long>> children = proc.children();
        for (Watch w : watches) {
            try {
                w.sample(children);
            } catch (RuntimeException e) { // one unit's trouble must not stop the sampling of the others
                LOG.warn("sampling the memory of unit {} failed: {}", w.unitId, e.toString());
            }
        }
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    /** One unit being sampled. */
    public final class Watch {
        private final String unitId;
        private final Supplier<ProcessHandle> process;
        private final long limitBytes;
        private final Consumer<String> overLimit;
        private final long startedAt;
        // guarded by this
        private final List<MemorySample> samples = new ArrayList<>();
        private long stride = 1;
        private long tick; // samples taken so far, kept or not
        private final List<Long> keptTicks = new ArrayList<>();
        private long peakUsed;
        private long peakRss;
        private long peakPss;
        private long peakSwap;
        private boolean over;
        private boolean stopped;

        private Watch(String unitId, Supplier<ProcessHandle> process, long limitBytes, Consumer<String> overLimit,
                      long startedAt) {
            this.unitId = unitId;
            this.process = process;
            this.limitBytes = limitBytes;
            this.overLimit = overLimit;
            this.startedAt = startedAt;
        }

        private void sample(Map<Long, List<Long>> children) {
            ProcessHandle p = process.get();
            if (p == null || !p.isAlive()) {
                return;
            }
            ProcMemory.Usage u = proc.ofTree(p.pid(), children);
            if (u.rss() == 0) { // exited while read
                return;
            }
            MemorySample s = new MemorySample(System.currentTimeMillis() - startedAt, u.rss(), u.pss(), u.swap());
            String exceeded = null;
            synchronized (this) {
                if (stopped) {
                    return;
                }
                peakUsed = Math.max(peakUsed, s.used());
                peakRss = Math.max(peakRss, s.rss());
                peakPss = Math.max(peakPss, s.pss());
                peakSwap = Math.max(peakSwap, s.swap());
                long now = tick++;
                if (keptTicks.isEmpty() || now >= keptTicks.get(keptTicks.size() - 1) + stride) {
                    samples.add(s);
                    keptTicks.add(now);
                    if (samples.size() >= MemoryProfile.MAX_SAMPLES) {
                        thin();
                    }
                }
                if (limitBytes > 0 && s.used() > limitBytes && !over) {
                    over = true;
                    exceeded = "memory limit exceeded: peak " + MemoryProfile.mib(s.used())
                            + " (pss+swap of its processes), limit " + MemoryProfile.mib(limitBytes);
                }
            }
            if (exceeded != null) {
                overLimit.accept(exceeded);
            }
        }

        // every other sample goes and the stride doubles: the series stays evenly spaced and bounded
        private void thin() {
            List<MemorySample> kept = new ArrayList<>(samples.size() / 2 + 1);
            List<Long> keptAt = new ArrayList<>(samples.size() / 2 + 1);
            for (int i = 0; i < samples.size(); i += 2) {
                kept.add(samples.get(i));
                keptAt.add(keptTicks.get(i));
            }
            samples.clear();
            samples.addAll(kept);
            keptTicks.clear();
            keptTicks.addAll(keptAt);
            stride *= 2;
        }

        /** How many samples one kept sample stands for now (1, doubling with each thinning). */
        synchronized long stride() {
            return stride;
        }

        /** Stops sampling; the profile of what was seen, or null when no sample was taken (a short unit). */
        public MemoryProfile stop() {
            watches.remove(this);
            synchronized (this) {
                stopped = true;
                if (samples.isEmpty()) {
                    return null;
                }
                MemoryProfile p = MemoryProfile.of(limitBytes, intervalMillis * stride, samples);
                // the peaks of every sample taken, also those thinned out of the series
                return new MemoryProfile(p.limitBytes(), p.intervalMillis(), peakRss, peakPss, peakSwap, peakUsed,
                        p.samples(), p.leak(), p.leaking());
            }
        }
    }
}
