package org.pilotflow.resource.shell;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Files on a resource's machine for the length of one batch of transfers ({@link ResourceShell#withFiles}): on this
 * host through java.nio, over SSH through one SFTP channel of the shared connection (no login per file). Paths are
 * absolute paths on that machine, taken literally. Failures are {@link IOException}s:
 * {@link java.nio.file.NoSuchFileException} for a missing file, otherwise one whose message says what the machine
 * said. Not thread-safe: one batch, one thread.
 */
public interface ResourceFiles {

    /** What a path is; {@code link} only from {@link #lstat}. */
    record Stat(boolean directory, boolean regular, boolean link, long size) {
    }

    /** The path's attributes with links followed, or null when it does not exist. */
    Stat stat(String path) throws IOException;

    /** The path's own attributes (a link is not followed), or null when it does not exist. */
    Stat lstat(String path) throws IOException;

    /**
     * The path with every link resolved. A missing path gives {@link java.nio.file.NoSuchFileException} here, but
     * OpenSSH's sftp-server resolves what exists and returns the rest as written: {@link #stat} the result.
     */
    String realPath(String path) throws IOException;

    /** Creates one directory (mode 0700); its parent must exist. */
    void mkdir(String path) throws IOException;

    /** A file to write from its start (made with the machine's default mode; an existing file there is truncated). */
    OutputStream create(String path) throws IOException;

    /** Reads a file from its start. */
    InputStream open(String path) throws IOException;

    /** Renames {@code from} to {@code to}, replacing a file at {@code to}. */
    void rename(String from, String to) throws IOException;

    /** Removes a file if it is there. */
    void deleteIfExists(String path) throws IOException;

    /** The names in a directory, without {@code .} and {@code ..}, in no particular order. */
    java.util.List<String> list(String directory) throws IOException;

    /** Removes an empty directory if it is there. */
    void rmdirIfExists(String directory) throws IOException;

    /**
     * The bytes an unprivileged writer may still put into the file system of {@code directory}, or -1 when the
     * machine does not say (an SFTP server without {@code statvfs@openssh.com}).
     */
    long usableSpace(String directory) throws IOException;

    /** What {@link ResourceShell#withFiles} runs. */
    @FunctionalInterface
    interface Work<T> {
        T run(ResourceFiles files) throws IOException;
    }
}
