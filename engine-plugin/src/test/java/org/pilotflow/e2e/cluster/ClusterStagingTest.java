package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.e2e.LocalFixture;
import org.pilotflow.e2e.StagingScenarios;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Action;
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

    /** A file of the client's that the pilot takes in its launch (over SFTP), before its agent starts. */
    static final String PILOT_CLIENT_INPUT = "calibration.txt";

    @BeforeAll
    void startPilot(@TempDir Path work) throws Exception {
        Assumptions.assumeFalse(LocalFixture.onPostgres(), "runs in the H2 run of the end-to-end suite only");
        this.work = work;
        Map<String, String> sshd = TestBackends.require("sshd");
        ResourceConfig rc = resource(sshd);
        ClusterFixture.createSandboxRoot();
        Path resourceDir = ClusterFixture.SANDBOX_ROOT.resolve("staging-" + System.nanoTime());
        inputs = StagingScenarios.prepareResource(resourceDir, work.resolve("outside"));
        this.sshd = sshd;
        Files.createDirectories(work.resolve("client"));
        Files.writeString(work.resolve("client").resolve(PILOT_CLIENT_INPUT), "gain 1.07\n");
        clientTree(work.resolve("client").resolve(CLIENT_TREE));
        session = ClusterFixture.session(work, rc);
        session.addContext(ClusterFixture.sshCredentials(sshd));
        ComputePilotDescription.Builder b = StagingScenarios.withSharedInput(
                ClusterFixture.pilot(rc.label(), 2).sandbox(resourceDir.toString()).cleanup(true), inputs);
        List<StagingDirective> pilotInput = new ArrayList<>(b.build().inputStaging());
        pilotInput.add(StagingDirective.parse("d", PILOT_CLIENT_INPUT));
        pilotInput.add(new StagingDirective("client:///" + CLIENT_TREE, "pilot:///calibration", Action.TARBALL));
        pilot = session.createPilotManager().submitPilot(b.inputStaging(pilotInput).build());
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

    /**
     * RP's client-side TRANSFER over SFTP on the pilot's own SSH connection, both ways: the pilot took a client file
     * in its launch; a unit's 100 MiB input arrives with its md5 checked, its outputs come back before it is DONE;
     * a checksum mismatch and a missing output fail their units naming the directive; no transfer logs in again.
     */
    @Test
    void clientTransfersOverSftpBothWaysWithoutLoggingInAgain() throws Exception {
        assertThat(Files.readString(Path.of(pilot.sandbox()).resolve(PILOT_CLIENT_INPUT))).isEqualTo("gain 1.07\n");
        Path client = work.resolve("client");
        String md5 = writeLarge(client.resolve("events.bin"), 100L << 20);
        long loginsBefore = logins();

        ComputeUnit reader = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "md5sum events.bin | cut -d' ' -f1 > sum.txt && cat " + PILOT_CLIENT_INPUT
                        + " > echoed.txt")
                .inputStaging(List.of(StagingDirective.parse("d", "events.bin").verified(100L << 20, md5),
                        StagingDirective.link("pilot:///" + PILOT_CLIENT_INPUT, "")))
                .outputStaging("sum.txt > back/sum.txt", "echoed.txt > back/echoed.txt")
                .build());
        ComputeUnit mismatch = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                .inputStaging(List.of(StagingDirective.parse("d", PILOT_CLIENT_INPUT)
                        .verified(null, "md5:00000000000000000000000000000000"))).build());
        ComputeUnit noOutput = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                .outputStaging("absent.txt > back/absent.txt").build());

        assertThat(reader.waitFor(Duration.ofMinutes(3))).as("%s", reader.failureReason()).isEqualTo(UnitState.DONE);
        assertThat(Files.readString(client.resolve("back/sum.txt")).strip()).isEqualTo(md5.substring(4));
        assertThat(Files.readString(client.resolve("back/echoed.txt"))).isEqualTo("gain 1.07\n");
        assertThat(mismatch.waitFor(Duration.ofMinutes(2))).isEqualTo(UnitState.FAILED);
        assertThat(mismatch.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
        assertThat(mismatch.failureReason()).get().asString().startsWith("input staging [0] 'client:///"
                + PILOT_CLIENT_INPUT + " > unit:///" + PILOT_CLIENT_INPUT + "' (TRANSFER, [CREATE_PARENTS]) failed: "
                + "CHECKSUM_MISMATCH");
        assertThat(noOutput.waitFor(Duration.ofMinutes(2))).isEqualTo(UnitState.FAILED);
        assertThat(noOutput.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
        assertThat(client.resolve("back/absent.txt")).doesNotExist();
        assertThat(logins()).as("sshd logins during the transfers (sshd log %s)", sshd.get("SSHD_LOG"))
                .isEqualTo(loginsBefore);
    }

    /** A client directory tree: files, an empty directory, an executable, a link inside it, awkward names. */
    static final String CLIENT_TREE = "tree";

    private static void clientTree(Path tree) throws java.io.IOException {
        Files.createDirectories(tree.resolve("sub dir"));
        Files.createDirectories(tree.resolve("empty"));
        Files.writeString(tree.resolve("a.txt"), "A\n");
        byte[] bytes = new byte[1 << 20];
        new java.util.Random(11).nextBytes(bytes);
        Files.write(tree.resolve("sub dir/it's b.bin"), bytes);
        Files.writeString(tree.resolve("run.sh"), "#!/bin/sh\necho ran\n");
        Files.setPosixFilePermissions(tree.resolve("run.sh"), java.nio.file.attribute.PosixFilePermissions
                .fromString("rwxr-x---"));
        Files.createSymbolicLink(tree.resolve("alias.bin"), Path.of("sub dir/it's b.bin"));
    }

    /**
     * RP's TARBALL from and to the client over the pilot's own SSH connection: the client packs, the archive goes
     * over SFTP, the agent jar's TarballTool unpacks it on the resource (a name with a space and a quote passes the
     * remote shell as one word), and back the other way; a link leading out of a tree is refused on either side
     * naming it, a missing source fails naming the directive, NON_FATAL lets a unit run; no archive is left and
     * no transfer logs in again.
     */
    @Test
    void clientTarballsOverSftpBothWaysWithoutLoggingInAgain() throws Exception {
        Path client = work.resolve("client");
        Path tree = client.resolve(CLIENT_TREE);
        StagingScenarios.assertSameTree(tree, Path.of(pilot.sandbox()).resolve("calibration"));
        Path leaky = Files.createDirectories(client.resolve("leaky"));
        Files.writeString(leaky.resolve("fine.txt"), "fine\n");
        Files.createSymbolicLink(leaky.resolve("leak.txt"), inputs.secret());
        long loginsBefore = logins();

        ComputeUnit both = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "./\"it's a tree\"/run.sh > ran.txt && mkdir -p res/deep/empty && cp ran.txt "
                        + "\"it's a tree/sub dir/it's b.bin\" res/deep/ && ln -s \"deep/it's b.bin\" res/alias")
                .inputStaging(List.of(new StagingDirective("client:///" + CLIENT_TREE, "unit:///it's a tree",
                        Action.TARBALL)))
                .outputStaging(List.of(new StagingDirective("unit:///res", "client:///back/res", Action.TARBALL)))
                .build());
        ComputeUnit escapesIn = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                .inputStaging(List.of(new StagingDirective("client:///leaky", "", Action.TARBALL))).build());
        ComputeUnit escapesOut = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "mkdir res && echo x > res/x && ln -s " + inputs.secret() + " res/secret")
                .outputStaging(List.of(new StagingDirective("unit:///res", "client:///leaked", Action.TARBALL)))
                .build());
        ComputeUnit missingOut = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                .outputStaging(List.of(new StagingDirective("unit:///never", "", Action.TARBALL))).build());
        ComputeUnit tolerant = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/cat")
                .arguments("tree/a.txt")
                .inputStaging(List.of(new StagingDirective("client:///absent", "unit:///x", Action.TARBALL,
                                java.util.EnumSet.of(StagingDirective.Flag.NON_FATAL)),
                        new StagingDirective("client:///" + CLIENT_TREE, "", Action.TARBALL)))
                .build());

        Duration within = Duration.ofMinutes(3);
        assertThat(both.waitFor(within)).as("%s", both.failureReason()).isEqualTo(UnitState.DONE);
        Path box = Path.of(both.sandbox().orElseThrow());
        StagingScenarios.assertSameTree(tree, box.resolve("it's a tree"));
        assertThat(Files.readString(box.resolve("ran.txt"))).isEqualTo("ran\n");
        StagingScenarios.assertSameTree(box.resolve("res"), client.resolve("back/res"));
        assertThat(Files.mismatch(client.resolve("back/res/alias"), tree.resolve("sub dir/it's b.bin")))
                .isEqualTo(-1L);

        assertThat(escapesIn.waitFor(within)).isEqualTo(UnitState.FAILED);
        assertThat(escapesIn.errorCode()).contains(ErrorCode.STAGING_INPUT_FAILED);
        assertThat(escapesIn.failureReason()).get().asString().startsWith("input staging [0] 'client:///leaky > "
                + "unit:///leaky' (TARBALL, [CREATE_PARENTS]) failed: cannot pack ").contains("leak.txt");
        assertThat(escapesOut.waitFor(within)).isEqualTo(UnitState.FAILED);
        assertThat(escapesOut.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
        assertThat(escapesOut.failureReason()).get().asString().startsWith("output staging [0] 'unit:///res > "
                + "client:///leaked' (TARBALL, [CREATE_PARENTS]) failed: ").contains("secret",
                "only links inside the tree are packed");
        assertThat(client.resolve("leaked")).doesNotExist();
        assertThat(missingOut.waitFor(within)).isEqualTo(UnitState.FAILED);
        assertThat(missingOut.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
        assertThat(missingOut.failureReason()).get().asString().startsWith("output staging [0] 'unit:///never > "
                + "client:///never' (TARBALL, [CREATE_PARENTS]) failed: source ").contains("does not exist");
        assertThat(client.resolve("never")).doesNotExist();
        assertThat(tolerant.waitFor(within)).as("%s", tolerant.failureReason()).isEqualTo(UnitState.DONE);
        assertThat(tolerant.stdout()).isEqualTo("A\n");

        StagingScenarios.assertNoArchiveLeft(Path.of(pilot.sandbox()));
        StagingScenarios.assertNoArchiveLeft(client);
        assertThat(logins()).as("sshd logins during the tarballs (sshd log %s)", sshd.get("SSHD_LOG"))
                .isEqualTo(loginsBefore);
    }

    private Map<String, String> sshd;

    /** Logins sshd accepted so far, from its log. */
    private long logins() throws Exception {
        try (var lines = Files.lines(Path.of(sshd.get("SSHD_LOG")))) {
            return lines.filter(l -> l.contains("Accepted publickey")).count();
        }
    }

    /** {@code bytes} of a repeating pattern; their md5 as a directive gives it. */
    private static String writeLarge(Path file, long bytes) throws Exception {
        byte[] block = new byte[1 << 20];
        new java.util.Random(7).nextBytes(block);
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
        try (var out = Files.newOutputStream(file)) {
            for (long done = 0; done < bytes; done += block.length) {
                out.write(block);
                md.update(block);
            }
        }
        return "md5:" + java.util.HexFormat.of().formatHex(md.digest());
    }

    /** Last: the pilot (cleanup) is canceled, its sandbox goes, what its units' links lead to stays. */
    @Test
    @Order(Integer.MAX_VALUE)
    void cleanupRemovesTheSandboxNotWhatItsLinksLeadTo() throws Exception {
        StagingScenarios.cleanupRemovesTheSandboxNotWhatItsLinksLeadTo(pilot, inputs);
    }
}
