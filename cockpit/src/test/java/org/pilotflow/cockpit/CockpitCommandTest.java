package org.pilotflow.cockpit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of {@code pilotflow cockpit} and the database it points Cockpit at (no Cockpit is started). */
class CockpitCommandTest {

    @TempDir
    Path work;

    @Test
    void jdbcTakesTheUserFromTheLineAndThePasswordFromTheEnvironment() {
        var o = CockpitCommand.Options.parse(List.of("--jdbc", "jdbc:postgresql://db/pilotflow", "--db-user", "pf",
                "--port", "8081"));
        Map<String, Object> p = CockpitCommand.properties(o, Map.of("PILOTFLOW_DB_PASSWORD", "s3cret"), quiet());
        assertThat(p).containsEntry("spring.datasource.url", "jdbc:postgresql://db/pilotflow")
                .containsEntry("spring.datasource.username", "pf")
                .containsEntry("spring.datasource.password", "s3cret")
                .containsEntry("server.port", 8081)
                .containsEntry("server.address", "127.0.0.1");
    }

    @Test
    void withoutARunningSessionTheDatabaseFileIsOpened() throws Exception {
        Files.createDirectories(work.resolve("db"));
        Files.createFile(work.resolve("db").resolve("pilotflow.mv.db"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, Object> p = CockpitCommand.properties(CockpitCommand.Options.parse(List.of("--work",
                work.toString())), Map.of(), new PrintStream(err, true));
        assertThat(p.get("spring.datasource.url")).isEqualTo("jdbc:h2:file:" + work.resolve("db")
                .resolve("pilotflow") + ";IFEXISTS=TRUE");
        assertThat(err.toString()).contains("no session runs on " + work);
    }

    @Test
    void badCommandLinesSayWhatIsWrong() {
        assertThatThrownBy(() -> CockpitCommand.Options.parse(List.of("--port", "http")))
                .hasMessage("--port is 'http', expected a port number 1..65535");
        assertThatThrownBy(() -> CockpitCommand.Options.parse(List.of("--work", "w", "--jdbc", "jdbc:h2:mem:x")))
                .hasMessage("--work and --jdbc name two databases: give one");
        assertThatThrownBy(() -> CockpitCommand.Options.parse(List.of("--jdbc")))
                .hasMessage("--jdbc needs a value");
        assertThatThrownBy(() -> CockpitCommand.Options.parse(List.of("--frobnicate")))
                .hasMessage("unknown option '--frobnicate'");
        assertThatThrownBy(() -> CockpitCommand.properties(CockpitCommand.Options.parse(List.of("--work",
                work.resolve("nothing").toString())), Map.of(), quiet()))
                .hasMessageStartingWith("no PilotFlow database in " + work.resolve("nothing").resolve("db"));
        assertThat(CockpitCommand.Options.parse(List.of("--help"))).isNull();
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true);
    }
}
