package org.pilotflow.agent.launch;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.pilotflow.agent.BadConfigException;
import org.pilotflow.model.wire.AgentConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pilot's launch methods in the configured order ({@link AgentConfig#launchMethods()}): for each unit the first
 * one that can start it on its allocation is used, so a resource lists its preferred method first and the
 * fallbacks after it (e.g. {@code [MPIEXEC, FORK]}: MPI units through mpiexec, the rest forked).
 */
public final class LaunchMethods {
    private static final Logger LOG = LoggerFactory.getLogger(LaunchMethods.class);

    /** The installed methods ({@link LaunchMethodProvider} services) by name, in the service file's order. */
    private static final Map<String, LaunchMethodProvider> PROVIDERS = load();

    /** Every known method, as named in the configuration. */
    public static final List<String> NAMES = List.copyOf(PROVIDERS.keySet());

    private final List<LaunchMethod> methods;

    LaunchMethods(List<LaunchMethod> methods) {
        this.methods = List.copyOf(methods);
    }

    /**
     * Checks the configured names and options without building anything.
     *
     * @param file the configuration's file, named in the message
     * @throws BadConfigException naming the file, the field ({@code launchMethods} or
     *                            {@code launchMethodOptions.X.y}) and its value
     */
    public static void check(AgentConfig cfg, String file) throws BadConfigException {
        for (String name : cfg.launchMethods()) {
            parseOptions(cfg, name, "bad config " + file + ": ");
        }
    }

    /**
     * The configured methods, ready to start units.
     *
     * @param env       the agent's environment ({@code PATH} to find the launchers, {@code SLURM_JOB_ID})
     * @param agentNode the node the agent runs on, empty when it is not one of the pilot's nodes
     * @param root      the agent runs as uid 0 ({@link #runningAsRoot()})
     * @throws BadConfigException as {@link #check}
     */
    public static LaunchMethods create(AgentConfig cfg, Map<String, String> env, Optional<String> agentNode,
                                       boolean root) throws BadConfigException {
        List<LaunchMethod> methods = new ArrayList<>();
        for (String name : new LinkedHashSet<>(cfg.launchMethods())) {
            MethodOptions options = parseOptions(cfg, name, "bad config: ");
            if (!options.ignoredKeys().isEmpty()) {
                LOG.info("launch method {}: options {} are not used by the agent", name, options.ignoredKeys());
            }
            methods.add(PROVIDERS.get(name).create(name, options,
                    new LaunchMethodProvider.Context(env, agentNode, root)));
        }
        return new LaunchMethods(methods);
    }

    private static MethodOptions parseOptions(AgentConfig cfg, String name, String errorPrefix)
            throws BadConfigException {
        LaunchMethodProvider provider = name == null ? null : PROVIDERS.get(name);
        if (provider == null) {
            throw new BadConfigException(errorPrefix + "field 'launchMethods' names an unknown launch "
                    + "method '" + name + "' (expected some of " + NAMES + "), was " + cfg.launchMethods());
        }
        String defaultExecutable = provider.defaultExecutable(name);
        try {
            return MethodOptions.parse(name, defaultExecutable, cfg.launchMethodOptions().get(name));
        } catch (IllegalArgumentException e) {
            throw new BadConfigException(errorPrefix + e.getMessage());
        }
    }

    private static Map<String, LaunchMethodProvider> load() {
        Map<String, LaunchMethodProvider> byName = new java.util.LinkedHashMap<>();
        for (LaunchMethodProvider p : java.util.ServiceLoader.load(LaunchMethodProvider.class,
                LaunchMethods.class.getClassLoader())) {
            for (String name : p.names()) {
                LaunchMethodProvider before = byName.putIfAbsent(name, p);
                if (before != null) {
                    throw new IllegalStateException("launch method " + name + " is registered twice: by "
                            + before.getClass().getName() + " and " + p.getClass().getName());
                }
            }
        }
        return java.util.Collections.unmodifiableMap(byName);
    }

    /** The configured names, in order. */
    public List<String> names() {
        return methods.stream().map(LaunchMethod::name).toList();
    }

    /**
     * How to start the unit: the first method that can.
     *
     * @throws NoLaunchMethodException when none can; its message names the unit's shape and why each method refused
     */
    public Launch select(LaunchRequest request) throws NoLaunchMethodException {
        List<String> refusals = new ArrayList<>(methods.size());
        for (LaunchMethod m : methods) {
            Optional<String> refusal = m.refusal(request);
            if (refusal.isEmpty()) {
                return m.wrap(request);
            }
            refusals.add(m.name() + ": " + refusal.get());
        }
        throw new NoLaunchMethodException("no launch method of " + names() + " can run " + request.describe()
                + " (" + String.join("; ", refusals) + ")");
    }

    /** Whether this JVM runs as uid 0 (Open MPI then needs to be told it may). */
    public static boolean runningAsRoot() {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
        } catch (LinkageError | RuntimeException e) { // not a Unix JDK, or jdk.security.auth left out of the image
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** No configured launch method can start a unit on its allocation; the message says why, method by method. */
    public static final class NoLaunchMethodException extends Exception {
        NoLaunchMethodException(String message) {
            super(message);
        }
    }
}
