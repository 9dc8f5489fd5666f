package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.DataClient;
import org.pilotflow.api.Session;
import org.pilotflow.model.PilotState;

/** The Data API on a local (fork) pilot: files copied between this process's directories and the pilot's. */
class DataClientTest {

    @TempDir
    Path work;

    @Test
    void stagesInAndOutChecksMismatchesAndRefusesBadInput() throws Exception {
        Path local = Files.createDirectories(work.resolve("client"));
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            DataClient data = session.dataClient(pilot);
            assertThat(data.pilot()).isEqualTo(pilot.uid());

            DataScenarios.roundTrip(data, pilot, local);
            DataScenarios.mismatchFailsOneFileOnly(data, pilot, local);
            DataScenarios.badInputMovesNothing(data, pilot, local);
            DataScenarios.largeFile(data, pilot, local, 20L << 20);

            assertThatThrownBy(() -> session.dataClient("pilot.9999")).isInstanceOf(BadParameter.class)
                    .hasMessageStartingWith("pilot is 'pilot.9999'");
        }
    }
}
