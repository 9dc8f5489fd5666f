package org.pilotflow.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Real daemons for tests: a private sshd, a single-node SLURM, a 3-node SLURM in network namespaces
 * ({@code slurm-cluster}), a single-node Grid Engine and a private PostgreSQL server (see {@link PostgresBackend}) on
 * this machine, started by the scripts in the repository's
 * {@code test-backends/} folder, each with its own state directory. Each backend starts once per test JVM on
 * first use and stops when the JVM exits.
 *
 * <p>A backend that cannot start makes the calling test skip on a developer machine and fail under
 * {@code CI=true}, where {@code .ci/run} has installed the packages and a missing daemon is a real failure.
 *
 * <p>Script contract: {@code test-backends/<name>.sh start <state-dir>} starts the daemon (idempotent) and writes
 * {@code <state-dir>/<name>.env} with {@code KEY=VALUE} lines; it exits 3 when the software is not installed, any
 * other non-zero status when it is installed but does not work. {@code <name>.sh stop <state-dir>} stops it
 * (cancelling all jobs first) and always exits 0.
 */
public final class TestBackends {

    /** Where the scripts are; set by the parent pom for every module's tests. */
    public static final String SCRIPTS_PROPERTY = "pilotflow.testBackends";

    private static final Map<String, Map<String, String>> STARTED = new ConcurrentHashMap<>();

    private TestBackends() {
    }

    /** True when running under CI ({@code CI=true}): a missing backend fails instead of skipping. */
    public static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Starts the backend {@code name} ({@code sshd}, {@code slurm}, {@code slurm-cluster}, {@code sge},
     * {@code postgres}) unless it runs
     * already, and returns the values its script wrote (see the class comment); skips or fails the calling test
     * when it cannot start.
     */
    public static synchronized Map<String, String> require(String name) {
        Map<String, String> env = STARTED.get(name);
        if (env != null) {
            return env;
        }
        Path scripts = scriptsDir();
        Path script = scripts.resolve(name + ".sh");
        Path state = stateDir(name);
        Result r = runScript(script, "start", state);
        if (r.code != 0) {
            String why = "test backend '" + name + "' is not available: " + script + " start exited with " + r.code
                    + (r.code == 3 ? " (not installed)" : "") + "\n" + r.output;
            if (underCi()) {
                Assertions.fail(why + "\nUnder CI=true every backend must work: .ci/run installs the packages.");
            }
            Assumptions.abort(why);
        }
        env = readEnv(state.resolve(name + ".env"));
        STARTED.put(name, env);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> runScript(script, "stop", state),
                "stop-" + name));
        return env;
    }

    /** The state directory of a backend: {@code $TMPDIR/pilotflow-test-backends/<name>}. */
    public static Path stateDir(String name) {
        return Path.of(System.getProperty("java.io.tmpdir"), "pilotflow-test-backends", name);
    }

    /** The environment a client of {@code name} needs (e.g. {@code SLURM_CONF}), from its env file. */
    public static Map<String, String> clientEnvironment(String name) {
        Map<String, String> all = require(name);
        Map<String, String> out = new LinkedHashMap<>();
        String keys = all.getOrDefault("CLIENT_ENV", "");
        for (String k : keys.split(",")) {
            if (!k.isBlank()) {
                out.put(k, all.get(k));
            }
        }
        return out;
    }

    private static Path scriptsDir() {
        String dir = System.getProperty(SCRIPTS_PROPERTY);
        Path p = dir != null ? Path.of(dir) : Path.of("..", "test-backends");
        if (!Files.isDirectory(p)) {
            Assertions.fail("test backend scripts not found at " + p.toAbsolutePath() + " (system property "
                    + SCRIPTS_PROPERTY + ")");
        }
        return p.toAbsolutePath().normalize();
    }

    private record Result(int code, String output) { }

    private static Result runScript(Path script, String action, Path state) {
        try {
            Files.createDirectories(state);
            Path log = state.resolve(action + ".log");
            Process p = new ProcessBuilder(List.of("/bin/bash", script.toString(), action, state.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(124, "timed out after 300 s; log " + log);
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            return new Result(p.exitValue(), out.length() > 4000 ? out.substring(out.length() - 4000) : out);
        } catch (IOException e) {
            return new Result(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(130, "interrupted");
        }
    }

    private static Map<String, String> readEnv(Path file) {
        Map<String, String> env = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0 && !line.startsWith("#")) {
                    env.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
        } catch (IOException e) {
            Assertions.fail("cannot read " + file + ": " + e);
        }
        return Map.copyOf(env);
    }
}
