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
        session = ClusterFixture.session(work, rc);
        session.addContext(ClusterFixture.sshCredentials(sshd));
        ComputePilotDescription.Builder b = StagingScenarios.withSharedInput(
                ClusterFixture.pilot(rc.label(), 2).sandbox(resourceDir.toString()).cleanup(true), inputs);
        List<StagingDirective> pilotInput = new ArrayList<>(b.build().inputStaging());
        pilotInput.add(StagingDirective.parse("d", PILOT_CLIENT_INPUT));
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
