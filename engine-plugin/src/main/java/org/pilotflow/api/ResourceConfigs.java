package org.pilotflow.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.pilotflow.resource.config.ResourceConfig;

/**
 * The resource configurations a session's engine knows ({@link Session#resources()}): RADICAL-Pilot's resource
 * configs, read from {@code resource_<site>.json} files or built with {@link ResourceConfig#builder(String)}.
 * Every error is a {@link BadParameter} (a {@link PilotException}) naming the file, the key (or a JSON syntax
 * error's line and column), the value and what was expected; a file that fails to load changes nothing.
 */
public interface ResourceConfigs {

    /** The entry {@code label}; a {@link BadParameter} on field {@code resource} listing the known labels if none. */
    ResourceConfig get(String label);

    /** The entry {@code label}, if known. */
    Optional<ResourceConfig> find(String label);

    /** The known labels, sorted. */
    List<String> labels();

    /** Adds or replaces the entry {@code config.label()}; pilots submitted from now on use it. */
    void add(ResourceConfig config);

    /** Adds or overrides the entries of one {@code resource_<site>.json}; returns the labels loaded. */
    List<String> loadFile(Path file);

    /**
     * Adds or overrides the entries of every {@code resource_<site>.json} in {@code directory}, all or nothing;
     * returns the labels loaded.
     */
    List<String> loadDirectory(Path directory);
}
