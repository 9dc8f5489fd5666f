package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.testing.TestBackends;

/** The staging benchmark at a tiny size, so that the program cannot rot; its figures are not checked, its shape is. */
class StagingBenchmarkTest {

    @TempDir
    Path work;

    @Test
    void tinyLocalRunPrintsTheTable() throws Exception {
        StagingBenchmark.Result r = run("--files", "5", "--small-bytes", "100", "--large-mb", "1", "--repeats",
                "1", "--work", work.toString(), "--units", "3");
        assertThat(r.rows()).hasSize(5);
        assertThat(r.rows().subList(0, 4)).allSatisfy(row -> {
            assertThat(row.dataApi()).isPositive();
            assertThat(row.baselines()).containsOnlyKeys("cp");
        });
        assertThat(r.rows().get(4).measurement()).isEqualTo("local: 3 units, client in+out, units/s");
        assertThat(r.rows().get(4).baselines()).containsOnlyKeys("no staging");
        assertThat(r.rows().get(4).dataApi()).isPositive();
        assertThat(work.resolve("client/back-units/0/f00002.dat")).as("the last unit's output came back").exists();
        assertThat(r.sftpSkipped()).isEqualTo("no --sshd-env");
    }

    /** Over SFTP against the test sshd (skips without it, fails under CI=true). */
    @Test
    void tinySftpRunAddsScpAndSftpRowsWithoutLoginsPerFile() throws Exception {
        Map<String, String> sshd = TestBackends.require("sshd");
        StagingBenchmark.Result r = run("--files", "5", "--small-bytes", "100", "--large-mb", "1", "--repeats",
                "1", "--work", work.toString(), "--units", "2", "--sshd-env",
                TestBackends.stateDir("sshd").resolve("sshd.env").toString());
        assertThat(r.rows()).hasSize(10);
        assertThat(r.rows().get(9).measurement()).isEqualTo("SFTP: 2 units, client in+out, units/s");
        assertThat(r.rows().subList(5, 9)).allSatisfy(row -> assertThat(row.baselines())
                .containsOnlyKeys("scp", "sftp -b").allSatisfy((k, v) -> assertThat(v).isPositive()));
        assertThat(r.sftpSkipped()).isNull();
        assertThat(r.dataApiLogins()).isZero();
        assertThat(sshd).containsKey("SSHD_LOG");
    }

    @Test
    void optionsParse() {
        StagingBenchmark.Options o = StagingBenchmark.Options.parse("--files", "7", "--large-mb", "3");
        assertThat(o.files()).isEqualTo(7);
        assertThat(o.largeMb()).isEqualTo(3);
        assertThat(StagingBenchmark.Options.parse().files()).isEqualTo(1000);
        assertThatThrownBy(() -> StagingBenchmark.Options.parse("--files", "0")).hasMessageContaining("--files");
        assertThatThrownBy(() -> StagingBenchmark.Options.parse("--bogus")).hasMessageContaining("--bogus");
    }

    private static StagingBenchmark.Result run(String... args) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StagingBenchmark.Result r;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            r = StagingBenchmark.run(StagingBenchmark.Options.parse(args), out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("| measurement", "PilotFlow / best", "files/s", "units/s", "MB/s", "load average");
        return r;
    }
}
