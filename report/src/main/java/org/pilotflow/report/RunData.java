package org.pilotflow.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.memory.MemoryProfile;

/**
 * What a run report is made of: a session's pilots and units as the public API shows them, read once. Plain values,
 * so that the analysis can be tested on hand-made runs.
 *
 * @param sessionId the session's id
 * @param pilots    its pilots, in the order their managers list them
 * @param units     its units, each once (a unit is listed by the one manager it was submitted to)
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

    /** Reads every pilot and unit of {@code session} through its managers (memory profiles from the database). */
    public static RunData of(Session session) {
        List<PilotRun> pilots = new ArrayList<>();
        for (PilotManager pm : session.pilotManagers()) {
            for (ComputePilot p : pm.getPilots(pm.listPilots())) {
                pilots.add(new PilotRun(p.uid(), p.description().resource(), p.description().cores(), p.state(),
                        p.stateHistory(), p.reason().orElse(null)));
            }
        }
        Map<String, UnitRun> units = new LinkedHashMap<>(); // a unit is in one manager; the map keeps it once anyway
        for (UnitManager um : session.unitManagers()) {
            for (ComputeUnit u : um.getUnits(um.listUnits())) {
                units.computeIfAbsent(u.uid(), uid -> new UnitRun(uid, u.description().name(),
                        u.pilot().orElse(null), u.description().cores(), u.state(), u.stateHistory(),
                        u.errorCode().orElse(null), u.failureReason().orElse(null), u.memory().orElse(null)));
            }
        }
        return new RunData(session.uid(), pilots, new ArrayList<>(units.values()));
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
