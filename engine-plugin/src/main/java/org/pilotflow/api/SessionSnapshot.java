package org.pilotflow.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;

/**
 * A stored session as its database holds it at one moment, read without an engine: nothing is written, no agent is
 * served, no job runs. What reports and tools read ({@code Session.builder().snapshot(id)} with the database of a
 * finished application, or {@link Session#snapshot()} of an open session).
 *
 * <p>Memory series take the most room (up to {@link MemoryProfile#MAX_SAMPLES} samples a unit): a snapshot keeps
 * them for every leaking unit and for the {@code seriesKept} units with the largest peaks; the other units' profiles
 * keep their peaks and leak analysis, with no samples.
 *
 * @param pilots its pilots, by uid
 * @param units  its units, by uid
 */
public record SessionSnapshot(String id, Instant created, boolean closed, List<PilotSnapshot> pilots,
                              List<UnitSnapshot> units) {

    /** How many non-leaking units keep their memory series unless the caller says otherwise. */
    public static final int DEFAULT_SERIES_KEPT = 40;

    public SessionSnapshot {
        pilots = List.copyOf(pilots);
        units = List.copyOf(units);
    }

    /**
     * A pilot.
     *
     * @param reason why it FAILED or was CANCELED; null otherwise
     */
    public record PilotSnapshot(String uid, ComputePilotDescription description, PilotState state,
                                List<StateEntry<PilotState>> history, String reason) {
        public PilotSnapshot {
            history = List.copyOf(history);
        }
    }

    /**
     * A unit.
     *
     * @param manager   the unit manager it was submitted to
     * @param pilot     the pilot its last attempt was bound to; null when none
     * @param exitCode  its executable's exit code; null when it has none
     * @param errorCode why it FAILED or was CANCELED; null otherwise
     * @param reason    the failure reason in words; null when none
     * @param memory    what its agent sampled of its memory (see the class comment for its series); null for none
     */
    public record UnitSnapshot(String uid, String manager, ComputeUnitDescription description, String pilot,
                               UnitState state, List<StateEntry<UnitState>> history, Integer exitCode,
                               ErrorCode errorCode, String reason, MemoryProfile memory) {
        public UnitSnapshot {
            history = List.copyOf(history);
        }

        public Optional<MemoryProfile> memoryProfile() {
            return Optional.ofNullable(memory);
        }
    }
}
