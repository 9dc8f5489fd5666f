package org.pilotflow.agent.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TailsTest {
    @TempDir
    Path tmp;

    @Test
    void missingAndEmptyFilesGiveEmptyTails() throws Exception {
        assertThat(Tails.read(tmp.resolve("nope"))).isEmpty();
        assertThat(Tails.read(Files.createFile(tmp.resolve("empty")))).isEmpty();
    }

    @Test
    void bigFilesAreCutTo4KiBWithoutBreakingUtf8() throws Exception {
        Path f = tmp.resolve("big");
        Files.writeString(f, "ü".repeat(10_000), StandardCharsets.UTF_8);
        String t = Tails.read(f);
        assertThat(t.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Tails.MAX_BYTES);
        assertThat(t).matches("ü+");
    }

    @Test
    void lastLineSkipsBlankLines() {
        assertThat(Tails.lastLine("a\nb\n\n  \n")).isEqualTo("b");
        assertThat(Tails.lastLine("")).isEmpty();
        assertThat(Tails.lastLines("1\n2\n3\n", 2)).isEqualTo("2\n3\n");
        assertThat(Tails.lastLines("1\n2\n3", 2)).isEqualTo("2\n3");
    }
}
