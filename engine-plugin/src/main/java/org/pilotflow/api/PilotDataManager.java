package org.pilotflow.api;

import java.util.List;

/**
 * BigJob's {@code PilotDataService}, one per session ({@link Session#pilotDataManager()}): makes pilot-data and
 * finds data units. Units name data units in {@link ComputeUnitDescription#inputData()} and
 * {@link ComputeUnitDescription#outputData()}; the unit managers place them near their data.
 */
public interface PilotDataManager {

    /**
     * A new pilot-data: its directory is checked against the resource's {@code valid_roots} (on a resource reached
     * over SSH, as that machine sees them, links resolved there) and made (over SFTP there).
     *
     * @throws BadParameter naming {@code resource} (unknown, or its machine out of reach) or {@code path}
     */
    PilotData submitPilotData(PilotDataDescription description);

    List<String> listPilotData();

    /** @throws BadParameter for an unknown uid */
    PilotData getPilotData(String uid);

    List<String> listDataUnits();

    /** @throws BadParameter for an unknown uid */
    DataUnit getDataUnit(String uid);
}
