package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.Adler32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Action;
import org.pilotflow.model.wire.StagingDirective.Flag;

/**
 * RADICAL-Pilot's client-side TRANSFER end to end on a local pilot: the engine's "Transfer input from the client"
 * puts {@code client://} files into the unit sandbox before the agent gets the unit, and "Transfer output to the
 * client" brings them back after the agent is done, before the unit is DONE. Checksums are verified, failures name
 * the directive, NON_FATAL and stageOnError behave as in the agent's staging. (Over SFTP: {@code SshPilotTest}.)
 */
class ClientStagingTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path work;

    private static String adler32(String text) {
        Adler32 a = new Adler32();
        a.update(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return String.format("adler32:%08x", a.getValue());
    }

    @Test
    void unitsTakeInputFromTheClientAndGiveOutputBack() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        Files.createDirectories(client.resolve("in/tree/sub"));
        String text = "alpha beta gamma\n";
        Files.writeString(client.resolve("in/words.txt"), text);
        Files.writeString(client.resolve("in/tree/a.txt"), "a\n");
        Files.writeString(client.resolve("in/tree/sub/b.txt"), "bb\n");
        Adler32 adler = new Adler32();
        adler.update(text.getBytes());
        String sum = String.format("adler32:%08x", adler.getValue());

        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            ComputeUnit counts = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "wc -w < words.txt > count.txt && cat tree/a.txt tree/sub/b.txt > both.txt")
                    .inputStaging(List.of(
                            StagingDirective.parse("d", "in/words.txt > words.txt").verified(null, sum),
                            new StagingDirective("client:///in/tree", "unit:///tree", Action.TRANSFER,
                                    java.util.EnumSet.of(Flag.RECURSIVE, Flag.CREATE_PARENTS))))
                    .outputStaging("count.txt > out/count.txt", "both.txt > client:///out/both.txt",
                            "count.txt > pilot:///results/count.txt")
                    .build());
            ComputeUnit mismatch = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging(List.of(StagingDirective.parse("d", "in/words.txt > words.txt")
                            .verified(null, "adler32:00000001"))).build());
            ComputeUnit missing = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging("in/absent.txt").build());
            ComputeUnit tolerant = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("words.txt")
                    .inputStaging(List.of(StagingDirective.parse("d", "in/absent.txt").withFlags(Flag.NON_FATAL),
                            StagingDirective.parse("d", "in/words.txt")))
                    .build());
            ComputeUnit noOutput = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .outputStaging("never-written.txt").build());
            ComputeUnit failing = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo trouble > why.log; exit 3")
                    .outputStaging("why.log > logs/why.log").stageOnError(true).build());

            assertThat(counts.waitFor(WITHIN)).as("%s", counts.failureReason()).isEqualTo(UnitState.DONE);
            assertThat(Files.readString(client.resolve("out/count.txt")).strip()).isEqualTo("3");
            assertThat(Files.readString(client.resolve("out/both.txt"))).isEqualTo("a\nbb\n");
            // PanDA's stage-out record: the agent's files first (it staged before the engine), then the client's
            String count = Files.readString(client.resolve("out/count.txt"));
            assertThat(counts.outputFiles()).containsExactly(
                    new StagedFile("pilot:///results/count.txt", count.length(), adler32(count)),
                    new StagedFile("client:///out/count.txt", count.length(), adler32(count)),
                    new StagedFile("client:///out/both.txt", 5, adler32("a\nbb\n")));
            List<UnitState> steps = counts.stateHistory().stream().map(StateEntry::state).toList();
            assertThat(steps).containsSubsequence(UnitState.PENDING_INPUT_STAGING, UnitState.STAGING_INPUT,
                    UnitState.PENDING_EXECUTION, UnitState.EXECUTING, UnitState.STAGING_OUTPUT, UnitState.DONE);
            // the engine timed its own steps: the input transfer began before the agent had the unit
            StateEntry<UnitState> staging = counts.stateHistory().stream()
                    .filter(e -> e.state() == UnitState.STAGING_INPUT).findFirst().orElseThrow();
            assertThat(staging.clock()).isEqualTo(StateEntry.ENGINE);
            Path sandbox = Path.of(counts.sandbox().orElseThrow());
            assertThat(Files.readString(sandbox.resolve("tree/sub/b.txt"))).isEqualTo("bb\n");
            try (var listing = Files.list(sandbox)) { // nothing left under a temporary name
                assertThat(listing.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".staging-"));
            }

            assertThat(mismatch.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(mismatch.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(mismatch.failureReason()).get().asString()
                    .startsWith("input staging [0] 'client:///in/words.txt > unit:///words.txt' (TRANSFER, "
                            + "[CREATE_PARENTS]) failed: CHECKSUM_MISMATCH")
                    .contains("00000001");
            assertThat(mismatch.stateHistory()).extracting(StateEntry::state)
                    .doesNotContain(UnitState.EXECUTING);

            assertThat(missing.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(missing.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(missing.failureReason()).get().asString().startsWith("input staging [0] "
                    + "'client:///in/absent.txt > unit:///absent.txt' (TRANSFER, [CREATE_PARENTS]) failed: "
                    + "no such file on the client: " + client.resolve("in/absent.txt"));

            assertThat(tolerant.waitFor(WITHIN)).as("%s", tolerant.failureReason()).isEqualTo(UnitState.DONE);
            assertThat(tolerant.stdout()).isEqualTo(text);

            assertThat(noOutput.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(noOutput.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
            assertThat(noOutput.exitCode()).contains(0);
            assertThat(noOutput.failureReason()).get().asString().startsWith("output staging [0] "
                    + "'unit:///never-written.txt > client:///never-written.txt' (TRANSFER, [CREATE_PARENTS]) failed:");
            assertThat(client.resolve("never-written.txt")).doesNotExist();

            // stageOnError: the log comes back, the unit keeps the end its agent reported
            assertThat(failing.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(failing.errorCode()).contains(ErrorCode.EXIT_CODE);
            assertThat(failing.exitCode()).contains(3);
            assertThat(Files.readString(client.resolve("logs/why.log"))).isEqualTo("trouble\n");
            assertThat(failing.outputFiles()).containsExactly(
                    new StagedFile("client:///logs/why.log", 8, adler32("trouble\n")));
            assertThat(noOutput.outputFiles()).isEmpty();
        }
    }

    @Test
    void tarballsCarryWholeTreesFromAndToTheClient() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        Path data = Files.createDirectories(client.resolve("in/data"));
        Files.createDirectories(data.resolve("sub"));
        Files.createDirectories(data.resolve("empty"));
        Files.writeString(data.resolve("a.txt"), "alpha\n");
        byte[] bytes = new byte[300_000];
        new java.util.Random(7).nextBytes(bytes);
        Files.write(data.resolve("sub/b.bin"), bytes);
        Files.writeString(data.resolve("run.sh"), "#!/bin/sh\necho ran\n");
        Files.setPosixFilePermissions(data.resolve("run.sh"), java.nio.file.attribute.PosixFilePermissions
                .fromString("rwxr-x---"));
        Files.createSymbolicLink(data.resolve("alias.bin"), Path.of("sub/b.bin")); // inside the tree: kept a link
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "not the client's\n");
        Files.createDirectories(client.resolve("in/leaky"));
        Files.writeString(client.resolve("in/leaky/fine.txt"), "fine\n");
        Files.createSymbolicLink(client.resolve("in/leaky/leak.txt"), outside.resolve("secret.txt"));

        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            // the pilot's own input as a TARBALL, during its launch
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2)
                    .inputStaging(List.of(new StagingDirective("client:///in/data", "pilot:///shared", Action.TARBALL)))
                    .build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).as("%s", pilot.reason())
                    .isEqualTo(PilotState.ACTIVE);
            StagingScenarios.assertSameTree(data, Path.of(pilot.sandbox()).resolve("shared"));
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            ComputeUnit both = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "./data/run.sh > ran.txt && mkdir -p res/deep/empty && cp data/sub/b.bin "
                            + "res/deep/ && ln -s deep/b.bin res/alias && cp ran.txt res/")
                    .inputStaging(List.of(new StagingDirective("client:///in/data", "unit:///data", Action.TARBALL)))
                    .outputStaging(List.of(new StagingDirective("unit:///res", "client:///out/res",
                            Action.TARBALL)))
                    .build());
            ComputeUnit missingIn = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging(List.of(new StagingDirective("client:///in/absent", "", Action.TARBALL))).build());
            ComputeUnit escapes = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging(List.of(new StagingDirective("client:///in/leaky", "", Action.TARBALL))).build());
            ComputeUnit missingOut = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .outputStaging(List.of(new StagingDirective("unit:///never", "", Action.TARBALL))).build());
            ComputeUnit leaksOut = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "mkdir res && echo x > res/x && ln -s /etc/hostname res/host")
                    .outputStaging(List.of(new StagingDirective("unit:///res", "client:///leaked", Action.TARBALL)))
                    .build());
            ComputeUnit onError = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "mkdir logs && echo trouble > logs/why.log; exit 3")
                    .outputStaging(List.of(new StagingDirective("unit:///logs", "client:///failed/logs",
                            Action.TARBALL))).stageOnError(true).build());
            ComputeUnit tolerant = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("data/a.txt")
                    .inputStaging(List.of(new StagingDirective("client:///in/absent", "unit:///x", Action.TARBALL,
                                    java.util.EnumSet.of(Flag.NON_FATAL)),
                            new StagingDirective("client:///in/data", "", Action.TARBALL)))
                    .build());

            assertThat(both.waitFor(WITHIN)).as("%s", both.failureReason()).isEqualTo(UnitState.DONE);
            Path sandbox = Path.of(both.sandbox().orElseThrow());
            StagingScenarios.assertSameTree(data, sandbox.resolve("data"));
            assertThat(Files.readString(sandbox.resolve("ran.txt"))).isEqualTo("ran\n"); // its mode came along
            StagingScenarios.assertSameTree(sandbox.resolve("res"), client.resolve("out/res"));
            assertThat(Files.isSymbolicLink(client.resolve("out/res/alias"))).isTrue();
            assertThat(Files.mismatch(client.resolve("out/res/alias"), data.resolve("sub/b.bin"))).isEqualTo(-1);
            StagingScenarios.assertNoArchiveLeft(sandbox);

            assertThat(missingIn.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(missingIn.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(missingIn.failureReason()).get().asString().isEqualTo("input staging [0] "
                    + "'client:///in/absent > unit:///absent' (TARBALL, [CREATE_PARENTS]) failed: no such file or "
                    + "directory on the client: " + client.resolve("in/absent"));

            assertThat(escapes.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(escapes.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(escapes.failureReason()).get().asString().startsWith("input staging [0] "
                    + "'client:///in/leaky > unit:///leaky' (TARBALL, [CREATE_PARENTS]) failed: cannot pack ")
                    .contains("leak.txt", "only links inside the tree are packed");
            try (var files = Files.walk(Path.of(pilot.sandbox()))) { // nothing of it reached the resource
                assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("leaky", "leak.txt");
            }

            assertThat(missingOut.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(missingOut.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
            assertThat(missingOut.failureReason()).get().asString().startsWith("output staging [0] "
                    + "'unit:///never > client:///never' (TARBALL, [CREATE_PARENTS]) failed: source ")
                    .contains("never does not exist");
            assertThat(client.resolve("never")).doesNotExist();

            assertThat(leaksOut.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(leaksOut.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
            assertThat(leaksOut.failureReason()).get().asString().startsWith("output staging [0] "
                    + "'unit:///res > client:///leaked' (TARBALL, [CREATE_PARENTS]) failed: ")
                    .contains("host", "only links inside the tree are packed");
            assertThat(client.resolve("leaked")).doesNotExist();

            // stageOnError: the tree comes back, the unit keeps the end its agent reported
            assertThat(onError.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(onError.errorCode()).contains(ErrorCode.EXIT_CODE);
            assertThat(Files.readString(client.resolve("failed/logs/why.log"))).isEqualTo("trouble\n");

            assertThat(tolerant.waitFor(WITHIN)).as("%s", tolerant.failureReason()).isEqualTo(UnitState.DONE);
            assertThat(tolerant.stdout()).isEqualTo("alpha\n");
            // every unit ended: no archive of any of them is left (earlier, another unit's could still be on its way)
            StagingScenarios.assertNoArchiveLeft(Path.of(pilot.sandbox()));
            StagingScenarios.assertNoArchiveLeft(client);
        }
    }

    @Test
    void aUnitCanceledWhileItsInputComesFromTheClientNeverReachesItsAgent() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        Files.writeString(client.resolve("input.txt"), "x\n");
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            var management = session.processEngine().getManagementService();
            // "Transfer input from the client" waits (its jobs are suspended), as a slow or failing transfer would
            for (var definition : management.createJobDefinitionQuery().activityIdIn("transferInput").list()) {
                management.suspendJobDefinitionById(definition.getId(), true);
            }
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("input.txt").inputStaging("input.txt").build());
            assertThat(unit.waitFor(WITHIN, UnitState.PENDING_INPUT_STAGING))
                    .isEqualTo(UnitState.PENDING_INPUT_STAGING);
            LocalFixture.await("the transfer's job", () -> management.createJobQuery().activityId("transferInput")
                    .count() == 1, WITHIN);

            unit.cancel();
            assertThat(unit.waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
            assertThat(unit.failureReason()).get().asString().contains("canceled while its input came from the client");

            // the transfer, let go now, finds the unit canceled: nothing moves, no RUN_UNIT, the instance ends
            for (var definition : management.createJobDefinitionQuery().activityIdIn("transferInput").list()) {
                management.activateJobDefinitionById(definition.getId(), true);
            }
            LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit");
            assertThat(unit.stateHistory()).extracting(StateEntry::state).doesNotContain(UnitState.STAGING_INPUT,
                    UnitState.EXECUTING);
            assertThat(Path.of(pilot.sandbox()).resolve(unit.uid())).doesNotExist();
        }
    }

    @Test
    void aPilotTakesItsInputFromTheClientBeforeItsAgentStartsAndUnitsLinkIt() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        Files.writeString(client.resolve("shared.db"), "one copy for every unit\n");
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            var pmgr = session.createPilotManager();
            ComputePilot pilot = pmgr.submitPilot(LocalFixture.localPilot(work, 2).inputStaging("shared.db").build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            assertThat(Files.readString(Path.of(pilot.sandbox()).resolve("shared.db")))
                    .isEqualTo("one copy for every unit\n");
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("shared.db").inputStaging(List.of(StagingDirective.link("pilot:///shared.db", "")))
                    .build());
            assertThat(unit.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            assertThat(unit.stdout()).isEqualTo("one copy for every unit\n");

            // a missing client file fails the launch naming the directive; NON_FATAL lets the pilot go on
            ComputePilot broken = pmgr.submitPilot(LocalFixture.localPilot(work, 1).inputStaging("absent.db")
                    .build());
            assertThat(broken.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(broken.reason()).get().asString().contains("pilot input staging [0] "
                    + "'client:///absent.db > pilot:///absent.db' (TRANSFER, [CREATE_PARENTS]) failed: no such file "
                    + "on the client: " + client.resolve("absent.db"));
            ComputePilot tolerant = pmgr.submitPilot(LocalFixture.localPilot(work, 1).inputStaging(List.of(
                    StagingDirective.parse("d", "absent.db").withFlags(Flag.NON_FATAL))).build());
            assertThat(tolerant.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
        }
    }

    @Test
    void aUnitWhoseOutputIsOnItsWayEndsAsItsAgentSaidThoughItsPilotEndedMeanwhile() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            var management = session.processEngine().getManagementService();
            // "Transfer output to the client" waits (its jobs are suspended), as a slow transfer would
            for (var definition : management.createJobDefinitionQuery().activityIdIn("transferOutput").list()) {
                management.suspendJobDefinitionById(definition.getId(), true);
            }
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo kept > result.txt").outputStaging("result.txt").build());
            LocalFixture.await("the output transfer's job", () -> management.createJobQuery()
                    .activityId("transferOutput").count() == 1, WITHIN);
            // the session's view follows the commit a moment later (a loaded machine showed PENDING_EXECUTION)
            assertThat(unit.waitFor(WITHIN, UnitState.STAGING_OUTPUT)).isEqualTo(UnitState.STAGING_OUTPUT);

            pilot.cancel(); // the pilot ends; the unit, done at its agent, is not canceled with it
            assertThat(pilot.waitFor(WITHIN)).isEqualTo(PilotState.CANCELED);
            assertThat(unit.state()).isEqualTo(UnitState.STAGING_OUTPUT);

            for (var definition : management.createJobDefinitionQuery().activityIdIn("transferOutput").list()) {
                management.activateJobDefinitionById(definition.getId(), true);
            }
            assertThat(unit.waitFor(WITHIN)).as("%s", unit.failureReason()).isEqualTo(UnitState.DONE);
            assertThat(Files.readString(client.resolve("result.txt"))).isEqualTo("kept\n");
        }
    }

    @Test
    void aSymbolicLinkInTheClientDirectoryDoesNotLeadATransferOutOfIt() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "not the client's\n");
        Files.createSymbolicLink(client.resolve("secret.txt"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(client.resolve("results"), outside);
        Files.createDirectories(client.resolve("tree"));
        Files.createSymbolicLink(client.resolve("tree/leak.txt"), outside.resolve("secret.txt"));
        Files.writeString(client.resolve("inside.txt"), "the client's\n");
        Files.createSymbolicLink(client.resolve("alias.txt"), client.resolve("inside.txt"));
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit reads = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("secret.txt").inputStaging("secret.txt").build());
            ComputeUnit walks = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging(List.of(new StagingDirective("client:///tree", "unit:///tree", Action.TRANSFER,
                            java.util.EnumSet.of(Flag.RECURSIVE, Flag.CREATE_PARENTS)))).build());
            ComputeUnit writes = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo planted > r.txt").outputStaging("r.txt > results/sub/r.txt").build());
            ComputeUnit inside = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("alias.txt").inputStaging("alias.txt").build());

            assertThat(reads.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(reads.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(reads.failureReason()).get().asString().startsWith("input staging [0] "
                    + "'client:///secret.txt > unit:///secret.txt' (TRANSFER, [CREATE_PARENTS]) failed: ")
                    .contains("outside the client directory");
            assertThat(walks.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(walks.failureReason()).get().asString().contains("leak.txt")
                    .contains("outside the client directory");
            assertThat(writes.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(writes.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
            assertThat(writes.failureReason()).get().asString().contains("outside the client directory");
            assertThat(outside.resolve("sub")).doesNotExist();
            // a link that stays inside the client directory is followed
            assertThat(inside.waitFor(WITHIN)).as("%s", inside.failureReason()).isEqualTo(UnitState.DONE);
            assertThat(inside.stdout()).isEqualTo("the client's\n");
        }
    }

    @Test
    void aUnitCanceledAtItsAgentWithStageOnErrorGetsItsOutputAndEndsCanceled() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo partial > part.txt; exec sleep 600").outputStaging("part.txt")
                    .stageOnError(true).build());
            assertThat(unit.waitFor(WITHIN, UnitState.EXECUTING)).isEqualTo(UnitState.EXECUTING);
            LocalFixture.await("part.txt", () -> unit.sandbox().isPresent()
                    && Files.exists(Path.of(unit.sandbox().get()).resolve("part.txt")), WITHIN);
            unit.cancel();
            assertThat(unit.waitFor(WITHIN)).as("%s", unit.failureReason()).isEqualTo(UnitState.CANCELED);
            assertThat(Files.readString(client.resolve("part.txt"))).isEqualTo("partial\n");
            LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit");
            assertThat(session.processEngine().getRuntimeService().createIncidentQuery().list()).isEmpty();
        }
    }

    /**
     * A transfer whose job ran out of retries (the resource stayed out of reach) is an incident in the event
     * subprocess; a unit canceled then must not leave its process instance (and a workflow calling it) waiting on that
     * incident for a transfer nobody wants any more.
     */
    @Test
    void aUnitCanceledWhileItsInputTransferIsAnIncidentEndsItsProcess() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        Files.writeString(client.resolve("input.txt"), "x\n");
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            var management = session.processEngine().getManagementService();
            for (var definition : management.createJobDefinitionQuery().activityIdIn("transferInput").list()) {
                management.suspendJobDefinitionById(definition.getId(), true);
            }
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("input.txt").inputStaging("input.txt").build());
            LocalFixture.await("the transfer's job", () -> management.createJobQuery().activityId("transferInput")
                    .count() == 1, WITHIN);
            // its retries spent, as when the resource stays out of reach: an incident
            management.setJobRetries(management.createJobQuery().activityId("transferInput").singleResult().getId(), 0);
            for (var definition : management.createJobDefinitionQuery().activityIdIn("transferInput").list()) {
                management.activateJobDefinitionById(definition.getId(), true);
            }
            assertThat(session.processEngine().getRuntimeService().createIncidentQuery().count()).isEqualTo(1);

            unit.cancel();
            assertThat(unit.waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
            LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit", Duration.ofSeconds(30));
            assertThat(session.processEngine().getRuntimeService().createIncidentQuery().count()).isZero();
        }
    }

    @Test
    void aTransferLongerThanTheJobLockKeepsItsLock() throws Exception {
        Path client = Files.createDirectories(work.resolve("client"));
        long size = 1L << 30; // a second or more to copy here
        String sum = ClientStagingScenario.write(client.resolve("big.dat"), size);
        try (Session session = LocalFixture.builder(work, LocalFixture.config(work).toBuilder()
                .clientDirectory(client).build()).create()) {
            int lockMillis = 250; // the transfer outlasts the lock several times over, even from the page cache
            LocalFixture.jobLockTime(session, Duration.ofMillis(lockMillis));
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 1);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "wc -c < big.dat").inputStaging(List.of(StagingDirective.parse("d", "big.dat")
                            .verified(size, sum))).build());
            var management = session.processEngine().getManagementService();
            LocalFixture.await("the transfer's job running", () -> copying(work), WITHIN);
            long began = System.currentTimeMillis();
            String owner = null;
            boolean sawRenewedLock = false;
            while (copying(work)) { // while the bytes move, the job stays locked by its owner, lock after lock
                var job = (org.camunda.bpm.engine.impl.persistence.entity.JobEntity) management.createJobQuery()
                        .activityId("transferInput").singleResult();
                if (job != null && owner == null) {
                    owner = job.getLockOwner();
                }
                if (job != null && copying(work) && System.currentTimeMillis() - began > 2 * lockMillis) {
                    assertThat(job.getLockOwner()).as("the running transfer's lock owner").isEqualTo(owner);
                    assertThat(job.getLockExpirationTime()).as("the running transfer's lock").isNotNull()
                            .isAfter(new java.util.Date(System.currentTimeMillis() - 100));
                    sawRenewedLock = true;
                }
                Thread.sleep(50);
            }
            assertThat(unit.waitFor(WITHIN)).as("%s", unit.failureReason()).isEqualTo(UnitState.DONE);
            assertThat(unit.stdout().strip()).isEqualTo(Long.toString(size));
            org.junit.jupiter.api.Assumptions.assumeTrue(sawRenewedLock, "the copy was over within two lock times "
                    + "here: the lock's renewal was not needed");
        }
    }

    /** A temporary file of the engine's transfer in some unit sandbox. */
    private static boolean copying(Path work) {
        try (var files = Files.walk(work.resolve("sandboxes"))) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith(".big.dat.staging-"));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return false; // a directory went while it was walked
        }
    }
}
