package org.pilotflow.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.PilotException;
import org.pilotflow.api.Session;
import org.pilotflow.report.RunData;
import org.pilotflow.report.RunReport;

/**
 * The {@code pilotflow} command ({@code java -jar report/target/pilotflow.jar ...}). One subcommand today:
 * {@code report <session>} writes a session's run report.
 *
 * <p>Exit status: 0 done; 1 the work failed (the database could not be opened, say); 2 the command line was wrong.
 */
public final class PilotFlowCommand {

    /** Where the database password comes from: never from the command line, where {@code ps} shows it. */
    static final String PASSWORD_VARIABLE = "PILOTFLOW_DB_PASSWORD";

    static final String USAGE = """
            usage: pilotflow report <session id> [--work DIR] [--jdbc URL [--db-user USER]] [--output FILE]

              Writes the session's run report: one self-contained HTML file with core utilization per pilot,
              concurrency, run times and queue waits, throughput, failures by error code, and memory with leak
              flags.

              <session id>   as Session.uid() gave it, e.g. session.20261202.101500.a1b2c3
              --work DIR     the work directory the application used (default ./pilotflow-work); its H2 database
                             is read, so the application must have ended (H2 allows one process per file)
              --jdbc URL     the engine's database instead, e.g. jdbc:postgresql://db/pilotflow; the password is
                             taken from the environment variable PILOTFLOW_DB_PASSWORD
              --db-user USER the database user (default sa)
              --output FILE  where the report goes (default <session id>.html in this directory)

            bin/pilotflow cockpit runs Camunda's Cockpit on a PilotFlow database (bin/pilotflow cockpit --help).
            """;

    private PilotFlowCommand() {
    }

    public static void main(String[] args) {
        // the command's own logging setup, named here rather than shipped as logback.xml in a library jar
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "org/pilotflow/cli/logback.xml");
        }
        System.setProperty("java.awt.headless", "true"); // the plots are drawn without a display
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Runs the command; returns the exit status. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        if (args.length == 0 || List.of("-h", "--help", "help").contains(args[0])) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        if (!args[0].equals("report")) {
            err.println("pilotflow: unknown command '" + args[0] + "'; expected: report (or, through bin/pilotflow,"
                    + " cockpit)");
            err.print(USAGE);
            return 2;
        }
        ReportOptions o;
        try {
            o = ReportOptions.parse(List.of(args).subList(1, args.length));
        } catch (IllegalArgumentException e) {
            err.println("pilotflow report: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (o.jdbcUrl() == null) {
            Path db = o.work().resolve("db").resolve("pilotflow.mv.db");
            if (!Files.isRegularFile(db)) { // H2 would create an empty database there, and the engine its tables
                err.println("pilotflow report: no PilotFlow database at " + db.toAbsolutePath().normalize()
                        + ": give --work with the work directory the application used, or --jdbc");
                return 2;
            }
        }
        Session.Builder b = Session.builder().workDirectory(o.work()); // only read: no engine is started
        if (o.jdbcUrl() != null) {
            b.jdbcUrl(o.jdbcUrl()).credentials(o.user(), env.getOrDefault(PASSWORD_VARIABLE, ""));
        }
        Path output = o.output() != null ? o.output() : Path.of(o.sessionId() + ".html");
        try {
            RunData run = RunData.read(b, o.sessionId());
            RunReport.of(run).write(output);
            out.println("wrote " + output.toAbsolutePath().normalize() + " (" + run.pilots().size() + " pilots, "
                    + run.units().size() + " units)");
            return 0;
        } catch (BadParameter e) {
            err.println("pilotflow report: " + e.getMessage());
            return 2;
        } catch (PilotException e) {
            err.println("pilotflow report: " + e.getMessage());
            return 1;
        } catch (RuntimeException | Error e) { // a plot that cannot be drawn, fonts missing, ...: say it, exit 1
            err.println("pilotflow report: the report could not be made: " + e);
            return 1;
        }
    }

    /** The options of {@code report}. */
    record ReportOptions(String sessionId, Path work, String jdbcUrl, String user, Path output) {

        static ReportOptions parse(List<String> args) {
            String session = null;
            Path work = Path.of("pilotflow-work");
            String jdbc = null;
            String user = "sa";
            Path output = null;
            List<String> rest = new ArrayList<>(args);
            while (!rest.isEmpty()) {
                String a = rest.remove(0);
                switch (a) {
                    case "--work" -> work = Path.of(value(a, rest));
                    case "--jdbc" -> jdbc = value(a, rest);
                    case "--db-user" -> user = value(a, rest);
                    case "--output", "-o" -> output = Path.of(value(a, rest));
                    default -> {
                        if (a.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option '" + a + "'");
                        }
                        if (session != null) {
                            throw new IllegalArgumentException("one session id expected, got '" + session
                                    + "' and '" + a + "'");
                        }
                        session = a;
                    }
                }
            }
            if (session == null) {
                throw new IllegalArgumentException("the session id is missing");
            }
            return new ReportOptions(session, work, jdbc, user, output);
        }

        private static String value(String option, List<String> rest) {
            if (rest.isEmpty() || rest.get(0).startsWith("--")) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return rest.remove(0);
        }
    }
}
