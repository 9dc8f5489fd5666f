package org.pilotflow.resource;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.Wire;
import org.pilotflow.resource.config.ChannelMode;
import org.pilotflow.resource.config.InvalidDescriptionException;
import org.pilotflow.resource.config.PathVariables;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceConfigException;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * Prepares a pilot's sandbox on its resource, the same way for every job manager: resolves the sandbox path
 * ({@code $HOME} as the resource sees it) and checks it against {@code valid_roots}, creates it, puts the agent
 * jar there (once per content and host, in the work dir) and makes its class archive beside it (once per jar and
 * Java runtime: {@link AgentClassArchive}), sets up the SSH reverse tunnel when the resource asks for one, runs the
 * launch's {@link SandboxStep} (the pilot's input from the client), and writes {@code agent.json} (mode 0600: it
 * holds the pilot secret). Nothing but the jar, the config and the files the pilot asked for is copied; no
 * credential of the engine's user ever is.
 */
public final class AgentStaging {

    /** The agent's config file in the sandbox. */
    public static final String AGENT_CONFIG = "agent.json";
    /** The agent's log (stdout and stderr) in the sandbox. */
    public static final String AGENT_LOG = "agent.log";
    /**
     * The process id of the agent, in the sandbox, for the adapters that start it as a process ({@code fork},
     * {@code ssh}): one line with the decimal pid, written by the shell that then execs the agent (so before the
     * agent's JVM runs) and replaced atomically; the agent leads the session and process group of its units.
     */
    public static final String AGENT_PID = "agent.pid";

    /**
     * A staged pilot.
     *
     * @param sandbox   the absolute sandbox on the resource
     * @param agentArgv the command that starts the agent there (for a job script: quote it with ShellQuote)
     */
    public record Staged(String sandbox, List<String> agentArgv) {
        public Staged {
            agentArgv = List.copyOf(agentArgv);
        }

        public String file(String name) {
            return sandbox + "/" + name;
        }
    }

    private AgentStaging() {
    }

    /**
     * Java runtimes already found good, {@code target|java} to the runtime's identity ({@link #checkJava}; it names the
     * agent's class archive): checked once per host and path.
     */
    private static final Map<String, String> CHECKED_JAVA = new ConcurrentHashMap<>();
    private static final Pattern JAVA_VERSION = Pattern.compile("version \"(\\d+)(?:[.\"_-])");
    static final int MIN_JAVA = 17;

    /** Stages the pilot of {@code launch} through {@code shell}. */
    public static Staged stage(ResourceShell shell, PilotLaunch launch) throws ResourceException {
        ResourceConfig rc = launch.resource();
        String javaId = checkJava(shell, launch.java(), rc.label());
        String sandbox = sandbox(shell, launch);
        shell.mkdirs(sandbox);
        String workdir = resolve(shell, rc.defaultRemoteWorkdir(), rc, "default_remote_workdir");
        String jar = jarPath(workdir);
        boolean jarWritten = putJar(shell, workdir, jar);
        List<String> roots = validRoots(shell, rc);
        launch.beforeAgent().run(shell, sandbox, roots);
        AgentConfig agent = launch.agent().withSandbox(sandbox).withValidRoots(roots);
        if (rc.channelMode() == ChannelMode.SSH_TUNNEL) {
            // only the tunnel's near end reaches the engine from there: no other node, nor any list the engine
            // sends later, would work
            int port = shell.reverseForward(launch.enginePort());
            agent = agent.withEndpoints(List.of(rewritePort(agent.endpoint(), port)), true);
        }
        byte[] json;
        try {
            json = Wire.mapper().writeValueAsBytes(agent);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ResourceException("cannot write the agent config of " + launch.pilotId() + ": " + e, e);
        }
        String config = sandbox + "/" + AGENT_CONFIG;
        shell.write(config, json, 0600);
        List<String> options = new ArrayList<>(List.of("-Djdk.lang.Process.launchMechanism=VFORK",
                "-XX:+UseSerialGC", "-Xss512k", "-XX:TieredStopAtLevel=1"));
        options.addAll(rc.agentJvmArgs());
        List<String> argv = new ArrayList<>();
        argv.add(launch.java());
        argv.addAll(options);
        argv.addAll(AgentClassArchive.jvmArgs(shell, launch.java(), javaId, jar, workdir, options, jarWritten));
        argv.add("-jar");
        argv.add(jar);
        argv.add(config);
        return new Staged(sandbox, argv);
    }

