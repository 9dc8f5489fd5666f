package org.pilotflow.cockpit;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pilotflow.api.Session;
import org.springframework.boot.SpringApplication;

/**
 * {@code bin/pilotflow cockpit}: Camunda's Cockpit on a PilotFlow database, as a second engine node that runs no job,
 * deploys nothing and changes no schema. On the embedded default it reaches the database of a running session
 * through the H2 server that session started; with no session running it opens the database file itself.
 *
 * <p>Exit status: 1 the database could not be reached; 2 the command line was wrong; otherwise it runs until stopped.
 */
public final class CockpitCommand {

    /** Where the database password comes from: never from the command line, where {@code ps} shows it. */
    static final String DB_PASSWORD_VARIABLE = "PILOTFLOW_DB_PASSWORD";

    static final String USAGE = """
            usage: pilotflow cockpit [--work DIR | --jdbc URL] [--db-user USER] [--port N] [--address ADDR]

              Runs Camunda's Cockpit on a PilotFlow database: every pilot and unit is a process instance there.

              --work DIR      the work directory of the application (default ./pilotflow-work): while a session
                              runs, its database is reached through the H2 server the session started (address and
                              key in DIR/db/pilotflow.server); otherwise the database file is opened
              --jdbc URL      the engine's database instead, e.g. jdbc:postgresql://db/pilotflow
              --db-user USER  the database user (default sa, as PilotFlow's embedded default); its password is
                              taken from the environment variable PILOTFLOW_DB_PASSWORD
              --port N        the web port (default 8080)
              --address ADDR  the address to listen on (default 127.0.0.1: this host only)

              Log in as admin: its password is PILOTFLOW_COCKPIT_PASSWORD when set (then it is set at every start),
              else the one in ~/.pilotflow/cockpit-password (a random one is written there when there is none).
            """;

    private CockpitCommand() {
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = Options.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("pilotflow cockpit: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.print(USAGE);
            return;
        }
        Map<String, Object> properties;
        try {
            properties = properties(o, System.getenv(), System.err);
        } catch (IllegalArgumentException e) {
            System.err.println("pilotflow cockpit: " + e.getMessage());
            System.exit(2);
            return;
        }
        SpringApplication app = new SpringApplication(CockpitApplication.class);
        app.setDefaultProperties(properties);
        app.run();
    }

    /** The Spring properties that point the Cockpit at the database the options name. */
    static Map<String, Object> properties(Options o, Map<String, String> env, PrintStream err) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server.port", o.port());
        p.put("server.address", o.address());
        if (o.jdbcUrl() != null) {
            p.put("spring.datasource.url", o.jdbcUrl());
            p.put("spring.datasource.username", o.user());
            p.put("spring.datasource.password", env.getOrDefault(DB_PASSWORD_VARIABLE, ""));
            return p;
        }
        Path db = o.work().resolve("db");
        if (!Files.isRegularFile(db.resolve("pilotflow.mv.db"))) { // H2 would make an empty database there
            throw new IllegalArgumentException("no PilotFlow database in " + db.toAbsolutePath().normalize()
                    + ": give --work with the work directory the application used, or --jdbc");
        }
        // the session's own credentials (sa and none unless its Builder.credentials gave others)
        String password = env.getOrDefault(DB_PASSWORD_VARIABLE, "");
        Optional<String> server = Session.embeddedDatabaseUrl(o.work()).filter(url -> answers(url, o.user(),
                password));
        if (server.isEmpty()) {
            err.println("pilotflow cockpit: no session runs on " + o.work().toAbsolutePath().normalize()
                    + "; opening its database file (a session cannot start on it while Cockpit runs)");
        }
        p.put("spring.datasource.url", server.orElse("jdbc:h2:file:" + db.resolve("pilotflow").toAbsolutePath()
                .normalize() + ";IFEXISTS=TRUE"));
        p.put("spring.datasource.username", o.user());
        p.put("spring.datasource.password", password);
        return p;
    }

    /**
     * Whether a session's H2 server answers (its file outlives a session that was killed).
     *
     * @throws IllegalArgumentException the server answers but refuses these credentials
     */
    private static boolean answers(String url, String user, String password) {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            return c.isValid(5);
        } catch (SQLException e) {
            if ("28000".equals(e.getSQLState())) { // H2: wrong user name or password
                throw new IllegalArgumentException("the running session's database refused user " + user
                        + ": give the session's user with --db-user and its password in " + DB_PASSWORD_VARIABLE, e);
            }
            return false;
        }
    }

    record Options(Path work, String jdbcUrl, String user, int port, String address) {

        /** The options, or null when help was asked for. */
        static Options parse(List<String> args) {
            Path work = Path.of("pilotflow-work");
            String jdbc = null;
            String user = "sa";
            int port = 8080;
            String address = "127.0.0.1";
            boolean workGiven = false;
            List<String> rest = new ArrayList<>(args);
            while (!rest.isEmpty()) {
                String a = rest.remove(0);
                switch (a) {
                    case "-h", "--help", "help" -> {
                        return null;
                    }
                    case "--work" -> {
                        work = Path.of(value(a, rest));
                        workGiven = true;
                    }
                    case "--jdbc" -> jdbc = value(a, rest);
                    case "--db-user" -> user = value(a, rest);
                    case "--port" -> port = port(value(a, rest));
                    case "--address" -> address = value(a, rest);
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'");
                }
            }
            if (workGiven && jdbc != null) {
                throw new IllegalArgumentException("--work and --jdbc name two databases: give one");
            }
            return new Options(work, jdbc, user, port, address);
        }

        private static int port(String v) {
            try {
                int p = Integer.parseInt(v);
                if (p >= 1 && p <= 65535) {
                    return p;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException("--port is '" + v + "', expected a port number 1..65535");
        }

        private static String value(String option, List<String> rest) {
            if (rest.isEmpty() || rest.get(0).startsWith("--")) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return rest.remove(0);
        }
    }
}
