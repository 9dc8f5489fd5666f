package org.pilotflow.internal.scheduling;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.model.PilotState;

/**
 * Decides where units go, one after another, for one unit manager (pure: no database, no clock). Each decision
 * counts toward the next: a unit bound here adds to its pilot's load, and ROUND_ROBIN's turn moves on.
 *
 * <ul>
 *   <li>A unit pinned to a pilot goes there or nowhere; pinned to a final or canceling pilot it is rejected.</li>
 *   <li>Only unfinished pilots that are not being canceled count. With none, the unit waits (for
 *       {@code addPilots}).</li>
 *   <li>A unit bigger than every unfinished pilot is rejected: "unit needs 8 cores, largest pilot has 4".</li>
 *   <li>ROUND_ROBIN binds at once to the next pilot in turn that is big enough, whatever its state (its agent
 *       queues the unit).</li>
 *   <li>BACKFILLING binds only to ACTIVE pilots, to the least loaded one whose load stays within
 *       {@code highWaterMark} x its cores; otherwise the unit waits.</li>
 *   <li>A unit with data ({@link DataLocality}) goes only to pilots that reach it, and to a near one first: the
 *       policy chooses among the near pilots, and among all reaching ones only when no near one takes it (gone,
 *       too small or, with BACKFILLING, full).</li>
 * </ul>
 */
public final class UnitPlacement {

    private final SchedulerPolicy policy;
    private final int highWaterMark;
    private final Map<String, PilotCapacity> pilots = new LinkedHashMap<>();
    private long cursor;

    /**
     * @param pilots the manager's pilots, in the order they were added
     * @param cursor where ROUND_ROBIN's turn stands
     */
    public UnitPlacement(SchedulerPolicy policy, int highWaterMark, List<PilotCapacity> pilots, long cursor) {
        this.policy = policy;
        this.highWaterMark = highWaterMark;
        pilots.forEach(p -> this.pilots.put(p.uid(), p));
        this.cursor = cursor;
    }

    /** Where ROUND_ROBIN's turn stands after the decisions so far. */
    public long cursor() {
        return cursor;
    }

    /** The pilots with the load of every unit bound so far. */
    public List<PilotCapacity> pilots() {
        return List.copyOf(pilots.values());
    }

    public Placement place(Demand d) {
        return place(d, null);
    }

    /** As {@link #place(Demand)}, for a unit whose data is at {@code data}; null for a unit without data. */
    public Placement place(Demand d, DataLocality data) {
        List<PilotCapacity> candidates = new ArrayList<>();
        for (PilotCapacity p : pilots.values()) {
            if (d.pinnedPilot() == null || d.pinnedPilot().equals(p.uid())) {
                candidates.add(p);
            }
        }
        List<PilotCapacity> alive = new ArrayList<>();
        for (PilotCapacity p : candidates) {
            if (!p.state().isFinal() && p.state() != PilotState.CANCELING) { // a canceling pilot takes no more
                alive.add(p);
            }
        }
        if (alive.isEmpty()) {
            if (d.pinnedPilot() != null && !candidates.isEmpty()) {
                return new Placement.Reject("pinned pilot " + d.pinnedPilot() + " is " + candidates.get(0).state());
            }
            return new Placement.Wait();
        }
        int maxCores = 0;
        int maxGpus = 0;
        List<PilotCapacity> fit = new ArrayList<>();
        for (PilotCapacity p : alive) {
            maxCores = Math.max(maxCores, p.cores());
            maxGpus = Math.max(maxGpus, p.gpus());
            if (p.cores() >= d.cores() && p.gpus() >= d.gpus()) {
                fit.add(p);
            }
        }
        if (fit.isEmpty()) {
            return d.cores() > maxCores
                    ? new Placement.Reject("unit needs " + d.cores() + " cores, largest pilot has " + maxCores)
                    : new Placement.Reject("unit needs " + d.gpus() + " gpus, largest pilot has " + maxGpus);
        }
        PilotCapacity chosen;
        if (data == null) {
            chosen = choose(fit, d);
        } else {
            List<PilotCapacity> reaching = new ArrayList<>();
            List<PilotCapacity> near = new ArrayList<>();
            for (PilotCapacity p : fit) {
                if (data.reaching().contains(p.uid())) {
                    reaching.add(p);
                    if (data.near().contains(p.uid())) {
                        near.add(p);
                    }
                }
            }
            if (reaching.isEmpty()) {
                return new Placement.Reject(data.unreachable());
            }
            chosen = near.isEmpty() ? null : choose(near, d);
            if (chosen == null) {
                chosen = choose(reaching, d);
            }
        }
        if (chosen == null) {
            return new Placement.Wait();
        }
        pilots.put(chosen.uid(), chosen.plus(d.cores(), d.gpus()));
        return new Placement.Bind(chosen.uid());
    }

    private PilotCapacity choose(List<PilotCapacity> fit, Demand d) {
        return policy == SchedulerPolicy.ROUND_ROBIN ? roundRobin(fit) : backfill(fit, d);
    }

    private PilotCapacity roundRobin(List<PilotCapacity> fit) {
        PilotCapacity p = fit.get((int) Math.floorMod(cursor, (long) fit.size()));
        cursor++;
        return p;
    }

    private PilotCapacity backfill(List<PilotCapacity> fit, Demand d) {
        PilotCapacity best = null;
        for (PilotCapacity p : fit) {
            if (p.state() != PilotState.ACTIVE) {
                continue;
            }
            boolean room = p.boundCores() + d.cores() <= p.cores() * highWaterMark
                    && (d.gpus() == 0 || p.boundGpus() + d.gpus() <= p.gpus() * highWaterMark);
            if (room && (best == null || p.boundCores() < best.boundCores())) {
                best = p;
            }
        }
        return best;
    }
}
