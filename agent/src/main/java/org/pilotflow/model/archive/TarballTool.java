package org.pilotflow.model.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.Adler32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resource's half of a TARBALL from or to {@code client://}: the engine moves the one archive (SFTP on the
 * pilot's connection) and runs this class with the agent jar already on the resource
 * ({@code java -cp <agent jar> org.pilotflow.model.archive.TarballTool ...}, each argument one word), or calls
 * {@link #run} in its own JVM for a resource on its host. Packing and unpacking are {@link Tarball}'s, so an archive
 * from the application's machine is unpacked with the same confinement as the agent's own TARBALL (no remote
 * {@code tar -x}, which would follow what the archive says).
 *
 * <pre>
 * unpack ARCHIVE TARGET ROOT [SIZE|- [CHECKSUM]]   TARGET's directory must resolve inside ROOT (its scheme's directory)
 * pack SOURCE ARCHIVE ROOT...                      SOURCE must resolve inside one of the ROOTs
 * </pre>
 *
 * The archive is left where it is (the engine removes it). Exit 0 when done; 1 with one line holding
 * {@code pilotflow-tarball: <why>} on stderr ({@link #failureIn}) when refused or failed; 2 for a bad command line.
 */
public final class TarballTool {

    /** The prefix of the one line on stderr that says why it failed. */
    public static final String FAILURE_PREFIX = "pilotflow-tarball: ";

    private TarballTool() {
    }

    public static void main(String[] args) {
        // slf4j-simple, as the agent jar binds it, writes this to stderr ("[main] ERROR ... - pilotflow-tarball: ...")
        Logger log = LoggerFactory.getLogger(TarballTool.class);
        String why;
        try {
            why = run(List.of(args));
        } catch (IllegalArgumentException e) {
            log.error("{}{}", FAILURE_PREFIX, e.getMessage());
            System.exit(2);
            return;
        }
        if (why != null) {
            log.error("{}{}", FAILURE_PREFIX, why);
            System.exit(1);
        }
    }

    /** Why a run failed, from its stderr: what follows {@link #FAILURE_PREFIX} on its line; null when none says. */
    public static String failureIn(String stderr) {
        return stderr.lines().filter(l -> l.contains(FAILURE_PREFIX))
                .map(l -> l.substring(l.indexOf(FAILURE_PREFIX) + FAILURE_PREFIX.length())).findFirst().orElse(null);
    }

    /**
     * Carries out one command line's work.
     *
     * @return null when done, else why not (naming the path or entry)
     * @throws IllegalArgumentException for a command line this class does not take
     */
    public static String run(List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("usage: unpack ARCHIVE TARGET ROOT [SIZE|- [CHECKSUM]] | pack SOURCE "
                    + "ARCHIVE ROOT...");
        }
        try {
            return switch (args.get(0)) {
                case "unpack" -> {
                    if (args.size() < 4 || args.size() > 6) {
                        throw new IllegalArgumentException("usage: unpack ARCHIVE TARGET ROOT [SIZE|- [CHECKSUM]]");
                    }
                    Long size = args.size() > 4 && !args.get(4).equals("-") ? Long.valueOf(args.get(4)) : null;
                    yield unpack(Path.of(args.get(1)), Path.of(args.get(2)), Path.of(args.get(3)), size,
                            args.size() > 5 ? args.get(5) : null);
                }
                case "pack" -> {
                    if (args.size() < 4) {
                        throw new IllegalArgumentException("usage: pack SOURCE ARCHIVE ROOT...");
                    }
                    List<Path> roots = new ArrayList<>();
                    args.subList(3, args.size()).forEach(r -> roots.add(Path.of(r)));
                    yield pack(Path.of(args.get(1)), Path.of(args.get(2)), roots);
                }
                default -> throw new IllegalArgumentException("unknown command '" + args.get(0)
                        + "' (expected unpack or pack)");
            };
        } catch (IOException e) {
            return e.getMessage() != null ? e.getMessage() : e.toString();
        }
    }

    /**
     * Unpacks {@code archive} into {@code target} ({@link Tarball#unpack}: whole or not at all), once the target's
     * directory is found inside {@code root}; a file's {@code size} and {@code checksum} (null: unchecked) are checked
     * on the unpacked file before it replaces the target.
     */
    public static String unpack(Path archive, Path target, Path root, Long size, String checksum) throws IOException {
        Path realRoot = real(root, "directory");
        Path parent = target.toAbsolutePath().normalize().getParent();
        if (parent == null || target.getFileName() == null) {
            return "target " + target + " names no file";
        }
        Path realParent;
        try {
            realParent = parent.toRealPath();
        } catch (NoSuchFileException e) {
            return "the directory " + parent + " of target " + target + " does not exist";
        }
        if (!realParent.startsWith(realRoot)) {
            return "target " + target + ": its directory resolves to " + realParent + ", outside " + realRoot;
        }
        Tarball.unpack(archive, realParent.resolve(target.getFileName()), unpacked -> checkFile(unpacked, size,
                checksum));
        return null;
    }

    /** Packs {@code source} into {@code archive} ({@link Tarball#pack}) once found inside one of {@code roots}. */
    public static String pack(Path source, Path archive, List<Path> roots) throws IOException {
        Path realSource;
        try {
            realSource = source.toRealPath();
        } catch (NoSuchFileException e) {
            return "source " + source + " does not exist";
        }
        List<Path> realRoots = new ArrayList<>();
        for (Path r : roots) {
            try {
                realRoots.add(r.toRealPath());
            } catch (NoSuchFileException e) {
                // a valid root that does not exist holds nothing
            }
        }
        if (realRoots.stream().noneMatch(realSource::startsWith)) {
            return "source " + source + " resolves to " + realSource + ", outside " + roots;
        }
        Tarball.pack(realSource, archive);
        return null;
    }

    /**
     * PanDA's checks of an unpacked file: the size, then adler32 or md5 ({@code adler32:<hex>} / {@code md5:<hex>});
     * a directory takes none.
     *
     * @throws Tarball.TarballException naming the file and both values
     */
    public static void checkFile(Path file, Long size, String checksum) throws IOException {
        if (size == null && checksum == null) {
            return;
        }
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new Tarball.TarballException("size and checksum are a file's, and the source is a directory");
        }
        long actual = Files.size(file);
        if (size != null && actual != size) {
            throw new Tarball.TarballException("size mismatch: expected " + size + " bytes, the file has " + actual);
        }
        if (checksum == null) {
            return;
        }
        int colon = checksum.indexOf(':');
        String kind = colon < 0 ? "" : checksum.substring(0, colon);
        String got = switch (kind) {
            case "adler32" -> adler32(file);
            case "md5" -> md5(file);
            default -> throw new Tarball.TarballException("checksum " + checksum + " is neither adler32: nor md5:");
        };
        if (!checksum.substring(colon + 1).equals(got)) {
            throw new Tarball.TarballException("checksum mismatch: expected " + checksum + ", the file has " + kind
                    + ":" + got);
        }
    }

    private static String adler32(Path file) throws IOException {
        Adler32 a = new Adler32();
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                a.update(buf, 0, n);
            }
        }
        return String.format("%08x", a.getValue());
    }

    private static String md5(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has MD5", e);
        }
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static Path real(Path p, String what) throws IOException {
        try {
            return p.toRealPath();
        } catch (NoSuchFileException e) {
            throw new Tarball.TarballException("the " + what + " " + p + " does not exist");
        }
    }
}
