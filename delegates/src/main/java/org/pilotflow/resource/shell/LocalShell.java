package org.pilotflow.resource.shell;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.PathVariables;

/** This host: commands through {@link ProcessBuilder} (no shell), files through {@link Files}. */
public final class LocalShell implements ResourceShell {

    public static final LocalShell INSTANCE = new LocalShell();

    /**
     * Reads a command's output streams to their end, each on a thread that blocks in the read: threads of this
     * class's own, reused, not the JDK's default async executor (a new thread per task on a host of 1-2 cores, and
     * elsewhere the common pool, whose threads the application embedding the engine may need).
     */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pilotflow-shell-output");
        t.setDaemon(true);
        return t;
    });

    private LocalShell() {
    }

    @Override
    public String target() {
        return "localhost";
    }

    @Override
    public CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws ResourceException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new ResourceException("cannot run '" + argv.get(0) + "' on localhost: " + e.getMessage()
                    + " (is it installed and on the engine's PATH?)", e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new ResourceException("'" + String.join(" ", argv) + "' on localhost did not end within "
                        + (timeout.toMillis() % 1000 != 0 ? timeout.toMillis() + " ms" : timeout.toSeconds() + " s")
                        + "; it was killed");
            }
            return new CommandResult(argv, p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ResourceException("interrupted while running '" + argv.get(0) + "' on localhost", e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, READERS);
    }

    @Override
    public void mkdirs(String path) throws ResourceException {
        try {
            Files.createDirectories(Path.of(path),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            throw new ResourceException("cannot create directory " + path + " on localhost: a file is in the way", e);
        } catch (IOException e) {
            throw new ResourceException("cannot create directory " + path + " on localhost: " + e, e);
        }
    }

    @Override
    public void write(String path, byte[] content, int mode) throws ResourceException {
        Path target = Path.of(path);
        try {
            Path dir = target.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, ".pilotflow", ".tmp",
                    PosixFilePermissions.asFileAttribute(permissions(mode)));
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ResourceException("cannot write " + path + " on localhost: " + e, e);
        }
    }

    @Override
    public byte[] readTail(String path, long maxBytes) throws ResourceException {
        Path p = Path.of(path);
        if (!Files.isRegularFile(p)) {
            return null;
        }
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            long len = f.length();
            long start = Math.max(0, len - maxBytes);
            byte[] b = new byte[(int) (len - start)];
            f.seek(start);
            f.readFully(b);
            return b;
        } catch (IOException e) {
            throw new ResourceException("cannot read " + path + " on localhost: " + e, e);
        }
    }

    @Override
    public boolean exists(String path) {
        return Files.isRegularFile(Path.of(path));
    }

    @Override
    public Map<String, String> variables(List<String> names) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String n : names) {
            String v = PathVariables.localValue(n); // the same values a local resource's paths were built with
            if (v != null) {
                out.put(n, v);
            }
        }
        return out;
    }

    @Override
    public int reverseForward(int localPort) {
        return localPort;
    }

    /** Permission bits such as 0600 as a set. */
    static Set<PosixFilePermission> permissions(int mode) {
        StringBuilder sb = new StringBuilder(9);
        String rwx = "rwx";
        for (int shift = 8; shift >= 0; shift--) {
            sb.append((mode & (1 << shift)) != 0 ? rwx.charAt(2 - shift % 3) : '-');
        }
        return PosixFilePermissions.fromString(sb.toString());
    }

    @Override
    public <T> T withFiles(String what, ResourceFiles.Work<T> work) throws ResourceException {
        try {
            return work.run(LocalFiles.INSTANCE);
        } catch (IOException e) {
            throw new ResourceException("cannot " + what + " on " + target() + ": " + e, e);
        }
    }
}
