package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.DataClient;
import org.pilotflow.api.FileSpec;
import org.pilotflow.api.FileSpec.Status;
import org.pilotflow.api.FileSpec.TransferError;

/**
 * The Data API's behaviours, run against a pilot whose sandbox this test can also see on its own file system (a
 * local pilot, or an ssh:// pilot on the test sshd of this machine): what arrives is checked byte for byte where it
 * landed, independently of what the client reports.
 */
public final class DataScenarios {

    private DataScenarios() {
    }

    /** Stage-in of three files to pilot://, a new subdirectory and session://, and stage-out of them back. */
    public static void roundTrip(DataClient data, ComputePilot pilot, Path local) throws Exception {
        Path sandbox = Path.of(pilot.sandbox());
        Path a = write(local.resolve("a.dat"), 10_000, 1);
        Path b = write(local.resolve("b.dat"), 1, 2);
        Path c = write(local.resolve("c.dat"), 0, 3);
        List<FileSpec> in = data.stageIn(List.of(
                FileSpec.builder().source(a.toString()).target("pilot:///a.dat").size(10_000).adler32(adler32(a))
                        .md5(md5(a)).build(),
                FileSpec.builder().source(b.toString()).target("in/deeper/").checksum("adler32:" + adler32(b))
                        .build(),
                FileSpec.of(c.toString(), "session:///shared/c.dat")));
        assertThat(in).extracting(FileSpec::status).as("%s", in).containsOnly(Status.TRANSFERRED);
        assertThat(in.get(0).transferredSize()).isEqualTo(10_000);
        assertThat(in.get(0).transferredAdler32()).isEqualTo(adler32(a));
        assertThat(in.get(0).transferredMd5()).isEqualTo(md5(a));
        assertThat(in.get(2).transferredChecksum()).isEqualTo("adler32:00000001"); // adler32 of nothing
        assertThat(Files.readAllBytes(sandbox.resolve("a.dat"))).isEqualTo(Files.readAllBytes(a));
        assertThat(Files.readAllBytes(sandbox.resolve("in/deeper/b.dat"))).isEqualTo(Files.readAllBytes(b));
        assertThat(sandbox.getParent().resolve("shared/c.dat")).isEmptyFile();

        Path back = Files.createDirectories(local.resolve("back"));
        List<FileSpec> out = data.stageOut(List.of(
                FileSpec.builder().source("pilot:///a.dat").target(back + "/").md5(md5(a)).build(),
                FileSpec.of("in/deeper/b.dat", back.resolve("b.dat").toString()),
                FileSpec.of("session:///shared/c.dat", back.resolve("sub/c.dat").toString())));
        assertThat(out).extracting(FileSpec::status).as("%s", out).containsOnly(Status.TRANSFERRED);
        assertThat(out.get(1).transferredAdler32()).as("computed on arrival").isEqualTo(adler32(b));
        assertThat(Files.readAllBytes(back.resolve("a.dat"))).isEqualTo(Files.readAllBytes(a));
        assertThat(Files.readAllBytes(back.resolve("b.dat"))).isEqualTo(Files.readAllBytes(b));
        assertThat(back.resolve("sub/c.dat")).isEmptyFile();
        assertNoTemporaries(sandbox.getParent());
        assertNoTemporaries(back);
    }

    /** A checksum mismatch fails that file only: the others arrive, nothing of it is left at its target. */
    public static void mismatchFailsOneFileOnly(DataClient data, ComputePilot pilot, Path local) throws Exception {
        Path sandbox = Path.of(pilot.sandbox());
        Path x = write(local.resolve("x.dat"), 5000, 4);
        Path y = write(local.resolve("y.dat"), 5000, 5);
        Path z = write(local.resolve("z.dat"), 5000, 6);
        String wrong = "0123abcd".equals(adler32(y)) ? "0123abce" : "0123abcd";
        List<FileSpec> in = data.stageIn(List.of(FileSpec.of(x.toString(), "m/"),
                FileSpec.builder().source(y.toString()).target("m/").adler32(wrong).build(),
                FileSpec.builder().source(z.toString()).target("m/").size(4999).build()));
        assertThat(in.get(0).status()).isEqualTo(Status.TRANSFERRED);
        assertThat(in.get(1).status()).isEqualTo(Status.FAILED);
        assertThat(in.get(1).error()).isEqualTo(TransferError.CHECKSUM_MISMATCH);
        assertThat(in.get(1).reason()).contains("pilot:///m/y.dat", "expected adler32:" + wrong,
                "adler32:" + adler32(y));
        assertThat(in.get(2).error()).isEqualTo(TransferError.SIZE_MISMATCH);
        assertThat(in.get(2).reason()).contains("expected 4999 bytes", "5000 arrived");
        assertThat(sandbox.resolve("m/x.dat")).exists();
        assertThat(sandbox.resolve("m/y.dat")).doesNotExist();
        assertThat(sandbox.resolve("m/z.dat")).doesNotExist();
        assertNoTemporaries(sandbox);

        Path back = Files.createDirectories(local.resolve("mback"));
        List<FileSpec> out = data.stageOut(List.of(
                FileSpec.builder().source("m/x.dat").target(back + "/").md5("0".repeat(32)).build(),
                FileSpec.of("m/x.dat", back.resolve("ok.dat").toString())));
        assertThat(out.get(0).error()).isEqualTo(TransferError.CHECKSUM_MISMATCH);
        assertThat(out.get(0).reason()).contains("expected md5:" + "0".repeat(32), "md5:" + md5(x));
        assertThat(out.get(1).status()).isEqualTo(Status.TRANSFERRED);
        assertThat(back.resolve("x.dat")).doesNotExist();
        assertThat(Files.readAllBytes(back.resolve("ok.dat"))).isEqualTo(Files.readAllBytes(x));
        assertNoTemporaries(back);
    }

