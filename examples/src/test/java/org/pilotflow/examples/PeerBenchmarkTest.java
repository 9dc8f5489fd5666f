package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer benchmark at a tiny size, so that the program cannot rot; its figures are not checked, its shape is. */
class PeerBenchmarkTest {

    @TempDir
    Path work;

    @Test
    void tinyRunWithoutDaskPrintsTheTableAndEveryUnitIsDone() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PeerBenchmark.Result r;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            r = PeerBenchmark.run(PeerBenchmark.Options.parse("--units", "20", "--repeats", "1", "--warmup", "5",
                    "--light-fast", "3", "--light-slow", "1", "--sleep-units", "2", "--skip-dask",
                    "--work", work.toString()), out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);

        assertThat(r.allDone()).as(printed).isTrue();
        assertThat(r.flow().units()).isEqualTo(20 + 20 + 3 + 1 + 2); // /bin/true and no-op function units
        assertThat(r.flow().tasksPerSecond()).hasSize(1).allSatisfy(x -> assertThat(x).isPositive());
        assertThat(r.flow().functionTasksPerSecond()).hasSize(1).allSatisfy(x -> assertThat(x).isPositive());
        assertThat(r.flow().fast().startP50()).isNotNegative();
        assertThat(r.flow().slow().seenP50()).isNotNegative();
        assertThat(r.flow().sleepWall()).isGreaterThanOrEqualTo(1.0);
        assertThat(r.dask().unavailable()).contains("skipped (--skip-dask)");
        assertThat(printed).contains("| /bin/true tasks/s", "all units: DONE / submitted", "46 / 46",
                "| no-op tasks/s (PF: function units)",
                "Dask: skipped (--skip-dask)", "2 x sleep 1: wall / ideal 1 s", "start: pilot ACTIVE seen by API");
    }

    @Test
    void aMissingPythonIsARowNotACrash() {
        PeerBenchmark.Dask d = PeerBenchmark.dask(PeerBenchmark.Options.parse("--python", "/nonexistent/python3"),
                work);
        assertThat(d.unavailable()).contains("/nonexistent/python3 not found");
    }

    /** Under CI=true Dask must be there (.ci/run installs python3-distributed); elsewhere its absence skips. */
    @Test
    void theDaskScriptAnswersInOneJsonLine() {
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (!ci) {
            assumeTrue(java.nio.file.Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3");
        }
        PeerBenchmark.Dask d = PeerBenchmark.dask(PeerBenchmark.Options.parse("--units", "20", "--repeats", "1",
                "--warmup", "5", "--light-fast", "2", "--light-slow", "1", "--sleep-units", "0"), work);
        if (!ci) {
            assumeTrue(d.unavailable().isEmpty() || !d.unavailable().get().startsWith("no Dask"),
                    () -> "Dask not installed: " + d.unavailable().orElse(""));
        }
        assertThat(d.unavailable()).isEmpty();
        assertThat(d.json().path("subprocess_tps").get(0).asDouble()).isPositive();
        assertThat(d.json().path("noop_tps").get(0).asDouble()).isPositive();
        assertThat(d.json().path("light").size()).isEqualTo(2);
        assertThat(d.json().path("failed").asInt()).isZero();
    }

    @Test
    void optionsParse() {
        PeerBenchmark.Options o = PeerBenchmark.Options.parse("--units", "7", "--repeats", "2", "--skip-dask",
                "--sleep-units", "0");
        assertThat(o.units()).isEqualTo(7);
        assertThat(o.repeats()).isEqualTo(2);
        assertThat(o.skipDask()).isTrue();
        assertThat(o.sleepUnits()).isZero();
        assertThat(PeerBenchmark.Options.parse().python()).isEqualTo("/usr/bin/python3");
        assertThatThrownBy(() -> PeerBenchmark.Options.parse("--repeats", "0"))
                .hasMessageContaining("--repeats").hasMessageContaining("'0'");
        assertThatThrownBy(() -> PeerBenchmark.Options.parse("--sleep-units", "-1"))
                .hasMessageContaining("--sleep-units").hasMessageContaining("'-1'");
        assertThatThrownBy(() -> PeerBenchmark.Options.parse("--bogus")).hasMessageContaining("--bogus");
    }
}
