package org.pilotflow.internal.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.FileSpec;
import org.pilotflow.model.archive.Tarball;
import org.pilotflow.model.archive.TarballTool;
import org.pilotflow.model.wire.StagingDirective;
import org.pilotflow.model.wire.StagingDirective.Action;
import org.pilotflow.model.wire.StagingDirective.Flag;

/**
 * One staging directive with an end on {@code client://}, carried out through a pilot's {@link FileMover}: the
 * files of a unit's or a pilot's client-side TRANSFER, or the one archive of a TARBALL (packed on the source's side,
 * unpacked with {@link Tarball} on the target's: here, or on the resource with the agent jar's
 * {@link TarballTool}). Written once for the unit model's transfer steps and the pilot's launch.
 */
public final class DirectiveTransfers {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DirectiveTransfers.class);

    private DirectiveTransfers() {
    }

    /**
     * The directive's client source (a file, or with RECURSIVE a directory's files) to {@code target} on the
     * resource, a location the mover reaches ({@code pilot://}, {@code session://}, {@code resource://}).
     *
     * @return null when every file arrived, else what went wrong (the first failure)
     * @throws org.pilotflow.api.IncorrectState when the resource does not answer
     */
    public static String in(FileMover mover, Path clientDirectory, StagingDirective d, String target) {
        if (d.action() == Action.TARBALL) {
            return tarballIn(mover, clientDirectory, d, target);
        }
        Path local = clientDirectory.resolve(d.sourceLocation().path());
        List<FileSpec> specs = new ArrayList<>();
        String escape = Files.exists(local) ? leadsOut(clientDirectory, local) : null;
        if (escape != null) {
            return escape;
        }
        if (Files.isDirectory(local)) {
            if (!d.has(Flag.RECURSIVE)) {
                return local + " is a directory on the client (add the flag RECURSIVE to transfer its files)";
            }
            List<Path> files;
            try (Stream<Path> walk = Files.walk(local)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
                return "cannot list " + local + " on the client: " + e.getMessage();
            }
            for (Path f : files) { // a link in the tree is followed only as far as the client directory
                escape = leadsOut(clientDirectory, f);
                if (escape != null) {
                    return escape;
                }
                specs.add(FileSpec.of(f.toString(),
                        target + "/" + local.relativize(f).toString().replace('\\', '/')));
            }
            if (specs.isEmpty()) {
                return null; // an empty directory: nothing to move
            }
        } else if (!Files.isRegularFile(local)) {
            return "no such file on the client: " + local;
        } else {
            specs.add(spec(d, local.toString(), target));
        }
        return failures(() -> mover.stageIn(specs));
    }

    /**
     * The file at {@code source} on the resource to the directive's client target.
     *
     * @return null when it arrived, else what went wrong
     */
    public static String out(FileMover mover, Path clientDirectory, StagingDirective d, String source) {
        Path local = clientDirectory.resolve(d.targetLocation().path());
        String problem = clientTargetDirectory(clientDirectory, d, local);
        if (problem != null) {
            return problem;
        }
        if (d.action() == Action.TARBALL) {
            return tarballOut(mover, d, source, local);
        }
        if (Files.isDirectory(local)) {
            return local + " is an existing directory on the client";
        }
        FileSpec spec = spec(d, source, local.toString());
        return failures(() -> mover.stageOut(List.of(spec)));
    }

    /** Null when the client target's directory is there (made with CREATE_PARENTS) inside the client directory. */
    private static String clientTargetDirectory(Path clientDirectory, StagingDirective d, Path local) {
        Path existing = local.getParent();
        while (existing != null && existing.startsWith(clientDirectory) && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        // before a directory is made through a link (a client directory yet to be made holds none)
        String escape = existing != null && existing.startsWith(clientDirectory) ? leadsOut(clientDirectory, existing)
                : null;
        if (escape != null) {
            return escape;
        }
        try {
            if (d.has(Flag.CREATE_PARENTS)) {
                Files.createDirectories(local.getParent());
            } else if (!Files.isDirectory(local.getParent())) {
                return "the directory " + local.getParent() + " does not exist on the client (add the flag "
                        + "CREATE_PARENTS to make it)";
            }
        } catch (IOException e) {
            return "cannot make " + local.getParent() + " on the client: " + e;
        }
        return null;
    }

    /**
     * RP's TARBALL from the client: the source (a file, or a directory with everything in it) packed here into a
     * temporary archive, which moves and is unpacked on the resource into {@code target}; both archives are removed.
     */
    private static String tarballIn(FileMover mover, Path clientDirectory, StagingDirective d, String target) {
        Path local = clientDirectory.resolve(d.sourceLocation().path());
        if (!Files.exists(local, LinkOption.NOFOLLOW_LINKS)) {
            return "no such file or directory on the client: " + local;
        }
        String escape = leadsOut(clientDirectory, local);
        if (escape != null) {
            return escape;
        }
        Path archive = null;
        try {
            archive = Files.createTempFile("pilotflow-tarball-", ".tar");
            Tarball.Contents packed = Tarball.pack(local, archive);
            LOG.debug("TARBALL {}: packed {} entries, {} bytes", d.describe(), packed.entries(), packed.bytes());
            Path a = archive;
            return problemOf(() -> mover.unpackTarball(a, target, d.size(), d.checksum()));
        } catch (IOException e) {
            return "cannot pack " + local + " on the client: " + describe(e);
        } finally {
            deleteQuietly(archive);
        }
    }

    /**
     * RP's TARBALL to the client: the resource packs {@code source}, the archive moves here and is unpacked into
     * {@code local} (whole or not at all, every entry confined to the target), then removed.
     */
    private static String tarballOut(FileMover mover, StagingDirective d, String source, Path local) {
        if (Files.isDirectory(local, LinkOption.NOFOLLOW_LINKS)) {
            return local + " is an existing directory on the client";
        }
        Path archive = null;
        try {
            archive = Files.createTempFile("pilotflow-tarball-", ".tar");
            Path a = archive;
            String why = problemOf(() -> mover.packTarball(source, a));
            if (why != null) {
                return why;
            }
            Tarball.Contents c = Tarball.unpack(archive, local, unpacked -> TarballTool.checkFile(unpacked, d.size(),
                    d.checksum()));
            LOG.debug("TARBALL {}: unpacked {} entries, {} bytes", d.describe(), c.entries(), c.bytes());
            return null;
        } catch (IOException e) {
            return "cannot unpack into " + local + " on the client: " + describe(e);
        } finally {
            deleteQuietly(archive);
        }
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        String m = e.getMessage() != null ? e.getMessage() : e.toString();
        return m.toLowerCase(java.util.Locale.ROOT).contains("no space") ? "no space left: " + m : m;
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("could not remove the temporary archive {}: {}", p, e.toString());
        }
    }

    /**
     * Why {@code p} (which exists) is not the client's to move: a symbolic link leads it out of the client directory,
     * as the resource's side refuses a link leading out of its scheme's directory; null when it stays inside.
     */
    private static String leadsOut(Path clientDirectory, Path p) {
        try {
            Path root = clientDirectory.toRealPath();
            Path real = p.toRealPath();
            return real.startsWith(root) ? null : p + " resolves to " + real + ", outside the client directory "
                    + root + " (a symbolic link may not lead out of it)";
        } catch (IOException e) {
            return "cannot resolve " + p + " on the client: " + e;
        }
    }

    private static FileSpec spec(StagingDirective d, String source, String target) {
        FileSpec.Builder b = FileSpec.builder().source(source).target(target);
        if (d.size() != null) {
            b.size(d.size());
        }
        if (d.checksum() != null) {
            b.checksum(d.checksum());
        }
        return b.build();
    }

    /** What a tarball step returned, or why its target or source was refused before anything moved. */
    private static String problemOf(Supplier<String> step) {
        try {
            return step.get();
        } catch (BadParameter e) {
            return e.getMessage();
        }
    }

    private static String failures(Supplier<List<FileSpec>> move) {
        try {
            return move.get().stream().filter(FileSpec::failed)
                    .map(f -> f.error() + ": " + f.reason()).findFirst().orElse(null);
        } catch (BadParameter e) { // a source that is not there, or a target that escapes (before any byte moved)
            return e.getMessage();
        }
    }
}
