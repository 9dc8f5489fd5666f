package org.pilotflow.model.archive;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file or a directory tree as one tar archive, and back: RADICAL-Pilot's TARBALL staging, where the source side
 * packs, one file moves, and the target side unpacks, so the target ends up as a recursive copy would make it. Used by
 * the agent on the resource and by the engine for the application's side.
 *
 * <p>An archive is a plain (uncompressed) POSIX tar whose entries all lie under one top name, the source's own
 * ({@code tar tf} shows {@code inputs/}, {@code inputs/a.dat}, ...); the first entry carries the number of entries, so
 * an archive cut short at an entry boundary (where tar itself sees only an early end) is refused. Kept: regular
 * files with their bytes, directories, permissions ({@code rwx} bits) and modification times, and symbolic links
 * whose target stays inside the packed tree. Not kept: owners, setuid/setgid/sticky bits.
 *
 * <p>{@link #pack} refuses a link that leads out of the tree (absolute, or climbing out with {@code ..}), and
 * anything that is not a regular file, a directory or a link (a FIFO, a device), naming the path.
 *
 * <p>{@link #unpack} trusts nothing in the archive: each entry must lie under the top name (no {@code ..}, no absolute
 * name, no second top name), must not pass through a symbolic link, and must be a file, a directory or a link whose
 * target stays inside the tree; hard links, devices, FIFOs and sparse files are refused. It unpacks into a temporary
 * sibling of the target and renames that over the target at the end, so a refused entry, a damaged archive or a full
 * disk leaves nothing at the target and nothing half-written beside it.
 *
 * <p>Stateless and thread-safe.
 */
public final class Tarball {
    private static final Logger LOG = LoggerFactory.getLogger(Tarball.class);

    /** What an archive held: its entries (files, directories, links) and the files' bytes. */
    public record Contents(int entries, long bytes) {
    }

    /** Run on the unpacked file or tree before it replaces the target, e.g. to check a size and checksum. */
    @FunctionalInterface
    public interface BeforeReplacing {
        void check(Path unpacked) throws IOException;
    }

    /** A tree that cannot be packed or an archive that cannot be unpacked; the message names the path or entry. */
    public static final class TarballException extends IOException {
        public TarballException(String message) {
            super(message);
        }

        public TarballException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The PAX keyword of the entry count ({@code comment}: every tar reader ignores it without a warning). */
    private static final String COUNT_KEY = "comment";
    private static final String COUNT_PREFIX = "pilotflow-tarball entries=";
    private static final int BUFFER = 1 << 16;

    private Tarball() {
    }

    // --- pack --------------------------------------------------------------------------------------------------

    /** One path of the tree as it goes into the archive. */
    private record Item(Path path, String name, PosixFileAttributes attrs, String linkTarget) {
    }

    /**
     * Packs {@code source} (a regular file, or a directory with everything in it; a link there is followed) into the
     * tar file {@code archive}, written anew (a file there is replaced). The tree is looked at whole before a byte
     * is written, so a link that leads out or a FIFO is refused without an archive being left.
     *
     * @throws TarballException naming the path: not a file or directory, a link leading out of the tree, a file that
     *                          changed size while it was packed, the archive inside the source
     * @throws IOException      on a read or write error (the partial archive is removed)
     */
    public static Contents pack(Path source, Path archive) throws IOException {
        Path root;
        try {
            root = source.toRealPath();
        } catch (NoSuchFileException e) {
            throw new TarballException("source " + source + " does not exist");
        }
        if (root.getFileName() == null) {
            throw new TarballException("source " + source + " is the root directory");
        }
        Path archiveDir = archive.toAbsolutePath().normalize().getParent();
        if (archiveDir != null && Files.isDirectory(archiveDir)
                && archiveDir.toRealPath().startsWith(root)) {
            throw new TarballException("archive " + archive + " would be inside the source " + root);
        }
        List<Item> items = new ArrayList<>();
        collect(root, root, root.getFileName().toString(), items);
        long bytes = 0;
        try (OutputStream file = Files.newOutputStream(archive, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(file, BUFFER),
                     StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            byte[] buf = new byte[BUFFER];
            for (int i = 0; i < items.size(); i++) {
                Item it = items.get(i);
                TarArchiveEntry e;
                if (it.linkTarget() != null) {
                    e = new TarArchiveEntry(it.name(), TarConstants.LF_SYMLINK);
                    e.setLinkName(it.linkTarget());
                } else {
                    e = new TarArchiveEntry(it.attrs().isDirectory() ? it.name() + "/" : it.name());
                    if (it.attrs().isRegularFile()) {
                        e.setSize(it.attrs().size());
                    }
                }
                e.setMode((e.getMode() & 0170000) | mode(it.attrs())); // the type bits as tar writes them
                // whole seconds, as tar keeps them: a finer time costs a PAX header (1 KiB) per entry
                e.setModTime(FileTime.from(it.attrs().lastModifiedTime().to(TimeUnit.SECONDS), TimeUnit.SECONDS));
                e.setUserName("");
                e.setGroupName("");
                if (i == 0) {
                    e.addPaxHeader(COUNT_KEY, COUNT_PREFIX + items.size());
                }
                tar.putArchiveEntry(e);
                if (it.linkTarget() == null && it.attrs().isRegularFile()) {
                    copyExactly(it.path(), it.attrs().size(), tar, buf);
                    bytes += it.attrs().size();
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(archive);
            throw e;
        }
        return new Contents(items.size(), bytes);
    }

    /** The tree below {@code path} in archive order (a directory before what it holds, names sorted). */
    private static void collect(Path root, Path path, String name, List<Item> out) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (attrs.isSymbolicLink()) {
            out.add(new Item(path, name, attrs, innerLinkTarget(root, path)));
        } else if (attrs.isRegularFile()) {
            out.add(new Item(path, name, attrs, null));
        } else if (attrs.isDirectory()) {
            out.add(new Item(path, name, attrs, null));
            List<Path> children;
            try (Stream<Path> s = Files.list(path)) {
                children = s.sorted().toList();
            }
            for (Path c : children) {
                collect(root, c, name + "/" + c.getFileName(), out);
            }
        } else {
            throw new TarballException(path + " is not a regular file, a directory or a link (a FIFO or a device "
                    + "cannot be packed)");
        }
    }

    /** A link's target when it stays inside the tree, by its words and by where it leads now. */
    private static String innerLinkTarget(Path root, Path link) throws IOException {
        Path target = Files.readSymbolicLink(link);
        String why = null;
        if (target.isAbsolute()) {
            why = "an absolute link (" + target + "), which would lead out of a copy of the tree";
        } else if (climbsOut(link.getNameCount() - root.getNameCount() - 1, target.toString())) {
            why = "a link to " + target + ", outside the packed tree " + root;
        } else if (Files.exists(link)) {
            Path real = link.toRealPath();
            if (!real.startsWith(root)) {
                why = "a link to " + target + ", which leads to " + real + ", outside the packed tree " + root;
            }
        }
        if (why != null) {
            throw new TarballException(link + " is " + why + ": only links inside the tree are packed");
        }
        return target.toString();
    }

    private static void copyExactly(Path file, long size, OutputStream out, byte[] buf) throws IOException {
        long left = size;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new TarballException(file + " shrank from " + size + " to " + (size - left)
                            + " bytes while it was packed");
                }
                out.write(buf, 0, n);
                left -= n;
            }
            if (in.read() >= 0) {
                throw new TarballException(file + " grew beyond " + size + " bytes while it was packed");
            }
        }
    }

    private static int mode(PosixFileAttributes attrs) {
        int mode = 0;
        for (PosixFilePermission p : attrs.permissions()) {
            mode |= 1 << (8 - p.ordinal()); // OWNER_READ is ordinal 0 and bit 0400, OTHERS_EXECUTE 8 and 01
        }
        return mode;
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (1 << (8 - p.ordinal()))) != 0) {
                s.add(p);
            }
        }
        return s;
    }

    // --- unpack ------------------------------------------------------------------------------------------------

    /** {@link #unpack(Path, Path, BeforeReplacing)} without a check. */
    public static Contents unpack(Path archive, Path target) throws IOException {
        return unpack(archive, target, unpacked -> { });
    }

    /**
     * Unpacks {@code archive} so that {@code target} becomes the archived file or directory (its top name is
     * replaced by the target's). The target's directory must exist; an existing file or link at the target is
     * replaced, an existing directory is refused. Everything is unpacked into a temporary sibling
     * ({@code .<name>.tarball-<random>}) and renamed over the target once every entry is in, the links checked and
     * {@code check} passed; on any failure the sibling is removed and the target left as it was.
     *
     * @throws TarballException naming the entry: an escape (absolute name, {@code ..}, a second top name, a path
     *                          through a link, a link leading out), a hard link, a device or FIFO, a sparse file, a
     *                          name given twice, an archive that ends early or is not a tar; or an existing directory
     *                          at the target
     * @throws IOException      on a read or write error (a full disk), or from {@code check}
     */
    public static Contents unpack(Path archive, Path target, BeforeReplacing check) throws IOException {
        Path t = target.toAbsolutePath().normalize();
        if (t.getFileName() == null || t.getParent() == null) {
            throw new TarballException("target " + target + " names no file");
        }
        if (Files.isDirectory(t, LinkOption.NOFOLLOW_LINKS)) {
            throw new TarballException("target " + t + " is an existing directory");
        }
        Path tmp = t.resolveSibling("." + t.getFileName() + ".tarball-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Contents c = unpackInto(archive, tmp);
            check.check(tmp);
            Files.move(tmp, t, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return c;
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** A directory's mode and time, set once everything in it is written (a read-only one would refuse its files). */
    private record PendingDirectory(Path path, int mode, FileTime modified) {
    }

    private static Contents unpackInto(Path archive, Path top) throws IOException {
        String topName = null;
        int entries = 0;
        long bytes = 0;
        Integer declared = null;
        List<PendingDirectory> directories = new ArrayList<>();
        List<UnpackedLink> links = new ArrayList<>();
        byte[] buf = new byte[BUFFER];
        try (InputStream file = Files.newInputStream(archive);
             TarArchiveInputStream tar = new TarArchiveInputStream(new BufferedInputStream(file, BUFFER),
                     StandardCharsets.UTF_8.name())) {
            TarArchiveEntry e;
            while ((e = nextEntry(tar, archive, entries)) != null) {
                String raw = e.getName();
                List<String> parts = parts(raw);
                if (topName == null) {
                    topName = parts.get(0);
                    String count = e.getExtraPaxHeader(COUNT_KEY);
                    if (count != null && count.startsWith(COUNT_PREFIX)) {
                        declared = parseCount(count.substring(COUNT_PREFIX.length()));
                    }
                } else if (!parts.get(0).equals(topName)) {
                    throw refused(raw, "lies outside the archive's top name '" + topName + "'");
                }
                entries++;
                Path path = parts.size() == 1 ? top
                        : parentDirectoryOf(top, parts, raw).resolve(parts.get(parts.size() - 1));
                int mode = e.getMode() & 0777; // no setuid, setgid or sticky bit from an archive
                byte type = e.getLinkFlag();
                boolean plain = type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM;
                if (type == TarConstants.LF_DIR || (plain && raw.endsWith("/"))) {
                    if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) { // else made for an earlier entry
                        createNew(raw, () -> Files.createDirectory(path));
                    }
                    directories.add(new PendingDirectory(path, mode, e.getLastModifiedTime()));
                } else if (type == TarConstants.LF_SYMLINK) {
                    if (parts.size() == 1) {
                        throw refused(raw, "is a link: the archive's top must be a file or a directory");
                    }
                    String linkName = e.getLinkName();
                    if (linkName == null || linkName.isEmpty() || linkName.startsWith("/")
                            || climbsOut(parts.size() - 2, linkName)) {
                        throw refused(raw, "is a link to " + (linkName == null || linkName.isEmpty() ? "nothing"
                                : linkName + ", outside the archived tree"));
                    }
                    createNew(raw, () -> Files.createSymbolicLink(path, Path.of(linkName)));
                    links.add(new UnpackedLink(path, raw));
                } else if ((plain || type == TarConstants.LF_CONTIG) && !e.isSparse()) {
                    try (OutputStream out = newFile(raw, path)) { // O_EXCL: never through a link there
                        bytes += copyEntry(archive, tar, out, buf, e, raw);
                    }
                    Files.setPosixFilePermissions(path, permissions(mode));
                    Files.setLastModifiedTime(path, e.getLastModifiedTime());
                } else {
                    throw refused(raw, "is " + kind(e) + ": only files, directories and links inside the tree are "
                            + "unpacked");
                }
            }
        }
        if (topName == null) {
            throw new TarballException("archive " + archive + " holds no entry (empty, or not a tar file)");
        }
        if (declared != null && declared != entries) {
            throw new TarballException("archive " + archive + " ends after " + entries + " of its " + declared
                    + " entries (cut short?)");
        }
        checkLinksStayInside(top, links); // before the modes: a directory without x would hide what it holds
        directories.sort(Comparator.comparingInt((PendingDirectory d) -> d.path().getNameCount()).reversed());
        for (PendingDirectory d : directories) { // deepest first: a parent without x would refuse its children
            Files.setPosixFilePermissions(d.path(), permissions(d.mode()));
            Files.setLastModifiedTime(d.path(), d.modified());
        }
        return new Contents(entries, bytes);
    }

    private static TarArchiveEntry nextEntry(TarArchiveInputStream tar, Path archive, int read) throws IOException {
        try {
            return tar.getNextEntry();
        } catch (IOException | RuntimeException e) {
            throw new TarballException("archive " + archive + " is damaged or not a tar file (after " + read
                    + " entries): " + e.getMessage(), e);
        }
    }

    private static int parseCount(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return -1; // a count that cannot be read matches no archive: refused as cut short
        }
    }

    /** An entry's bytes; a read error is the archive's (named so), a write error the target's (a full disk). */
    private static long copyEntry(Path archive, InputStream tar, OutputStream out, byte[] buf, TarArchiveEntry e,
                                  String raw) throws IOException {
        long n = 0;
        while (true) {
            int r;
            try {
                r = tar.read(buf);
            } catch (IOException | RuntimeException ex) {
                throw new TarballException("archive " + archive + " could not be read in entry '" + raw + "' (cut "
                        + "short or damaged?): " + ex.getMessage(), ex);
            }
            if (r < 0) {
                break;
            }
            out.write(buf, 0, r);
            n += r;
        }
        if (n != e.getSize()) {
            throw refused(raw, "ends after " + n + " of its " + e.getSize() + " bytes (the archive is cut short)");
        }
        return n;
    }

    /** The plain names of an entry's path; refuses absolute names, {@code ..} and empty names. */
    private static List<String> parts(String raw) throws TarballException {
        if (raw.startsWith("/")) {
            throw refused(raw, "is an absolute name");
        }
        List<String> parts = new ArrayList<>();
        for (String p : raw.split("/")) {
            if (p.equals("..")) {
                throw refused(raw, "climbs out with '..'");
            }
            if (!p.isEmpty() && !p.equals(".")) {
                parts.add(p);
            }
        }
        if (parts.isEmpty()) {
            throw refused(raw, "names no file");
        }
        return parts;
    }

    /**
     * The directory an entry goes into, below {@code top}: missing directories are made, and every existing part must
     * be a directory that is not a link (a link entry earlier in the archive must not carry a later entry out).
     */
    private static Path parentDirectoryOf(Path top, List<String> parts, String raw) throws IOException {
        Path dir = top;
        for (int i = 0; i < parts.size() - 1; i++) {
            if (i > 0) {
                dir = dir.resolve(parts.get(i));
            }
            checkDirectoryPart(dir, raw, parts, i);
        }
        return dir;
    }

    private static void checkDirectoryPart(Path dir, String raw, List<String> parts, int index) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectory(dir);
        } else if (Files.isSymbolicLink(dir)) {
            throw refused(raw, "passes through the link '" + String.join("/", parts.subList(0, index + 1)) + "'");
        } else if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw refused(raw, "passes through '" + String.join("/", parts.subList(0, index + 1)) + "', which is "
                    + "not a directory");
        }
    }

    /**
     * Whether a relative link target, read from a directory {@code depth} levels below the tree's top, climbs above
     * the top with {@code ..} (by its words; where links lead now is checked on the files).
     */
    private static boolean climbsOut(int depth, String linkTarget) {
        int at = depth;
        for (String p : linkTarget.split("/")) {
            if (p.equals("..")) {
                if (--at < 0) {
                    return true;
                }
            } else if (!p.isEmpty() && !p.equals(".")) {
                at++;
            }
        }
        return false;
    }

    /** A link as unpacked: where it is, and its entry's name for messages. */
    private record UnpackedLink(Path path, String entry) {
    }

    /**
     * Links checked by their words can still lead out through one another ({@code a -> ../..} placed deep, then
     * {@code b -> a/../..}): every link that resolves must resolve inside the unpacked tree.
     */
    private static void checkLinksStayInside(Path top, List<UnpackedLink> links) throws IOException {
        if (links.isEmpty()) {
            return;
        }
        Path realTop = top.toRealPath();
        for (UnpackedLink l : links) {
            if (Files.exists(l.path())) {
                Path real = l.path().toRealPath();
                if (!real.startsWith(realTop)) {
                    throw refused(l.entry(), "is a link to " + Files.readSymbolicLink(l.path()) + ", which leads "
                            + "out of the archived tree (to " + real + ")");
                }
            }
        }
    }

    private interface Creation {
        void run() throws IOException;
    }

    private static void createNew(String raw, Creation c) throws IOException {
        try {
            c.run();
        } catch (FileAlreadyExistsException e) {
            throw refused(raw, "names a path that an earlier entry made");
        }
    }

    private static OutputStream newFile(String raw, Path path) throws IOException {
        try {
            return Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw refused(raw, "names a path that an earlier entry made");
        }
    }

    private static String kind(TarArchiveEntry e) {
        if (e.isLink()) {
            return "a hard link (to " + e.getLinkName() + ")";
        }
        if (e.isCharacterDevice() || e.isBlockDevice()) {
            return "a device";
        }
        if (e.isFIFO()) {
            return "a FIFO";
        }
        if (e.isSparse()) {
            return "a sparse file";
        }
        return "of type '" + (char) e.getLinkFlag() + "'";
    }

    private static TarballException refused(String entry, String why) {
        return new TarballException("entry '" + entry + "' " + why);
    }

    /** Removes a temporary tree, making read-only directories writable first. */
    private static void deleteQuietly(Path p) {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.setPosixFilePermissions(dir, EnumSet.of(PosixFilePermission.OWNER_READ,
                            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failed) throws IOException {
                    if (failed != null) {
                        throw failed;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("could not remove the temporary {}: {}", p, e.toString());
        }
    }
}
