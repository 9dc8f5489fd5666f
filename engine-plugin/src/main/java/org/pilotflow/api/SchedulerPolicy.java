package org.pilotflow.api;

/** How a {@link UnitManager} binds units to its pilots. */
public enum SchedulerPolicy {
    /**
     * Bind each unit at once to the next pilot in turn that is big enough, whatever that pilot's state; the
     * agent queues it. The cheapest policy and the default (as in RADICAL-Pilot).
     */
    ROUND_ROBIN,
    /**
     * Bind units only to ACTIVE pilots, and only while the cores of a pilot's unfinished units stay below its
     * high-water mark (pilot cores x {@link UnitManager#HIGH_WATER_MARK}); the rest wait UNSCHEDULED and are bound
     * as pilots become active or units finish. Spreads work over pilots that start at different times.
     */
    BACKFILLING
}
