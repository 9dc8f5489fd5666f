package org.pilotflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.StateEntry;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.pilotflow.report.RunData;
import org.pilotflow.report.RunData.UnitRun;

/** {@code pilotflow report} on a real run, and every way its command line can be wrong. */
class PilotFlowCommandTest {

    private record Outcome(int exit, String out, String err) {
    }

    private static Outcome run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = PilotFlowCommand.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Outcome run(String... args) {
        return run(Map.of(), args);
    }

    @Test
    void reportsARealRun() throws Exception {
        RealRun.Result r = RealRun.get();
        assertThat(r.exit()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdout().trim()).isEqualTo("wrote " + r.html() + " (2 pilots, " + RealRun.UNITS + " units)");
        String html = Files.readString(r.html());
        assertThat(html).contains("<title>PilotFlow run report: " + r.sessionId() + "</title>")
                .contains((RealRun.UNITS - RealRun.FAILING) + " DONE, " + RealRun.FAILING + " FAILED")
                .contains("<td>EXIT_CODE</td><td class=\"n\">1101</td><td>fatal</td><td class=\"n\">"
                        + RealRun.FAILING + "</td>");
        for (var p : r.data().pilots()) {
            assertThat(html).contains(p.uid() + " — 2 cores on local.localhost");
        }
    }

    @Test
    void theRunsFiguresAreWhatItsAgentsSaw() throws Exception {
        RunData data = RealRun.get().data();
        assertThat(data.pilots()).hasSize(2);
        assertThat(data.units()).hasSize(RealRun.UNITS)
                .allMatch(u -> u.state() == UnitState.DONE || u.errorCode() == ErrorCode.EXIT_CODE);
        for (UnitRun u : data.units()) {
            assertThat(u.history()).as("%s: %s", u.uid(), u.history()).extracting(StateEntry::state)
                    .contains(UnitState.PENDING_EXECUTION, UnitState.ALLOCATING, UnitState.EXECUTING);
            // the agent times ALLOCATING when it gives the unit its cores: after it got the unit, before the start
            assertThat(entered(u, UnitState.ALLOCATING)).as(u.uid())
                    .isAfterOrEqualTo(entered(u, UnitState.PENDING_EXECUTION))
                    .isBeforeOrEqualTo(entered(u, UnitState.EXECUTING));
            assertThat(u.history()).filteredOn(e -> e.state() == UnitState.EXECUTING)
                    .extracting(StateEntry::clock).containsExactly(StateEntry.AGENT);
        }
        UnitRun sleeper = data.units().stream().filter(u -> u.name().equals(RealRun.LONG_UNIT_NAME)).findFirst()
                .orElseThrow();
        assertThat(sleeper.memory()).as("3 s sampled every 100 ms").isNotNull();
        assertThat(sleeper.memory().samples()).hasSizeGreaterThanOrEqualTo(10);
        assertThat(sleeper.memory().leaking()).as("sleep does not grow").isFalse();
    }

    private static java.time.Instant entered(UnitRun u, UnitState s) {
        return u.history().stream().filter(e -> e.state() == s).reduce((a, b) -> b).orElseThrow().time();
    }

    @Test
    void helpGoesToStdoutAndSucceeds() {
        Outcome o = run("--help");
        assertThat(o.exit()).isZero();
        assertThat(o.out()).startsWith("usage: pilotflow report <session id>");
        assertThat(run("help").exit()).isZero();
    }

    @Test
    void wrongCommandLinesExitWith2AndSayWhatIsWrong() {
        Outcome none = run();
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).startsWith("usage:");

        Outcome unknown = run("raport", "x");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("pilotflow: unknown command 'raport'; expected: report");

        assertThat(run("report").err()).startsWith("pilotflow report: the session id is missing");
        assertThat(run("report", "a", "b").err())
                .startsWith("pilotflow report: one session id expected, got 'a' and 'b'");
        assertThat(run("report", "a", "--colour").err()).startsWith("pilotflow report: unknown option '--colour'");
        Outcome noValue = run("report", "a", "--work");
        assertThat(noValue.exit()).isEqualTo(2);
        assertThat(noValue.err()).startsWith("pilotflow report: --work needs a value");
        assertThat(run("report", "a", "--output", "--work", "x").err())
                .startsWith("pilotflow report: --output needs a value");
    }

    @Test
    void aWorkDirectoryWithoutDatabaseIsNamedAndLeftAsItWas(@TempDir Path dir) throws Exception {
        Path work = dir.resolve("pilotflow-work");
        Files.createDirectories(work);
        Outcome o = run("report", "session.x", "--work", work.toString());
        assertThat(o.exit()).isEqualTo(2);
        assertThat(o.err()).contains("no PilotFlow database at " + work.resolve("db/pilotflow.mv.db"))
                .contains("give --work with the work directory the application used, or --jdbc");
        try (var files = Files.list(work)) {
            assertThat(files).as("nothing created").isEmpty();
        }
    }

    @Test
    void anUnknownSessionIsNamed() throws Exception {
        RealRun.Result r = RealRun.get();
        Path out = r.work().resolve("never.html");
        Outcome o = run("report", "session.nope", "--work", r.work().toString(), "--output", out.toString());
        assertThat(o.exit()).isEqualTo(2);
        assertThat(o.err()).contains("sessionId is 'session.nope', expected the id of a session stored in this"
                + " database");
        assertThat(out).doesNotExist();
    }

    @Test
    void aDatabaseThatCannotBeReachedFailsWithoutShowingThePassword() {
        Outcome o = run(Map.of(PilotFlowCommand.PASSWORD_VARIABLE, "s3cret-pw"), "report", "session.x",
                "--jdbc", "jdbc:postgresql://127.0.0.1:1/pilotflow", "--db-user", "someone");
        assertThat(o.exit()).isEqualTo(1);
        assertThat(o.err()).contains("pilotflow report: ").contains("jdbc:postgresql://127.0.0.1:1/pilotflow")
                .doesNotContain("s3cret-pw");
        assertThat(o.out()).isEmpty();
    }

    @Test
    void usageNamesEveryOption() {
        for (String option : List.of("--work", "--jdbc", "--db-user", "--output", PilotFlowCommand.PASSWORD_VARIABLE)) {
            assertThat(PilotFlowCommand.USAGE).contains(option);
        }
    }
}
