package org.pilotflow.api;

import org.pilotflow.model.StateModel;

/**
 * A data unit's lifecycle (BigJob's New, Pending, Running, Failed; "Running" there means "available", here READY):
 * NEW when stored, PENDING while its files are copied to its first pilot-data, READY once one replica is complete
 * (units may read it, and units writing it add files), FAILED with a reason when its files could not be placed.
 */
public enum DataUnitState {
    NEW, PENDING, READY, FAILED;

    /** The transition table. */
    public static final StateModel<DataUnitState> MODEL = StateModel.builder(DataUnitState.class, NEW)
            .path(NEW, PENDING, READY)
            .fromEveryNonFinal(FAILED)
            .finals(READY, FAILED)
            .build();

    public boolean isFinal() {
        return MODEL.isFinal(this);
    }
}
