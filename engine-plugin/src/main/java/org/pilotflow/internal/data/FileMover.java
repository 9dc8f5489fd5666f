package org.pilotflow.internal.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.FileSpec;
import org.pilotflow.api.FileSpec.TransferError;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Location;
import org.pilotflow.model.wire.StagingDirective.Scheme;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.ResourceFiles;
import org.pilotflow.resource.shell.ResourceShell;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves files between this machine and one pilot's resource through the resource's shell (the contract is
 * {@link org.pilotflow.api.DataClient}'s). One batch, one {@link ResourceShell#withFiles} call: over SSH, one SFTP
 * channel for all its files.
 *
 * <p>Confinement is the agent's ({@code Stager}) applied on the resource through {@link ResourceFiles}: a source
 * must resolve inside the resource directory or under a valid root; a target's directory must resolve inside its
 * scheme's directory, missing parts made one at a time and each checked, so no link leads a target out.
 *
 * <p>With a {@link TarballRunner}, it also carries a client TARBALL's one archive and has the resource unpack or pack
 * it ({@link #unpackTarball}, {@link #packTarball}); the archive on the resource is a hidden temporary file, removed
 * whatever happened.
 */
public final class FileMover {

    private static final Logger LOG = LoggerFactory.getLogger(FileMover.class);
    private static final int BUFFER = 1 << 18;

    private final ResourceShell shell;
    private final String pilotUid;
    private final String pilot;
    private final String session;
    private final String resource;
    private final List<String> validRoots;
    /** Whether each call's summary is logged at INFO (the Data API) or DEBUG (a unit's staging: one per unit). */
    private boolean callsAtInfo = true;

    /**
     * @param pilotSandbox the pilot sandbox on the resource ({@code pilot://}); its parent is {@code session://},
     *                     that one's parent {@code resource://}, as the agent sees them
     * @param validRoots   the resource's valid roots as the resource sees them (absolute)
     */
    public FileMover(ResourceShell shell, String pilotUid, String pilotSandbox, List<String> validRoots) {
        this.shell = shell;
        this.pilotUid = pilotUid;
        this.pilot = trim(pilotSandbox);
        this.session = parent(pilot);
        this.resource = parent(session);
        this.validRoots = validRoots.stream().filter(r -> r.startsWith("/")).map(FileMover::trim).toList();
    }

    /**
     * Runs {@link org.pilotflow.model.archive.TarballTool} where the resource's files are: in this JVM for a resource
     * on this host, else {@code java -cp <agent jar>} over the resource's shell (the argv quoted by the shell, never
     * re-parsed).
     */
    @FunctionalInterface
    public interface TarballRunner {
        /** @return null when done, else why not (the tool's message) */
        String run(List<String> args) throws ResourceException;
    }

    private TarballRunner tarballs;

    /** Lets this mover carry a client TARBALL's archive ({@link #unpackTarball}, {@link #packTarball}). */
    public FileMover withTarballs(TarballRunner runner) {
        this.tarballs = runner;
        return this;
    }

    /** Each call's summary at DEBUG: for work done once per unit, where a line per call would flood the log. */
    public FileMover quiet() {
        callsAtInfo = false;
        return this;
    }

    /** What a spec resolves to before anything moves; {@code source} only for stage-out, once checked. */
    private record Planned(FileSpec spec, Path local, Location remote, Source source) {
        Planned(FileSpec spec, Path local, Location remote) {
            this(spec, local, remote, null);
        }
    }

    /** A checked resource source: its real path and size. */
    private record Source(String real, long size) {
    }

    // ------------------------------------------------------------------------------------------ stage-in

    /** Local sources to resource targets. */
    public List<FileSpec> stageIn(List<FileSpec> specs) {
        List<Planned> plan = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            FileSpec f = spec(specs, i);
            Path src = localPath("files[" + i + "].source", f.source());
            if (!Files.exists(src)) {
                throw new BadParameter("files[" + i + "].source", f.source(), "an existing file on this machine ("
                        + src.toAbsolutePath() + " does not exist)");
            }
            if (!Files.isRegularFile(src)) {
                throw new BadParameter("files[" + i + "].source", f.source(), "a regular file (the Data API moves "
                        + "files, not directories, devices or FIFOs)");
            }
            Location tgt = remoteLocation("files[" + i + "].target", f.target(), src.getFileName().toString());
            plan.add(new Planned(f, src, tgt));
        }
        return run("stage in", plan, this::in);
    }

    private FileSpec in(ResourceFiles files, Planned p, Batch batch) throws IOException, Failed {
        String dir = targetDirectory(files, p.remote(), batch.dirs);
        String name = p.remote().fileName();
        String target = dir + "/" + name;
        ResourceFiles.Stat existing = files.lstat(target);
        if (existing != null && existing.directory()) {
            throw new Failed(TransferError.TARGET_NOT_WRITABLE, "target " + p.remote() + " (" + target
                    + ") is an existing directory");
        }
        long need = Files.size(p.local());
        // asked once per directory and batch (a round trip over SFTP), then counted down as files land there
        long[] free = batch.free.computeIfAbsent(dir, d -> new long[1]);
        if (free[0] == 0 || (free[0] > 0 && free[0] < need)) { // unknown yet, or the estimate runs short
            free[0] = files.usableSpace(dir);
        }
        if (free[0] >= 0 && free[0] < need) { // PanDA's NoLocalSpace, before a byte is written
            long left = free[0];
            throw new Failed(TransferError.NO_SPACE, "no space for " + p.remote() + ": it needs " + need
                    + " bytes, the file system of " + dir + " on " + shell.target() + " has " + left + " left");
        }
        if (free[0] > 0) {
            free[0] = Math.max(1, free[0] - need); // 1, not 0: 0 means "ask"
        }
        String tmp = dir + "/." + name + ".staging-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        boolean placed = false;
        try {
            Sums sums = new Sums(p.spec().md5() != null);
            try (InputStream in = Files.newInputStream(p.local()); OutputStream out = files.create(tmp)) {
                sums.copy(in, out);
            }
            ResourceFiles.Stat arrived = files.stat(tmp);
            long size = arrived == null ? -1 : arrived.size();
            if (size != sums.bytes) {
                throw new Failed(TransferError.SIZE_MISMATCH, "size mismatch for " + p.remote() + ": "
                        + sums.bytes + " bytes sent, " + size + " arrived");
            }
            FileSpec done = verify(p, sums);
            files.rename(tmp, target);
            placed = true;
            return done;
        } finally {
            if (!placed) {
                deleteQuietly(files, tmp);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ stage-out

    /** Resource sources to local targets. */
    public List<FileSpec> stageOut(List<FileSpec> specs) {
        List<Planned> plan = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            FileSpec f = spec(specs, i);
            Location src = location("files[" + i + "].source", f.source());
            if (src.path().isEmpty()) {
                throw new BadParameter("files[" + i + "].source", f.source(), "a file below "
                        + src.scheme().prefix() + ", not the directory itself");
            }
            Path tgt = f.target().isEmpty() ? Path.of(src.fileName())
                    : localPath("files[" + i + "].target", f.target());
            if (f.target().endsWith("/") || Files.isDirectory(tgt)) {
                tgt = tgt.resolve(src.fileName());
            }
            plan.add(new Planned(f, tgt, src));
        }
        // the sources are checked on the resource before any byte moves, as the local ones are for stage-in
        Object[] checked = withFiles("check " + plan.size() + " source(s) of pilot " + pilotUid, files -> {
            List<String> roots = new ArrayList<>();
            roots.add(realOrSelf(files, resource));
            for (String r : validRoots) {
                roots.add(realOrSelf(files, r));
            }
            List<Source> sources = new ArrayList<>();
            for (int i = 0; i < plan.size(); i++) {
                Object s = source(files, plan.get(i).remote(), roots);
                if (s instanceof String problem) {
                    return new Object[] {i, problem};
                }
                sources.add((Source) s);
            }
            return new Object[] {-1, sources};
        });
        int bad = (Integer) checked[0];
        if (bad >= 0) { // thrown out here: the shell makes a ResourceException of what its work throws
            throw new BadParameter("files[" + bad + "].source", plan.get(bad).spec().source(), (String) checked[1]);
        }
        @SuppressWarnings("unchecked")
        List<Source> sources = (List<Source>) checked[1];
        List<Planned> resolved = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            Planned p = plan.get(i);
            resolved.add(new Planned(p.spec(), p.local(), p.remote(), sources.get(i)));
        }
        return run("stage out", resolved, this::out);
    }

    /**
     * A resource source's real path and size, or why it cannot be read (the "expected" part of a BadParameter).
     *
     * @param roots the real resource directory and valid roots
     */
    private Object source(ResourceFiles files, Location src, List<String> roots) throws IOException {
        String path = root(src.scheme()) + "/" + src.path();
        String real;
        try {
            real = files.realPath(path);
        } catch (NoSuchFileException e) {
            return "an existing file on the resource (" + path + " does not exist on " + shell.target() + ")";
        }
        if (roots.stream().noneMatch(r -> inside(real, r))) {
            return "a file inside the sandboxes (" + resource + ") or the resource's valid roots " + validRoots
                    + " (" + path + " resolves to " + real + ")";
        }
        ResourceFiles.Stat st = files.stat(real);
        if (st == null) { // OpenSSH's realpath answers for a missing last name too
            return "an existing file on the resource (" + path + " does not exist on " + shell.target() + ")";
        }
        if (!st.regular()) {
            return "a regular file (" + path + " is a directory, a device or a FIFO: the Data API moves files)";
        }
        return new Source(real, st.size());
    }

    private FileSpec out(ResourceFiles files, Planned p, Batch batch) throws IOException, Failed {
        Source src = p.source(); // checked before the batch began
        Path target = p.local().toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new Failed(TransferError.TARGET_NOT_WRITABLE, "target " + target + " is an existing directory");
        }
        Files.createDirectories(target.getParent());
        long free = Files.getFileStore(target.getParent()).getUsableSpace();
        if (free < src.size()) { // PanDA's NoLocalSpace, before a byte is written
            throw new Failed(TransferError.NO_SPACE, "no space for " + target + ": " + p.remote() + " has "
                    + src.size() + " bytes, the file system of " + target.getParent() + " has " + free + " left");
        }
        Path tmp = target.resolveSibling("." + target.getFileName() + ".staging-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean placed = false;
        try {
            Sums sums = new Sums(p.spec().md5() != null);
            InputStream opened;
            try {
                opened = files.open(src.real());
            } catch (NoSuchFileException e) {
                throw new Failed(TransferError.MISSING_SOURCE, "source " + p.remote() + " (" + src.real()
                        + ") is gone since it was checked");
            }
            try (InputStream in = opened; OutputStream out = Files.newOutputStream(tmp)) {
                sums.copy(in, out);
            }
            long size = Files.size(tmp);
            if (size != sums.bytes) {
                throw new Failed(TransferError.SIZE_MISMATCH, "size mismatch for " + target + ": " + sums.bytes
                        + " bytes read, " + size + " written");
            }
            FileSpec done = verify(p, sums);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            placed = true;
            return done;
        } finally {
            if (!placed) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ tarballs

    /**
     * RP's TARBALL to the resource, once packed on this machine: {@code archive} moves as a stage-in file does (under
     * a temporary name, its size and adler32 checked) to a hidden name beside {@code target}, the resource unpacks it
     * into {@code target} (whole or not at all, confined to the target's scheme directory; a file's {@code size} and
     * {@code checksum} checked on the unpacked file), and the archive there is removed in any case.
     *
     * @return null when the target is in place, else why not
     * @throws BadParameter for a target this mover cannot reach
     * @throws org.pilotflow.api.IncorrectState when the resource does not answer
     */
    public String unpackTarball(Path archive, String target, Long size, String checksum) {
        TarballRunner runner = requireTarballs();
        Location tgt = location("target", target);
        if (tgt.path().isEmpty()) {
            throw new BadParameter("target", target, "a file or directory below " + tgt.scheme().prefix());
        }
        String dir = tgt.path().contains("/") ? tgt.path().substring(0, tgt.path().lastIndexOf('/') + 1) : "";
        String name = tgt.fileName();
        Location remoteArchive = new Location(tgt.scheme(), dir + "." + name + ".tarball-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tar");
        String[] real = new String[2]; // the archive's real path and the scheme's real directory, once it arrived
        try {
            String failed = firstFailure(stageIn(List.of(FileSpec.of(archive.toString(), remoteArchive.toString()))));
            if (failed != null) {
                return failed;
            }
            withFiles("find the archive for " + tgt, files -> {
                real[0] = files.realPath(root(tgt.scheme()) + "/" + remoteArchive.path());
                real[1] = files.realPath(root(tgt.scheme()));
                return null;
            });
            String realTarget = real[0].substring(0, real[0].lastIndexOf('/') + 1) + name;
            List<String> args = new ArrayList<>(List.of("unpack", real[0], realTarget, real[1]));
            if (size != null || checksum != null) {
                args.add(size == null ? "-" : size.toString());
            }
            if (checksum != null) {
                args.add(checksum);
            }
            String why = runTool(runner, args);
            if (why == null) {
                LOG.debug("pilot {}: unpacked a tarball into {} ({})", pilotUid, tgt, realTarget);
            }
            return why;
        } finally {
            removeQuietly(remoteArchive);
        }
    }

    /**
     * RP's TARBALL from the resource: the resource packs {@code source} (a file or a directory, which must resolve
     * inside the resource directory or a valid root) into a hidden archive in the pilot sandbox, which moves to
     * {@code archive} on this machine as a stage-out file does, and is removed there in any case.
     *
     * @return null when {@code archive} holds it, else why not
     * @throws BadParameter for a source this mover cannot reach
     * @throws org.pilotflow.api.IncorrectState when the resource does not answer
     */
    public String packTarball(String source, Path archive) {
        TarballRunner runner = requireTarballs();
        Location src = location("source", source);
        if (src.path().isEmpty()) {
            throw new BadParameter("source", source, "a file or directory below " + src.scheme().prefix());
        }
        Location remoteArchive = new Location(Scheme.PILOT, "." + src.fileName() + ".tarball-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tar");
        List<String> args = new ArrayList<>(List.of("pack", root(src.scheme()) + "/" + src.path(),
                pilot + "/" + remoteArchive.path(), resource));
        args.addAll(validRoots);
        try {
            String why = runTool(runner, args);
            if (why != null) {
                return why;
            }
            return firstFailure(stageOut(List.of(FileSpec.of(remoteArchive.toString(), archive.toString()))));
        } finally {
            removeQuietly(remoteArchive);
        }
    }

    private TarballRunner requireTarballs() {
        if (tarballs == null) {
            throw new IllegalStateException("this mover of pilot " + pilotUid + " was made without a tarball runner");
        }
        return tarballs;
    }

    private String runTool(TarballRunner runner, List<String> args) {
        try {
            return runner.run(args);
        } catch (ResourceException e) {
            throw new org.pilotflow.api.IncorrectState("cannot run the tarball tool of pilot " + pilotUid + " on "
                    + shell.target() + ": " + e.getMessage());
        }
    }

    private static String firstFailure(List<FileSpec> done) {
        return done.stream().filter(FileSpec::failed).map(f -> f.error() + ": " + f.reason()).findFirst()
                .orElse(null);
    }

    /** Removes a temporary archive on the resource; a resource out of reach leaves it (it is hidden in a sandbox). */
    private void removeQuietly(Location l) {
        String path = root(l.scheme()) + "/" + l.path();
        try {
            shell.withFiles("remove " + path, files -> {
                files.deleteIfExists(path);
                return null;
            });
        } catch (ResourceException | RuntimeException e) {
            LOG.warn("pilot {}: could not remove the archive {} on {}: {}", pilotUid, path, shell.target(),
                    e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------ both

    /** One file's move. */
    private interface Move {
        FileSpec move(ResourceFiles files, Planned p, Batch batch) throws IOException, Failed;
    }

    /** What one call learns about the resource and reuses for its later files. */
    private static final class Batch {
        /** A target directory as given (scheme and path) -> its checked real path. */
        final Map<String, String> dirs = new HashMap<>();
        /** A real target directory -> the bytes still free there (0: ask; -1: the machine does not say). */
        final Map<String, long[]> free = new HashMap<>();
    }

    /** A file that did not make it, and why. */
    private static final class Failed extends Exception {
        final TransferError error;

        Failed(TransferError error, String message) {
            super(message);
            this.error = error;
        }
    }

    private List<FileSpec> run(String what, List<Planned> plan, Move move) {
        long t0 = System.nanoTime();
        List<FileSpec> out = withFiles(what + " " + plan.size() + " file(s) for pilot " + pilotUid, files -> {
            List<FileSpec> done = new ArrayList<>(plan.size());
            Batch batch = new Batch();
            for (Planned p : plan) {
                try {
                    done.add(move.move(files, p, batch));
                } catch (Failed e) {
                    done.add(p.spec().failed(e.error, e.getMessage()));
                } catch (IOException e) {
                    done.add(p.spec().failed(noSpace(e) ? TransferError.NO_SPACE : TransferError.TRANSFER_FAILED,
                            "'" + p.spec().source() + "' > '" + p.spec().target() + "': " + describe(e)));
                }
            }
            return done;
        });
        long failed = out.stream().filter(FileSpec::failed).count();
        long bytes = out.stream().filter(f -> !f.failed()).mapToLong(FileSpec::transferredSize).sum();
        double s = (System.nanoTime() - t0) / 1e9;
        if (failed == 0 && !callsAtInfo) {
            LOG.debug("pilot {}: {} {} file(s), {} KiB, in {} s on {}", pilotUid, what, out.size(), bytes / 1024,
                    String.format("%.2f", s), shell.target());
        } else if (failed == 0) {
            LOG.info("pilot {}: {} {} file(s), {} KiB, in {} s on {}", pilotUid, what, out.size(), bytes / 1024,
                    String.format("%.2f", s), shell.target());
        } else {
            LOG.warn("pilot {}: {} {} file(s), {} KiB, in {} s on {}; {} failed, the first: {}", pilotUid, what,
                    out.size(), bytes / 1024, String.format("%.2f", s), shell.target(), failed,
                    out.stream().filter(FileSpec::failed).findFirst().map(FileSpec::reason).orElse(""));
        }
        return out;
    }

    private <T> T withFiles(String what, ResourceFiles.Work<T> work) {
        try {
            return shell.withFiles(what, work);
        } catch (ResourceException e) {
            throw new org.pilotflow.api.IncorrectState("cannot " + what + ": " + e.getMessage());
        }
    }

    /** PanDA's order: size, then adler32, then md5; the spec with what arrived, or a failure naming both. */
    private static FileSpec verify(Planned p, Sums sums) throws Failed {
        FileSpec f = p.spec();
        String file = p.remote().toString();
        if (f.size() != null && f.size() != sums.bytes) {
            throw new Failed(TransferError.SIZE_MISMATCH, "size mismatch for " + file + ": expected " + f.size()
                    + " bytes, " + sums.bytes + " arrived");
        }
        String adler = sums.adler32();
        if (f.adler32() != null && !f.adler32().equals(adler)) {
            throw new Failed(TransferError.CHECKSUM_MISMATCH, "checksum mismatch for " + file + ": expected adler32:"
                    + f.adler32() + ", what arrived has adler32:" + adler);
        }
        String md5 = sums.md5();
        if (f.md5() != null && !f.md5().equals(md5)) {
            throw new Failed(TransferError.CHECKSUM_MISMATCH, "checksum mismatch for " + file + ": expected md5:"
                    + f.md5() + ", what arrived has md5:" + md5);
        }
        return f.transferred(sums.bytes, adler, md5);
    }

    /**
     * The real path of a target's directory inside its scheme's directory, made one part at a time where missing
     * (as the agent's staging makes them): each part must resolve inside the scheme's real directory.
     */
    private String targetDirectory(ResourceFiles files, Location tgt, Map<String, String> dirs) throws IOException,
            Failed {
        String root = root(tgt.scheme());
        int slash = tgt.path().lastIndexOf('/');
        String rel = slash < 0 ? "" : tgt.path().substring(0, slash);
        String key = tgt.scheme() + "/" + rel;
        String known = dirs.get(key);
        if (known != null) {
            return known;
        }
        String realRoot;
        try {
            realRoot = files.realPath(root);
            if (files.stat(realRoot) == null) {
                throw new NoSuchFileException(root);
            }
        } catch (NoSuchFileException e) {
            throw new Failed(TransferError.TARGET_NOT_WRITABLE, "the directory " + root + " of "
                    + tgt.scheme().prefix() + " does not exist on " + shell.target());
        }
        String current = root;
        String real = realRoot;
        for (String part : rel.isEmpty() ? new String[0] : rel.split("/")) {
            current = current + "/" + part;
            if (files.lstat(current) == null) {
                try {
                    files.mkdir(current);
                } catch (IOException e) {
                    if (files.lstat(current) == null) { // else another transfer made it just now
                        throw e;
                    }
                }
            }
            real = files.realPath(current);
            if (!inside(real, realRoot)) {
                throw new Failed(TransferError.ESCAPES_ROOT, "target " + tgt + ": its directory " + current
                        + " resolves to " + real + ", outside " + tgt.scheme().prefix() + " (" + root + ")");
            }
            ResourceFiles.Stat st = files.stat(real);
            if (st == null || !st.directory()) {
                throw new Failed(TransferError.TARGET_NOT_WRITABLE, "target " + tgt + ": " + current
                        + " is not a directory");
            }
        }
        dirs.put(key, real);
        return real;
    }

    /** A resource location for a target; the source's name where it names a directory. */
    private static Location remoteLocation(String field, String text, String sourceName) {
        Location l = text.isEmpty() ? new Location(Scheme.PILOT, "") : location(field, text);
        if (l.path().isEmpty() || text.endsWith("/")) {
            l = new Location(l.scheme(), l.path().isEmpty() ? sourceName : l.path() + "/" + sourceName);
        }
        return l;
    }

    /** A location on the resource: the directives' rules, and a scheme a pilot's data client can reach. */
    private static Location location(String field, String text) {
        Location l;
        try {
            l = StagingDirective.location(field, text, Scheme.PILOT);
        } catch (StagingDirective.Invalid e) {
            throw new BadParameter(e.field(), text, e.expected(), e);
        }
        if (l.scheme() == Scheme.UNIT || l.scheme() == Scheme.CLIENT) {
            throw new BadParameter(field, text, "a location on the resource below pilot://, session:// or "
                    + "resource:// (" + l.scheme().prefix() + " has no meaning for a pilot's data client: "
                    + (l.scheme() == Scheme.UNIT ? "it moves files outside any unit" : "the other side of the "
                    + "transfer is this machine") + ")");
        }
        return l;
    }

    private static Path localPath(String field, String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new BadParameter(field, text, "a path on this machine (" + e.getReason() + ")");
        }
    }

    private static FileSpec spec(List<FileSpec> specs, int i) {
        FileSpec f = specs.get(i);
        if (f == null) {
            throw new BadParameter("files[" + i + "]", null, "a FileSpec");
        }
        return f;
    }

    private String root(Scheme scheme) {
        return switch (scheme) {
            case PILOT -> pilot;
            case SESSION -> session;
            case RESOURCE -> resource;
            default -> throw new IllegalStateException(scheme + " was refused when the spec was checked");
        };
    }

    /** Whether {@code path} is {@code root} or below it (both as the resource reports them). */
    static boolean inside(String path, String root) {
        return path.equals(root) || path.startsWith(root.endsWith("/") ? root : root + "/");
    }

    /** The resource's real path of {@code path}, or {@code path} itself when it cannot say (it does not exist yet). */
    static String realOrSelf(ResourceFiles files, String path) {
        try {
            return files.realPath(path);
        } catch (IOException e) {
            return path;
        }
    }

    private static void deleteQuietly(ResourceFiles files, String path) {
        try {
            files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("could not remove the partial file {}: {}", path, e.toString());
        }
    }

    private static boolean noSpace(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().toLowerCase(java.util.Locale.ROOT).contains("no space")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (e instanceof AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static String trim(String p) {
        String s = p;
        while (s.length() > 1 && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    private static String parent(String p) {
        int slash = p.lastIndexOf('/');
        return slash <= 0 ? "/" : p.substring(0, slash);
    }

    /** Size, adler32 and (when asked) md5 of the bytes as they are copied. */
    private static final class Sums {
        private final java.util.zip.Adler32 adler = new java.util.zip.Adler32();
        private final java.security.MessageDigest md5;
        long bytes;

        Sums(boolean withMd5) {
            try {
                this.md5 = withMd5 ? java.security.MessageDigest.getInstance("MD5") : null;
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has MD5", e);
            }
        }

        void copy(InputStream in, OutputStream out) throws IOException {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                adler.update(buf, 0, n);
                if (md5 != null) {
                    md5.update(buf, 0, n);
                }
                bytes += n;
            }
        }

        String adler32() {
            return String.format("%08x", adler.getValue());
        }

        String md5() {
            return md5 == null ? null : HexFormat.of().formatHex(md5.digest());
        }
    }
}
