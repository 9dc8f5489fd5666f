package org.pilotflow.agent.staging;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.pilotflow.model.StagedFile;
import org.pilotflow.model.archive.Tarball;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Action;
import org.pilotflow.model.wire.StagingDirective.Flag;
import org.pilotflow.model.wire.StagingDirective.Location;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out resolved staging directives on the resource: COPY, LINK, MOVE, TARBALL (and TRANSFER between two
 * locations on the resource, as a copy) between {@code resource://}, {@code session://}, {@code pilot://} and
 * {@code unit://}. TARBALL packs the source (a file, or a directory with everything in it) into an archive beside
 * the target and unpacks it there ({@link Tarball}): what a RECURSIVE COPY makes, except that a link inside the tree
 * that leads out of it is refused rather than copied.
 *
 * <p>Confinement: a source must resolve (symbolic links followed) to a path inside the resource directory (which
 * holds every sandbox) or under one of the resource's valid roots; a target's directory must resolve inside the
 * directory of its own scheme, and missing parents are made one at a time, never through a link that leads out.
 * Nothing half-written is left at a target: a copy or link is made under a temporary name beside it and renamed
 * over it (an existing file or link there is replaced; an existing directory is refused).
 *
 * <p>Thread-safe: holds no state beyond its roots.
 */
public final class Stager {
    private static final Logger LOG = LoggerFactory.getLogger(Stager.class);

    /**
     * What a directive list came to: the first fatal failure (null when none), the NON_FATAL ones, and what was put
     * in place when the list was measured (output staging), in directive order.
     */
    public record Outcome(String failure, List<String> warnings, List<StagedFile> files) {
        public Outcome {
            files = List.copyOf(files);
        }

        public boolean failed() {
            return failure != null;
        }
    }

    private final Path resource;
    private final Path session;
    private final Path pilot;
    private final List<Path> readableRoots;

    /**
     * @param pilotSandbox the pilot sandbox, {@code <resource>/<session id>/<pilot id>}: its parent is
     *                     {@code session://}, that one's parent {@code resource://}
     * @param validRoots   the resource's valid roots (absolute); sources may lie under them
     */
    public Stager(Path pilotSandbox, List<String> validRoots) {
        this.pilot = pilotSandbox.toAbsolutePath().normalize();
        this.session = pilot.getParent() != null ? pilot.getParent() : pilot;
        this.resource = session.getParent() != null ? session.getParent() : session;
        List<Path> roots = new ArrayList<>();
        roots.add(resource);
        for (String r : validRoots) {
            Path p = Path.of(r);
            if (p.isAbsolute()) {
                roots.add(p.normalize());
            }
        }
        this.readableRoots = List.copyOf(roots);
    }

    /** Where sources may lie: the resource's sandbox root and its valid roots. */
    public List<Path> readableRoots() {
        return readableRoots;
    }

    /**
     * Carries out {@code directives} in order; stops at the first failure that is not NON_FATAL.
     *
     * @param what        names the list in messages: "input staging", "output staging", "pilot input staging"
     * @param unitSandbox the unit sandbox ({@code unit://}); null for a pilot's staging
     */
    public Outcome stage(String what, List<StagingDirective> directives, Path unitSandbox) {
        return stage(what, directives, unitSandbox, false);
    }

    /**
     * As {@link #stage(String, List, Path)}, and with {@code measure} the size and adler32 of each file put in place
     * (PanDA's stage-out), read back from the target (a LINK's size only: it copied nothing), at most
     * {@link StagedFile#MAX_PER_UNIT} files; a target that cannot be read back is a warning and is not recorded.
     */
    public Outcome stage(String what, List<StagingDirective> directives, Path unitSandbox, boolean measure) {
        List<String> warnings = new ArrayList<>();
        List<StagedFile> files = new ArrayList<>();
        for (int i = 0; i < directives.size(); i++) {
            StagingDirective d = directives.get(i);
            long t0 = System.nanoTime();
            try {
                Path target = run(d, unitSandbox);
                if (measure) {
                    try { // the file is in place: a read-back that fails is worth a warning, not the unit
                        files.addAll(StagedFile.measure(d.target(), target, d.action() != Action.LINK,
                                StagedFile.MAX_PER_UNIT - files.size()));
                    } catch (IOException e) {
                        warnings.add(what + " [" + i + "] " + d.describe() + " put in place, but its size and "
                                + "checksum could not be read back: " + cause(e));
                    }
                }
                if (LOG.isDebugEnabled()) {
                    LOG.debug("{} [{}] {} done in {} ms", what, i, d.describe(), (System.nanoTime() - t0) / 1_000_000);
                }
            } catch (StagingFailure | IOException | RuntimeException e) {
                String msg = what + " [" + i + "] " + d.describe() + " failed: " + cause(e);
                if (d.has(Flag.NON_FATAL)) {
                    warnings.add(msg + " (NON_FATAL: ignored)");
                } else {
                    return new Outcome(msg, warnings, files);
                }
            }
        }
        return new Outcome(null, warnings, files);
    }

    private static String cause(Exception e) {
        if (e instanceof StagingFailure || e instanceof StagingDirective.Invalid
                || e instanceof Tarball.TarballException) {
            return e.getMessage();
        }
        if (e instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getFile() + (f.getReason() != null ? ": " + f.getReason() : "") + " ("
                    + e.getClass().getSimpleName() + ")";
        }
        return e.toString();
    }

    /** A directive that cannot be carried out, in words. */
    static final class StagingFailure extends Exception {
        StagingFailure(String message) {
            super(message);
        }
    }

    /** Carries out one directive; returns the target it put in place. */
    Path run(StagingDirective d, Path unitSandbox) throws StagingFailure, IOException {
        Location srcLoc = d.sourceLocation();
        Location tgtLoc = d.targetLocation();
        Path srcRoot = root(srcLoc, unitSandbox);
        Path tgtRoot = root(tgtLoc, unitSandbox);
        if (srcLoc.path().isEmpty() || tgtLoc.path().isEmpty()) {
            throw new StagingFailure("source and target must name a file below their scheme's directory");
        }
        Path src = srcRoot.resolve(srcLoc.path()).normalize();
        Path tgt = tgtRoot.resolve(tgtLoc.path()).normalize();
        if (!src.startsWith(srcRoot) || !tgt.startsWith(tgtRoot) || tgt.equals(tgtRoot)) {
            throw new StagingFailure("a location leaves its directory");
        }
        if (!Files.exists(src, LinkOption.NOFOLLOW_LINKS)) {
            throw new StagingFailure("source " + src + " does not exist");
        }
        Path realSrc;
        try {
            realSrc = src.toRealPath();
        } catch (NoSuchFileException e) {
            throw new StagingFailure("source " + src + " is a link to nothing (" + e.getFile() + ")");
        }
        if (readableRoots.stream().noneMatch(r -> realSrc.startsWith(realOrSelf(r)))) {
            throw new StagingFailure("source " + src + " resolves to " + realSrc + ", outside the sandboxes ("
                    + resource + ") and the resource's valid roots " + readableRoots.subList(1, readableRoots.size()));
        }
        if (d.action() == Action.MOVE && !realSrc.startsWith(realOrSelf(resource))) {
            // valid roots are for reading: a MOVE would take the file away from there
            throw new StagingFailure("source " + src + " resolves to " + realSrc + ", under a valid root: MOVE "
                    + "only from the sandboxes (" + resource + "), COPY or LINK from a valid root");
        }
        if (!Files.isRegularFile(realSrc) && !Files.isDirectory(realSrc)) {
            // a FIFO or a device would block the copy (or checksum) for ever, and the unit with it
            throw new StagingFailure("source " + src + " is not a regular file or a directory");
        }
        Path dir = targetDirectory(tgtRoot, tgt.getParent(), d.has(Flag.CREATE_PARENTS));
        Path target = dir.resolve(tgt.getFileName().toString());
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new StagingFailure("target " + target + " is an existing directory");
        }
        if (realSrc.equals(target) || target.startsWith(realSrc)) {
            throw new StagingFailure("target " + target + " is the source or inside it");
        }
        boolean directory = Files.isDirectory(realSrc);
        boolean verify = d.size() != null || d.checksum() != null;
        if (verify && directory) {
            throw new StagingFailure("source " + src + " is a directory: the directive's " + verifiedFields(d)
                    + " can only be checked on a file (leave " + (d.size() != null && d.checksum() != null
                    ? "them" : "it") + " out for a directory)");
        }
        if (verify && d.action() != Action.COPY && d.action() != Action.TRANSFER && d.action() != Action.TARBALL) {
            verify(d, realSrc); // a link or a move puts the source itself in place: check it first
        }
        switch (d.action()) {
            case COPY, TRANSFER -> {
                if (directory && !d.has(Flag.RECURSIVE)) {
                    throw new StagingFailure("source " + src + " is a directory: COPY it with flag RECURSIVE");
                }
                Path tmp = temporary(target);
                try {
                    if (directory) {
                        copyTree(realSrc, tmp);
                    } else {
                        Files.copy(realSrc, tmp);
                    }
                    if (verify) { // the copy, before it replaces the target
                        verify(d, tmp);
                    }
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    deleteQuietly(tmp);
                }
            }
            case LINK -> {
                Path tmp = temporary(target);
                try {
                    Files.createSymbolicLink(tmp, realSrc);
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    deleteQuietly(tmp);
                }
            }
            case MOVE -> move(src, target, realSrc, directory);
            case TARBALL -> tarball(d, realSrc, target, verify);
            default -> throw new StagingFailure("action " + d.action() + " is not supported by the agent");
        }
        return target;
    }

    private static String verifiedFields(StagingDirective d) {
        List<String> fields = new ArrayList<>();
        if (d.size() != null) {
            fields.add("size (" + d.size() + ")");
        }
        if (d.checksum() != null) {
            fields.add("checksum (" + d.checksum() + ")");
        }
        return String.join(" and ", fields);
    }

    /**
     * RP's TARBALL on the resource: the source packed into an archive beside the target, unpacked into the target
     * (a file or a whole tree, links inside it kept), the archive removed. A file's size and checksum are checked on
     * the unpacked file before it replaces the target.
     */
    private static void tarball(StagingDirective d, Path realSrc, Path target, boolean verify) throws IOException {
        Path archive = target.resolveSibling(temporary(target).getFileName() + ".tar");
        try {
            Tarball.Contents packed = Tarball.pack(realSrc, archive);
            Tarball.unpack(archive, target, unpacked -> {
                if (verify) {
                    try {
                        verify(d, unpacked);
                    } catch (StagingFailure e) {
                        throw new Tarball.TarballException(e.getMessage());
                    }
                }
            });
            LOG.debug("TARBALL {} -> {}: {} entries, {} bytes", realSrc, target, packed.entries(), packed.bytes());
        } finally {
            deleteQuietly(archive);
        }
    }

    /** PanDA's checks: the size, then adler32 (8 hex digits, starting at 1) or md5. */
    private static void verify(StagingDirective d, Path file) throws StagingFailure, IOException {
        long size = Files.size(file);
        if (d.size() != null && size != d.size()) {
            throw new StagingFailure("size mismatch: expected " + d.size() + " bytes, the file has " + size);
        }
        if (d.checksum() == null) {
            return;
        }
        String kind = d.checksum().substring(0, d.checksum().indexOf(':'));
        String actual = kind + ":" + checksum(kind, file);
        if (!actual.equals(d.checksum())) {
            throw new StagingFailure("checksum mismatch: expected " + d.checksum() + ", the file has " + actual);
        }
    }

    static String checksum(String kind, Path file) throws IOException {
        if (kind.equals("adler32")) {
            return StagedFile.adler32(file);
        }
        byte[] buf = new byte[1 << 16];
        try (java.io.InputStream in = Files.newInputStream(file)) {
            java.security.MessageDigest md;
            try {
                md = java.security.MessageDigest.getInstance("MD5");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has MD5", e);
            }
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        }
    }

    private Path root(Location l, Path unitSandbox) throws StagingFailure {
        return switch (l.scheme()) {
            case RESOURCE -> resource;
            case SESSION -> session;
            case PILOT -> pilot;
            case UNIT -> {
                if (unitSandbox == null) {
                    throw new StagingFailure("unit:// has no meaning in a pilot's staging");
                }
                yield unitSandbox.toAbsolutePath().normalize();
            }
            case CLIENT -> throw new StagingFailure("client:// is not on the resource (TRANSFER is not supported "
                    + "yet)");
        };
    }

    private static Path realOrSelf(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
    }

    /**
     * The target's directory as a real path inside its scheme's directory, made (one part at a time) when asked:
     * each existing part must resolve inside the root, so a link cannot lead a target out.
     */
    private static Path targetDirectory(Path root, Path dir, boolean createParents) throws StagingFailure,
            IOException {
        Path realRoot;
        try {
            realRoot = root.toRealPath();
        } catch (NoSuchFileException e) {
            throw new StagingFailure("the directory " + root + " does not exist");
        }
        Path current = root;
        Path real = realRoot;
        for (Path part : root.relativize(dir)) {
            if (part.toString().isEmpty()) {
                continue;
            }
            current = current.resolve(part);
            if (!Files.exists(current, LinkOption.NOFOLLOW_LINKS) && createParents) {
                try {
                    Files.createDirectory(current);
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // another staging (units stage two at a time) made it just now: checked below as any other
                }
            }
            if (Files.exists(current, LinkOption.NOFOLLOW_LINKS)) {
                real = current.toRealPath();
                if (!real.startsWith(realRoot)) {
                    throw new StagingFailure("target directory " + current + " resolves to " + real + ", outside "
                            + root);
                }
                if (!Files.isDirectory(real)) {
                    throw new StagingFailure("target directory " + current + " is not a directory");
                }
            } else {
                throw new StagingFailure("target directory " + current + " does not exist (flag CREATE_PARENTS "
                        + "makes it)");
            }
        }
        return real;
    }

    private static Path temporary(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".staging-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    }

    /** A rename where the file system allows it; else copy beside the target, rename, and remove the source. */
    private static void move(Path src, Path target, Path realSrc, boolean directory) throws IOException {
        try {
            Files.move(src, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return;
        } catch (AtomicMoveNotSupportedException e) {
            LOG.debug("{} and {} are on different file systems: copying, then removing the source", src, target);
        }
        Path tmp = temporary(target);
        try {
            if (directory) {
                copyTree(realSrc, tmp);
            } else {
                Files.copy(realSrc, tmp);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            deleteQuietly(tmp);
        }
        deleteTree(src);
    }

    /** Copies a directory tree; symbolic links inside it are copied as links, never followed. */
    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectory(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isOther()) { // a FIFO would block the copy for ever
                    throw new java.nio.file.FileSystemException(file.toString(), null,
                            "not a regular file, a directory or a link");
                }
                Files.copy(file, to.resolve(from.relativize(file).toString()), LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteQuietly(Path p) {
        try {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(p);
            }
        } catch (IOException e) {
            LOG.warn("could not remove the temporary {}: {}", p, e.toString());
        }
    }

    /** Removes a file, a link (never followed) or a directory tree. */
    private static void deleteTree(Path p) throws IOException {
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
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
    }
}
