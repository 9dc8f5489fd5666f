package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.Session;
import org.pilotflow.model.PilotState;
import org.pilotflow.testing.TestBackends;

/** Pilots on {@code sge://localhost/}: the real single-node Grid Engine of {@link TestBackends}. */
class SgePilotTest {

    @TempDir
    Path work;

    static Map<String, String> sge;

    @BeforeAll
    static void backends() throws Exception {
        sge = TestBackends.require("sge");
        ClusterFixture.createSandboxRoot();
    }

    @Test
    void unitWorkloadFailingAndCanceledUnitsAndCanceledPilot() {
        try (Session session = ClusterFixture.session(work, ClusterFixture.sgeLocal(sge))) {
            ComputePilot pilot = session.createPilotManager().submitPilot(ClusterFixture.pilot("test.sge", 2).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            assertThat(pilot.resourceDetails()).startsWith("test.sge sge:");

            ClusterFixture.standardWorkload(session, pilot);
            ClusterFixture.cancelActivePilot(pilot);
        }
    }
}
