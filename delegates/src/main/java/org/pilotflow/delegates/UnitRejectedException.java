package org.pilotflow.delegates;

/** A unit that can never run, e.g. "unit needs 8 cores, largest pilot has 4". */
public class UnitRejectedException extends Exception {
    public UnitRejectedException(String reason) {
        super(reason);
    }
}
