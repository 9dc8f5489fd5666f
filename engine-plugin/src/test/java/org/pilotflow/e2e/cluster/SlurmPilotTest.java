package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.model.PilotState;
import org.pilotflow.testing.TestBackends;

/** Pilots on {@code slurm://localhost/}: the real single-node SLURM of {@link TestBackends}. */
class SlurmPilotTest {

    @TempDir
    Path work;

    static Map<String, String> slurm;
    static Map<String, String> client;

    @BeforeAll
    static void backends() throws Exception {
        slurm = TestBackends.require("slurm");
        client = TestBackends.clientEnvironment("slurm");
        ClusterFixture.createSandboxRoot();
    }

    static String jobId(ComputePilot pilot) {
        String details = pilot.resourceDetails();
        return details.substring(details.lastIndexOf(':') + 1);
    }

    /** The job's state as squeue shows it, or "" once squeue has forgotten it. */
    static String squeueState(String jobId) {
        return ClusterFixture.run(client, "squeue", "-h", "-t", "all", "-j", jobId, "-o", "%T").strip();
    }

    @Test
    void unitWorkloadFailingAndCanceledUnitsAndCanceledPilot() {
        try (Session session = ClusterFixture.session(work, ClusterFixture.slurmLocal(slurm))) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = pmgr.submitPilot(ClusterFixture.pilot("test.slurm", 2).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            assertThat(pilot.resourceDetails()).startsWith("test.slurm slurm:");

            ClusterFixture.standardWorkload(session, pilot);

            String job = jobId(pilot);
            ClusterFixture.cancelActivePilot(pilot);
            ClusterFixture.await("batch job " + job + " to end", Duration.ofSeconds(60),
                    () -> !squeueState(job).matches("PENDING|RUNNING|COMPLETING|CONFIGURING"));
        }
    }

    @Test
    void jobCanceledFromOutsideFailsThePilotWithSlurmsReason() {
        try (Session session = ClusterFixture.session(work, ClusterFixture.slurmLocal(slurm))) {
            ComputePilot pilot = session.createPilotManager().submitPilot(ClusterFixture.pilot("test.slurm", 1).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(90), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);

            ClusterFixture.run(client, "scancel", jobId(pilot)); // an admin, not PilotFlow

            assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).hasValueSatisfying(r -> assertThat(r).contains("CANCELLED"));
        }
    }

    @Test
    void pilotQueuedBehindAFullClusterAndCanceledLeavesNoJobBehind() {
        int cpus = Integer.parseInt(slurm.get("SLURM_CPUS"));
        String blocker = ClusterFixture.run(client, "sbatch", "--parsable", "-J", "blocker", "-n",
                Integer.toString(cpus), "-o", "/dev/null", "--wrap", "sleep 600").strip().split(";")[0];
        try (Session session = ClusterFixture.session(work, ClusterFixture.slurmLocal(slurm))) {
            ClusterFixture.await("the blocker job to run", Duration.ofSeconds(60),
                    () -> squeueState(blocker).equals("RUNNING"));
            ComputePilot pilot = session.createPilotManager().submitPilot(ClusterFixture.pilot("test.slurm", 1).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.PENDING_ACTIVE))
                    .isEqualTo(PilotState.PENDING_ACTIVE);
            String job = jobId(pilot);
            ClusterFixture.await("the pilot's job to be queued", Duration.ofSeconds(30),
                    () -> squeueState(job).equals("PENDING"));

            pilot.cancel();

            assertThat(pilot.waitFor(Duration.ofSeconds(30))).isEqualTo(PilotState.CANCELED);
            ClusterFixture.await("the queued job to be removed", Duration.ofSeconds(30),
                    () -> squeueState(job).matches("|CANCELLED"));
            assertThat(pilot.stateHistory()).extracting(e -> e.state()).doesNotContain(PilotState.ACTIVE);
        } finally {
            ClusterFixture.run(client, "scancel", blocker);
        }
    }

    @Test
    void rejectedJobFailsThePilotWithSbatchsMessage() {
        try (Session session = ClusterFixture.session(work, ClusterFixture.slurmLocal(slurm))) {
            ComputePilot pilot = session.createPilotManager().submitPilot(
                    ClusterFixture.pilot("test.slurm", 1).queue("nosuchpartition").build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).hasValueSatisfying(r -> assertThat(r)
                    .contains("invalid partition").contains("nosuchpartition"));
        }
    }
}
