package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import org.junit.jupiter.api.Test;
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
import org.pilotflow.api.SchedulerPolicy;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;

/**
 * BigJob's Pilot-Data through the engine and real local agents: data units copied into pilot-data with checksums
 * and replicated; units that read a data unit (linked into their sandbox) and write one by glob; data-aware
 * placement with two pilots of different affinity labels, and its fall-backs; bad input refused naming the field.
 */
class PilotDataTest {

    private static final Duration WITHIN = Duration.ofSeconds(120);

    @TempDir
    Path work;

    private static String adler32(byte[] bytes) {
        Adler32 a = new Adler32();
        a.update(bytes);
        return String.format("adler32:%08x", a.getValue());
    }

    private Path file(String name, String text) throws Exception {
        Path dir = Files.createDirectories(work.resolve("client"));
        return Files.writeString(dir.resolve(name), text);
    }

    /** Pilot-data below the sandbox base of LocalFixture's pilots ({@code resource://}), so they reach it. */
    private PilotData pilotData(PilotDataManager pdm, String name, String dc, String machine) {
        return pdm.submitPilotData(PilotDataDescription.builder().resource("local.localhost")
                .path(work.resolve("sandboxes/data/" + name).toString()).affinity(dc, machine).build());
    }

    private static List<String> namesIn(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDataUnitIsCopiedWithChecksumsAndReplicated() throws Exception {
        Path a = file("a.txt", "alpha\n");
        Path b = file("b.txt", "beta beta\n");
        try (Session session = LocalFixture.session(work)) {
            PilotDataManager pdm = session.pilotDataManager();
            PilotData pd1 = pilotData(pdm, "pd1", "dc1", "m1");
            PilotData pd2 = pilotData(pdm, "pd2", "dc2", "m2");
            DataUnit du = pd1.submitDataUnit(DataUnitDescription.builder().name("inputs")
                    .file(a, 6, adler32("alpha\n".getBytes(StandardCharsets.UTF_8)))
                    .file(b).build());

            assertThat(du.state()).as("%s", du.reason()).isEqualTo(DataUnitState.READY);
            assertThat(du.files()).containsExactly(
                    new DataFile("a.txt", null, 6L, adler32("alpha\n".getBytes(StandardCharsets.UTF_8))),
                    new DataFile("b.txt", null, 10L, adler32("beta beta\n".getBytes(StandardCharsets.UTF_8))));
            Path replica1 = Path.of(pd1.path()).resolve(du.uid());
            assertThat(Files.readString(replica1.resolve("a.txt"))).isEqualTo("alpha\n");
            assertThat(namesIn(Path.of(pd1.path()))).containsExactly(du.uid()); // no temporary left
            assertThat(pd1.usedBytes()).isEqualTo(16);
            assertThat(pd1.url()).isEqualTo("file://localhost" + pd1.path());
            assertThat(java.net.URI.create(pd1.url()).getPath()).isEqualTo(pd1.path()); // a URL that parses back

            pd2.replicate(du);
            assertThat(du.pilotData()).containsExactly(pd1.uid(), pd2.uid());
            assertThat(namesIn(Path.of(pd2.path()).resolve(du.uid()))).containsExactly("a.txt", "b.txt");
            assertThat(pd2.listDataUnits()).containsExactly(du.uid());
            assertThat(pdm.listDataUnits()).containsExactly(du.uid());
            assertThat(pdm.getDataUnit(du.uid()).files()).isEqualTo(du.files());
        }
    }

    @Test
    void aUnitReadsInputDataAndWritesOutputDataByGlob() throws Exception {
        Path a = file("a.txt", "alpha\n");
        Path b = file("b.txt", "beta\n");
        try (Session session = LocalFixture.session(work)) {
            PilotDataManager pdm = session.pilotDataManager();
            PilotData pd = pilotData(pdm, "pd", null, null);
            DataUnit in = pd.submitDataUnit(DataUnitDescription.builder().file(a).file(b).build());
            DataUnit out = pd.submitDataUnit(DataUnitDescription.builder().name("results").build());
            assertThat(out.state()).isEqualTo(DataUnitState.READY);

            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1).build());
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            ComputeUnit unit = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "cat a.txt b.txt > joined.out && wc -c < a.txt > size.out && echo no > x.log")
                    .inputData(in.uid())
                    .outputData(OutputData.of(out.uid(), "*.out"))
                    .build());

            assertThat(unit.waitFor(WITHIN)).as("%s", unit.failureReason()).isEqualTo(UnitState.DONE);
            Path sandbox = Path.of(unit.sandbox().orElseThrow());
            assertThat(Files.isSymbolicLink(sandbox.resolve("a.txt"))).isTrue(); // linked from the replica
            assertThat(out.files()).extracting(DataFile::name).containsExactly("joined.out", "size.out");
            assertThat(out.files().get(0).size()).isEqualTo(11L);
            assertThat(out.files().get(0).checksum()).isEqualTo(adler32("alpha\nbeta\n".getBytes(StandardCharsets.UTF_8)));
            Path replica = Path.of(pd.path()).resolve(out.uid());
            assertThat(Files.readString(replica.resolve("joined.out"))).isEqualTo("alpha\nbeta\n");
            assertThat(namesIn(replica)).containsExactly("joined.out", "size.out");
            assertThat(pd.usedBytes()).isEqualTo(6 + 5 + 11 + Files.size(replica.resolve("size.out")));
        }
    }

    @Test
    void unitsGoToThePilotNearTheirDataAndFallBackWhenItIsFullOrGone() throws Exception {
        Path a = file("a.txt", "alpha\n");
        try (Session session = LocalFixture.session(work)) {
            PilotDataManager pdm = session.pilotDataManager();
            PilotData pd = pilotData(pdm, "pd", "dc1", "m1");
            DataUnit du = pd.submitDataUnit(DataUnitDescription.builder().file(a).build());
            PilotManager pmgr = session.createPilotManager();
            ComputePilot far = pmgr.submitPilot(LocalFixture.localPilot(work, 1).affinity("dc2", "m2").build());
            ComputePilot near = pmgr.submitPilot(LocalFixture.localPilot(work, 1).affinity("dc1", "m1").build());
            pmgr.waitPilots(null, List.of(PilotState.ACTIVE), Duration.ofSeconds(60));

            // ROUND_ROBIN would alternate; the data's labels win
            UnitManager rr = session.createUnitManager();
            rr.addPilots(List.of(far, near));
            List<ComputeUnit> quick = rr.submitUnits(List.of(reader(du, "true"), reader(du, "true"),
                    reader(du, "true")));
            ComputeUnit plain = rr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true").build());
            for (ComputeUnit u : quick) {
                assertThat(u.waitFor(WITHIN)).as("%s", u.failureReason()).isEqualTo(UnitState.DONE);
                assertThat(u.pilot()).contains(near.uid());
                assertThat(u.stdout()).isEqualTo("alpha\n");
            }
            assertThat(plain.waitFor(WITHIN)).isEqualTo(UnitState.DONE);

            // BACKFILLING: the near pilot (1 core, high-water mark 2) takes two; the third goes to the far one
            UnitManager bf = session.createUnitManager(SchedulerPolicy.BACKFILLING);
            bf.addPilots(List.of(far, near));
            List<ComputeUnit> slow = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                slow.add(bf.submitUnit(reader(du, "sleep 600")));
            }
            for (ComputeUnit u : slow) {
                u.waitFor(WITHIN, UnitState.PENDING_INPUT_STAGING);
            }
            assertThat(slow).extracting(u -> u.pilot().orElseThrow()).containsExactly(near.uid(), near.uid(),
                    far.uid());
            bf.cancelUnits(null);

            // the near pilot gone: the next reader goes to the far one
            near.cancel();
            assertThat(near.waitFor(WITHIN)).isEqualTo(PilotState.CANCELED);
            ComputeUnit after = rr.submitUnit(reader(du, "true"));
            assertThat(after.waitFor(WITHIN)).as("%s", after.failureReason()).isEqualTo(UnitState.DONE);
            assertThat(after.pilot()).contains(far.uid());

            // data no pilot reaches (outside every pilot's sandbox base): FAILED, naming the data
            PilotData elsewhere = pdm.submitPilotData(PilotDataDescription.builder().resource("local.localhost")
                    .path(work.resolve("elsewhere").toString()).build());
            DataUnit away = elsewhere.submitDataUnit(DataUnitDescription.builder().file(a).build());
            ComputeUnit stranded = rr.submitUnit(reader(away, "true"));
            assertThat(stranded.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(stranded.errorCode()).contains(ErrorCode.NO_PILOT);
            assertThat(stranded.failureReason()).get().asString().contains("no pilot of unit manager")
                    .contains("data unit " + away.uid() + " is on [" + elsewhere.uid() + " (local.localhost:"
                            + elsewhere.path() + ")]");
        }
    }

    private static ComputeUnitDescription reader(DataUnit du, String then) {
        return ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "cat a.txt; " + then).inputData(du.uid()).build();
    }

    @Test
    void badInputIsRefusedNamingTheFieldAndLeavesNothingBehind() throws Exception {
        Path big = file("big.bin", "x".repeat(100));
        Path small = file("small.txt", "small\n");
        Files.createSymbolicLink(work.resolve("to-etc"), Path.of("/etc"));
        try (Session session = LocalFixture.session(work)) {
            PilotDataManager pdm = session.pilotDataManager();
            assertThatThrownBy(() -> pdm.submitPilotData(PilotDataDescription.builder().resource("local.localhost")
                    .path(work + "/../../../../etc/pd").build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("path")
                    .hasMessageContaining("valid_roots");
            assertThatThrownBy(() -> pdm.submitPilotData(PilotDataDescription.builder().resource("local.localhost")
                    .path(work.resolve("to-etc/pd").toString()).build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("path")
                    .hasMessageContaining(work.resolve("to-etc/pd").toString());
            assertThatThrownBy(() -> pdm.submitPilotData(PilotDataDescription.builder().resource("no.such").build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("resource is 'no.such'");
            assertThat(pdm.listPilotData()).isEmpty();

            PilotData pd = pdm.submitPilotData(PilotDataDescription.builder().resource("local.localhost")
                    .path(work.resolve("sandboxes/data/pd").toString()).sizeLimit(50).build());
            Path missing = work.resolve("client/missing.txt");
            assertThatThrownBy(() -> pd.submitDataUnit(DataUnitDescription.builder().file(small).file(missing)
                    .build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("files[1].source is '" + missing + "'");
            assertThatThrownBy(() -> pd.submitDataUnit(DataUnitDescription.builder().file(big).build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("files is '100 bytes'")
                    .hasMessageContaining("sizeLimit 50");
            assertThatThrownBy(() -> DataUnitDescription.builder().file(new DataFile("../x", small.toString(),
                    null, null)).build())
                    .isInstanceOf(BadParameter.class).hasMessageContaining("files[0].name is '../x'");
            assertThat(pdm.listDataUnits()).isEmpty();
            assertThat(namesIn(Path.of(pd.path()))).isEmpty();

            // a copy that fails its check leaves nothing at the target, and the data unit FAILED saying why
            DataUnit bad = pd.submitDataUnit(DataUnitDescription.builder().file(small, 6, "adler32:00000000")
                    .build());
            assertThat(bad.state()).isEqualTo(DataUnitState.FAILED);
            assertThat(bad.reason()).get().asString().startsWith("files[0] (small.txt): checksum mismatch: "
                    + "expected adler32:00000000, " + small + " has adler32:");
            assertThat(namesIn(Path.of(pd.path()))).isEmpty();
            assertThat(pd.usedBytes()).isZero();

            UnitManager umgr = session.createUnitManager();
            assertThatThrownBy(() -> umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputData("du.999999").build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("units[0].inputData[0] is 'du.999999'");
            assertThatThrownBy(() -> umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputData(bad.uid()).build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("units[0].inputData[0] is '"
                            + bad.uid() + "'").hasMessageContaining("checksum mismatch");
            assertThatThrownBy(() -> ComputeUnitDescription.builder().executable("/bin/true")
                    .outputData(OutputData.of("du.000001", "../*.out")).build())
                    .isInstanceOf(BadParameter.class).hasMessageContaining("outputData[0].patterns[0] is '../*.out'");
            pd.submitDataUnit(DataUnitDescription.builder().build()); // no files: no collision
            DataUnit one = pdm.getDataUnit(pd.submitDataUnit(DataUnitDescription.builder().file(small).build()).uid());
            Path sameName = Files.createDirectories(work.resolve("client/other")).resolve("small.txt");
            Files.writeString(sameName, "other\n");
            DataUnit two = pd.submitDataUnit(DataUnitDescription.builder().file(sameName).build());
            assertThatThrownBy(() -> umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/true")
                    .inputData(one.uid(), two.uid()).build()))
                    .isInstanceOf(BadParameter.class).hasMessageContaining("units[0].inputData[1] is '" + two.uid()
                            + "'").hasMessageContaining("'small.txt'");
            assertThat(umgr.listUnits()).isEmpty();

            // output data cannot carry a file from outside the unit sandbox (a link to /etc/hostname)
            DataUnit out = pd.submitDataUnit(DataUnitDescription.builder().build());
            ComputePilot pilot = session.createPilotManager().submitPilot(LocalFixture.localPilot(work, 1).build());
            umgr.addPilot(pilot);
            ComputeUnit sneaky = umgr.submitUnit(ComputeUnitDescription.builder().executable("/bin/sh")
                    .arguments("-c", "echo fine > a.out && ln -s /etc/hostname b.out")
                    .outputData(OutputData.of(out.uid(), "*.out")).build());
            assertThat(sneaky.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(sneaky.errorCode()).contains(ErrorCode.STAGING_OUTPUT_FAILED);
            assertThat(sneaky.failureReason()).get().asString().startsWith("output data: outputData[0] (data unit "
                    + out.uid() + ", patterns [*.out]): ").contains("outside the unit sandbox");
            assertThat(out.files()).isEmpty();
            assertThat(namesIn(Path.of(pd.path()).resolve(out.uid()))).isEmpty(); // a.out not half-added
        }
    }
}
