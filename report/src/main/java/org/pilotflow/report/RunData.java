package org.pilotflow.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.pilotflow.api.Session;
import org.pilotflow.api.SessionSnapshot;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;

/**
 * What a run report is made of: a session's pilots and units, read once from a {@link SessionSnapshot}. Plain
 * values, so that the analysis can be tested on hand-made runs.
 *
 * @param sessionId the session's id
 * @param pilots    its pilots, in the order their managers list them
 * @param units     its units
 */
public record RunData(String sessionId, List<PilotRun> pilots, List<UnitRun> units) {

    public RunData {
        pilots = List.copyOf(pilots);
        units = List.copyOf(units);
    }

    /**
     * A pilot.
     *
     * @param reason why it FAILED or was CANCELED; null otherwise
     */
    public record PilotRun(String uid, String resource, int cores, PilotState state,
                           List<StateEntry<PilotState>> history, String reason) {
        public PilotRun {
            history = List.copyOf(history);
        }
    }

    /**
     * A unit.
     *
     * @param pilot     the pilot its last attempt was bound to; null when it never was
     * @param errorCode why it FAILED or was CANCELED; null while it runs and for DONE
     * @param reason    the failure reason in words; null when none
     * @param memory    what its agent sampled of its memory; null when nothing was sampled
     */
    public record UnitRun(String uid, String name, String pilot, int cores, UnitState state,
                          List<StateEntry<UnitState>> history, ErrorCode errorCode, String reason,
                          MemoryProfile memory) {
        public UnitRun {
            history = List.copyOf(history);
        }
    }

    /** The session as its database holds it now (see {@link Session#snapshot()}). */
    public static RunData of(Session session) {
        return of(session.snapshot());
    }

    /**
     * The stored session {@code sessionId} in the database {@code database} names, read without an engine (see
     * {@link Session.Builder#snapshot(String)}): nothing is written, no agent is served.
     */
    public static RunData read(Session.Builder database, String sessionId) {
        return of(database.snapshot(sessionId));
    }

    /** What a snapshot holds, as the report needs it. */
    public static RunData of(SessionSnapshot s) {
        List<PilotRun> pilots = new ArrayList<>();
        for (SessionSnapshot.PilotSnapshot p : s.pilots()) {
            pilots.add(new PilotRun(p.uid(), p.description().resource(), p.description().cores(), p.state(),
                    p.history(), p.reason()));
        }
        List<UnitRun> units = new ArrayList<>();
        for (SessionSnapshot.UnitSnapshot u : s.units()) {
            units.add(new UnitRun(u.uid(), u.description().name(), u.pilot(), u.description().cores(), u.state(),
                    u.history(), u.errorCode(), u.reason(), u.memory()));
        }
        return new RunData(s.id(), pilots, units);
    }

    /** The earliest time any entry of any pilot or unit carries; null for a run with no entries. */
    Instant firstEntry() {
        return entryTimes().min(Instant::compareTo).orElse(null);
    }

    /** The latest time any entry of any pilot or unit carries; null for a run with no entries. */
    Instant lastEntry() {
        return entryTimes().max(Instant::compareTo).orElse(null);
    }

    private Stream<Instant> entryTimes() {
        return Stream.concat(
                pilots.stream().flatMap(p -> p.history().stream()).map(StateEntry::time),
                units.stream().flatMap(u -> u.history().stream()).map(StateEntry::time));
    }
}
