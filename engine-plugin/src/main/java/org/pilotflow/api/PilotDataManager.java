package org.pilotflow.api;

import java.util.List;

/**
 * BigJob's {@code PilotDataService}, one per session ({@link Session#pilotDataManager()}): makes pilot-data and
 * finds data units. Units name data units in {@link ComputeUnitDescription#inputData()} and
 * {@link ComputeUnitDescription#outputData()}; the unit managers place them near their data.
 */
public interface PilotDataManager {

    /**
     * A new pilot-data: its directory is checked against the resource's {@code valid_roots} and made.
     *
     * @throws BadParameter naming {@code resource} or {@code path}
     */
    PilotData submitPilotData(PilotDataDescription description);

    List<String> listPilotData();

    /** @throws BadParameter for an unknown uid */
    PilotData getPilotData(String uid);

    List<String> listDataUnits();

    /** @throws BadParameter for an unknown uid */
    DataUnit getDataUnit(String uid);
}
