package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.model.UnitState;

/** The getting-started example, run as main would run it, minus System.exit. */
class GettingStartedTest {

    @TempDir
    Path work;

    @Test
    void sixteenUnitsAllDone() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        GettingStarted.Result r;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            r = GettingStarted.run(GettingStarted.Options.parse(work.toString(), "--units", "16"), out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);

        assertThat(r.allDone()).as(printed).isTrue();
        assertThat(r.rows()).hasSize(16).allSatisfy(row -> {
            assertThat(row.state()).isEqualTo(UnitState.DONE);
            assertThat(row.exitCode()).isZero();
            assertThat(row.runtimeMillis()).isNotNegative();
            assertThat(row.output()).isEqualTo("unit " + row.uid() + " on " + row.output().substring(
                    row.output().lastIndexOf(' ') + 1));
        });
        assertThat(r.failed()).isZero();
        assertThat(r.canceled()).isZero();
        assertThat(printed).contains("16 units: 16 DONE, 0 FAILED, 0 CANCELED")
                .containsPattern("bin/pilotflow report session\\.\\S+ --work /");
        assertThat(work.resolve("sandboxes")).isDirectory();
    }

    @Test
    void optionsParse() {
        GettingStarted.Options o = GettingStarted.Options.parse("/tmp/w", "--units", "3", "--cores", "1");
        assertThat(o.workDirectory()).isEqualTo(Path.of("/tmp/w"));
        assertThat(o.units()).isEqualTo(3);
        assertThat(o.cores()).isEqualTo(1);
        assertThat(GettingStarted.Options.parse().units()).isEqualTo(128);
        assertThatThrownBy(() -> GettingStarted.Options.parse("--units", "zero"))
                .hasMessageContaining("--units").hasMessageContaining("zero");
        assertThatThrownBy(() -> GettingStarted.Options.parse("--bogus")).hasMessageContaining("--bogus");
    }
}
