package org.pilotflow.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.Adler32;

/**
 * A file a unit's output staging put in place, as measured there (the PanDA pilot's stage-out: the size and adler32 of
 * what arrived, recorded with the job's outputs).
 *
 * @param target   where it is: the directive's target location ({@code resource:///results/hits.out},
 *                 {@code client:///hits.out}), and for a directory staged whole the file's path below it
 * @param size     its bytes
 * @param checksum {@code adler32:<8 hex digits>}; null for a LINK's target (nothing was copied, so nothing is read:
 *                 the link leads to the source)
 */
public record StagedFile(String target, long size, String checksum) {

    /** The most files recorded per unit: a tree of many files is summed up by its first ones, not kept whole. */
    public static final int MAX_PER_UNIT = 1000;

    /**
     * The longest {@code target} recorded (a longer one is cut at the front, the file name kept): a unit's whole list
     * stays well under a text column's million characters.
     */
    public static final int MAX_TARGET_CHARS = 500;

    public StagedFile {
        if (target == null || target.isEmpty()) {
            throw new IllegalArgumentException("target: a location, not empty");
        }
        if (target.length() > MAX_TARGET_CHARS) {
            target = "\u2026" + target.substring(target.length() - MAX_TARGET_CHARS + 1);
        }
        if (size < 0) {
            throw new IllegalArgumentException("size: bytes (>= 0), not " + size);
        }
    }

    /**
     * The file at {@code target} (or each regular file below it, sorted; links inside the tree not followed), read
     * back from where it was put, at most {@code room} of them.
     *
     * @param location names {@code target} in the records (the directive's target location)
     * @param checksum whether to read each file for its adler32 (not for a link to the source)
     * @throws IOException when a file cannot be read: the caller records nothing of this target then
     */
    public static List<StagedFile> measure(String location, Path target, boolean checksum, int room)
            throws IOException {
        List<StagedFile> out = new ArrayList<>();
        if (room <= 0) {
            return out;
        }
        if (!Files.isDirectory(target)) {
            out.add(new StagedFile(location, Files.size(target), checksum ? "adler32:" + adler32(target) : null));
            return out;
        }
        Path tree = target.toRealPath(); // a LINKed directory: its files, not the link
        String base = location.endsWith("/") ? location : location + "/";
        try (Stream<Path> walk = Files.walk(tree)) { // sorted: a tree is always summed up by the same files
            for (Path f : walk.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
                if (out.size() >= room) {
                    break;
                }
                out.add(new StagedFile(base + tree.relativize(f), Files.size(f),
                        checksum ? "adler32:" + adler32(f) : null));
            }
        }
        return out;
    }

    /** The file's adler32 as 8 hex digits (PanDA's form, without the {@code adler32:} prefix). */
    public static String adler32(Path file) throws IOException {
        byte[] buf = new byte[1 << 16];
        Adler32 a = new Adler32();
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                a.update(buf, 0, n);
            }
        }
        return String.format("%08x", a.getValue());
    }
}
