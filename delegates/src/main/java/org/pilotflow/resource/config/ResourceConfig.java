package org.pilotflow.resource.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One resource entry, {@code <site>.<machine>}, in RADICAL-Pilot's shape. Immutable; validated completely when
 * built ({@link Builder#build()} throws {@link ResourceConfigException} naming the key, the value and what was
 * expected). Accessors return the defaults for keys that were not given.
 *
 * <h2>Keys and defaults</h2>
 * <table>
 * <caption>keys</caption>
 * <tr><th>JSON key</th><th>accessor</th><th>default</th></tr>
 * <tr><td>schemas</td><td>{@link #schemas()}</td><td>required, non-empty</td></tr>
 * <tr><td>default_schema</td><td>{@link #defaultSchema()}</td><td>the first schema</td></tr>
 * <tr><td>cores_per_node</td><td>{@link #coresPerNode()}</td><td>required; integer &gt; 0 or {@code "auto"}
 *     ({@link Runtime#availableProcessors()} of this JVM when the entry is loaded)</td></tr>
 * <tr><td>gpus_per_node</td><td>{@link #gpusPerNode()}</td><td>0</td></tr>
 * <tr><td>max_nodes</td><td>{@link #maxNodes()}</td><td>1 for {@code fork://} and {@code ssh://} (one host);
 *     no limit for batch systems; an integer &gt; 0: the most nodes one pilot may ask for</td></tr>
 * <tr><td>max_runtime</td><td>{@link #maxRuntime()}</td><td>no limit; seconds &gt; 0: the longest runtime a pilot
 *     may ask for (the queue's wall-time limit)</td></tr>
 * <tr><td>queues</td><td>{@link #queues()}</td><td>none; an object of queue name -&gt; {@code {"max_nodes": n,
 *     "max_runtime": seconds}}: per-queue limits, and when given, the only queues a pilot may name</td></tr>
 * <tr><td>default_remote_workdir</td><td>{@link #defaultRemoteWorkdir()}</td>
 *     <td>{@value #DEFAULT_REMOTE_WORKDIR}</td></tr>
 * <tr><td>valid_roots</td><td>{@link #validRoots()}</td><td>{@code [default_remote_workdir]}</td></tr>
 * <tr><td>mandatory_args</td><td>{@link #mandatoryArgs()}</td><td>none; from {@link #MANDATORY_ARG_NAMES}</td></tr>
 * <tr><td>default_queue</td><td>{@link #defaultQueue()}</td><td>none</td></tr>
 * <tr><td>launch_methods</td><td>{@link #launchMethods()}</td><td>order {@code [FORK]}</td></tr>
 * <tr><td>agent_java</td><td>{@link #agentJava()}</td><td>{@code java}</td></tr>
 * <tr><td>agent_jvm_args</td><td>{@link #agentJvmArgs()}</td><td>none</td></tr>
 * <tr><td>pre_bootstrap</td><td>{@link #preBootstrap()}</td><td>none</td></tr>
 * <tr><td>heartbeat_interval, heartbeat_timeout</td><td>{@link #heartbeatInterval()},
 *     {@link #heartbeatTimeout()}</td><td>none (the engine's defaults); seconds &gt; 0, timeout &gt; interval</td></tr>
 * <tr><td>channel.mode</td><td>{@link #channelMode()}</td><td>{@code direct}</td></tr>
 * <tr><td>host_key_checking</td><td>{@link #hostKeyChecking()}</td><td>{@code true}</td></tr>
 * <tr><td>job_manager_environment</td><td>{@link #jobManagerEnvironment()}</td><td>none; an object of variable
 *     name ({@code [A-Za-z_][A-Za-z0-9_]*}) -&gt; string, set for every job-manager command (sbatch, squeue, qsub,
 *     ...), e.g. {@code {"SLURM_CONF": "/opt/slurm/etc/slurm.conf"}} or {@code {"SGE_ROOT": ..., "SGE_CELL": ...}}.
 *     Not passed to the job itself, and never logged (only the names are)</td></tr>
 * <tr><td>the keys of the installed batch systems, e.g. {@code sge_parallel_environment}</td>
 *     <td>{@link #batchSystemKey}</td><td>each key's own default ({@link BatchSystemInfo#configKeys()}); a string
 *     the key's pattern accepts</td></tr>
 * <tr><td>description, notes</td><td>{@link #description()}, {@link #notes()}</td><td>empty</td></tr>
 * </table>
 *
 * <h2>Paths and variables</h2>
 * {@code valid_roots} entries and {@code default_remote_workdir} are absolute paths or start with one variable
 * ({@code $HOME/x}, {@code ${WORK}}). For a <em>local</em> resource (the default schema's job manager has
 * {@link Access#LOCAL} access) variables are expanded when the entry is built: {@code $HOME} is
 * {@code user.home}, {@code $TMPDIR} is {@code java.io.tmpdir}, any other from the environment; an undefined one
 * is an error then. For a remote resource they stay as written, and the methods that need paths take the remote
 * environment ({@code Map} of variable to value, e.g. {@code HOME -> /home/u}) from the caller.
 *
 * <h2>Description checks</h2>
 * {@link #checkSandbox}, {@link #checkMandatoryArgs}, {@link #schema(String)} and {@link #defaultSandbox} throw
 * {@link InvalidDescriptionException} (field, value, expected) on bad description values.
 */
public final class ResourceConfig {

    /** Default {@code default_remote_workdir}. */
    public static final String DEFAULT_REMOTE_WORKDIR = "$HOME/.pilotflow/sandboxes";
    /** Default {@code agent_java}. */
    public static final String DEFAULT_AGENT_JAVA = "java";
    /**
     * Default {@code sge_parallel_environment}.
     *
     * @deprecated the key is Grid Engine's: {@code GridEngine.PARALLEL_ENVIRONMENT.defaultValue()}
     */
    @Deprecated
    public static final String DEFAULT_SGE_PARALLEL_ENVIRONMENT = "smp";
    /** The Grid Engine key the deprecated {@code sgeParallelEnvironment} methods read and write. */
    private static final String SGE_PARALLEL_ENVIRONMENT_KEY = "sge_parallel_environment";
    /** The description fields {@code mandatory_args} may name. */
    public static final List<String> MANDATORY_ARG_NAMES = List.of("project", "queue", "memory", "gpus", "sandbox");

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
    static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*\\.[A-Za-z0-9][A-Za-z0-9_-]*");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern PILOT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    static final String EXPECTED_LABEL = "<site>.<machine>, each of letters, digits, '_' and '-'";
    static final String EXPECTED_CORES = "an integer > 0 or \"auto\"";
    static final String EXPECTED_GPUS = "an integer >= 0";
    static final String EXPECTED_PATH = "an absolute path, or one starting with a variable such as $HOME";
    static final String EXPECTED_ROOTS = "a non-empty list of absolute paths (each may start with a variable "
            + "such as $HOME or $TMPDIR)";
    static final String EXPECTED_SECONDS = "a number of seconds > 0";
    static final String EXPECTED_NON_BLANK = "a non-empty string";
    static final String EXPECTED_ENV = "an object of environment variable name -> string";
    static final String EXPECTED_ENV_NAME = "an environment variable name: a letter or '_', then letters, digits "
            + "and '_'";
    static final String EXPECTED_ENV_VALUE = "a string without NUL characters";

    private final String label;
    private final String description;
    private final String notes;
    private final Map<String, ResourceSchema> schemas;
    private final String defaultSchema;
    private final boolean defaultSchemaGiven;
    private final String defaultQueue;
    private final int coresPerNode;
    private final boolean coresPerNodeAuto;
    private final int gpusPerNode;
    private final Integer maxNodes;
    private final Duration maxRuntime;
    private final Map<String, QueueLimits> queues;
    private final List<String> validRoots;
    private final boolean validRootsGiven;
    private final List<String> mandatoryArgs;
    private final String defaultRemoteWorkdir;
    private final LaunchMethods launchMethods;
    private final String agentJava;
    private final List<String> agentJvmArgs;
    private final List<String> preBootstrap;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;
    private final ChannelMode channelMode;
    private final boolean hostKeyChecking;
    private final Map<String, String> jobManagerEnvironment;
    /** Values given for batch systems' keys ({@link BatchSystemCatalog#configKeys()}), by key. */
    private final Map<String, String> batchSystemKeys;
    /** For local resources: the values of the variables the paths use, captured when built. */
    private final Map<String, String> localVariables;

    private ResourceConfig(Builder b, Map<String, ResourceSchema> schemas, String defaultSchema, int cores,
                           String workdir, List<String> validRoots, Map<String, String> localVariables) {
        this.label = b.label;
        this.description = b.description;
        this.notes = b.notes;
        this.schemas = schemas;
        this.defaultSchema = defaultSchema;
        this.defaultSchemaGiven = b.defaultSchema != null;
        this.defaultQueue = b.defaultQueue;
        this.coresPerNode = cores;
        this.coresPerNodeAuto = b.coresPerNodeAuto;
        this.gpusPerNode = b.gpusPerNode;
        this.maxNodes = b.maxNodes;
        this.maxRuntime = b.maxRuntime;
        this.queues = Collections.unmodifiableMap(new LinkedHashMap<>(b.queues));
        this.validRoots = validRoots;
        this.validRootsGiven = b.validRoots != null;
        this.mandatoryArgs = List.copyOf(new LinkedHashSet<>(b.mandatoryArgs));
        this.defaultRemoteWorkdir = workdir;
        this.launchMethods = b.launchMethods;
        this.agentJava = b.agentJava;
        this.agentJvmArgs = List.copyOf(b.agentJvmArgs);
        this.preBootstrap = List.copyOf(b.preBootstrap);
        this.heartbeatInterval = b.heartbeatInterval;
        this.heartbeatTimeout = b.heartbeatTimeout;
        this.channelMode = b.channelMode;
        this.hostKeyChecking = b.hostKeyChecking;
        this.jobManagerEnvironment = Collections.unmodifiableMap(new LinkedHashMap<>(b.jobManagerEnvironment));
        this.batchSystemKeys = Collections.unmodifiableMap(new LinkedHashMap<>(b.batchSystemKeys));
        this.localVariables = Map.copyOf(localVariables);
    }

    /** A builder for the entry {@code label} ({@code <site>.<machine>}). */
    public static Builder builder(String label) {
        return new Builder(label);
    }

    /** A builder holding this entry's values as given (defaults stay defaults, {@code "auto"} stays auto). */
    public Builder toBuilder() {
        Builder b = new Builder(label);
        b.description = description;
        b.notes = notes;
        schemas.values().forEach(s -> b.schema(s.name(), s.jobManagerEndpoint().uri(), s.filesystemEndpoint().uri()));
        b.defaultSchema = defaultSchemaGiven ? defaultSchema : null;
        b.defaultQueue = defaultQueue;
        if (coresPerNodeAuto) {
            b.coresPerNodeAuto();
        } else {
            b.coresPerNode(coresPerNode);
        }
        b.gpusPerNode = gpusPerNode;
        b.maxNodes = maxNodes;
        b.maxRuntime = maxRuntime;
        b.queues = queues;
        b.validRoots = validRootsGiven ? validRoots : null;
        b.mandatoryArgs = mandatoryArgs;
        b.defaultRemoteWorkdir = defaultRemoteWorkdir;
        b.launchMethods = launchMethods;
        b.agentJava = agentJava;
        b.agentJvmArgs = agentJvmArgs;
        b.preBootstrap = preBootstrap;
        b.heartbeatInterval = heartbeatInterval;
        b.heartbeatTimeout = heartbeatTimeout;
        b.channelMode = channelMode;
        b.hostKeyChecking = hostKeyChecking;
        b.jobManagerEnvironment = jobManagerEnvironment;
        b.batchSystemKeys = new LinkedHashMap<>(batchSystemKeys);
        return b;
    }

    /** A copy under another label. */
    public ResourceConfig withLabel(String newLabel) {
        Builder b = toBuilder();
        b.label = newLabel;
        return b.build();
    }

    // ---------------------------------------------------------------------------------------------- accessors

    /** {@code <site>.<machine>}. */
    public String label() { return label; }

    public String description() { return description; }

    public String notes() { return notes; }

    /** The schemas in the order given; the first is the default unless {@code default_schema} says otherwise. */
    public Map<String, ResourceSchema> schemas() { return schemas; }

    /** The name of the default schema. */
    public String defaultSchema() { return defaultSchema; }

    /** The default schema. */
    public ResourceSchema schema() { return schemas.get(defaultSchema); }

    /**
     * The schema a description names ({@code access_schema}); {@code null} means the default.
     *
     * @throws InvalidDescriptionException field {@code access_schema}, when there is no such schema
     */
    public ResourceSchema schema(String name) {
        if (name == null) {
            return schema();
        }
        ResourceSchema s = schemas.get(name);
        if (s == null) {
            throw new InvalidDescriptionException("access_schema", name,
                    "one of the schemas of " + label + " " + schemas.keySet());
        }
        return s;
    }

    /** The default schema's job manager endpoint. */
    public JobManagerEndpoint jobManagerEndpoint() { return schema().jobManagerEndpoint(); }

    /** The default schema's filesystem endpoint. */
    public FilesystemEndpoint filesystemEndpoint() { return schema().filesystemEndpoint(); }

    /** True when the default schema's job manager runs on this machine. */
    public boolean isLocal() { return schema().access() == Access.LOCAL; }

    public Optional<String> defaultQueue() { return Optional.ofNullable(defaultQueue); }

    /** Cores per node; for {@code "auto"}, {@link Runtime#availableProcessors()} when the entry was built. */
    public int coresPerNode() { return coresPerNode; }

    /** True if {@code cores_per_node} was {@code "auto"}. */
    public boolean coresPerNodeAuto() { return coresPerNodeAuto; }

    public int gpusPerNode() { return gpusPerNode; }

    /**
     * The most nodes one pilot may hold: {@code max_nodes} when given, else 1 where the default schema's job
     * manager starts a plain process on one host ({@code fork://}, {@code ssh://}), else no limit (empty).
     */
    public java.util.OptionalInt maxNodes() {
        if (maxNodes != null) {
            return java.util.OptionalInt.of(maxNodes);
        }
        return jobManagerEndpoint().type().equals(JobManagerType.FORK) ? java.util.OptionalInt.of(1)
                : java.util.OptionalInt.empty();
    }

    /** The longest runtime a pilot may ask for ({@code max_runtime}), if the site set one. */
    public Optional<Duration> maxRuntime() { return Optional.ofNullable(maxRuntime); }

    /** Per-queue limits by queue name; empty when the site lists none (then any queue name is passed on). */
    public Map<String, QueueLimits> queues() { return queues; }

    /** The most nodes a pilot in {@code queue} (null: the default queue) may hold: the queue's, else the resource's. */
    public java.util.OptionalInt maxNodes(String queue) {
        return maxNodes(queue, null);
    }

    /**
     * As {@link #maxNodes(String)}, for a pilot using the schema {@code schemaName} (null: the default one): where
     * no limit is set, one node if that schema's job manager starts a plain process on one host.
     */
    public java.util.OptionalInt maxNodes(String queue, String schemaName) {
        QueueLimits q = queue == null ? null : queues.get(queue);
        if (q != null && q.maxNodes() != null) {
            return q.nodes();
        }
        if (maxNodes != null) {
            return java.util.OptionalInt.of(maxNodes);
        }
        return schema(schemaName).jobManagerEndpoint().type().equals(JobManagerType.FORK) ? java.util.OptionalInt.of(1)
                : java.util.OptionalInt.empty();
    }

    /** The longest runtime a pilot in {@code queue} may ask for: the queue's, else the resource's. */
    public Optional<Duration> maxRuntime(String queue) {
        QueueLimits q = queue == null ? null : queues.get(queue);
        return q != null && q.maxRuntime() != null ? q.runtime() : maxRuntime();
    }

    /**
     * The valid roots: as written for a remote resource, variables expanded and normalized for a local one;
     * {@code [default_remote_workdir]} when not given.
     */
    public List<String> validRoots() { return validRoots; }

    /** The description fields that must be given for this resource, a subset of {@link #MANDATORY_ARG_NAMES}. */
    public List<String> mandatoryArgs() { return mandatoryArgs; }

    /** As written for a remote resource; variables expanded and normalized for a local one. */
    public String defaultRemoteWorkdir() { return defaultRemoteWorkdir; }

    public LaunchMethods launchMethods() { return launchMethods; }

    /** The java executable on the resource. */
    public String agentJava() { return agentJava; }

    public List<String> agentJvmArgs() { return agentJvmArgs; }

    /** Shell lines run before the agent starts, in order. */
    public List<String> preBootstrap() { return preBootstrap; }

    public Optional<Duration> heartbeatInterval() { return Optional.ofNullable(heartbeatInterval); }

    public Optional<Duration> heartbeatTimeout() { return Optional.ofNullable(heartbeatTimeout); }

    public ChannelMode channelMode() { return channelMode; }

    /** Whether SSH verifies host keys against known_hosts. */
    public boolean hostKeyChecking() { return hostKeyChecking; }

    /**
     * Environment variables for every job-manager command (sbatch, squeue, qsub, qstat, ...), in the order given;
     * empty when not configured. May hold site paths; only the names are ever logged.
     */
    public Map<String, String> jobManagerEnvironment() { return jobManagerEnvironment; }

    /** The value of a batch system's key: as given in the entry, else the key's default. */
    public String batchSystemKey(BatchSystemInfo.ConfigKey key) {
        return batchSystemKeys.getOrDefault(key.name(), key.defaultValue());
    }

    /**
     * The Grid Engine parallel environment a pilot's cores are requested in ({@code qsub -pe <name> <cores>}).
     *
     * @deprecated read the key as the other batch systems' are: {@code batchSystemKey(GridEngine.PARALLEL_ENVIRONMENT)}
     */
    @Deprecated
    public String sgeParallelEnvironment() {
        return batchSystemKeys.getOrDefault(SGE_PARALLEL_ENVIRONMENT_KEY, DEFAULT_SGE_PARALLEL_ENVIRONMENT);
    }

    /** The batch-system keys the entry gives (not the defaults), in the order given. */
    public Map<String, String> batchSystemKeys() { return batchSystemKeys; }

    // ------------------------------------------------------------------------------------ description checks

    /** {@link #resolvedValidRoots(Map)} with no remote variables (enough for local resources). */
    public List<Path> resolvedValidRoots() {
        return resolvedValidRoots(Map.of());
    }

    /**
     * The valid roots as normalized absolute paths.
     *
     * @param variables the resource's environment (e.g. {@code HOME}) for a remote resource; ignored for names
     *                  already expanded when a local entry was built
     * @throws ResourceConfigException key {@code <label>/valid_roots/<i>}, when a root uses a variable that
     *                                 {@code variables} does not define
     */
    public List<Path> resolvedValidRoots(Map<String, String> variables) {
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < validRoots.size(); i++) {
            out.add(resolve(validRoots.get(i), "valid_roots/" + i, variables));
        }
        return List.copyOf(out);
    }

    /** {@link #checkSandbox(Path, Map)} with no remote variables (enough for local resources). */
    public Path checkSandbox(Path sandbox) {
        return checkSandbox(sandbox, Map.of());
    }

    /**
     * Checks a description's sandbox: it must be absolute and, after normalizing ({@code ..} resolved), lie
     * strictly below one of the valid roots (a root itself is not a valid sandbox). For a local resource, symbolic
     * links in the existing part of the path and of the roots are resolved too, so a link cannot lead out.
     *
     * @return the normalized sandbox, which the caller must use from then on
     * @throws InvalidDescriptionException field {@code sandbox}, naming the value and the valid roots
     * @throws ResourceConfigException     when the sandbox is under none of the resolvable roots and another
     *                                     root needs a variable {@code variables} does not define
     */
    public Path checkSandbox(Path sandbox, Map<String, String> variables) {
        Map<String, String> vars = new HashMap<>(localVariables);
        vars.putAll(variables);
        List<Path> roots = new ArrayList<>();
        int unresolved = -1;
        for (int i = 0; i < validRoots.size(); i++) {
            Optional<Path> r = PathVariables.expand(validRoots.get(i), vars);
            if (r.isPresent()) {
                roots.add(r.get());
            } else if (unresolved < 0) {
                unresolved = i;
            }
        }
        String expected = "an absolute path below one of the valid_roots of " + label + " "
                + (unresolved < 0 ? roots : validRoots);
        if (sandbox == null) {
            throw new InvalidDescriptionException("sandbox", null, expected);
        }
        if (!sandbox.isAbsolute()) {
            throw new InvalidDescriptionException("sandbox", sandbox.toString(), expected);
        }
        Path normalized = sandbox.normalize();
        Path checked = isLocal() ? realPath(normalized) : normalized;
        for (Path root : roots) {
            Path r = isLocal() ? realPath(root) : root;
            if (checked.startsWith(r) && !checked.equals(r)) {
                return normalized;
            }
        }
        if (unresolved >= 0) { // it might lie under the root we cannot resolve: say what is needed
            resolve(validRoots.get(unresolved), "valid_roots/" + unresolved, variables);
        }
        throw new InvalidDescriptionException("sandbox", sandbox.toString(), expected);
    }

    /** {@link #defaultSandbox(String, Map)} with no remote variables (enough for local resources). */
    public Path defaultSandbox(String pilotId) {
        return defaultSandbox(pilotId, Map.of());
    }

    /**
     * The sandbox of a pilot whose description gives none: {@code <default_remote_workdir>/<pilotId>}, e.g.
     * {@code /home/u/.pilotflow/sandboxes/pilot.0001} for {@code local.localhost}.
     *
     * @param pilotId letters, digits, '.', '_' and '-', starting with a letter or digit
     * @throws InvalidDescriptionException field {@code pilot_id} for an id that is not a single path segment
     * @throws ResourceConfigException     when the work dir needs a variable {@code variables} does not define
     */
    public Path defaultSandbox(String pilotId, Map<String, String> variables) {
        if (pilotId == null || !PILOT_ID.matcher(pilotId).matches()) {
            throw new InvalidDescriptionException("pilot_id", pilotId,
                    "letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
        return resolve(defaultRemoteWorkdir, "default_remote_workdir", variables).resolve(pilotId);
    }

    /**
     * The {@code mandatory_args} missing from a description, in the order of {@link #mandatoryArgs()}. A field
     * counts as missing when absent, {@code null} or a blank string.
     *
     * @param present the description's fields by name (e.g. {@code project -> "abc123"})
     */
    public List<String> missingMandatoryArgs(Map<String, ?> present) {
        List<String> missing = new ArrayList<>();
        for (String arg : mandatoryArgs) {
            Object v = present.get(arg);
            if (v == null || v instanceof CharSequence cs && cs.toString().isBlank()) {
                missing.add(arg);
            }
        }
        return List.copyOf(missing);
    }

    /**
     * Throws for the first of {@link #missingMandatoryArgs(Map)}.
     *
     * @throws InvalidDescriptionException field = the missing argument, value {@code null}
     */
    public void checkMandatoryArgs(Map<String, ?> present) {
        List<String> missing = missingMandatoryArgs(present);
        if (!missing.isEmpty()) {
            throw new InvalidDescriptionException(missing.get(0), null,
                    "a value: resource " + label + " requires " + mandatoryArgs + " (missing: " + missing + ")");
        }
    }

    private Path resolve(String path, String key, Map<String, String> variables) {
        Map<String, String> vars = new HashMap<>(localVariables);
        vars.putAll(variables);
        return PathVariables.expand(path, vars).orElseThrow(() -> ResourceConfigException.badValue(null,
                label + "/" + key, Json.render(path), "a path whose variable $"
                        + PathVariables.variable(path).orElse("?") + " is given in the resource's environment"));
    }

    /** The real path of the longest existing prefix, joined with the rest. */
    private static Path realPath(Path p) {
        Path existing = p;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return p;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(p)).normalize();
        } catch (IOException e) {
            return p;
        }
    }

    @Override
    public String toString() {
        return "ResourceConfig[" + label + ", schema " + defaultSchema + " " + schema().jobManagerEndpoint()
                + ", cores_per_node=" + coresPerNode + ", gpus_per_node=" + gpusPerNode + "]";
    }

    // ------------------------------------------------------------------------------------------------ builder

    /**
     * Builds a {@link ResourceConfig}; {@link #build()} validates everything and throws
     * {@link ResourceConfigException} (with {@code file() == null}) naming the key, the value and what was
     * expected.
     */
    public static final class Builder {
        private String label;
        private String description = "";
        private String notes = "";
        private final Map<String, String[]> schemas = new LinkedHashMap<>();
        private String defaultSchema;
        private String defaultQueue;
        private Integer coresPerNode;
        private boolean coresPerNodeAuto;
        private int gpusPerNode;
        private Integer maxNodes;
        private Duration maxRuntime;
        private Map<String, QueueLimits> queues = Map.of();
        private List<String> validRoots;
        private List<String> mandatoryArgs = List.of();
        private String defaultRemoteWorkdir = DEFAULT_REMOTE_WORKDIR;
        private LaunchMethods launchMethods = LaunchMethods.DEFAULT;
        private String agentJava = DEFAULT_AGENT_JAVA;
        private List<String> agentJvmArgs = List.of();
        private List<String> preBootstrap = List.of();
        private Duration heartbeatInterval;
        private Duration heartbeatTimeout;
        private ChannelMode channelMode = ChannelMode.DIRECT;
        private boolean hostKeyChecking = true;
        private Map<String, String> jobManagerEnvironment = Map.of();
        private Map<String, String> batchSystemKeys = new LinkedHashMap<>();

        private Builder(String label) {
            this.label = label;
        }

        public Builder description(String v) { this.description = Objects.requireNonNull(v); return this; }

        public Builder notes(String v) { this.notes = Objects.requireNonNull(v); return this; }

        /** Adds (or replaces) a schema; endpoints are parsed by {@link #build()}. */
        public Builder schema(String name, String jobManagerEndpoint, String filesystemEndpoint) {
            schemas.put(Objects.requireNonNull(name), new String[] {jobManagerEndpoint, filesystemEndpoint});
            return this;
        }

        public Builder schema(ResourceSchema s) {
            return schema(s.name(), s.jobManagerEndpoint().uri(), s.filesystemEndpoint().uri());
        }

        /** Removes all schemas (before replacing them). */
        public Builder clearSchemas() { schemas.clear(); return this; }

        /** {@code null}: the first schema. */
        public Builder defaultSchema(String v) { this.defaultSchema = v; return this; }

        /** {@code null}: none. */
        public Builder defaultQueue(String v) { this.defaultQueue = v; return this; }

        public Builder coresPerNode(int v) { this.coresPerNode = v; this.coresPerNodeAuto = false; return this; }

        /** {@code "auto"}: {@link Runtime#availableProcessors()} at build time. */
        public Builder coresPerNodeAuto() { this.coresPerNode = null; this.coresPerNodeAuto = true; return this; }

        public Builder gpusPerNode(int v) { this.gpusPerNode = v; return this; }
        /** The most nodes one pilot may ask for; null for the default (see {@link ResourceConfig#maxNodes()}). */
        public Builder maxNodes(Integer v) { this.maxNodes = v; return this; }
        /** The longest runtime a pilot may ask for; null for no limit. */
        public Builder maxRuntime(Duration v) { this.maxRuntime = v; return this; }
        /** Per-queue limits by queue name. */
        public Builder queues(Map<String, QueueLimits> v) { this.queues = v == null ? Map.of() : v; return this; }

        /** {@code null}: {@code [default_remote_workdir]}. */
        public Builder validRoots(List<String> v) { this.validRoots = v == null ? null : List.copyOf(v); return this; }

        public Builder mandatoryArgs(List<String> v) { this.mandatoryArgs = List.copyOf(v); return this; }

        public Builder defaultRemoteWorkdir(String v) { this.defaultRemoteWorkdir = v; return this; }

        public Builder launchMethods(LaunchMethods v) { this.launchMethods = Objects.requireNonNull(v); return this; }

        public Builder agentJava(String v) { this.agentJava = v; return this; }

        public Builder agentJvmArgs(List<String> v) { this.agentJvmArgs = List.copyOf(v); return this; }

        public Builder preBootstrap(List<String> v) { this.preBootstrap = List.copyOf(v); return this; }

        /** {@code null}: the engine's default. */
        public Builder heartbeatInterval(Duration v) { this.heartbeatInterval = v; return this; }

        /** {@code null}: the engine's default. */
        public Builder heartbeatTimeout(Duration v) { this.heartbeatTimeout = v; return this; }

        public Builder channelMode(ChannelMode v) { this.channelMode = Objects.requireNonNull(v); return this; }

        public Builder hostKeyChecking(boolean v) { this.hostKeyChecking = v; return this; }

        /** Replaces the job-manager environment (names and values are checked by {@link #build()}). */
        public Builder jobManagerEnvironment(Map<String, String> v) {
            this.jobManagerEnvironment = new LinkedHashMap<>(Objects.requireNonNull(v));
            return this;
        }

        /** Sets a key an installed batch system declares, e.g. {@code sge_parallel_environment} (checked by build). */
        public Builder batchSystemKey(String key, String value) {
            this.batchSystemKeys.put(Objects.requireNonNull(key, "key"), value);
            return this;
        }

        /**
         * Sets {@code sge_parallel_environment}.
         *
         * @deprecated {@code batchSystemKey("sge_parallel_environment", v)}
         */
        @Deprecated
        public Builder sgeParallelEnvironment(String v) {
            return batchSystemKey(SGE_PARALLEL_ENVIRONMENT_KEY, v);
        }

        /** Validates and builds. */
        public ResourceConfig build() {
            if (label == null || !LABEL.matcher(label).matches()) {
                throw ResourceConfigException.badValue(null, "label", Json.render(label), EXPECTED_LABEL);
            }
            String k = label + "/";
            if (schemas.isEmpty()) {
                throw ResourceConfigException.missing(null, k + "schemas",
                        "an object of schema name -> {\"job_manager_endpoint\", \"filesystem_endpoint\"}");
            }
            Map<String, ResourceSchema> parsed = new LinkedHashMap<>();
            for (Map.Entry<String, String[]> e : schemas.entrySet()) {
                String name = e.getKey();
                String sk = k + "schemas/" + name;
                if (!NAME.matcher(name).matches()) {
                    throw ResourceConfigException.badValue(null, sk, Json.render(name),
                            "a schema name of letters, digits, '_' and '-'");
                }
                JobManagerEndpoint jm = endpoint(sk + "/job_manager_endpoint", e.getValue()[0],
                        JobManagerEndpoint.expected(), JobManagerEndpoint::parse);
                FilesystemEndpoint fs = endpoint(sk + "/filesystem_endpoint", e.getValue()[1],
                        FilesystemEndpoint.EXPECTED, FilesystemEndpoint::parse);
                if (jm.access() != fs.access()) {
                    throw ResourceConfigException.badValue(null, sk + "/filesystem_endpoint", Json.render(fs.uri()),
                            (jm.access() == Access.LOCAL ? "file://localhost/" : "sftp://" + jm.host() + "/")
                                    + " as job_manager_endpoint " + jm.uri() + " has " + jm.access()
                                    + " access");
                }
                parsed.put(name, new ResourceSchema(name, jm, fs));
            }
            String defSchema = defaultSchema != null ? defaultSchema : parsed.keySet().iterator().next();
            if (!parsed.containsKey(defSchema)) {
                throw ResourceConfigException.badValue(null, k + "default_schema", Json.render(defSchema),
                        "one of the schemas " + parsed.keySet());
            }
            int cores;
            if (coresPerNodeAuto) {
                cores = Runtime.getRuntime().availableProcessors();
            } else if (coresPerNode == null) {
                throw ResourceConfigException.missing(null, k + "cores_per_node", EXPECTED_CORES);
            } else if (coresPerNode <= 0) {
                throw ResourceConfigException.badValue(null, k + "cores_per_node", Json.render(coresPerNode),
                        EXPECTED_CORES);
            } else {
                cores = coresPerNode;
            }
            if (gpusPerNode < 0) {
                throw ResourceConfigException.badValue(null, k + "gpus_per_node", Json.render(gpusPerNode),
                        EXPECTED_GPUS);
            }
            if (maxNodes != null && maxNodes <= 0) {
                throw ResourceConfigException.badValue(null, k + "max_nodes", Json.render(maxNodes),
                        "an integer > 0");
            }
            positive(k + "max_runtime", maxRuntime);
            for (Map.Entry<String, QueueLimits> q : queues.entrySet()) {
                String qk = k + "queues/" + q.getKey();
                if (q.getKey() == null || q.getKey().isBlank() || q.getValue() == null) {
                    throw ResourceConfigException.badValue(null, qk, Json.render(q.getValue()),
                            "a queue name -> {\"max_nodes\": n, \"max_runtime\": seconds}");
                }
                if (q.getValue().maxNodes() != null && q.getValue().maxNodes() <= 0) {
                    throw ResourceConfigException.badValue(null, qk + "/max_nodes",
                            Json.render(q.getValue().maxNodes()), "an integer > 0");
                }
                positive(qk + "/max_runtime", q.getValue().maxRuntime());
            }
            if (defaultQueue != null && !queues.isEmpty() && !queues.containsKey(defaultQueue)) {
                throw ResourceConfigException.badValue(null, k + "default_queue", Json.render(defaultQueue),
                        "one of the queues " + queues.keySet());
            }
            nonBlank(k + "description", description, "a string");
            nonBlank(k + "notes", notes, "a string");
            if (defaultQueue != null) {
                nonBlank(k + "default_queue", defaultQueue, EXPECTED_NON_BLANK);
            }
            nonBlank(k + "agent_java", agentJava, EXPECTED_NON_BLANK);
            if (defaultRemoteWorkdir == null || !PathVariables.isWellFormed(defaultRemoteWorkdir)) {
                throw ResourceConfigException.badValue(null, k + "default_remote_workdir",
                        Json.render(defaultRemoteWorkdir), EXPECTED_PATH);
            }
            if (validRoots != null && validRoots.isEmpty()) {
                throw ResourceConfigException.badValue(null, k + "valid_roots", "[]", EXPECTED_ROOTS);
            }
            List<String> roots = validRoots != null ? validRoots : List.of(defaultRemoteWorkdir);
            for (int i = 0; i < roots.size(); i++) {
                if (!PathVariables.isWellFormed(roots.get(i))) {
                    throw ResourceConfigException.badValue(null, k + "valid_roots/" + i, Json.render(roots.get(i)),
                            EXPECTED_PATH);
                }
            }
            for (int i = 0; i < mandatoryArgs.size(); i++) {
                if (!MANDATORY_ARG_NAMES.contains(mandatoryArgs.get(i))) {
                    throw ResourceConfigException.badValue(null, k + "mandatory_args/" + i,
                            Json.render(mandatoryArgs.get(i)), "one of " + MANDATORY_ARG_NAMES);
                }
            }
            if (launchMethods.order().isEmpty()) {
                throw ResourceConfigException.badValue(null, k + "launch_methods/order", "[]",
                        "a non-empty list of " + LaunchMethod.installed());
            }
            for (int i = 0; i < launchMethods.order().size(); i++) { // built in code, not only parsed
                LaunchMethod m = launchMethods.order().get(i);
                if (!LaunchMethod.installed().contains(m.name())) {
                    throw ResourceConfigException.badValue(null, k + "launch_methods/order/" + i,
                            Json.render(m.name()), "one of " + LaunchMethod.installed());
                }
            }
            for (LaunchMethod m : launchMethods.options().keySet()) {
                if (!LaunchMethod.installed().contains(m.name())) {
                    throw ResourceConfigException.badValue(null, k + "launch_methods/" + m.name(),
                            Json.render(m.name()), "one of " + LaunchMethod.installed());
                }
            }
            if (new HashSet<>(launchMethods.order()).size() != launchMethods.order().size()) {
                throw ResourceConfigException.badValue(null, k + "launch_methods/order",
                        Json.render(launchMethods.order()), "a list without repeats");
            }
            for (Map.Entry<String, String> e : jobManagerEnvironment.entrySet()) {
                String ek = k + "job_manager_environment/" + e.getKey();
                if (e.getKey() == null || !ENV_NAME.matcher(e.getKey()).matches()) {
                    throw ResourceConfigException.badValue(null, ek, Json.render(e.getKey()), EXPECTED_ENV_NAME);
                }
                if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
                    throw ResourceConfigException.badValue(null, ek, Json.render(e.getValue()), EXPECTED_ENV_VALUE);
                }
            }
            Map<String, BatchSystemInfo.ConfigKey> declared = BatchSystemCatalog.installed().configKeys();
            for (Map.Entry<String, String> e : batchSystemKeys.entrySet()) {
                BatchSystemInfo.ConfigKey key = declared.get(e.getKey());
                if (key == null) {
                    throw ResourceConfigException.badValue(null, k + e.getKey(), Json.render(e.getValue()),
                            "a key of an installed batch system, one of " + declared.keySet());
                }
                if (e.getValue() == null || !key.pattern().matcher(e.getValue()).matches()) {
                    throw ResourceConfigException.badValue(null, k + e.getKey(), Json.render(e.getValue()),
                            key.expected());
                }
                // a key of a system none of the entry's job managers is would be ignored without a word
                BatchSystemInfo owner = BatchSystemCatalog.installed().ownerOf(e.getKey());
                List<String> jobManagers = parsed.values().stream()
                        .map(s -> s.jobManagerEndpoint().type().name()).distinct().toList();
                if (!jobManagers.contains(owner.scheme())) {
                    throw ResourceConfigException.badValue(null, k + e.getKey(), Json.render(e.getValue()),
                            "no " + owner.name() + " key on an entry whose job managers are " + jobManagers
                                    + ": it would be ignored (give it on the entry with a " + owner.scheme()
                                    + ":// or " + owner.scheme() + "+ssh:// job_manager_endpoint)");
                }
            }
            positive(k + "heartbeat_interval", heartbeatInterval);
            positive(k + "heartbeat_timeout", heartbeatTimeout);
            if (heartbeatInterval != null && heartbeatTimeout != null
                    && heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
                throw ResourceConfigException.badValue(null, k + "heartbeat_timeout", Json.render(heartbeatTimeout),
                        "a number of seconds > heartbeat_interval (" + Json.render(heartbeatInterval) + ")");
            }

            // Paths: expand variables now for a local resource; check the work dir lies under a root.
            boolean local = parsed.get(defSchema).access() == Access.LOCAL;
            Map<String, String> vars = new TreeMap<>();
            String workdir = defaultRemoteWorkdir;
            List<String> finalRoots = roots;
            if (local) {
                workdir = expandLocal(k + "default_remote_workdir", workdir, vars);
                List<String> expanded = new ArrayList<>();
                for (int i = 0; i < roots.size(); i++) {
                    expanded.add(expandLocal(k + "valid_roots/" + i, roots.get(i), vars));
                }
                finalRoots = expanded;
            }
            if (!underSomeRoot(workdir, finalRoots)) {
                throw ResourceConfigException.badValue(null, k + "default_remote_workdir", Json.render(workdir),
                        "a path under one of the valid_roots " + finalRoots);
            }
            return new ResourceConfig(this, Collections.unmodifiableMap(parsed), defSchema, cores,
                    workdir, List.copyOf(finalRoots), vars);
        }

        private static <T> T endpoint(String key, String text, String expected,
                                      java.util.function.Function<String, T> parser) {
            if (text == null) {
                throw ResourceConfigException.missing(null, key, expected);
            }
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                throw ResourceConfigException.badValue(null, key, Json.render(text),
                        expected + " (" + e.getMessage() + ")");
            }
        }

        private static void nonBlank(String key, String v, String expected) {
            if (v == null || (EXPECTED_NON_BLANK.equals(expected) && v.isBlank())) {
                throw ResourceConfigException.badValue(null, key, Json.render(v), expected);
            }
        }

        private static void positive(String key, Duration d) {
            if (d != null && (d.isNegative() || d.isZero())) {
                throw ResourceConfigException.badValue(null, key, Json.render(d), EXPECTED_SECONDS);
            }
        }

        /** Expands the leading variable from this machine, recording its value; normalizes. */
        private static String expandLocal(String key, String path, Map<String, String> vars) {
            Optional<String> name = PathVariables.variable(path);
            if (name.isPresent()) {
                String value = PathVariables.localValue(name.get());
                if (value == null || !value.startsWith("/")) {
                    throw ResourceConfigException.badValue(null, key, Json.render(path),
                            "a path whose variable $" + name.get() + " is defined on this machine (it is "
                                    + (value == null ? "undefined" : "not absolute: " + value) + ")");
                }
                vars.put(name.get(), value);
            }
            return PathVariables.expand(path, vars).orElseThrow().toString();
        }

        /**
         * Whether {@code path} equals or lies under one of {@code roots}. Paths starting with a variable are
         * compared only with roots starting with the same variable; if no root is comparable, the check passes
         * (it can only be made once the remote environment is known, by {@link #checkSandbox}).
         */
        private static boolean underSomeRoot(String path, List<String> roots) {
            boolean comparable = false;
            for (String root : roots) {
                Optional<String> pv = PathVariables.variable(path);
                Optional<String> rv = PathVariables.variable(root);
                if (!pv.equals(rv)) {
                    continue;
                }
                comparable = true;
                Map<String, String> placeholder = pv.map(v -> Map.of(v, "/$" + v)).orElse(Map.of());
                Path p = PathVariables.expand(path, placeholder).orElseThrow();
                Path r = PathVariables.expand(root, placeholder).orElseThrow();
                if (p.startsWith(r)) {
                    return true;
                }
            }
            return !comparable;
        }
    }
}
