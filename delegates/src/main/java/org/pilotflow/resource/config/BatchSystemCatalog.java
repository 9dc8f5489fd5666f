package org.pilotflow.resource.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch systems installed on the classpath ({@link BatchSystemProvider} services), loaded on first use: their
 * schemes for {@link JobManagerEndpoint#parse} and their keys for the resource configuration. A provider that
 * cannot be loaded (a broken jar, a missing class) is logged and skipped, so the others still work. Two systems
 * that claim the same scheme or key, or a key the configuration itself reads, are a packaging error: every use of
 * {@link #installed()} then fails with the same message.
 */
public final class BatchSystemCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(BatchSystemCatalog.class);
    private static final int MAX_FAILURES = 100;

    private static final Supplier<BatchSystemCatalog> INSTALLED = loadedOnce(BatchSystemCatalog.class.getClassLoader());

    private final List<BatchSystemProvider> providers;
    private final Map<String, BatchSystemInfo> byScheme;
    private final Map<String, BatchSystemProvider> providerByScheme;
    private final Map<String, BatchSystemInfo.ConfigKey> keys;
    private final Map<String, BatchSystemInfo> keyOwners;

    private BatchSystemCatalog(List<BatchSystemProvider> providers) {
        Map<String, BatchSystemInfo> schemes = new LinkedHashMap<>();
        Map<String, BatchSystemProvider> providerOf = new LinkedHashMap<>();
        Map<String, BatchSystemInfo.ConfigKey> k = new LinkedHashMap<>();
        Map<String, BatchSystemInfo> keyOwner = new LinkedHashMap<>();
        for (BatchSystemProvider p : providers) {
            BatchSystemInfo info = p.info();
            BatchSystemInfo before = schemes.putIfAbsent(info.scheme(), info);
            if (before != null) {
                throw new IllegalStateException("batch systems " + before.name() + " and " + info.name()
                        + " both declare scheme " + info.scheme() + " (" + p.getClass().getName() + ")");
            }
            providerOf.put(info.scheme(), p);
            for (BatchSystemInfo.ConfigKey key : info.configKeys()) {
                if (ResourceConfigParser.KEYS.contains(key.name())) {
                    throw new IllegalStateException("batch system " + info.name() + " (" + p.getClass().getName()
                            + ") declares config key " + key.name() + ", which the resource configuration itself "
                            + "reads; expected a key of its own, such as " + info.scheme() + "_" + key.name());
                }
                BatchSystemInfo owner = keyOwner.putIfAbsent(key.name(), info);
                if (owner != null) {
                    throw new IllegalStateException("batch systems " + owner.name() + " and " + info.name()
                            + " both declare config key " + key.name());
                }
                k.put(key.name(), key);
            }
        }
        this.providers = List.copyOf(providers);
        this.byScheme = Collections.unmodifiableMap(schemes);
        this.providerByScheme = Collections.unmodifiableMap(providerOf);
        this.keys = Collections.unmodifiableMap(k);
        this.keyOwners = Collections.unmodifiableMap(keyOwner);
    }

    /**
     * The systems registered with the class loader that loaded PilotFlow, loaded at the first call.
     *
     * @throws IllegalStateException two of them claim the same scheme or key (the same message at every call)
     */
    public static BatchSystemCatalog installed() {
        return INSTALLED.get();
    }

    /**
     * {@link #load} of {@code loader} at the first call, its catalog at every later one; if it failed, each call
     * throws an IllegalStateException with its message (not a NoClassDefFoundError that has lost it).
     */
    static Supplier<BatchSystemCatalog> loadedOnce(ClassLoader loader) {
        return new Supplier<>() {
            private Object loaded; // the catalog, or the IllegalStateException of loading it

            @Override
            public synchronized BatchSystemCatalog get() {
                if (loaded == null) {
                    try {
                        loaded = load(loader);
                    } catch (IllegalStateException e) {
                        loaded = e;
                    }
                }
                if (loaded instanceof IllegalStateException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
                return (BatchSystemCatalog) loaded;
            }
        };
    }

    /**
     * The systems registered with {@code loader}, in the order the service files list them; one that cannot be
     * loaded or instantiated is logged and left out.
     *
     * @throws IllegalStateException two of them claim the same scheme or key, or one a built-in key
     */
    public static BatchSystemCatalog load(ClassLoader loader) {
        List<BatchSystemProvider> found = new ArrayList<>();
        Iterator<ServiceLoader.Provider<BatchSystemProvider>> it =
                ServiceLoader.load(BatchSystemProvider.class, loader).stream().iterator();
        // the iterator goes on to the next service-file line after an error; the bound guards against one that would not
        for (int failures = 0; failures < MAX_FAILURES; ) {
            ServiceLoader.Provider<BatchSystemProvider> provider;
            try {
                if (!it.hasNext()) {
                    break;
                }
                provider = it.next();
            } catch (ServiceConfigurationError | LinkageError e) {
                failures++;
                LOG.warn("a batch system provider could not be loaded, skipped: {}", e.toString());
                continue;
            }
            try {
                BatchSystemProvider p = provider.get();
                BatchSystemInfo.NodeListSource nodeList = p.info().nodeList();
                if (nodeList.describe() == null) {
                    failures++;
                    LOG.warn("batch system provider {} declares its node list in {} written as '{}', a format the "
                            + "agent does not read (one of {}), skipped: add the format to the agent or declare one "
                            + "of those", provider.type().getName(), nodeList.variable(), nodeList.format(),
                            org.pilotflow.agent.nodes.NodeListFormats.NAMES);
                    continue;
                }
                found.add(p);
            } catch (ServiceConfigurationError | LinkageError | RuntimeException e) {
                failures++;
                LOG.warn("batch system provider {} could not be instantiated, skipped: {}", provider.type().getName(),
                        e.toString());
            }
        }
        return new BatchSystemCatalog(found);
    }

    /** The providers, for the adapters to pick their systems from. */
    public List<BatchSystemProvider> providers() {
        return providers;
    }

    /** The system serving a base scheme ({@code pbs}, not {@code pbs+ssh}), or null. */
    public BatchSystemInfo forScheme(String scheme) {
        return byScheme.get(scheme);
    }

    /** The system behind a job manager, or null for fork and ssh. */
    public BatchSystemProvider providerFor(JobManagerType type) {
        return providerByScheme.get(type.name());
    }

    /** The system that declares {@code key}, or null. */
    public BatchSystemInfo ownerOf(String key) {
        return keyOwners.get(key);
    }

    /** Every declared key, by name. */
    public Map<String, BatchSystemInfo.ConfigKey> configKeys() {
        return keys;
    }

    /** Every endpoint scheme a resource may use: fork, ssh and each system's two, sorted. */
    public List<String> schemes() {
        TreeSet<String> all = new TreeSet<>(List.of("fork", "ssh"));
        byScheme.values().forEach(i -> all.addAll(i.schemes()));
        return List.copyOf(all);
    }
}
