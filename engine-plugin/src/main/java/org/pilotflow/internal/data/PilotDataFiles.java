package org.pilotflow.internal.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.pilotflow.api.DataFile;
import org.pilotflow.resource.shell.ResourceFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pilot-Data's file work on a resource's machine through {@link ResourceFiles} (java.nio on this host, SFTP on the
 * resource's shared SSH connection elsewhere), the Data API's way: every file is written under a temporary name,
 * its size checked on arrival and its checksum (adler32, or md5 when one was expected) computed from the bytes sent,
 * then renamed into place; a replica's directory is made under a temporary name and renamed whole. Paths are as the
 * resource reports them.
 */
public final class PilotDataFiles {

    private static final Logger LOG = LoggerFactory.getLogger(PilotDataFiles.class);
    private static final int BUFFER = 1 << 18;

    private PilotDataFiles() {
    }

    /** A copy that could not be made or checked, in words naming the file. */
    public static final class CopyFailure extends IOException {
        public CopyFailure(String message) {
            super(message);
        }
    }

    /** Where a file's bytes come from (opened in the batch that writes them). */
    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    /**
     * A file to put in place.
     *
     * @param name     its name in the replica
     * @param from     where it comes from, for messages
     * @param size     the size it must have, or null
     * @param checksum the checksum it must have ({@code adler32:<hex>} or {@code md5:<hex>}), or null
     * @param what     the field it came from, for messages ({@code files[0] (a.txt)})
     */
    public record Source(String name, String from, Opener opener, Long size, String checksum, String what) {
    }

    /** A directory made (its path as asked, normalized) or why not. */
    public record Made(String path, String problem) {
    }

    /**
     * Makes {@code path} (absolute, normalized) and its missing parents, one part at a time: a part is made only where
     * its parent resolves inside a valid root, and the directory must resolve strictly below one, so no link leads it
     * out.
     *
     * @param validRoots absolute, as the resource sees them
     */
    public static Made makeDirectory(ResourceFiles files, String path, List<String> validRoots) throws IOException {
        List<String> roots = new ArrayList<>();
        for (String r : validRoots) {
            roots.add(FileMover.realOrSelf(files, r));
        }
        String current = "";
        String real = "/";
        for (String part : path.substring(1).split("/")) {
            String next = current + "/" + part;
            if (files.lstat(next) == null) {
                String parent = real;
                if (roots.stream().noneMatch(r -> FileMover.inside(parent, r))) {
                    return new Made(null, "a path below one of the valid_roots " + validRoots + " as the resource "
                            + "sees them (" + current + " resolves to " + parent + ", and " + next + " does not exist)");
                }
                try {
                    files.mkdir(next);
                } catch (IOException e) {
                    if (files.lstat(next) == null) { // else another call made it just now
                        return new Made(null, "a directory that can be made (" + e.getMessage() + ")");
                    }
                }
            }
            current = next;
            real = files.realPath(current);
        }
        String finalReal = real;
        if (roots.stream().noneMatch(r -> FileMover.inside(finalReal, r) && !finalReal.equals(r))) {
            return new Made(null, "a path below one of the valid_roots " + validRoots + " as the resource sees them ("
                    + path + " resolves to " + finalReal + ")");
        }
        ResourceFiles.Stat st = files.stat(finalReal);
        if (st == null || !st.directory()) {
            return new Made(null, "a directory (" + path + " is not one)");
        }
        return new Made(path, null);
    }

    /**
     * Puts a replica {@code <dir>/<du>} in place whole: a temporary directory beside it, each file checked, then
     * renamed; on any failure nothing stays.
     *
     * @return the files as measured (size, adler32 or md5)
     * @throws CopyFailure naming the file that failed
     */
    public static List<DataFile> putReplica(ResourceFiles files, String dir, String du, List<Source> sources)
            throws IOException {
        String target = dir + "/" + du;
        if (files.lstat(target) != null) {
            throw new CopyFailure("copying into " + target + " failed: it exists already");
        }
        String tmp = dir + "/." + du + ".staging-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        files.mkdir(tmp);
        boolean placed = false;
        try {
            List<DataFile> out = new ArrayList<>();
            for (Source s : sources) {
                out.add(write(files, tmp + "/" + s.name(), s));
            }
            files.rename(tmp, target);
            placed = true;
            return out;
        } finally {
            if (!placed) {
                deleteTree(files, tmp);
            }
        }
    }

    /** A checked file under a temporary name in its directory, to be renamed into place. */
    public record Staged(String temporary, String target, DataFile file) {
    }

    /** Writes one file into {@code dir} (made if missing) under a temporary name, checked. */
    public static Staged stage(ResourceFiles files, String dir, Source s) throws IOException {
        if (files.stat(dir) == null) {
            files.mkdir(dir);
        }
        String tmp = dir + "/." + s.name() + ".staging-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        try {
            return new Staged(tmp, dir + "/" + s.name(), write(files, tmp, s));
        } catch (IOException | RuntimeException e) {
            deleteQuietly(files, tmp);
            throw e;
        }
    }

    private static DataFile write(ResourceFiles files, String path, Source s) throws IOException {
        String kind = s.checksum() == null ? "adler32" : s.checksum().substring(0, s.checksum().indexOf(':'));
        java.util.zip.Adler32 adler = new java.util.zip.Adler32();
        java.security.MessageDigest md5;
        try {
            md5 = java.security.MessageDigest.getInstance("MD5");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has MD5", e);
        }
        long bytes = 0;
        InputStream opened;
        try {
            opened = s.opener().open();
        } catch (NoSuchFileException e) {
            throw new CopyFailure(s.what() + ": " + s.from() + " does not exist");
        } catch (IOException e) {
            throw new CopyFailure(s.what() + ": " + s.from() + " cannot be read: " + e.getMessage());
        }
        try (InputStream in = opened; OutputStream out = files.create(path)) {
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                adler.update(buf, 0, n);
                md5.update(buf, 0, n);
                bytes += n;
            }
        } catch (IOException e) {
            throw new CopyFailure(s.what() + ": copying " + s.from() + " to " + path + " failed: " + e.getMessage());
        }
        ResourceFiles.Stat arrived = files.stat(path);
        long size = arrived == null ? -1 : arrived.size();
        if (size != bytes) {
            throw new CopyFailure(s.what() + ": size mismatch: " + bytes + " bytes sent, " + size + " arrived at "
                    + path);
        }
        if (s.size() != null && bytes != s.size()) {
            throw new CopyFailure(s.what() + ": size mismatch: expected " + s.size() + " bytes, " + s.from()
                    + " has " + bytes);
        }
        String sum = kind + ":" + (kind.equals("md5") ? HexFormat.of().formatHex(md5.digest())
                : String.format("%08x", adler.getValue()));
        if (s.checksum() != null && !s.checksum().equals(sum)) {
            throw new CopyFailure(s.what() + ": checksum mismatch: expected " + s.checksum() + ", " + s.from()
                    + " has " + sum);
        }
        return new DataFile(s.name(), null, bytes, sum);
    }

    /**
     * The regular files directly in {@code sandbox} whose names match {@code pattern} (a glob; names starting with
     * {@code .} skipped), sorted by name, as paths in the sandbox's real directory. A match that resolves outside the
     * sandbox is refused: output data cannot carry a file from elsewhere.
     */
    public static List<String> matches(ResourceFiles files, String sandbox, String pattern, String what)
            throws IOException {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        String realSandbox;
        try {
            realSandbox = files.realPath(sandbox);
        } catch (IOException e) {
            throw new CopyFailure(what + ": the unit sandbox " + sandbox + " cannot be read (" + e.getMessage() + ")");
        }
        List<String> names = new ArrayList<>();
        for (String name : files.list(realSandbox)) {
            if (name.startsWith(".") || !m.matches(Path.of(name))) {
                continue;
            }
            String p = realSandbox + "/" + name;
            String real;
            try {
                real = files.realPath(p);
            } catch (NoSuchFileException e) { // a dangling link
                continue;
            }
            if (!FileMover.inside(real, realSandbox) || real.equals(realSandbox)) {
                throw new CopyFailure(what + ": " + p + " resolves to " + real + ", outside the unit sandbox");
            }
            ResourceFiles.Stat st = files.stat(real);
            if (st != null && st.regular()) {
                names.add(name);
            }
        }
        names.sort(null);
        return names.stream().map(n -> realSandbox + "/" + n).toList();
    }

    /** Removes a file, a link (never followed) or a directory tree; quietly. */
    public static void deleteTree(ResourceFiles files, String path) {
        try {
            ResourceFiles.Stat st = files.lstat(path);
            if (st == null) {
                return;
            }
            if (st.directory() && !st.link()) {
                for (String name : files.list(path)) {
                    deleteTree(files, path + "/" + name);
                }
                files.rmdirIfExists(path);
            } else {
                files.deleteIfExists(path);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not remove {}: {}", path, e.toString());
        }
    }

    public static void deleteQuietly(ResourceFiles files, String path) {
        try {
            files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("could not remove the partial file {}: {}", path, e.toString());
        }
    }

    /**
     * {@link org.pilotflow.resource.shell.ResourceShell#withFiles} inside another shell's batch (a copy between two
     * machines streams through this one): its failure as an IOException of the outer batch, the cause kept.
     */
    public static <T> T inner(org.pilotflow.resource.shell.ResourceShell shell, String what, ResourceFiles.Work<T> work)
            throws IOException {
        try {
            return shell.withFiles(what, work);
        } catch (org.pilotflow.resource.ResourceException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The words of a copy that failed its check (they name the file), else what the shell said. */
    public static String failureOf(org.pilotflow.resource.ResourceException e) {
        return copyFailure(e).map(Throwable::getMessage).orElse(e.getMessage());
    }

    /** The copy that failed its check behind {@code e}, if that is what failed. */
    public static java.util.Optional<CopyFailure> copyFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CopyFailure c) {
                return java.util.Optional.of(c);
            }
        }
        return java.util.Optional.empty();
    }

}
