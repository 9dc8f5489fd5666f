package org.pilotflow.resource.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The known resources by label ({@code <site>.<machine>}).
 *
 * <ul>
 *   <li>Built-ins ship in the jar ({@link #BUILT_IN_FILES} under {@code org/pilotflow/resource/config/}):
 *       {@code local.localhost}.</li>
 *   <li>{@link #loadDirectory(Path)} reads every {@code resource_<site>.json} in a directory (not recursive).
 *       An entry whose label is a built-in is <em>merged</em> onto the built-in key by key: each top-level key
 *       given replaces the built-in's value for that key as a whole (e.g. {@code schemas} replaces all schemas),
 *       other keys keep the built-in's values. Any other entry stands alone, replacing an earlier entry with the
 *       same label.</li>
 *   <li>{@link #add(ResourceConfig)} adds or replaces an entry by API.</li>
 * </ul>
 * Loading is all or nothing: every file is read and validated first; on any error the registry stays exactly as
 * it was. Thread-safe: readers see immutable snapshots, writers are serialized.
 */
public final class ResourceRegistry {

    /** The built-in files, loaded from the classpath next to this class. */
    public static final List<String> BUILT_IN_FILES = List.of("resource_local.json");

    private static final String BUILT_IN_PREFIX = "org/pilotflow/resource/config/";

    private final Map<String, ResourceConfig> builtIns;
    private volatile Map<String, ResourceConfig> entries;

    private ResourceRegistry(Map<String, ResourceConfig> builtIns) {
        this.builtIns = Collections.unmodifiableMap(new TreeMap<>(builtIns));
        this.entries = this.builtIns;
    }

    /** A registry holding the built-ins. */
    public static ResourceRegistry withBuiltIns() {
        Map<String, ResourceConfig> all = new TreeMap<>();
        for (String name : BUILT_IN_FILES) {
            String resource = BUILT_IN_PREFIX + name;
            byte[] content;
            try (InputStream in = ResourceRegistry.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("built-in resource config missing from the classpath: " + resource);
                }
                content = in.readAllBytes();
            } catch (IOException e) {
                throw ResourceConfigException.io("classpath:" + resource, "cannot read", e);
            }
            all.putAll(ResourceConfigParser.parse("classpath:" + resource, name, content, l -> Optional.empty()));
        }
        return new ResourceRegistry(all);
    }

    /** A registry with no entries at all (tests, or a deployment that wants only its own files). */
    public static ResourceRegistry empty() {
        return new ResourceRegistry(Map.of());
    }

    /**
     * Adds or overrides entries from every {@code resource_*.json} in {@code dir}, in file-name order.
     *
     * @return the labels loaded, in file order
     * @throws ResourceConfigException naming the file (and key) of the first problem; nothing is changed then
     */
    public synchronized List<String> loadDirectory(Path dir) {
        Objects.requireNonNull(dir, "dir");
        if (!Files.isDirectory(dir)) {
            throw ResourceConfigException.io(dir.toString(), "not a directory",
                    new java.nio.file.NotDirectoryException(dir.toString()));
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "resource_*.json")) {
            ds.forEach(files::add);
        } catch (IOException e) {
            throw ResourceConfigException.io(dir.toString(), "cannot list", e);
        }
        Collections.sort(files);
        return load(files);
    }

    /**
     * Adds or overrides the entries of one {@code resource_<site>.json}.
     *
     * @return the labels loaded, in file order
     * @throws ResourceConfigException naming the file (and key); nothing is changed then
     */
    public synchronized List<String> loadFile(Path file) {
        return load(List.of(Objects.requireNonNull(file, "file")));
    }

    private List<String> load(List<Path> files) {
        Map<String, ResourceConfig> loaded = new LinkedHashMap<>();
        for (Path f : files) {
            byte[] content;
            try {
                content = Files.readAllBytes(f);
            } catch (IOException e) {
                throw ResourceConfigException.io(f.toString(), "cannot read", e);
            }
            loaded.putAll(ResourceConfigParser.parse(f.toString(), f.getFileName().toString(), content,
                    label -> Optional.ofNullable(builtIns.get(label))));
        }
        Map<String, ResourceConfig> next = new TreeMap<>(entries);
        next.putAll(loaded);
        entries = Collections.unmodifiableMap(next);
        return List.copyOf(loaded.keySet());
    }

    /** Adds or replaces the entry {@code config.label()}. */
    public synchronized void add(ResourceConfig config) {
        Objects.requireNonNull(config, "config");
        Map<String, ResourceConfig> next = new TreeMap<>(entries);
        next.put(config.label(), config);
        entries = Collections.unmodifiableMap(next);
    }

    /**
     * Adds or replaces the entry {@code label} with {@code config} (relabelled if its label differs).
     *
     * @return the entry as stored
     * @throws ResourceConfigException key {@code label} when the label is not {@code <site>.<machine>}
     */
    public ResourceConfig add(String label, ResourceConfig config) {
        Objects.requireNonNull(config, "config");
        ResourceConfig c = config.label().equals(label) ? config : config.withLabel(label);
        add(c);
        return c;
    }

    /**
     * The entry {@code label}.
     *
     * @throws UnknownResourceException (an {@link InvalidDescriptionException} on field {@code resource}) listing
     *                                  the known labels
     */
    public ResourceConfig get(String label) {
        Map<String, ResourceConfig> snapshot = entries;
        ResourceConfig c = label == null ? null : snapshot.get(label);
        if (c == null) {
            throw new UnknownResourceException(label, List.copyOf(snapshot.keySet()));
        }
        return c;
    }

    /** The entry {@code label}, if known. */
    public Optional<ResourceConfig> find(String label) {
        return label == null ? Optional.empty() : Optional.ofNullable(entries.get(label));
    }

    /** The known labels, sorted. */
    public List<String> labels() {
        return List.copyOf(entries.keySet());
    }
}
