package org.pilotflow.model;

/** The compute-unit lifecycle (RADICAL-Pilot's seed-era names). The allowed moves are in {@link #MODEL}. */
public enum UnitState {
    NEW, UNSCHEDULED, SCHEDULING, PENDING_INPUT_STAGING, STAGING_INPUT, PENDING_EXECUTION, ALLOCATING, EXECUTING,
    PENDING_OUTPUT_STAGING, STAGING_OUTPUT, DONE, CANCELED, FAILED;

    /** The transition table: the single source of truth for code, tests and the README diagram. */
    public static final StateModel<UnitState> MODEL = StateModel.builder(UnitState.class, NEW)
            .path(NEW, UNSCHEDULED, SCHEDULING, PENDING_INPUT_STAGING, STAGING_INPUT, PENDING_EXECUTION,
                    ALLOCATING, EXECUTING, PENDING_OUTPUT_STAGING, STAGING_OUTPUT, DONE)
            .fromEveryNonFinal(CANCELED)
            .fromEveryNonFinal(FAILED)
            .raceWin(CANCELED, DONE)
            .raceWin(CANCELED, FAILED)
            .finals(DONE, CANCELED, FAILED)
            .build();

    public boolean isFinal() {
        return MODEL.isFinal(this);
    }
}
