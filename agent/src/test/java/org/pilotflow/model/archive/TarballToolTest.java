package org.pilotflow.model.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resource's half of a client TARBALL: packing and unpacking confined to the roots the engine names, as this JVM
 * calls it for a local resource and as {@code java -cp <agent jar>} runs it for a remote one (a real process here).
 */
class TarballToolTest {

    @TempDir
    Path tmp;

    @Test
    void packsAndUnpacksInsideTheRootsOnly() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("sandbox"));
        Files.createDirectories(root.resolve("res/sub"));
        Files.writeString(root.resolve("res/sub/a.txt"), "a\n");
        Path archive = tmp.resolve("res.tar");
        assertThat(TarballTool.run(List.of("pack", root.resolve("res").toString(), archive.toString(),
                tmp.resolve("absent-root").toString(), root.toString()))).isNull();

        Path target = root.resolve("copy");
        assertThat(TarballTool.run(List.of("unpack", archive.toString(), target.toString(), root.toString())))
                .isNull();
        assertThat(Files.readString(target.resolve("sub/a.txt"))).isEqualTo("a\n");

        // a target whose directory is a link out of the root, and a source outside every root
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("out"), outside);
        assertThat(TarballTool.run(List.of("unpack", archive.toString(), root.resolve("out/x").toString(),
                root.toString()))).contains("resolves to " + outside.toRealPath(), "outside " + root.toRealPath());
        assertThat(outside.resolve("x")).doesNotExist();
        assertThat(TarballTool.run(List.of("pack", outside.toString(), tmp.resolve("o.tar").toString(),
                root.toString()))).startsWith("source " + outside + " resolves to ").contains("outside");
        assertThat(tmp.resolve("o.tar")).doesNotExist();
        assertThat(TarballTool.run(List.of("pack", root.resolve("none").toString(), tmp.resolve("n.tar").toString(),
                root.toString()))).isEqualTo("source " + root.resolve("none") + " does not exist");
    }

    @Test
    void aFilesSizeAndChecksumAreCheckedBeforeItReplacesTheTarget() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("sandbox"));
        Path file = Files.writeString(tmp.resolve("f.txt"), "hello\n");
        Path archive = tmp.resolve("f.tar");
        Tarball.pack(file, archive);
        assertThat(TarballTool.run(List.of("unpack", archive.toString(), root.resolve("f.txt").toString(),
                root.toString(), "6", "md5:00000000000000000000000000000000"))).startsWith("checksum mismatch: "
                + "expected md5:00000000000000000000000000000000, the file has md5:b1946ac92492d2347c6235b4d2611184");
        assertThat(root.resolve("f.txt")).doesNotExist();
        assertThat(TarballTool.run(List.of("unpack", archive.toString(), root.resolve("f.txt").toString(),
                root.toString(), "7"))).isEqualTo("size mismatch: expected 7 bytes, the file has 6");
        assertThat(TarballTool.run(List.of("unpack", archive.toString(), root.resolve("f.txt").toString(),
                root.toString(), "-", "adler32:084b021f"))).isNull();
        assertThat(root.resolve("f.txt")).hasContent("hello");
        try (var left = Files.list(root)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("f.txt");
        }
        assertThatThrownBy(() -> TarballTool.run(List.of("extract", "a"))).hasMessageContaining("unknown command "
                + "'extract'");
    }

    @Test
    void asItsOwnProcessItSaysWhyOnOneLineAndExitsOne() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("sand box")); // a space: one argument, whatever it holds
        Path damaged = Files.write(tmp.resolve("bad.tar"), "not a tar at all".getBytes(StandardCharsets.UTF_8));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                TarballTool.class.getName(), "unpack", damaged.toString(), root.resolve("t").toString(),
                root.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(err.lines().filter(l -> l.contains(TarballTool.FAILURE_PREFIX)).toList()).hasSize(1);
        assertThat(TarballTool.failureIn(err)).contains("bad.tar");
        try (var left = Files.list(root)) {
            assertThat(left).isEmpty();
        }
    }
}
