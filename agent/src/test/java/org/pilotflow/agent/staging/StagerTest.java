package org.pilotflow.agent.staging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.StagedFile;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Action;
import org.pilotflow.model.wire.StagingDirective.Direction;
import org.pilotflow.model.wire.StagingDirective.Flag;

/** The agent's staging on real files: {@code <tmp>/resource/session.1/pilot.1/unit.1}, a valid root beside it. */
class StagerTest {

    @TempDir
    Path tmp;

    Path resource;
    Path pilot;
    Path unit;
    Path validRoot;
    Path outside;
    Stager stager;

    @BeforeEach
    void layout() throws IOException {
        resource = Files.createDirectories(tmp.resolve("resource"));
        pilot = Files.createDirectories(resource.resolve("session.1/pilot.1"));
        unit = Files.createDirectories(pilot.resolve("unit.1"));
        validRoot = Files.createDirectories(tmp.resolve("data"));
        outside = Files.createDirectories(tmp.resolve("private"));
        Files.writeString(outside.resolve("secret"), "not yours");
        stager = new Stager(pilot, List.of(validRoot.toString()));
    }

    private Stager.Outcome in(StagingDirective... ds) {
        return stager.stage("input staging", Stream.of(ds).map(d -> d.resolved("d", Direction.INPUT)).toList(), unit);
    }

    private Stager.Outcome outMeasured(StagingDirective... ds) {
        return stager.stage("output staging", Stream.of(ds).map(d -> d.resolved("d", Direction.OUTPUT)).toList(),
                unit, true);
    }

    private static String adler32Of(byte[] bytes) {
        java.util.zip.Adler32 a = new java.util.zip.Adler32();
        a.update(bytes);
        return String.format("adler32:%08x", a.getValue());
    }

    @Test
    void outputStagingRecordsWhatItPutInPlaceWithSizeAndAdler32() throws IOException {
        byte[] hits = "hits: 42\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(unit.resolve("hits.out"), hits);
        Files.createDirectories(unit.resolve("plots/sub"));
        Files.writeString(unit.resolve("plots/b.png"), "bb");
        Files.writeString(unit.resolve("plots/sub/a.png"), "a");

        Stager.Outcome o = outMeasured(StagingDirective.copy("unit:///hits.out", "pilot:///results/hits.out"),
                StagingDirective.copy("unit:///missing.out", "pilot:///results/missing.out").withFlags(Flag.NON_FATAL, Flag.CREATE_PARENTS),
                StagingDirective.copy("unit:///plots", "pilot:///results/plots").withFlags(Flag.RECURSIVE, Flag.CREATE_PARENTS),
                StagingDirective.link("unit:///hits.out", "pilot:///results/hits.link"),
                StagingDirective.link("unit:///plots", "pilot:///results/plots.link"));

        assertThat(o.failed()).as(String.valueOf(o.failure())).isFalse();
        assertThat(o.warnings()).hasSize(1); // the missing file: not recorded
        assertThat(o.files()).containsExactly(
                new StagedFile("pilot:///results/hits.out", hits.length, adler32Of(hits)),
                new StagedFile("pilot:///results/plots/b.png", 2, adler32Of("bb".getBytes())),
                new StagedFile("pilot:///results/plots/sub/a.png", 1, adler32Of("a".getBytes())),
                new StagedFile("pilot:///results/hits.link", hits.length, null), // a link copied nothing: size only
                new StagedFile("pilot:///results/plots.link/b.png", 2, null), // a linked tree: its files
                new StagedFile("pilot:///results/plots.link/sub/a.png", 1, null));

        Stager.Outcome input = in(StagingDirective.copy("pilot:///results/hits.out", "again.out"));
        assertThat(input.files()).as("input staging is not measured").isEmpty();
    }

    @Test
    void aTreeOfManyFilesIsRecordedByItsFirstOnes() throws IOException {
        Path tree = Files.createDirectories(unit.resolve("many"));
        for (int i = 0; i < StagedFile.MAX_PER_UNIT + 5; i++) {
            Files.writeString(tree.resolve(String.format("f%05d", i)), "x");
        }
        Stager.Outcome o = outMeasured(StagingDirective.copy("unit:///many", "pilot:///many").withFlags(Flag.RECURSIVE, Flag.CREATE_PARENTS),
                StagingDirective.copy("unit:///many/f00000", "pilot:///one"));

        assertThat(o.failed()).as(String.valueOf(o.failure())).isFalse();
        assertThat(o.files()).hasSize(StagedFile.MAX_PER_UNIT);
        assertThat(o.files().get(0).target()).isEqualTo("pilot:///many/f00000");
        assertThat(o.files().get(StagedFile.MAX_PER_UNIT - 1).target()).isEqualTo(String.format("pilot:///many/f%05d",
                StagedFile.MAX_PER_UNIT - 1));
        assertThat(Files.exists(pilot.resolve("one"))).as("the cap limits the record, not the staging").isTrue();
    }

