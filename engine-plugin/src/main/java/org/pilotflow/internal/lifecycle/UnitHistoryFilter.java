package org.pilotflow.internal.lifecycle;

import java.util.ArrayList;
import java.util.List;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.history.event.HistoricActivityInstanceEventEntity;
import org.camunda.bpm.engine.impl.history.event.HistoryEvent;
import org.camunda.bpm.engine.impl.history.handler.DbHistoryEventHandler;
import org.camunda.bpm.engine.impl.history.handler.HistoryEventHandler;
import org.pilotflow.delegates.BpmnContract;

/**
 * The engine's history writer, less the activity instances of unit processes. A unit's steps are its state
 * history in PilotFlow's own row (each state with its time, {@code ComputeUnit.stateHistory()}); writing them again
 * as eight {@code ACT_HI_ACTINST} rows, each with ten indexes, was the largest part of a unit's database work
 * (examples UnitStatements, README "Performance"). Kept: the unit's process instance history (start, end, the end
 * event it took), every event of the pilot process and of the user's own workflows, incidents, and all runtime
 * state Cockpit shows.
 * {@code PilotFlowConfig.unitActivityHistory(true)} writes units' activity instances as well.
 *
 * <p>Called on whichever engine thread produces the event; holds no state.
 */
public final class UnitHistoryFilter implements HistoryEventHandler {

    private final HistoryEventHandler db = new DbHistoryEventHandler();

    /**
     * Puts the filter in place of the engine's own database writer (before the engine is built: a plugin's preInit);
     * custom handlers still get every event. An engine given a history event handler of its own, or none that writes
     * to the database, is left as it is, and false is returned.
     */
    public static boolean install(ProcessEngineConfigurationImpl cfg) {
        if (cfg.getHistoryEventHandler() != null || !cfg.isEnableDefaultDbHistoryEventHandler()) {
            return false;
        }
        cfg.setEnableDefaultDbHistoryEventHandler(false);
        List<HistoryEventHandler> handlers = new ArrayList<>();
        if (cfg.getCustomHistoryEventHandlers() != null) {
            handlers.addAll(cfg.getCustomHistoryEventHandlers());
        }
        handlers.add(new UnitHistoryFilter());
        cfg.setCustomHistoryEventHandlers(handlers);
        return true;
    }

    @Override
    public void handleEvent(HistoryEvent event) {
        if (!unitActivity(event)) {
            db.handleEvent(event);
        }
    }

    @Override
    public void handleEvents(List<HistoryEvent> events) {
        List<HistoryEvent> kept = new ArrayList<>(events.size());
        for (HistoryEvent e : events) {
            if (!unitActivity(e)) {
                kept.add(e);
            }
        }
        db.handleEvents(kept);
    }

    /** Start, update, end and migration of an activity instance of a unit process: all of its events or none. */
    static boolean unitActivity(HistoryEvent event) {
        return event instanceof HistoricActivityInstanceEventEntity
                && BpmnContract.UNIT_PROCESS.equals(event.getProcessDefinitionKey());
    }
}