    /**
     * The agent jar of this engine's version on the resource (in {@code default_remote_workdir}, named by its
     * content's digest), put there first if missing: what starts agents, and what the engine runs there for a
     * TARBALL from or to the client ({@code org.pilotflow.model.archive.TarballTool}).
     */
    public static String agentJar(ResourceShell shell, ResourceConfig rc) throws ResourceException {
        String workdir = resolve(shell, rc.defaultRemoteWorkdir(), rc, "default_remote_workdir");
        String jar = jarPath(workdir);
        putJar(shell, workdir, jar);
        return jar;
    }

    private static String jarPath(String workdir) throws ResourceException {
        return workdir + "/pilotflow-agent-" + AgentBundle.digest() + ".jar";
    }

    /** Puts the jar there unless it is; true when it was written now. */
    private static boolean putJar(ResourceShell shell, String workdir, String jar) throws ResourceException {
        if (shell.exists(jar)) {
            return false;
        }
        shell.mkdirs(workdir);
        shell.write(jar, AgentBundle.content(), 0644);
        return true;
    }

    /**
     * Fails early, naming the host and the config key, when the resource has no usable Java: the agent is all a
     * resource needs, and without this check the pilot would only fail later, with an agent.log that says
     * "java: not found".
     *
     * @return the runtime's identity: a digest of what {@code java -version} said, or {@link #ownJavaId}
     */
    static String checkJava(ResourceShell shell, String java, String label) throws ResourceException {
        String key = shell.target() + "|" + java;
        String known = CHECKED_JAVA.get(key);
        if (known != null) {
            return known;
        }
        String own = ownJavaId(shell, java, System.getenv("PATH"));
        if (own != null) {
            CHECKED_JAVA.put(key, own);
            return own;
        }
        CommandResult r;
        try {
            r = shell.run(List.of(java, "-version"), Map.of(), Duration.ofSeconds(60));
        } catch (ResourceException e) {
            if (shell instanceof LocalShell) { // ProcessBuilder fails to start a missing program
                throw new ResourceException(noJava(shell, java, label, e.getMessage()), e);
            }
            throw e;
        }
        if (!r.ok()) {
            throw new ResourceException(noJava(shell, java, label, r.describe()));
        }
        Matcher m = JAVA_VERSION.matcher(r.stderr() + r.stdout());
        if (m.find() && Integer.parseInt(m.group(1)) < MIN_JAVA) {
            throw new ResourceException("the Java runtime '" + java + "' on " + shell.target() + " is version "
                    + m.group(1) + "; the PilotFlow agent needs " + MIN_JAVA + " or later (set agent_java of "
                    + label + " to a newer one)");
        }
        String id = digest(r.stderr() + r.stdout());
        CHECKED_JAVA.put(key, id);
        return id;
    }