    @Test
    void copiesLinksAndMovesBetweenTheSandboxes() throws IOException {
        Files.writeString(pilot.resolve("shared.dat"), "shared\n");
        Files.writeString(resource.resolve("big.dat"), "big\n");
        Files.writeString(resource.resolve("session.1/once.dat"), "once\n");

        Stager.Outcome o = in(StagingDirective.copy("pilot:///shared.dat", "copy.dat"),
                StagingDirective.link("resource:///big.dat", "unit:///in/big.dat"),
                StagingDirective.move("session:///once.dat", "moved.dat"),
                StagingDirective.parse("d", "pilot:///shared.dat > transferred.dat"));

        assertThat(o.failed()).as(String.valueOf(o.failure())).isFalse();
        assertThat(Files.readString(unit.resolve("copy.dat"))).isEqualTo("shared\n");
        assertThat(Files.isSymbolicLink(unit.resolve("copy.dat"))).isFalse();
        assertThat(Files.isSymbolicLink(unit.resolve("in/big.dat"))).isTrue(); // CREATE_PARENTS by default
        assertThat(Files.readSymbolicLink(unit.resolve("in/big.dat"))).isEqualTo(resource.resolve("big.dat")
                .toRealPath());
        assertThat(Files.readString(unit.resolve("moved.dat"))).isEqualTo("once\n");
        assertThat(resource.resolve("session.1/once.dat")).doesNotExist();
        assertThat(Files.readString(unit.resolve("transferred.dat"))).isEqualTo("shared\n"); // TRANSFER: a copy
        assertThat(leftovers(unit)).isEmpty();
    }

    @Test
    void aDirectoryIsCopiedOnlyWithRecursive() throws IOException {
        Path dir = Files.createDirectories(pilot.resolve("inputs/sub"));
        Files.writeString(dir.resolve("a.txt"), "a");
        Files.writeString(pilot.resolve("inputs/b.txt"), "b");

        Stager.Outcome flat = in(StagingDirective.copy("pilot:///inputs", "inputs"));
        assertThat(flat.failure()).isEqualTo("input staging [0] 'pilot:///inputs > unit:///inputs' (COPY, "
                + "[CREATE_PARENTS]) failed: source " + pilot.resolve("inputs") + " is a directory: COPY it with flag "
                + "RECURSIVE");
        assertThat(unit.resolve("inputs")).doesNotExist();

        Stager.Outcome deep = in(StagingDirective.copy("pilot:///inputs", "inputs").withFlags(Flag.RECURSIVE));
        assertThat(deep.failed()).isFalse();
        assertThat(Files.readString(unit.resolve("inputs/sub/a.txt"))).isEqualTo("a");
        assertThat(Files.readString(unit.resolve("inputs/b.txt"))).isEqualTo("b");
        assertThat(leftovers(unit)).isEmpty();
    }

    @Test
    void missingParentsAreMadeOnlyWithCreateParents() throws IOException {
        Files.writeString(pilot.resolve("x"), "x");
        Stager.Outcome without = in(StagingDirective.copy("pilot:///x", "a/b/x").withFlags());
        assertThat(without.failure()).endsWith("failed: target directory " + unit.resolve("a")
                + " does not exist (flag CREATE_PARENTS makes it)");
        assertThat(unit.resolve("a")).doesNotExist();

        assertThat(in(StagingDirective.copy("pilot:///x", "a/b/x")).failed()).isFalse();
        assertThat(Files.readString(unit.resolve("a/b/x"))).isEqualTo("x");
    }

    @Test
    void aMissingSourceFailsNamingTheDirectiveUnlessNonFatal() {
        Stager.Outcome o = in(StagingDirective.copy("pilot:///nothing.dat", "x"),
                StagingDirective.copy("pilot:///never-reached", "y"));
        assertThat(o.failure()).isEqualTo("input staging [0] 'pilot:///nothing.dat > unit:///x' (COPY, "
                + "[CREATE_PARENTS]) failed: source " + pilot.resolve("nothing.dat") + " does not exist");
        assertThat(o.warnings()).isEmpty();

        Stager.Outcome lenient = in(StagingDirective.copy("pilot:///nothing.dat", "x").withFlags(Flag.NON_FATAL),
                StagingDirective.copy("pilot:///also-missing", "y").withFlags(Flag.NON_FATAL));
        assertThat(lenient.failed()).isFalse();
        assertThat(lenient.warnings()).hasSize(2);
        assertThat(lenient.warnings().get(0)).contains("[0]", "nothing.dat", "does not exist", "NON_FATAL");
    }

