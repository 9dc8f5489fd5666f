package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pilot-start benchmark at its smallest, so that the program cannot rot; its figures are not checked. */
class PilotStartBenchmarkTest {

    @TempDir
    Path work;

    @Test
    void threePilotsGiveEveryStepWithAndWithoutTheClassArchive() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            PilotStartBenchmark.run(3, work, out);
        }
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("later, with", "later, without",
                "LAUNCHING -> agent process started (staging)", "agent process started -> ready (ACTIVE stamp)",
                "ready -> the API sees ACTIVE (first sync)", "submit -> the API sees ACTIVE", "baseline: java -version, same run",
                "3 pilots one after another (1 and 1 later ones)");
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> PilotStartBenchmark.Options.parse("--pilots", "2")).hasMessageContaining("--pilots")
                .hasMessageContaining("'2'").hasMessageContaining("3 or more");
        assertThatThrownBy(() -> PilotStartBenchmark.Options.parse("--pilots", "x")).hasMessageContaining("'x'");
        assertThatThrownBy(() -> PilotStartBenchmark.Options.parse("--work")).hasMessageContaining("got nothing");
        assertThatThrownBy(() -> PilotStartBenchmark.Options.parse("--fast")).hasMessageContaining("'--fast'");
        assertThat(PilotStartBenchmark.Options.parse().pilots()).isEqualTo(11);
    }
}