    /** Missing sources and paths that would leave their directory are refused before any byte moves. */
    public static void badInputMovesNothing(DataClient data, ComputePilot pilot, Path local) throws Exception {
        Path sandbox = Path.of(pilot.sandbox());
        Path ok = write(local.resolve("ok.dat"), 100, 7);
        refused(() -> data.stageIn(List.of(FileSpec.of(ok.toString(), "bad/"),
                FileSpec.of(local.resolve("nope.dat").toString(), "bad/"))), "files[1].source", "nope.dat",
                "does not exist");
        refused(() -> data.stageIn(List.of(FileSpec.of(ok.toString(), "bad/"),
                FileSpec.of(ok.toString(), "pilot:///../escape.dat"))), "files[1].target", "..");
        refused(() -> data.stageIn(List.of(FileSpec.of(ok.toString(), "/etc/escape.dat"))), "files[0].target",
                "an absolute path");
        refused(() -> data.stageIn(List.of(FileSpec.of(ok.toString(), "gsiftp://host/x"))), "files[0].target",
                "'gsiftp://'");
        refused(() -> data.stageIn(List.of(FileSpec.of(ok.toString(), "unit:///x"))), "files[0].target",
                "outside any unit");
        refused(() -> data.stageOut(List.of(FileSpec.of("pilot:///no-such.dat", local.resolve("n").toString()))),
                "files[0].source", "does not exist");
        refused(() -> FileSpec.builder().source("a").checksum("sha1:0123"), "checksum", "adler32:<8 hex digits>");
        refused(() -> FileSpec.builder().source("a").adler32("xyz"), "adler32", "8 hex digits");
        assertThat(sandbox.resolve("bad")).as("nothing moved before the bad spec was found").doesNotExist();
        assertThat(local.resolve("n")).doesNotExist();

        // links that lead out: a target directory, a source outside the sandboxes and valid roots
        Path outside = Files.createDirectories(local.resolve("outside"));
        Files.createSymbolicLink(sandbox.resolve("out"), outside);
        List<FileSpec> r = data.stageIn(List.of(FileSpec.of(ok.toString(), "pilot:///out/f.dat")));
        assertThat(r.get(0).error()).isEqualTo(TransferError.ESCAPES_ROOT);
        assertThat(r.get(0).reason()).contains("outside pilot://");
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s).isEmpty();
        }
        Files.createSymbolicLink(sandbox.resolve("secret"), Path.of("/etc/hostname"));
        refused(() -> data.stageOut(List.of(FileSpec.of("pilot:///secret", local.resolve("s").toString()))),
                "files[0].source", "resolves to /etc/hostname");
        assertThat(local.resolve("s")).doesNotExist();
    }

    /** One large file of {@code bytes}, both ways, its adler32 and md5 checked on arrival. */
    public static void largeFile(DataClient data, ComputePilot pilot, Path local, long bytes) throws Exception {
        Path big = write(local.resolve("big.dat"), bytes, 8);
        String adler = adler32(big);
        String md5 = md5(big);
        List<FileSpec> in = data.stageIn(List.of(FileSpec.builder().source(big.toString()).target("big.dat")
                .size(bytes).adler32(adler).md5(md5).build()));
        assertThat(in.get(0).status()).as("%s", in).isEqualTo(Status.TRANSFERRED);
        assertThat(md5(Path.of(pilot.sandbox()).resolve("big.dat"))).isEqualTo(md5);
        Path back = local.resolve("big-back.dat");
        List<FileSpec> out = data.stageOut(List.of(FileSpec.builder().source("big.dat").target(back.toString())
                .size(bytes).adler32(adler).md5(md5).build()));
        assertThat(out.get(0).status()).as("%s", out).isEqualTo(Status.TRANSFERRED);
        assertThat(out.get(0).transferredMd5()).isEqualTo(md5);
        assertThat(md5(back)).isEqualTo(md5);
    }

    private static void refused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field,
            String... words) {
        assertThatThrownBy(call).isInstanceOf(BadParameter.class).hasMessageStartingWith(field + " is")
                .hasMessageContainingAll(words);
    }

    static void assertNoTemporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains(".staging-"))).isEmpty();
        }
    }

    /** A file of {@code bytes} pseudo-random bytes (seeded). */
    public static Path write(Path file, long bytes, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        Random r = new Random(seed);
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= buf.length) {
                r.nextBytes(buf);
                out.write(buf, 0, (int) Math.min(buf.length, left));
            }
        }
        return file;
    }

    public static String adler32(Path file) throws IOException {
        Adler32 a = new Adler32();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                a.update(buf, 0, n);
            }
        }
        return String.format("%08x", a.getValue());
    }

    public static String md5(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
