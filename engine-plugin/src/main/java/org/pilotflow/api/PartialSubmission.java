package org.pilotflow.api;

import java.util.List;

/**
 * {@code submitUnits} stored only the first part of the units before it failed. Units are stored in chunks, each
 * in a transaction of its own and in the order given; {@link #submitted()} are the ones stored (they run as usual),
 * the rest were not stored at all: submit those again. After a crash instead of an exception, the same holds for
 * what {@link UnitManager#listUnits()} shows once the session is reconnected.
 */
public class PartialSubmission extends PilotException {
    private final transient List<ComputeUnit> submitted;

    public PartialSubmission(String message, List<ComputeUnit> submitted, Throwable cause) {
        super(message, cause);
        this.submitted = List.copyOf(submitted);
    }

    /** The units that were stored, in the order given. */
    public List<ComputeUnit> submitted() {
        return submitted;
    }
}