    /**
     * The identity of this engine's own Java runtime when {@code java} on this host is it, else null. It needs no
     * {@code java -version} (0.15-0.25 s of an engine's first pilot on this host): it runs this engine, so it is new
     * enough, and its system properties name its build. "This host" is where the shell runs commands: for a batch
     * system submitted to from here, the submit host, as for the probe it replaces (compute nodes are not asked
     * either). A runtime replaced in place while the engine runs keeps the old identity until the engine restarts;
     * an agent then finds the class archive does not fit and starts without it, as {@link AgentClassArchive} says.
     *
     * @param path the search path a bare {@code java} is looked up in: {@link ProcessBuilder} looks it up
     *             in the engine's own, whatever the child's environment
     */
    static String ownJavaId(ResourceShell shell, String java, String path) {
        if (!(shell instanceof LocalShell)) {
            return null;
        }
        Path program = onPath(java, path);
        Path own = Path.of(System.getProperty("java.home"), "bin", "java");
        try {
            if (program == null || !Files.isSameFile(program, own)) { // both through their links
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        StringBuilder id = new StringBuilder("this engine's Java:");
        for (String p : List.of("java.home", "java.vm.vendor", "java.vm.name", "java.vm.version",
                "java.runtime.version", "os.arch")) {
            id.append(' ').append(p).append('=').append(System.getProperty(p));
        }
        return digest(id.toString());
    }

    /** Where {@code program} is: itself when absolute, the first executable of that name on {@code path}, or null. */
    private static Path onPath(String program, String path) {
        if (program.startsWith("/")) {
            return Path.of(program);
        }
        if (program.contains("/") || path == null) {
            return null; // relative to a working directory: leave it to the probe
        }
        for (String dir : path.split(":", -1)) {
            if (!dir.startsWith("/")) {
                return null; // an empty or relative entry is the child's working directory: leave it to the probe
            }
            Path p = Path.of(dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** The first 12 hex digits of the text's SHA-256. */
    private static String digest(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static String noJava(ResourceShell shell, String java, String label, String detail) {
        return "no Java runtime '" + java + "' on " + shell.target() + " (" + detail + "); the PilotFlow agent "
                + "needs Java " + MIN_JAVA + "+ there and nothing else: install one or set agent_java of " + label
                + " to its path";
    }

    /**
     * The sandbox as an absolute path on the resource ({@code $HOME} and friends as the resource sees them),
     * checked against valid_roots if the description gave it: what {@link #stage} uses, so an adapter that looks
     * for an earlier launch's job ({@link ResourceAdapter#find}) finds the same sandbox without staging.
     */
    public static String sandbox(ResourceShell shell, PilotLaunch launch) throws ResourceException {
        ResourceConfig rc = launch.resource();
        Map<String, String> vars = variablesFor(shell, rc, launch.sandbox());
        Optional<Path> expanded = PathVariables.expand(launch.sandbox(), vars);
        if (expanded.isEmpty()) {
            throw new ResourceException("sandbox " + launch.sandbox() + " of " + launch.pilotId() + " uses $"
                    + PathVariables.variable(launch.sandbox()).orElse("?") + ", which is not defined on "
                    + shell.target());
        }
        if (!launch.sandboxGiven()) {
            return expanded.get().normalize().toString();
        }
        try {
            return rc.checkSandbox(expanded.get(), vars).toString();
        } catch (InvalidDescriptionException | ResourceConfigException e) {
            throw new ResourceException("sandbox " + launch.sandbox() + " is not allowed on " + shell.target()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * The valid roots as the resource sees them, for staging (the agent's and the Data API's), which may read under
     * them.
     */
    public static List<String> validRoots(ResourceShell shell, ResourceConfig rc) throws ResourceException {
        try {
            return rc.resolvedValidRoots(variablesFor(shell, rc, rc.defaultRemoteWorkdir())).stream()
                    .map(Path::toString).toList();
        } catch (ResourceConfigException e) {
            throw new ResourceException(rc.label() + " valid_roots cannot be resolved on " + shell.target() + ": "
                    + e.getMessage(), e);
        }
    }

    private static String resolve(ResourceShell shell, String path, ResourceConfig rc, String key)
            throws ResourceException {
        Map<String, String> vars = variablesFor(shell, rc, path);
        return PathVariables.expand(path, vars).map(p -> p.normalize().toString()).orElseThrow(() ->
                new ResourceException(rc.label() + " " + key + " " + path + " uses a variable that is not defined on "
                        + shell.target()));
    }

    /** The values, on the resource, of the variables the path and the valid roots use. */
    private static Map<String, String> variablesFor(ResourceShell shell, ResourceConfig rc, String path)
            throws ResourceException {
        Set<String> names = new TreeSet<>();
        PathVariables.variable(path).ifPresent(names::add);
        PathVariables.variable(rc.defaultRemoteWorkdir()).ifPresent(names::add);
        rc.validRoots().forEach(r -> PathVariables.variable(r).ifPresent(names::add));
        return names.isEmpty() ? Map.of() : shell.variables(List.copyOf(names));
    }

    /** {@code http://host:port/path} with host 127.0.0.1 and another port: the near end of the tunnel. */
    static String rewritePort(String endpoint, int port) {
        URI u = URI.create(endpoint);
        return u.getScheme() + "://127.0.0.1:" + port + (u.getRawPath() == null ? "" : u.getRawPath());
    }
}
