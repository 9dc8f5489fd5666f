package org.pilotflow.model;

/** The pilot lifecycle (RADICAL-Pilot's seed-era names). The allowed moves are in {@link #MODEL}. */
public enum PilotState {
    NEW, PENDING_LAUNCH, LAUNCHING, PENDING_ACTIVE, ACTIVE, CANCELING, DONE, CANCELED, FAILED;

    /** The transition table: the single source of truth for code, tests and the README diagram. */
    public static final StateModel<PilotState> MODEL = StateModel.builder(PilotState.class, NEW)
            .path(NEW, PENDING_LAUNCH, LAUNCHING, PENDING_ACTIVE, ACTIVE, DONE)
            .fromEveryNonFinal(CANCELING)
            .path(CANCELING, CANCELED)
            .path(CANCELING, DONE) // the runtime ran out while the cancel was under way
            .fromEveryNonFinal(FAILED)
            .raceWin(CANCELED, DONE)
            .raceWin(CANCELED, FAILED)
            .finals(DONE, CANCELED, FAILED)
            .build();

    public boolean isFinal() {
        return MODEL.isFinal(this);
    }
}
