package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.e2e.LocalFixture;
import org.pilotflow.e2e.StagingScenarios;
import org.pilotflow.model.PilotState;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.testing.TestBackends;

/**
 * Units' staging directives on a pilot of a real resource ({@link StagingScenarios}): one pilot per class, shared by
 * its tests, with the pilot-level shared input staged once; the last test cancels it (cleanup). Runs in the H2 run of the end-to-end suite only: what it
 * tests happens on the resource, not in the engine's database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ClusterStagingTest {

    Path work;
    Session session;
    ComputePilot pilot;
    UnitManager umgr;
    StagingScenarios.Inputs inputs;

    /** The resource behind the test sshd, with any other backend it needs started. */
    abstract ResourceConfig resource(Map<String, String> sshd);

    @BeforeAll
    void startPilot(@TempDir Path work) throws Exception {
        Assumptions.assumeFalse(LocalFixture.onPostgres(), "runs in the H2 run of the end-to-end suite only");
        this.work = work;
        Map<String, String> sshd = TestBackends.require("sshd");
        ResourceConfig rc = resource(sshd);
        ClusterFixture.createSandboxRoot();
        Path resourceDir = ClusterFixture.SANDBOX_ROOT.resolve("staging-" + System.nanoTime());
        inputs = StagingScenarios.prepareResource(resourceDir, work.resolve("outside"));
        session = ClusterFixture.session(work, rc);
        session.addContext(ClusterFixture.sshCredentials(sshd));
        pilot = session.createPilotManager().submitPilot(StagingScenarios.withSharedInput(
                ClusterFixture.pilot(rc.label(), 2).sandbox(resourceDir.toString()).cleanup(true), inputs).build());
        assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).as("%s", pilot.reason())
                .isEqualTo(PilotState.ACTIVE);
        umgr = session.createUnitManager();
        umgr.addPilot(pilot);
    }

    @AfterAll
    void closeSession() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    void unitDirectivesCopyLinkMoveVerifyAndRefuseEscapes() throws Exception {
        StagingScenarios.unitDirectives(umgr, pilot, inputs);
    }

    @Test
    void dataApiInputLinkedIntoAUnitAndItsResultBroughtBack() throws Exception {
        StagingScenarios.dataApiInputLinkedIntoAUnit(session.dataClient(pilot), umgr, work.resolve("client"));
    }

    /** Last: the pilot (cleanup) is canceled, its sandbox goes, what its units' links lead to stays. */
    @Test
    @Order(Integer.MAX_VALUE)
    void cleanupRemovesTheSandboxNotWhatItsLinksLeadTo() throws Exception {
        StagingScenarios.cleanupRemovesTheSandboxNotWhatItsLinksLeadTo(pilot, inputs);
    }
}
