package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.FileSpec;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.StagingDirective;

/**
 * A full disk on the resource, for real: the pilot's sandboxes on an 8 MiB tmpfs. A 12 MiB file copied by the agent,
 * transferred by the engine from the client, or moved with the Data API, and a 5 MiB tree as a client TARBALL (its
 * archive fits, the tree unpacked beside it does not) fail naming the directive (or the file) and
 * the cause, and nothing half-written is left there. Needs root to mount the tmpfs: skipped elsewhere, except under
 * {@code CI=true} (CI runs as root).
 */
class FullDiskStagingTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path work;

    private Path small;

    @AfterEach
    void unmount() throws Exception {
        if (small != null) {
            new ProcessBuilder("umount", "-l", small.toString()).inheritIO().start().waitFor();
        }
    }

    @Test
    void stagingOntoAFullDiskFailsNamingTheDirectiveAndLeavesNothingHalfWritten() throws Exception {
        Path mountPoint = Files.createDirectories(work.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint.toString())
                .redirectErrorStream(true).start();
        String why = new String(mount.getInputStream().readAllBytes());
        if (mount.waitFor() != 0) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI runs as root and must be able to mount a tmpfs: " + why);
            }
            Assumptions.abort("cannot mount a tmpfs here (needs root): " + why);
        }
        small = mountPoint;
        Path client = Files.createDirectories(work.resolve("client"));
        Path big = client.resolve("big.bin");
        byte[] mib = new byte[1 << 20];
        new java.util.Random(3).nextBytes(mib);
        try (var out = Files.newOutputStream(big)) {
            for (int i = 0; i < 12; i++) {
                out.write(mib);
            }
        }
        Files.createDirectories(client.resolve("half"));
        try (var out = Files.newOutputStream(client.resolve("half/five.bin"))) {
            for (int i = 0; i < 5; i++) {
                out.write(mib);
            }
        }
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1)
                    .sandbox(small.toString()).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).as("%s", pilot.reason())
                    .isEqualTo(PilotState.ACTIVE);
            Path sandbox = Path.of(pilot.sandbox());
            // the agent's COPY: a link in the pilot sandbox to the big file (under a valid root of local.localhost)
            Files.createSymbolicLink(sandbox.resolve("big-link.bin"), big);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            ComputeUnit byAgent = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging(List.of(StagingDirective.copy("pilot:///big-link.bin", "big.bin"))).build());
            assertThat(byAgent.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(byAgent.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(byAgent.failureReason()).get().asString()
                    .startsWith("input staging [0] 'pilot:///big-link.bin > unit:///big.bin' (COPY, [CREATE_PARENTS]) "
                            + "failed:")
                    .containsIgnoringCase("space");

            ComputeUnit byEngine = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging("big.bin").build());
            assertThat(byEngine.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(byEngine.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(byEngine.failureReason()).get().asString()
                    .startsWith("input staging [0] 'client:///big.bin > unit:///big.bin' (TRANSFER, [CREATE_PARENTS]) "
                            + "failed: NO_SPACE");

            // a TARBALL whose 5 MiB archive fits, and whose unpacked tree beside it does not
            ComputeUnit tarball = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging(List.of(new StagingDirective("client:///half", "", StagingDirective.Action.TARBALL)))
                    .build());
            assertThat(tarball.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(tarball.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(tarball.failureReason()).get().asString()
                    .startsWith("input staging [0] 'client:///half > unit:///half' (TARBALL, [CREATE_PARENTS]) failed: ")
                    .containsIgnoringCase("no space");

            List<FileSpec> moved = session.dataClient(pilot).stageIn(List.of(FileSpec.of(big.toString(), "big.bin")));
            assertThat(moved.get(0).error()).isEqualTo(FileSpec.TransferError.NO_SPACE);
            assertThat(moved.get(0).reason()).contains("big.bin");

            try (Stream<Path> all = Files.walk(small)) { // no target, no partial file under a temporary name
                assertThat(all.map(p -> p.getFileName().toString()))
                        .noneMatch(n -> n.contains("big.bin") || n.contains("half") || n.contains(".tarball-"));
            }
        }
    }
}
