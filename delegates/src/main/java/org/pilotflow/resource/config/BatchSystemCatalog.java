package org.pilotflow.resource.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * The batch systems installed on the classpath ({@link BatchSystemProvider} services), loaded once: their schemes
 * for {@link JobManagerEndpoint#parse} and their keys for the resource configuration. Two systems that claim the
 * same scheme or key are a packaging error, reported when the catalog is first used.
 */
public final class BatchSystemCatalog {

    private static final BatchSystemCatalog INSTALLED = load(BatchSystemCatalog.class.getClassLoader());

    private final List<BatchSystemProvider> providers;
    private final Map<String, BatchSystemInfo> byScheme;
    private final Map<String, BatchSystemInfo.ConfigKey> keys;

    private BatchSystemCatalog(List<BatchSystemProvider> providers) {
        Map<String, BatchSystemInfo> schemes = new LinkedHashMap<>();
        Map<String, BatchSystemInfo.ConfigKey> k = new LinkedHashMap<>();
        Map<String, String> keyOwner = new LinkedHashMap<>();
        for (BatchSystemProvider p : providers) {
            BatchSystemInfo info = p.info();
            BatchSystemInfo before = schemes.putIfAbsent(info.scheme(), info);
            if (before != null) {
                throw new IllegalStateException("batch systems " + before.name() + " and " + info.name()
                        + " both declare scheme " + info.scheme() + " (" + p.getClass().getName() + ")");
            }
            for (BatchSystemInfo.ConfigKey key : info.configKeys()) {
                String owner = keyOwner.putIfAbsent(key.name(), info.name());
                if (owner != null) {
                    throw new IllegalStateException("batch systems " + owner + " and " + info.name()
                            + " both declare config key " + key.name());
                }
                k.put(key.name(), key);
            }
        }
        this.providers = List.copyOf(providers);
        this.byScheme = Collections.unmodifiableMap(schemes);
        this.keys = Collections.unmodifiableMap(k);
    }

    /** The systems registered with the class loader that loaded PilotFlow. */
    public static BatchSystemCatalog installed() {
        return INSTALLED;
    }

    /** The systems registered with {@code loader}, in the order the service files list them. */
    public static BatchSystemCatalog load(ClassLoader loader) {
        List<BatchSystemProvider> found = new ArrayList<>();
        ServiceLoader.load(BatchSystemProvider.class, loader).forEach(found::add);
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