    @Test
    void aSymbolicLinkCannotLeadASourceOrATargetOutOfItsPlace() throws IOException {
        Files.createSymbolicLink(pilot.resolve("sneaky"), outside.resolve("secret"));
        Stager.Outcome read = in(StagingDirective.copy("pilot:///sneaky", "got"));
        assertThat(read.failure()).contains("source " + pilot.resolve("sneaky") + " resolves to "
                + outside.resolve("secret").toRealPath() + ", outside the sandboxes");
        assertThat(unit.resolve("got")).doesNotExist();

        Files.writeString(pilot.resolve("ok"), "ok");
        Files.createSymbolicLink(unit.resolve("out"), outside);
        Stager.Outcome write = in(StagingDirective.copy("pilot:///ok", "out/planted"));
        assertThat(write.failure()).contains("target directory " + unit.resolve("out") + " resolves to "
                + outside.toRealPath() + ", outside " + unit);
        assertThat(outside.resolve("planted")).doesNotExist();

        // a link into a valid root is fine: sources may lie there
        Files.writeString(validRoot.resolve("dataset"), "data");
        Files.createSymbolicLink(pilot.resolve("dataset"), validRoot.resolve("dataset"));
        assertThat(in(StagingDirective.copy("pilot:///dataset", "dataset")).failed()).isFalse();
        assertThat(Files.readString(unit.resolve("dataset"))).isEqualTo("data");
    }

    @Test
    void dotDotIsRefusedEvenInADirectiveThatSkippedTheChecks() {
        // as a forged RUN_UNIT would carry it
        Stager.Outcome o = stager.stage("input staging",
                List.of(new StagingDirective("unit:///../../../../private/secret", "unit:///x",
                        StagingDirective.Action.COPY)), unit);
        assertThat(o.failure()).contains("[0]", "'unit:///../../../../private/secret", "no '..'");
        assertThat(unit.resolve("x")).doesNotExist();
    }

    @Test
    void aTargetIsReplacedWholeOrNotAtAll() throws IOException {
        Files.writeString(pilot.resolve("v2"), "version 2");
        Files.writeString(unit.resolve("data"), "version 1");
        assertThat(in(StagingDirective.copy("pilot:///v2", "data")).failed()).isFalse();
        assertThat(Files.readString(unit.resolve("data"))).isEqualTo("version 2");

        // a directory cannot be renamed over the file there: the copy fails at its last step and leaves the old
        // target and no temporary behind
        Files.createDirectories(pilot.resolve("tree"));
        Files.writeString(pilot.resolve("tree/f"), "f");
        Stager.Outcome o = in(StagingDirective.copy("pilot:///tree", "data").withFlags(Flag.RECURSIVE));
        assertThat(o.failed()).isTrue();
        assertThat(Files.readString(unit.resolve("data"))).isEqualTo("version 2");
        assertThat(leftovers(unit)).isEmpty();

        // an existing directory is never replaced
        Files.createDirectories(unit.resolve("results"));
        assertThat(in(StagingDirective.copy("pilot:///v2", "results")).failure())
                .endsWith("target " + unit.resolve("results") + " is an existing directory");
    }

    @Test
    void aPilotsStagingHasNoUnitSandbox() throws IOException {
        Files.writeString(resource.resolve("common.dat"), "c");
        Stager.Outcome o = stager.stage("pilot input staging",
                List.of(StagingDirective.link("resource:///common.dat", "").resolved("p", Direction.PILOT_INPUT)),
                null);
        assertThat(o.failed()).isFalse();
        assertThat(Files.readString(pilot.resolve("common.dat"))).isEqualTo("c");
    }

