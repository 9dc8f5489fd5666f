package org.pilotflow.resource.shell;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/** {@link ResourceFiles} on this host. */
final class LocalFiles implements ResourceFiles {

    static final LocalFiles INSTANCE = new LocalFiles();

    private LocalFiles() {
    }

    @Override
    public Stat stat(String path) throws IOException {
        return stat(path, new LinkOption[0]);
    }

    @Override
    public Stat lstat(String path) throws IOException {
        return stat(path, new LinkOption[] {LinkOption.NOFOLLOW_LINKS});
    }

    private static Stat stat(String path, LinkOption[] options) throws IOException {
        Path p = Path.of(path);
        if (!Files.exists(p, options)) {
            return null;
        }
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, options);
        return new Stat(a.isDirectory(), a.isRegularFile(), a.isSymbolicLink(), a.size());
    }

    @Override
    public String realPath(String path) throws IOException {
        return Path.of(path).toRealPath().toString();
    }

    @Override
    public void mkdir(String path) throws IOException {
        Files.createDirectory(Path.of(path), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
    }

    @Override
    public OutputStream create(String path) throws IOException {
        return Files.newOutputStream(Path.of(path), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
    }

    @Override
    public InputStream open(String path) throws IOException {
        return Files.newInputStream(Path.of(path));
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Files.move(Path.of(from), Path.of(to), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public long usableSpace(String directory) throws IOException {
        return Files.getFileStore(Path.of(directory)).getUsableSpace();
    }

    @Override
    public void deleteIfExists(String path) throws IOException {
        Files.deleteIfExists(Path.of(path));
    }

    @Override
    public java.util.List<String> list(String directory) throws IOException {
        try (java.util.stream.Stream<Path> s = Files.list(Path.of(directory))) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Override
    public void rmdirIfExists(String directory) throws IOException {
        Files.deleteIfExists(Path.of(directory));
    }
}
