package org.pilotflow.internal.lifecycle;

import java.util.List;
import org.pilotflow.internal.store.PilotKey;
import org.pilotflow.internal.store.PilotRecord;
import org.pilotflow.internal.store.UnitKey;
import org.pilotflow.internal.store.UnitRecord;

/** What a committed transaction tells the rest of this engine node (never sent before the commit). */
public sealed interface Published {

    /** A pilot row as committed. */
    record PilotChanged(PilotRecord pilot) implements Published { }

    /** A unit row as committed. */
    record UnitChanged(UnitRecord unit) implements Published { }

    /** New commands wait for this pilot's agent (wakes a long-polling sync). */
    record CommandsQueued(PilotKey pilot) implements Published { }

    /** The unit manager may be able to bind waiting units now. */
    record DrainWanted(String sessionId, String manager) implements Published { }

    /** The pilot's job should end now; the watchdog retries until it has. */
    record KillWanted(PilotKey pilot) implements Published { }

    /** A pilot process waits at "Launch pilot". */
    record LaunchWanted() implements Published { }

    /** A final pilot still has unfinished units: settle them in bounded transactions. */
    record SettleWanted(PilotKey pilot) implements Published { }

    /** Units stored without their processes (a large submission): this node starts them, oldest first. */
    record StartWanted(String sessionId, List<String> uids) implements Published { }

    /** A unit's process instance was deleted: cancel the unit in a transaction of its own. */
    record CancelWanted(UnitKey unit, String why) implements Published { }
}