    @Test
    void sizeAndChecksumAreCheckedBeforeTheTargetIsReplaced() throws IOException {
        Files.writeString(pilot.resolve("data"), "abc"); // adler32 024d0127, md5 900150983cd24fb0d6963f7d28e17f72
        Files.writeString(unit.resolve("data"), "old");
        assertThat(in(StagingDirective.copy("pilot:///data", "data").verified(3L, "adler32:024d0127"),
                StagingDirective.link("pilot:///data", "link").verified(null, "MD5:900150983CD24FB0D6963F7D28E17F72"))
                .failed()).isFalse();
        assertThat(Files.readString(unit.resolve("data"))).isEqualTo("abc");

        Files.writeString(unit.resolve("data"), "old");
        Stager.Outcome bad = in(StagingDirective.copy("pilot:///data", "data").verified(null, "adler32:00000001"));
        assertThat(bad.failure()).endsWith("failed: checksum mismatch: expected adler32:00000001, the file has "
                + "adler32:024d0127");
        Stager.Outcome shorter = in(StagingDirective.move("pilot:///data", "moved").verified(4L, null));
        assertThat(shorter.failure()).endsWith("failed: size mismatch: expected 4 bytes, the file has 3");
        assertThat(Files.readString(unit.resolve("data"))).isEqualTo("old"); // untouched
        assertThat(pilot.resolve("data")).exists(); // not moved
        assertThat(unit.resolve("moved")).doesNotExist();
        assertThat(leftovers(unit)).isEmpty();
    }

