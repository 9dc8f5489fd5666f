package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.StateEntry;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Action;
import org.pilotflow.resource.config.ResourceConfig;

/**
 * Data staging end to end, through the engine and a real local agent: a pilot stages a shared input once into its
 * sandbox, units link it and copy a file of their own in, run {@code cat} and {@code wc} on them, and stage their
 * results out to {@code resource://}; a unit whose input is missing fails naming the directive; a directory goes
 * into a unit and its output directory back as TARBALLs. The {@link StagingScenarios} the cluster tests run on real
 * daemons run here too, on a fork resource confined to its sandboxes.
 */
class StagingTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path work;

    @Test
    void aPilotSharesAnInputAndUnitsStageInRunAndStageOut() throws Exception {
        Path resource = Files.createDirectories(work.resolve("sandboxes")); // resource:// of LocalFixture's pilots
        Files.writeString(resource.resolve("words.txt"), "alpha beta gamma delta\n");
        Files.createDirectories(resource.resolve("inputs"));
        Files.writeString(resource.resolve("inputs/greeting.txt"), "hello from resource://\n");
        try (Session session = LocalFixture.session(work)) {
            PilotManager pmgr = session.createPilotManager();
            ComputePilot pilot = pmgr.submitPilot(LocalFixture.localPilot(work, 2)
                    .inputStaging("resource:///words.txt").build()); // to pilot:///words.txt, once
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            List<ComputeUnit> counters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                counters.add(umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                        .arguments("-c", "wc -w < words.txt > count.txt")
                        .inputStaging(List.of(StagingDirective.link("pilot:///words.txt", "words.txt")))
                        .outputStaging("count.txt > resource:///results/count-" + i + ".txt")
                        .build()));
            }
            ComputeUnit cat = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                    .arguments("greeting.txt")
                    .inputStaging(List.of(StagingDirective.copy("resource:///inputs/greeting.txt", ""))).build());
            ComputeUnit missing = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputStaging("pilot:///no-such-file.txt").build());

            for (int i = 0; i < 3; i++) {
                assertThat(counters.get(i).waitFor(WITHIN)).as("%s", counters.get(i).failureReason())
                        .isEqualTo(UnitState.DONE);
                assertThat(Files.readString(resource.resolve("results/count-" + i + ".txt")).strip()).isEqualTo("4");
            }
            assertThat(counters.get(0).stateHistory()).extracting(StateEntry::state).contains(UnitState.STAGING_INPUT,
                    UnitState.PENDING_EXECUTION, UnitState.EXECUTING, UnitState.STAGING_OUTPUT, UnitState.DONE);
            Path pilotSandbox = Path.of(pilot.sandbox());
            assertThat(Files.readString(pilotSandbox.resolve("words.txt"))).isEqualTo("alpha beta gamma delta\n");
            Path linked = Path.of(counters.get(1).sandbox().orElseThrow()).resolve("words.txt");
            assertThat(Files.isSymbolicLink(linked)).isTrue();
            assertThat(Files.readSymbolicLink(linked)).isEqualTo(pilotSandbox.resolve("words.txt").toRealPath());

            assertThat(cat.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            assertThat(cat.stdout()).isEqualTo("hello from resource://\n");

            assertThat(missing.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(missing.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
            assertThat(missing.failureReason()).get().asString().startsWith("input staging [0] "
                    + "'pilot:///no-such-file.txt > unit:///no-such-file.txt' (TRANSFER, [CREATE_PARENTS]) failed: "
                    + "source " + pilotSandbox.resolve("no-such-file.txt") + " does not exist");
        }
    }

    @Test
    void aDirectoryIsTarballedIntoAUnitAndItsOutputDirectoryBack() throws Exception {
        Path resource = Files.createDirectories(work.resolve("sandboxes"));
        Path dataset = Files.createDirectories(resource.resolve("dataset/events"));
        Files.writeString(dataset.resolve("run1.csv"), "1\n2\n3\n");
        Files.writeString(dataset.resolve("run2.csv"), "4\n5\n");
        Files.createDirectories(resource.resolve("dataset/empty"));
        Files.writeString(resource.resolve("dataset/analyse.sh"), "#!/bin/sh\ncat events/*.csv | wc -l\n");
        Files.setPosixFilePermissions(resource.resolve("dataset/analyse.sh"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(resource.resolve("dataset/latest.csv"), Path.of("events/run2.csv"));
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 2)
                    .inputStaging(List.of(new StagingDirective("resource:///dataset", "", Action.TARBALL)))
                    .build()); // once, to pilot:///dataset
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            ComputeUnit u = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "mkdir -p out/plots && (cd dataset && ./analyse.sh) > out/lines.txt "
                            + "&& cp dataset/latest.csv out/plots/ && test -d dataset/empty")
                    .inputStaging(List.of(new StagingDirective("pilot:///dataset", "", Action.TARBALL)))
                    .outputStaging(List.of(new StagingDirective("out", "pilot:///results/", Action.TARBALL)))
                    .build());

            assertThat(u.waitFor(WITHIN)).as("%s", u.failureReason()).isEqualTo(UnitState.DONE);
            Path pilotSandbox = Path.of(pilot.sandbox());
            Path unitSandbox = Path.of(u.sandbox().orElseThrow());
            assertThat(Files.isDirectory(unitSandbox.resolve("dataset"), java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .as("a copy of the tree, not a link to it").isTrue();
            assertThat(Files.readSymbolicLink(unitSandbox.resolve("dataset/latest.csv")))
                    .isEqualTo(Path.of("events/run2.csv"));
            assertThat(Files.readString(pilotSandbox.resolve("results/out/lines.txt")).strip()).isEqualTo("5");
            assertThat(Files.readString(pilotSandbox.resolve("results/out/plots/latest.csv"))).isEqualTo("4\n5\n");
            try (java.util.stream.Stream<Path> s = Files.walk(pilotSandbox)) {
                assertThat(s.map(p -> p.getFileName().toString()))
                        .as("no archive or temporary left").noneMatch(n -> n.contains(".staging-")
                                || n.contains(".tarball-"));
            }
        }
    }

    @Test
    void unitDirectivesCopyLinkMoveVerifyAndRefuseEscapes() throws Exception {
        Path root = work.resolve("root");
        Path sandboxes = root.resolve("sandboxes");
        StagingScenarios.Inputs in = StagingScenarios.prepareResource(sandboxes, work.resolve("out"));
        try (Session session = LocalFixture.session(work)) {
            // local.localhost's valid roots ($HOME, $TMPDIR) hold work/out: a resource confined to the sandboxes
            session.resources().add(ResourceConfig.builder("test.confined")
                    .schema("local", "fork://localhost/", "file://localhost/")
                    .coresPerNode(2)
                    .defaultRemoteWorkdir(sandboxes.toString())
                    .validRoots(List.of(root.toString()))
                    .agentJava(Path.of(System.getProperty("java.home"), "bin", "java").toString())
                    .build());
            ComputePilot pilot = session.createPilotManager().submitPilot(StagingScenarios.withSharedInput(
                    LocalFixture.localPilot(work, 2).resource("test.confined").sandbox(sandboxes.toString())
                            .cleanup(true), in).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).as("%s", pilot.reason())
                    .isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            StagingScenarios.unitDirectives(umgr, pilot, in);
            StagingScenarios.cleanupRemovesTheSandboxNotWhatItsLinksLeadTo(pilot, in);
        }
    }

    @Test
    void aPilotLevelSharedInputLinkedInto100Units() throws Exception {
        StagingScenarios.Inputs in = StagingScenarios.prepareResource(work.resolve("sandboxes"), work.resolve("out"));
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = session.createPilotManager().submitPilot(
                    StagingScenarios.withSharedInput(LocalFixture.localPilot(work, 2), in).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60), PilotState.ACTIVE)).isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            StagingScenarios.sharedInputLinkedIntoUnits(umgr, pilot, in.shared(), 100);
        }
    }

    @Test
    void aPilotWhoseInputFailsItsChecksumFailsNamingIt() throws Exception {
        Path resource = Files.createDirectories(work.resolve("sandboxes"));
        Files.writeString(resource.resolve("calib.db"), "calibration\n");
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1)
                    .inputStaging(List.of(StagingDirective.copy("resource:///calib.db", "")
                            .verified(12L, "adler32:00000001"))).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).get().asString().startsWith("pilot input staging [0] 'resource:///calib.db > "
                    + "pilot:///calib.db' (COPY, [CREATE_PARENTS]) failed: checksum mismatch: expected "
                    + "adler32:00000001, the file has adler32:");
            assertThat(Path.of(pilot.sandbox()).resolve("calib.db")).doesNotExist();
        }
    }

    @Test
    void aPilotWhoseInputIsMissingFailsNamingIt() {
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1)
                    .inputStaging("session:///absent.db").build());
            assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
            assertThat(pilot.reason()).get().asString().startsWith("pilot input staging [0] 'session:///absent.db > "
                    + "pilot:///absent.db' (TRANSFER, [CREATE_PARENTS]) failed: source ");
        }
    }
}
