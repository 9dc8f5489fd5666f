package org.pilotflow.internal.lifecycle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.zip.Adler32;
import org.pilotflow.api.DataFile;

/**
 * Pilot-Data's file work on this machine (local resources): copies made under a temporary name and verified before
 * they are renamed into place, so a target holds a whole, checked file or nothing; PanDA's checksums.
 */
public final class LocalFiles {

    private LocalFiles() {
    }

    /** A copy that could not be made or checked, in words. */
    public static final class CopyFailure extends Exception {
        public CopyFailure(String message) {
            super(message);
        }
    }

    /**
     * Copies {@code source} (a regular file; a link is followed) to a temporary file in {@code dir} and checks its
     * size and checksum ({@code expected}'s, when given).
     *
     * @return the temporary file and what it holds (name, size, adler32, or md5 when that was expected)
     */
    public static Staged stage(Path source, Path dir, String name, Long size, String checksum, String what)
            throws CopyFailure {
        if (!Files.exists(source)) {
            throw new CopyFailure(what + ": " + source + " does not exist");
        }
        if (!Files.isRegularFile(source)) {
            throw new CopyFailure(what + ": " + source + " is not a regular file");
        }
        Path tmp = dir.resolve("." + name + ".staging-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.copy(source, tmp, StandardCopyOption.COPY_ATTRIBUTES);
            long actual = Files.size(tmp);
            if (size != null && actual != size) {
                throw new CopyFailure(what + ": size mismatch: expected " + size + " bytes, " + source + " has "
                        + actual);
            }
            String kind = checksum == null ? "adler32" : checksum.substring(0, checksum.indexOf(':'));
            String sum = kind + ":" + checksum(kind, tmp);
            if (checksum != null && !checksum.equals(sum)) {
                throw new CopyFailure(what + ": checksum mismatch: expected " + checksum + ", " + source + " has "
                        + sum);
            }
            return new Staged(tmp, new DataFile(name, null, actual, sum));
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new CopyFailure(what + ": copying " + source + " to " + dir + " failed: " + e);
        } catch (CopyFailure e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** A checked copy under a temporary name; {@link #commit} renames it into place. */
    public record Staged(Path temporary, DataFile file) {
        public void commit() throws IOException {
            Files.move(temporary, temporary.resolveSibling(file.name()), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }

        public void discard() {
            deleteQuietly(temporary);
        }
    }

    /** PanDA's checksum of a file: {@code adler32} (8 hex digits) or {@code md5}. */
    public static String checksum(String kind, Path file) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            if (kind.equals("adler32")) {
                Adler32 a = new Adler32();
                for (int n; (n = in.read(buf)) > 0; ) {
                    a.update(buf, 0, n);
                }
                return String.format("%08x", a.getValue());
            }
            MessageDigest md;
            try {
                md = MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has MD5", e);
            }
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        }
    }

    /**
     * The regular files directly in {@code sandbox} whose names match {@code pattern} (a glob), sorted by name. A
     * match that is a link leading out of the sandbox is refused: output data cannot carry a file from elsewhere.
     */
    public static List<Path> matches(Path sandbox, String pattern, String what) throws CopyFailure {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        List<Path> out = new ArrayList<>();
        Path realSandbox;
        try {
            realSandbox = sandbox.toRealPath();
        } catch (IOException e) {
            throw new CopyFailure(what + ": the unit sandbox " + sandbox + " cannot be read (" + e + ")");
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(realSandbox)) {
            for (Path p : ds) {
                if (!m.matches(p.getFileName()) || p.getFileName().toString().startsWith(".")) {
                    continue;
                }
                Path real = p.toRealPath();
                if (!real.startsWith(realSandbox)) {
                    throw new CopyFailure(what + ": " + p + " resolves to " + real + ", outside the unit sandbox");
                }
                if (Files.isRegularFile(real)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new CopyFailure(what + ": listing " + sandbox + " failed: " + e);
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return out;
    }

    /** Makes a directory inside {@code parent} under a temporary name (for a replica put in place whole). */
    public static Path temporaryDirectory(Path parent, String name) throws IOException {
        return Files.createDirectory(parent.resolve("." + name + ".staging-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong())));
    }

    /** Removes a file, a link (never followed) or a directory tree; quietly. */
    public static void deleteQuietly(Path p) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(LocalFiles.class).warn("could not remove {}: {}", p, e.toString());
        }
    }
}
