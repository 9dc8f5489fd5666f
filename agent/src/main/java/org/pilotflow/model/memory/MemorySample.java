package org.pilotflow.model.memory;

/**
 * One look at a unit's whole process tree, summed over its processes, in bytes.
 *
 * @param atMillis milliseconds since the unit's first process started
 * @param rss      resident set size (pages shared between the tree's processes count once per process)
 * @param pss      proportional set size (shared pages split between the processes sharing them); equals
 *                 {@code rss} where the kernel does not report it
 * @param swap     swapped out
 */
public record MemorySample(long atMillis, long rss, long pss, long swap) {

    /** What a limit is held against and a leak is fitted on: {@code pss + swap}, as the PanDA pilot does. */
    public long used() {
        return pss + swap;
    }
}