    @Test
    void aFifoIsRefusedNotWaitedOnForEver() throws Exception {
        Path fifo = pilot.resolve("pipe");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        Files.createDirectories(pilot.resolve("tree"));
        assertThat(new ProcessBuilder("mkfifo", pilot.resolve("tree/pipe").toString()).start().waitFor()).isZero();

        Stager.Outcome one = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> in(StagingDirective.copy("pilot:///pipe", "pipe")));
        assertThat(one.failure()).endsWith("failed: source " + fifo + " is not a regular file or a directory");
        Stager.Outcome tree = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(30),
                () -> in(StagingDirective.copy("pilot:///tree", "tree").withFlags(Flag.RECURSIVE)));
        assertThat(tree.failure()).contains(pilot.resolve("tree/pipe").toString(), "not a regular file");
        assertThat(unit.resolve("tree")).doesNotExist();
        assertThat(leftovers(unit)).isEmpty();
    }

    @Test
    void aMoveTakesNothingAwayFromAValidRoot() throws IOException {
        Files.writeString(validRoot.resolve("keep.dat"), "keep");
        Files.createSymbolicLink(pilot.resolve("data"), validRoot);
        Stager.Outcome o = in(StagingDirective.move("pilot:///data/keep.dat", "keep.dat"));
        assertThat(o.failure()).contains("under a valid root: MOVE only from the sandboxes");
        assertThat(Files.readString(validRoot.resolve("keep.dat"))).isEqualTo("keep");
        assertThat(unit.resolve("keep.dat")).doesNotExist();
        assertThat(in(StagingDirective.copy("pilot:///data/keep.dat", "keep.dat")).failed()).isFalse();
    }

    @Test
    void unitsStagingAtOnceIntoOneNewDirectoryAllSucceed() throws Exception {
        Files.writeString(pilot.resolve("r"), "r");
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 40; round++) {
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
                List<java.util.concurrent.Future<Stager.Outcome>> outcomes = new java.util.ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    String target = "resource:///results-" + round + "/deep/r-" + i;
                    outcomes.add(pool.submit(() -> {
                        start.await();
                        return in(StagingDirective.copy("pilot:///r", target));
                    }));
                }
                for (java.util.concurrent.Future<Stager.Outcome> f : outcomes) {
                    Stager.Outcome o = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                    assertThat(o.failed()).as("round %d: %s", round, o.failure()).isFalse();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aTarballStagesADirectoryWholeWithoutRecursiveAndAFileUnderAnotherName() throws IOException {
        Path inputs = Files.createDirectories(pilot.resolve("inputs/sub/deeper"));
        Files.writeString(inputs.resolve("c.txt"), "c");
        Files.writeString(pilot.resolve("inputs/a.txt"), "a");
        Files.setPosixFilePermissions(pilot.resolve("inputs/a.txt"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createDirectories(pilot.resolve("inputs/empty"));
        Files.createSymbolicLink(pilot.resolve("inputs/sub/a-link"), Path.of("../a.txt"));
        Files.writeString(pilot.resolve("table.csv"), "1,2\n");

        Stager.Outcome o = in(new StagingDirective("pilot:///inputs", "unit:///in/", Action.TARBALL),
                new StagingDirective("pilot:///table.csv", "renamed.csv", Action.TARBALL).withFlags());

        assertThat(o.failed()).as(String.valueOf(o.failure())).isFalse();
        Path copy = unit.resolve("in/inputs");
        assertThat(Files.readString(copy.resolve("a.txt"))).isEqualTo("a");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.resolve("a.txt"))))
                .isEqualTo("rwxr-x---");
        assertThat(Files.readString(copy.resolve("sub/deeper/c.txt"))).isEqualTo("c");
        assertThat(copy.resolve("empty")).isEmptyDirectory();
        assertThat(Files.readSymbolicLink(copy.resolve("sub/a-link"))).isEqualTo(Path.of("../a.txt"));
        assertThat(copy.resolve("sub/a-link").toRealPath()).isEqualTo(copy.resolve("a.txt").toRealPath());
        assertThat(Files.readString(unit.resolve("renamed.csv"))).isEqualTo("1,2\n");
        assertThat(Files.isDirectory(pilot.resolve("inputs"))).isTrue(); // a TARBALL takes nothing away
        assertThat(leftovers(unit)).isEmpty();
        try (Stream<Path> s = Files.list(unit)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("in", "renamed.csv");
        }
    }

    @Test
    void aTarballBringsAUnitsOutputDirectoryBack() throws IOException {
        Files.createDirectories(unit.resolve("results/plots"));
        Files.writeString(unit.resolve("results/summary.txt"), "ok");
        Files.writeString(unit.resolve("results/plots/p1.svg"), "<svg/>");

        Stager.Outcome o = stager.stage("output staging", List.of(
                new StagingDirective("results", "pilot:///collected/u1-results", Action.TARBALL)
                        .resolved("d", Direction.OUTPUT)), unit);

        assertThat(o.failed()).as(String.valueOf(o.failure())).isFalse();
        assertThat(Files.readString(pilot.resolve("collected/u1-results/summary.txt"))).isEqualTo("ok");
        assertThat(Files.readString(pilot.resolve("collected/u1-results/plots/p1.svg"))).isEqualTo("<svg/>");
        assertThat(leftovers(pilot)).isEmpty();
    }

    @Test
    void aTarballRefusesALinkLeadingOutOfTheTreeUnlessNonFatal() throws IOException {
        Files.createDirectories(unit.resolve("results"));
        Files.writeString(unit.resolve("results/fine.txt"), "fine");
        Files.createSymbolicLink(unit.resolve("results/leak"), outside.resolve("secret"));
        StagingDirective d = new StagingDirective("results", "pilot:///results", Action.TARBALL)
                .resolved("d", Direction.OUTPUT);

        Stager.Outcome o = stager.stage("output staging", List.of(d), unit);
        assertThat(o.failure()).isEqualTo("output staging [0] 'unit:///results > pilot:///results' (TARBALL, "
                + "[CREATE_PARENTS]) failed: " + unit.resolve("results/leak") + " is an absolute link ("
                + outside.resolve("secret") + "), which would lead out of a copy of the tree: only links inside the "
                + "tree are packed");
        assertThat(pilot.resolve("results")).doesNotExist();
        assertThat(leftovers(pilot)).isEmpty();

        Stager.Outcome lenient = stager.stage("output staging", List.of(d.withFlags(Flag.NON_FATAL),
                StagingDirective.copy("results/fine.txt", "pilot:///fine.txt").resolved("d", Direction.OUTPUT)), unit);
        assertThat(lenient.failed()).isFalse();
        assertThat(lenient.warnings()).singleElement().asString().contains("leak", "NON_FATAL: ignored");
        assertThat(Files.readString(pilot.resolve("fine.txt"))).isEqualTo("fine"); // staging went on
    }

    @Test
    void aTarballChecksAFilesSizeAndChecksumOnTheUnpackedFileAndRefusesThemForADirectory() throws IOException {
        Files.writeString(pilot.resolve("data"), "abc"); // adler32 024d0127
        Files.writeString(unit.resolve("data"), "old");
        StagingDirective tarball = new StagingDirective("pilot:///data", "data", Action.TARBALL);

        Stager.Outcome bad = in(tarball.verified(3L, "adler32:00000001"));
        assertThat(bad.failure()).endsWith("failed: checksum mismatch: expected adler32:00000001, the file has "
                + "adler32:024d0127");
        assertThat(Files.readString(unit.resolve("data"))).isEqualTo("old"); // untouched
        assertThat(leftovers(unit)).isEmpty();

        assertThat(in(tarball.verified(3L, "adler32:024d0127")).failed()).isFalse();
        assertThat(Files.readString(unit.resolve("data"))).isEqualTo("abc");

        Files.createDirectories(pilot.resolve("tree"));
        Stager.Outcome directory = in(new StagingDirective("pilot:///tree", "tree", Action.TARBALL)
                .verified(12L, null));
        assertThat(directory.failure()).endsWith("failed: source " + pilot.resolve("tree") + " is a directory: the "
                + "directive's size (12) can only be checked on a file (leave it out for a directory)");
        assertThat(unit.resolve("tree")).doesNotExist();
    }

    /** Temporaries a staging left behind. */
    private static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".staging-")
                    || p.getFileName().toString().contains(".tarball-")).toList();
        }
    }
}
