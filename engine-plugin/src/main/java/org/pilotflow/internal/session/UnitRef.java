package org.pilotflow.internal.session;

import org.pilotflow.model.UnitState;

/**
 * A unit as a wait or a cancel sees it: its view, or, for a finished unit whose view this node let go, only its
 * manager and final state ({@link KnownUnits}), which is all a wait or a cancel needs of a final unit.
 */
record UnitRef(String uid, String manager, UnitView view, UnitState goneState) {

    static UnitRef of(UnitView v) {
        return new UnitRef(v.current.uid(), v.current.manager(), v, null);
    }

    UnitState state() {
        return view != null ? view.current.state() : goneState;
    }
}
