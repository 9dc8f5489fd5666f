package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.testing.PostgresBackend;

/**
 * The throughput benchmark at a tiny size, so that the program cannot rot; its figures are not checked, its shape is.
 */
class BenchmarkTest {

    @TempDir
    Path work;

    @Test
    void twoPilotsBehindOneManagerRunEveryUnitAndTheTableSaysSo() throws Exception {
        String printed = run(Benchmark.Options.parse("--units", "20", "--warmup", "4", "--pilots", "2", "--cores",
                "1", "--work", work.toString()));
        assertThat(printed).contains("2 local pilots behind one unit manager", "| pilots x cores",
                "2 x 1", "H2 file (embedded)", "20 / 20", "heap after full GC");
    }

    /** On a database of the test PostgreSQL server; without one it skips, and fails under CI=true. */
    @Test
    void onPostgresql() throws Exception {
        PostgresBackend.Database db = PostgresBackend.newDatabase("bench");
        try {
            String printed = run(Benchmark.Options.parse("--units", "10", "--warmup", "2", "--work",
                    work.toString()).onDatabase(db.jdbcUrl(), db.user(), db.password()));
            assertThat(printed).contains("| database", "jdbc:postgresql://", "10 / 10")
                    .doesNotContain(db.password());
        } finally {
            PostgresBackend.dropDatabase(db);
        }
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> Benchmark.Options.parse("--pilots", "0")).hasMessageContaining("--pilots")
                .hasMessageContaining("'0'");
        assertThatThrownBy(() -> Benchmark.Options.parse("--jdbc-url", "postgres://x"))
                .hasMessageContaining("--jdbc-url").hasMessageContaining("'postgres://x'")
                .hasMessageContaining("jdbc:");
        assertThatThrownBy(() -> Benchmark.Options.parse("--jdbc-url")).hasMessageContaining("got nothing");
        assertThat(Benchmark.Options.parse().pilots()).isEqualTo(1);
        assertThat(Benchmark.Options.parse().jdbcUrl()).isNull();
        assertThat(Benchmark.Options.parse().onDatabase("jdbc:postgresql://h/db", "u", "s3cret").toString())
                .contains("dbPassword=(set)").doesNotContain("s3cret");
    }

    private static String run(Benchmark.Options o) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean ok;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            ok = Benchmark.run(o, out);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertThat(ok).as(printed).isTrue();
        return printed;
    }
}
