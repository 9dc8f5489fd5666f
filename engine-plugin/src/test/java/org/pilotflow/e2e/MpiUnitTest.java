package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.resource.config.LaunchMethod;
import org.pilotflow.resource.config.LaunchMethods;
import org.pilotflow.resource.config.ResourceConfig;

/**
 * An MPI unit through the whole chain: {@code mpi(true)} on the description reaches the agent, which starts it
 * with the resource's first MPI-capable launch method (real Open MPI {@code mpiexec}), one process per rank.
 */
class MpiUnitTest {

    @TempDir
    Path work;

    @Test
    void twoRankUnitRunsThroughMpiexecAndASingleCoreUnitIsForked() {
        boolean haveMpiexec = List.of(System.getenv("PATH").split(":")).stream()
                .anyMatch(d -> Files.isExecutable(Path.of(d, "mpiexec")));
        if (!haveMpiexec) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail("mpiexec (openmpi-bin) is missing; under CI=true .ci/run installs it");
            }
            Assumptions.abort("mpiexec (openmpi-bin) is not installed");
        }
        try (Session session = LocalFixture.session(work)) {
            ResourceConfig local = session.resources().get("local.localhost");
            session.resources().add(local.toBuilder()
                    .launchMethods(new LaunchMethods(List.of(LaunchMethod.MPIEXEC, LaunchMethod.FORK),
                            java.util.Map.of()))
                    .build().withLabel("local.mpi"));
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2)
                    .resource("local.mpi").build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            List<ComputeUnit> units = umgr.submitUnits(List.of(
                    ComputeUnitDescription.builder().name("mpi").executable("/bin/sh")
                            .arguments("-c", "echo rank $OMPI_COMM_WORLD_RANK of $OMPI_COMM_WORLD_SIZE")
                            .cores(2).mpi(true).build(),
                    ComputeUnitDescription.builder().name("plain").executable("/bin/sh")
                            .arguments("-c", "echo ${OMPI_COMM_WORLD_SIZE:-forked}").build()));
            assertThat(umgr.waitUnits(List.of(), List.of(), Duration.ofSeconds(90))).containsOnly(UnitState.DONE);

            assertThat(units.get(0).stdout()).contains("rank 0 of 2", "rank 1 of 2");
            assertThat(units.get(0).slots()).hasSize(2);
            assertThat(units.get(1).stdout().strip()).isEqualTo("forked");
        }
    }
}
