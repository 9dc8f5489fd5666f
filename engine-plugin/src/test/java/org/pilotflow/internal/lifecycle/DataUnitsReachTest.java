package org.pilotflow.internal.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.PilotDataDescription;
import org.pilotflow.internal.store.DataTable.PilotDataRow;
import org.pilotflow.internal.store.PilotRecord;

/**
 * Which pilots reach a pilot-data on a remote resource: paths compared as the resource reports them, and as written
 * while a pilot's sandbox still starts with a variable (it resolves at launch).
 */
class DataUnitsReachTest {

    private static PilotRecord pilot(String resource, String sandbox) {
        return PilotRecord.created("s1", "pilot.0000", "umgr.0000", ComputePilotDescription.builder()
                .resource(resource).cores(1).runtime(Duration.ofMinutes(10)).build(), sandbox);
    }

    private static PilotDataRow pd(String resource, String written, String path) {
        return new PilotDataRow("s1", "pd.0000", new PilotDataDescription(resource, written, 0, null), path);
    }

    @Test
    void aRemotePilotReachesPilotDataBelowItsSandboxBaseBeforeAndAfterItsLaunch() {
        PilotDataRow data = pd("example.cluster", "$HOME/pf/sandboxes/data/pd", "/home/u/pf/sandboxes/data/pd");
        assertThat(DataUnits.reaches(pilot("example.cluster", "$HOME/pf/sandboxes/s1/pilot.0000"), data)).isTrue();
        assertThat(DataUnits.reaches(pilot("example.cluster", "/home/u/pf/sandboxes/s1/pilot.0000"), data)).isTrue();
        assertThat(DataUnits.reaches(pilot("example.cluster", "/home/u/pf/x/../sandboxes/s1/pilot.0000"), data))
                .as("normalized").isTrue();

        assertThat(DataUnits.reaches(pilot("example.cluster", "$HOME/other/s1/pilot.0000"), data)).isFalse();
        assertThat(DataUnits.reaches(pilot("example.cluster", "/home/v/pf/sandboxes/s1/pilot.0000"), data)).isFalse();
        assertThat(DataUnits.reaches(pilot("other.cluster", "/home/u/pf/sandboxes/s1/pilot.0000"), data))
                .as("another resource").isFalse();
        assertThat(DataUnits.reaches(pilot("example.cluster", "/home/u/pf/s1/pilot.0000"),
                pd("example.cluster", "$HOME/pf", "/home/u/pf"))).as("the base itself").isFalse();
    }
}
