package org.pilotflow.model.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.archive.Tarball.TarballException;

/**
 * Packing and unpacking real trees, and unpacking archives crafted byte by byte to escape: every refusal names the
 * entry or path and leaves the target as it was, with nothing beside it.
 */
class TarballTest {

    @TempDir
    Path tmp;

    Path out;

    @BeforeEach
    void layout() throws IOException {
        out = Files.createDirectories(tmp.resolve("out"));
    }

    @Test
    void aTreeComesBackWithItsFilesEmptyDirectoriesModesTimesAndInnerLinks() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("inputs"));
        Files.writeString(src.resolve("a.txt"), "alpha\n");
        Files.setPosixFilePermissions(src.resolve("a.txt"), PosixFilePermissions.fromString("rw-r-----"));
        Files.createDirectories(src.resolve("bin"));
        Files.writeString(src.resolve("bin/run.sh"), "#!/bin/sh\necho run\n");
        Files.setPosixFilePermissions(src.resolve("bin/run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(src.resolve("empty"));
        Files.setPosixFilePermissions(src.resolve("empty"), PosixFilePermissions.fromString("rwx------"));
        Path deeper = Files.createDirectories(src.resolve("sub/deeper"));
        byte[] binary = new byte[70_000]; // more than one buffer, not a multiple of a tar record
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31);
        }
        Files.write(deeper.resolve("b.dat"), binary);
        FileTime then = FileTime.from(Instant.parse("2024-03-01T12:00:00Z"));
        Files.setLastModifiedTime(deeper.resolve("b.dat"), then);
        Files.createSymbolicLink(src.resolve("sub/a-link"), Path.of("../a.txt"));
        Files.createSymbolicLink(src.resolve("to-sub"), Path.of("sub"));
        Files.createSymbolicLink(src.resolve("dangling"), Path.of("not-there-yet"));

        Path archive = tmp.resolve("inputs.tar");
        Tarball.Contents packed = Tarball.pack(src, archive);
        assertThat(packed).isEqualTo(new Tarball.Contents(11, 6 + 19 + binary.length));
        Tarball.Contents unpacked = Tarball.unpack(archive, out.resolve("copy"));
        assertThat(unpacked).isEqualTo(packed);

        Path copy = out.resolve("copy");
        assertThat(Files.readString(copy.resolve("a.txt"))).isEqualTo("alpha\n");
        assertThat(mode(copy.resolve("a.txt"))).isEqualTo("rw-r-----");
        assertThat(mode(copy.resolve("bin/run.sh"))).isEqualTo("rwxr-xr-x");
        assertThat(copy.resolve("empty")).isEmptyDirectory();
        assertThat(mode(copy.resolve("empty"))).isEqualTo("rwx------");
        assertThat(Files.readAllBytes(copy.resolve("sub/deeper/b.dat"))).isEqualTo(binary);
        assertThat(Files.getLastModifiedTime(copy.resolve("sub/deeper/b.dat"))).isEqualTo(then);
        assertThat(Files.readSymbolicLink(copy.resolve("sub/a-link"))).isEqualTo(Path.of("../a.txt"));
        assertThat(Files.readString(copy.resolve("sub/a-link"))).isEqualTo("alpha\n"); // the copy's, not the source's
        assertThat(copy.resolve("sub/a-link").toRealPath()).isEqualTo(copy.resolve("a.txt").toRealPath());
        assertThat(Files.readSymbolicLink(copy.resolve("to-sub"))).isEqualTo(Path.of("sub"));
        assertThat(Files.isSymbolicLink(copy.resolve("dangling"))).isTrue();
        assertThat(leftovers(out)).isEmpty();

        // what tar itself shows: one top name, the source's
        Process tar = new ProcessBuilder("tar", "tf", archive.toString()).redirectErrorStream(true).start();
        String listing = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(listing.lines()).contains("inputs/", "inputs/a.txt", "inputs/sub/deeper/b.dat")
                .allMatch(l -> l.startsWith("inputs/"));
    }

    @Test
    void aSingleFileBecomesTheTargetAndReplacesAFileThere() throws IOException {
        Path src = tmp.resolve("data.csv");
        Files.writeString(src, "1,2,3\n");
        Files.setPosixFilePermissions(src, PosixFilePermissions.fromString("rw-rw-r--"));
        Files.writeString(out.resolve("renamed.csv"), "old");
        Path archive = tmp.resolve("data.tar");

        assertThat(Tarball.pack(src, archive)).isEqualTo(new Tarball.Contents(1, 6));
        Tarball.unpack(archive, out.resolve("renamed.csv"));

        assertThat(Files.readString(out.resolve("renamed.csv"))).isEqualTo("1,2,3\n");
        assertThat(mode(out.resolve("renamed.csv"))).isEqualTo("rw-rw-r--");
        assertThat(leftovers(out)).isEmpty();
    }

    @Test
    void anExistingDirectoryIsNeverReplacedAndAFailedCheckLeavesTheTargetAsItWas() throws IOException {
        Path src = tmp.resolve("f");
        Files.writeString(src, "new");
        Path archive = tmp.resolve("f.tar");
        Tarball.pack(src, archive);

        Files.createDirectories(out.resolve("dir"));
        assertThatThrownBy(() -> Tarball.unpack(archive, out.resolve("dir"))).isInstanceOf(TarballException.class)
                .hasMessage("target " + out.resolve("dir") + " is an existing directory");

        Files.writeString(out.resolve("f"), "old");
        assertThatThrownBy(() -> Tarball.unpack(archive, out.resolve("f"), unpacked -> {
            assertThat(Files.readString(unpacked)).isEqualTo("new"); // it is handed the unpacked file
            throw new IOException("checksum mismatch");
        })).hasMessage("checksum mismatch");
        assertThat(Files.readString(out.resolve("f"))).isEqualTo("old");
        assertThat(leftovers(out)).isEmpty();
    }

    @Test
    void aLinkLeadingOutOfTheTreeIsNotPackedAndNoArchiveIsLeft() throws IOException {
        Files.writeString(tmp.resolve("secret"), "not yours");
        Path archive = tmp.resolve("x.tar");

        Path absolute = Files.createDirectories(tmp.resolve("absolute"));
        Files.createSymbolicLink(absolute.resolve("etc"), Path.of("/etc"));
        assertThatThrownBy(() -> Tarball.pack(absolute, archive)).isInstanceOf(TarballException.class)
                .hasMessage(absolute.resolve("etc") + " is an absolute link (/etc), which would lead out of a copy "
                        + "of the tree: only links inside the tree are packed");

        Path climbing = Files.createDirectories(tmp.resolve("climbing/sub"));
        Files.createSymbolicLink(climbing.resolve("up"), Path.of("../../secret"));
        assertThatThrownBy(() -> Tarball.pack(tmp.resolve("climbing"), archive))
                .hasMessageStartingWith(climbing.resolve("up") + " is a link to ../../secret, outside the packed tree");

        // by its words it stays inside (../climbing2/x climbs to the top's parent and back): still refused, since
        // the tree unpacks under another name
        Path renamed = Files.createDirectories(tmp.resolve("climbing2"));
        Files.createSymbolicLink(renamed.resolve("self"), Path.of("../climbing2/x"));
        assertThatThrownBy(() -> Tarball.pack(renamed, archive)).hasMessageContaining("outside the packed tree");

        // by its words inside, out through another link: l1 is the top, so l1/../.. is above it
        Path chained = Files.createDirectories(tmp.resolve("chained/d1/d2"));
        Files.createSymbolicLink(chained.resolve("l1"), Path.of("../.."));
        Files.createSymbolicLink(chained.resolve("z"), Path.of("l1/../.."));
        assertThatThrownBy(() -> Tarball.pack(tmp.resolve("chained"), archive))
                .hasMessage(chained.resolve("z") + " is a link to l1/../.., which leads to " + tmp.getParent()
                        .toRealPath() + ", outside the packed tree " + tmp.resolve("chained").toRealPath()
                        + ": only links inside the tree are packed");
        assertThat(archive).doesNotExist();
    }

    @Test
    void anArchiveInsideItsOwnSourceIsRefused() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("growing"));
        Files.writeString(src.resolve("a"), "a");
        assertThatThrownBy(() -> Tarball.pack(src, src.resolve("self.tar"))).isInstanceOf(TarballException.class)
                .hasMessage("archive " + src.resolve("self.tar") + " would be inside the source " + src.toRealPath());
        assertThat(src.resolve("self.tar")).doesNotExist();
    }

    @Test
    void aFifoIsNotPacked() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("withpipe"));
        assertThat(new ProcessBuilder("mkfifo", src.resolve("pipe").toString()).start().waitFor()).isZero();
        assertThatThrownBy(() -> Tarball.pack(src, tmp.resolve("p.tar")))
                .hasMessage(src.resolve("pipe") + " is not a regular file, a directory or a link (a FIFO or a "
                        + "device cannot be packed)");
        assertThat(tmp.resolve("p.tar")).doesNotExist();
    }

    @Test
    void entriesThatEscapeAreRefusedNamingTheEntry() throws IOException {
        assertRefused(RawTar.of().file("../x", "planted"), "entry '../x' climbs out with '..'");
        assertRefused(RawTar.of().dir("top/").file("top/../../x", "planted"), "entry 'top/../../x' climbs out "
                + "with '..'");
        assertRefused(RawTar.of().file("/tmp/x", "planted"), "entry '/tmp/x' is an absolute name");
        assertRefused(RawTar.of().dir("top/").file("other/x", "planted"), "entry 'other/x' lies outside the "
                + "archive's top name 'top'");
        // a link to /etc, then a file through it
        assertRefused(RawTar.of().dir("top/").link("top/etc", "/etc").file("top/etc/cron.d/x", "planted"),
                "entry 'top/etc' is a link to /etc, outside the archived tree");
        assertRefused(RawTar.of().dir("top/").link("top/up", "../.."), "entry 'top/up' is a link to ../.., "
                + "outside the archived tree");
        // a link inside the tree is fine, but nothing is written through it
        assertRefused(RawTar.of().dir("top/").dir("top/sub/").link("top/l", "sub").file("top/l/x", "through"),
                "entry 'top/l/x' passes through the link 'top/l'");
        // inside by their words, out through each other
        assertRefused(RawTar.of().dir("top/").dir("top/d1/").dir("top/d1/d2/").link("top/d1/d2/l1", "../..")
                        .link("top/d1/d2/z", "l1/../.."),
                "entry 'top/d1/d2/z' is a link to l1/../.., which leads out of the archived tree");
        assertRefused(RawTar.of().dir("top/").file("top/a", "a").entry("top/h", '1', new byte[0], "top/a"),
                "entry 'top/h' is a hard link (to top/a): only files, directories and links inside the tree are "
                        + "unpacked");
        assertRefused(RawTar.of().dir("top/").entry("top/null", '3', new byte[0], ""), "entry 'top/null' is a "
                + "device: only files, directories and links inside the tree are unpacked");
        assertRefused(RawTar.of().dir("top/").entry("top/fifo", '6', new byte[0], ""), "entry 'top/fifo' is a "
                + "FIFO");
        assertRefused(RawTar.of().link("top", "."), "entry 'top' is a link: the archive's top must be a file or "
                + "a directory");
        // a second entry of the same name must not write through what the first made
        assertRefused(RawTar.of().dir("top/").link("top/a", "b").file("top/a", "over"),
                "entry 'top/a' names a path that an earlier entry made");
    }

    @Test
    void aCutArchiveOrOneThatIsNoTarLeavesNothingAtTheTarget() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("tree"));
        Files.write(src.resolve("a.dat"), new byte[5000]);
        Files.writeString(src.resolve("z.dat"), "last");
        Path archive = tmp.resolve("tree.tar");
        Tarball.pack(src, archive);
        byte[] whole = Files.readAllBytes(archive);

        // inside a file's bytes: tar sees it
        Path cut = tmp.resolve("cut.tar");
        Files.write(cut, Arrays.copyOf(whole, indexOfHeader(whole, "tree/a.dat") + 512 + 2000));
        assertUnpackFails(cut, "archive " + cut + " could not be read in entry 'tree/a.dat' (cut short or damaged?)");

        // exactly before the last entry's header: tar sees an early end, the entry count does not
        Files.write(cut, Arrays.copyOf(whole, indexOfHeader(whole, "tree/z.dat")));
        assertUnpackFails(cut, "archive " + cut + " ends after 2 of its 3 entries (cut short?)");

        Files.writeString(cut, "this is not a tar file, though it is long enough to fill a header: "
                + "x".repeat(600));
        assertUnpackFails(cut, "archive " + cut + " is damaged or not a tar file");

        Files.write(cut, new byte[0]);
        assertUnpackFails(cut, "archive " + cut + " holds no entry");
    }

    private void assertUnpackFails(Path archive, String message) throws IOException {
        Files.writeString(out.resolve("target"), "as it was");
        assertThatThrownBy(() -> Tarball.unpack(archive, out.resolve("target"))).isInstanceOf(TarballException.class)
                .hasMessageContaining(message);
        assertThat(Files.readString(out.resolve("target"))).isEqualTo("as it was");
        assertThat(leftovers(out)).isEmpty();
    }

    private void assertRefused(RawTar archive, String message) throws IOException {
        Path file = tmp.resolve("crafted.tar");
        Files.write(file, archive.bytes());
        Path target = out.resolve("target");
        Files.writeString(target, "as it was");
        assertThatThrownBy(() -> Tarball.unpack(file, target)).isInstanceOf(TarballException.class)
                .hasMessageStartingWith(message);
        assertThat(Files.readString(target)).isEqualTo("as it was");
        try (Stream<Path> s = Files.list(out)) {
            assertThat(s.toList()).as("nothing beside the target").containsExactly(target);
        }
        try (Stream<Path> s = Files.walk(tmp)) {
            assertThat(s.filter(p -> p.getFileName().toString().equals("x")).toList()).as("nothing planted")
                    .isEmpty();
        }
    }

    private static int indexOfHeader(byte[] archive, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at + 512 <= archive.length; at += 512) {
            if (Arrays.equals(archive, at, at + n.length, n, 0, n.length) && archive[at + n.length] == 0) {
                return at;
            }
        }
        throw new AssertionError(name + " has no header");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static List<Path> leftovers(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".tarball-")).toList();
        }
    }

    /** A ustar archive written byte by byte, so an entry can say what no honest writer would. */
    static final class RawTar {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        static RawTar of() {
            return new RawTar();
        }

        RawTar file(String name, String content) {
            return entry(name, '0', content.getBytes(StandardCharsets.UTF_8), "");
        }

        RawTar dir(String name) {
            return entry(name, '5', new byte[0], "");
        }

        RawTar link(String name, String target) {
            return entry(name, '2', new byte[0], target);
        }

        RawTar entry(String name, char type, byte[] data, String linkName) {
            byte[] h = new byte[512];
            put(h, 0, name);
            octal(h, 100, 8, type == '5' ? 0755 : 0644);
            octal(h, 108, 8, 0);
            octal(h, 116, 8, 0);
            octal(h, 124, 12, data.length);
            octal(h, 136, 12, 1_700_000_000L);
            h[156] = (byte) type;
            put(h, 157, linkName);
            put(h, 257, "ustar");
            put(h, 263, "00");
            Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            out.writeBytes(h);
            out.writeBytes(data);
            out.writeBytes(new byte[(512 - data.length % 512) % 512]);
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(out.toByteArray());
            all.writeBytes(new byte[1024]);
            return all.toByteArray();
        }

        private static void put(byte[] h, int at, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(b, 0, h, at, b.length);
        }

        private static void octal(byte[] h, int at, int len, long v) {
            put(h, at, String.format("%0" + (len - 1) + "o", v));
        }
    }
}
