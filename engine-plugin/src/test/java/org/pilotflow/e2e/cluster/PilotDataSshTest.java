package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.DataFile;
import org.pilotflow.api.DataUnit;
import org.pilotflow.api.DataUnitDescription;
import org.pilotflow.api.DataUnitState;
import org.pilotflow.api.OutputData;
import org.pilotflow.api.PilotData;
import org.pilotflow.api.PilotDataDescription;
import org.pilotflow.api.PilotDataManager;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.e2e.LocalFixture;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.testing.TestBackends;

/**
 * BigJob's Pilot-Data on a resource reached over SSH (the test sshd; its "remote" files are on this machine, so the
 * test looks at them directly): pilot-data made over SFTP and checked against the resource's valid roots, data units
 * uploaded with their sizes and checksums checked, replicas copied to and from this machine, units on {@code ssh://}
 * pilots that read a data unit through LINK directives and write one by glob, and data-aware placement between two
 * SSH pilots. Runs in the H2 run of the end-to-end suite only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PilotDataSshTest {

    private static final Duration WITHIN = Duration.ofMinutes(2);

    private Path work;
    private Path base;
    private Session session;
    private ResourceConfig rc;
    private Map<String, String> sshd;

    @BeforeAll
    void start(@TempDir Path work) throws Exception {
        Assumptions.assumeFalse(LocalFixture.onPostgres(), "runs in the H2 run of the end-to-end suite only");
        this.work = work;
        sshd = TestBackends.require("sshd");
        rc = ClusterFixture.sshFork(sshd);
        ClusterFixture.createSandboxRoot();
        base = Files.createDirectories(ClusterFixture.SANDBOX_ROOT.resolve("pilotdata-" + System.nanoTime()));
        session = ClusterFixture.session(work, rc);
        session.addContext(ClusterFixture.sshCredentials(sshd));
    }

    @AfterAll
    void close() throws Exception {
        if (session != null) {
            session.close();
        }
        if (base != null) { // the pilot-data and the pilots' sandboxes; a link is removed, never followed
            try (Stream<Path> all = Files.walk(base)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String adler32(String text) {
        Adler32 a = new Adler32();
        a.update(text.getBytes(StandardCharsets.UTF_8));
        return String.format("adler32:%08x", a.getValue());
    }

    private Path file(String name, String text) throws Exception {
        Path dir = Files.createDirectories(work.resolve("client"));
        return Files.writeString(dir.resolve(name), text);
    }

    private PilotData remote(PilotDataManager pdm, String name, String dc, String machine) {
        return pdm.submitPilotData(PilotDataDescription.builder().resource(rc.label())
                .path(base.resolve("data/" + name).toString()).affinity(dc, machine).build());
    }

    private static List<String> namesIn(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private long logins() throws Exception {
        try (Stream<String> lines = Files.lines(Path.of(sshd.get("SSHD_LOG")))) {
            return lines.filter(l -> l.contains("Accepted publickey")).count();
        }
    }

    @Test
    void dataUnitsGoOverSftpCheckedAndReplicatedBothWays() throws Exception {
        Path a = file("a.txt", "alpha\n");
        Path b = file("b.txt", "beta beta\n");
        PilotDataManager pdm = session.pilotDataManager();
        PilotData pd = remote(pdm, "pd-upload", null, null);
        assertThat(Path.of(pd.path())).isDirectory().isEqualTo(base.resolve("data/pd-upload"));
        assertThat(pd.url()).isEqualTo("sftp://" + sshd.get("SSH_USER") + "@" + sshd.get("SSH_HOST") + ":"
                + sshd.get("SSH_PORT") + pd.path());
        long loginsBefore = logins();

        DataUnit du = pd.submitDataUnit(DataUnitDescription.builder().name("inputs")
                .file(a, 6, adler32("alpha\n")).file(b).build());

        assertThat(du.state()).as("%s", du.reason()).isEqualTo(DataUnitState.READY);
        assertThat(du.files()).containsExactly(new DataFile("a.txt", null, 6L, adler32("alpha\n")),
                new DataFile("b.txt", null, 10L, adler32("beta beta\n")));
        Path replica = Path.of(pd.path()).resolve(du.uid());
        assertThat(Files.readString(replica.resolve("b.txt"))).isEqualTo("beta beta\n");
        assertThat(namesIn(Path.of(pd.path()))).containsExactly(du.uid()); // no temporary left
        assertThat(pd.usedBytes()).isEqualTo(16);

        // a checksum mismatch: FAILED naming the file, nothing left on the resource
        DataUnit bad = pd.submitDataUnit(DataUnitDescription.builder().file(a, 6, "adler32:00000000").build());
        assertThat(bad.state()).isEqualTo(DataUnitState.FAILED);
        assertThat(bad.reason()).get().asString().startsWith("files[0] (a.txt): checksum mismatch: expected "
                + "adler32:00000000, " + a + " has " + adler32("alpha\n"));
        assertThat(namesIn(Path.of(pd.path()))).containsExactly(du.uid());
        assertThat(pd.usedBytes()).isEqualTo(16);

        // to this machine and back to another remote pilot-data, streamed through here, checked again
        PilotData local = pdm.submitPilotData(PilotDataDescription.builder().resource("local.localhost")
                .path(work.resolve("sandboxes/data/local").toString()).build());
        local.replicate(du);
        assertThat(Files.readString(Path.of(local.path()).resolve(du.uid()).resolve("a.txt"))).isEqualTo("alpha\n");
        PilotData pd2 = remote(pdm, "pd-replica", null, null);
        DataUnit fromHere = local.submitDataUnit(DataUnitDescription.builder().file(b).build());
        pd2.replicate(fromHere);
        pd2.replicate(du);
        assertThat(namesIn(Path.of(pd2.path()))).containsExactlyInAnyOrder(du.uid(), fromHere.uid());
        assertThat(Files.readString(Path.of(pd2.path()).resolve(fromHere.uid()).resolve("b.txt")))
                .isEqualTo("beta beta\n");
        assertThat(du.pilotData()).containsExactlyInAnyOrder(pd.uid(), local.uid(), pd2.uid());
        assertThat(logins()).as("sshd logins while files moved (its log %s)", sshd.get("SSHD_LOG"))
                .isEqualTo(loginsBefore);
    }

    @Test
    void aPathOutsideTheValidRootsOrAnUnreachableHostIsRefused() throws Exception {
        PilotDataManager pdm = session.pilotDataManager();
        List<String> before = pdm.listPilotData();
        assertThatThrownBy(() -> pdm.submitPilotData(PilotDataDescription.builder().resource(rc.label())
                .path(work.resolve("not-a-root/pd").toString()).build()))
                .isInstanceOf(BadParameter.class).hasMessageContaining("path is '" + work.resolve("not-a-root/pd"))
                .hasMessageContaining("valid_roots");
        Path out = base.resolve("to-etc");
        Files.createSymbolicLink(out, Path.of("/etc"));
        assertThatThrownBy(() -> pdm.submitPilotData(PilotDataDescription.builder().resource(rc.label())
                .path(out.resolve("pd").toString()).build()))
                .isInstanceOf(BadParameter.class).hasMessageContaining("path is '" + out.resolve("pd"))
                .hasMessageContaining("resolves to /etc");
        assertThat(Path.of("/etc/pd")).doesNotExist();

        ResourceConfig nowhere = ResourceConfig.builder("test.nowhere")
                .schema("default", "ssh://" + sshd.get("SSH_USER") + "@127.0.0.1:1/", "sftp://127.0.0.1/")
                .coresPerNode(1).validRoots(List.of(ClusterFixture.SANDBOX_ROOT.toString())).build();
        session.resources().add(nowhere);
        assertThatThrownBy(() -> pdm.submitPilotData(PilotDataDescription.builder().resource("test.nowhere")
                .path(base.resolve("data/never").toString()).build()))
                .isInstanceOf(BadParameter.class).hasMessageContaining("resource is 'test.nowhere'")
                .hasMessageContaining("127.0.0.1");
        assertThat(pdm.listPilotData()).isEqualTo(before);
    }

    @Test
    void unitsOnSshPilotsReadInputDataAndWriteOutputDataNearTheirData() throws Exception {
        Path a = file("a.txt", "alpha\n");
        Path b = file("b.txt", "beta\n");
        PilotDataManager pdm = session.pilotDataManager();
        PilotData pd = remote(pdm, "pd-units", "dc1", "m1");
        DataUnit in = pd.submitDataUnit(DataUnitDescription.builder().file(a).file(b).build());
        DataUnit out = pd.submitDataUnit(DataUnitDescription.builder().name("results").build());
        assertThat(in.state()).as("%s", in.reason()).isEqualTo(DataUnitState.READY);

        PilotManager pmgr = session.createPilotManager();
        ComputePilot far = pmgr.submitPilot(ClusterFixture.pilot(rc.label(), 1).sandbox(base.toString())
                .affinity("dc2", "m2").build());
        ComputePilot near = pmgr.submitPilot(ClusterFixture.pilot(rc.label(), 1).sandbox(base.toString())
                .affinity("dc1", "m1").build());
        try {
            pmgr.waitPilots(null, List.of(PilotState.ACTIVE), Duration.ofSeconds(120));
            UnitManager umgr = session.createUnitManager(); // ROUND_ROBIN would alternate: the data's labels win
            umgr.addPilots(List.of(far, near));
            List<ComputeUnit> readers = umgr.submitUnits(List.of(reader(in), reader(in), reader(in)));
            ComputeUnit writer = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "cat a.txt b.txt > joined.out && echo no > x.log")
                    .inputData(in.uid()).outputData(OutputData.of(out.uid(), "*.out")).build());

            for (ComputeUnit u : readers) {
                assertThat(u.waitFor(WITHIN)).as("%s", u.failureReason()).isEqualTo(UnitState.DONE);
                assertThat(u.pilot()).contains(near.uid());
                assertThat(u.stdout()).isEqualTo("alpha\n");
            }
            assertThat(writer.waitFor(WITHIN)).as("%s", writer.failureReason()).isEqualTo(UnitState.DONE);
            Path sandbox = Path.of(writer.sandbox().orElseThrow());
            assertThat(Files.isSymbolicLink(sandbox.resolve("a.txt"))).isTrue(); // the agent's LINK
            assertThat(out.files()).containsExactly(new DataFile("joined.out", null, 11L,
                    adler32("alpha\nbeta\n")));
            Path replica = Path.of(pd.path()).resolve(out.uid());
            assertThat(Files.readString(replica.resolve("joined.out"))).isEqualTo("alpha\nbeta\n");
            assertThat(namesIn(replica)).containsExactly("joined.out"); // no temporary, no x.log
            assertThat(pd.usedBytes()).isEqualTo(6 + 5 + 11);

            // output data cannot carry a file from outside the unit sandbox: FAILED, nothing added
            ComputeUnit sneaky = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo fine > a.out && ln -s /etc/hostname b.out")
                    .outputData(OutputData.of(out.uid(), "*.out")).build());
            assertThat(sneaky.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(sneaky.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
            assertThat(sneaky.failureReason()).get().asString().startsWith("output data: outputData[0] (data unit "
                    + out.uid() + ", patterns [*.out]): ").contains("outside the unit sandbox");
            assertThat(out.files()).extracting(DataFile::name).containsExactly("joined.out");
            assertThat(namesIn(replica)).containsExactly("joined.out");
        } finally {
            far.cancel();
            near.cancel();
            far.waitFor(Duration.ofSeconds(60));
            near.waitFor(Duration.ofSeconds(60));
        }
    }

    private static ComputeUnitDescription reader(DataUnit du) {
        return ComputeUnitDescription.builder().executable("/bin/sh").arguments("-c", "cat a.txt")
                .inputData(du.uid()).build();
    }
}
