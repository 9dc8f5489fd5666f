package org.pilotflow.internal.session;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ResourceConfigs;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.config.ResourceConfigException;
import org.pilotflow.resource.config.UnknownResourceException;

/** The session's {@link ResourceConfigs}: the node's registry, its errors turned into BadParameters. */
final class ResourceConfigsImpl implements ResourceConfigs {
    private final SessionState state;

    ResourceConfigsImpl(SessionState state) {
        this.state = state;
    }

    @Override
    public ResourceConfig get(String label) {
        try {
            return state.resourceRegistry().get(label);
        } catch (UnknownResourceException e) {
            throw new BadParameter("resource", label, "one of the configured resources " + e.knownLabels(), e);
        }
    }

    @Override
    public Optional<ResourceConfig> find(String label) {
        return state.resourceRegistry().find(label);
    }

    @Override
    public List<String> labels() {
        return state.resourceRegistry().labels();
    }

    @Override
    public void add(ResourceConfig config) {
        BadParameter.requireNonNull(config, "config", "a resource configuration (ResourceConfig.builder(label))");
        state.resourceRegistry().add(config);
        state.resourcesChanged();
    }

    @Override
    public List<String> loadFile(Path file) {
        BadParameter.requireNonNull(file, "file", "the path of a resource_<site>.json file");
        try {
            List<String> labels = state.resourceRegistry().loadFile(file);
            state.resourcesChanged();
            return labels;
        } catch (ResourceConfigException e) {
            throw badParameter(e);
        }
    }

    @Override
    public List<String> loadDirectory(Path directory) {
        BadParameter.requireNonNull(directory, "directory", "a directory holding resource_<site>.json files");
        try {
            List<String> labels = state.resourceRegistry().loadDirectory(directory);
            state.resourcesChanged();
            return labels;
        } catch (ResourceConfigException e) {
            throw badParameter(e);
        }
    }

    /**
     * The field is the file and the key ({@code resource_mysite.json: mysite.cluster/cores_per_node}), or the file
     * and the position of a JSON syntax error ({@code resource_mysite.json: line 3, column 7}).
     */
    static BadParameter badParameter(ResourceConfigException e) {
        String file = e.file() == null ? "" : fileName(e.file()) + ": ";
        if (e.key() != null) {
            return new BadParameter(file + e.key(), e.value(), e.expected() == null ? e.getMessage() : e.expected(),
                    e);
        }
        if (e.line() > 0) {
            return new BadParameter(file + "line " + e.line() + ", column " + e.column(), e.getMessage(),
                    "valid JSON", e);
        }
        return new BadParameter(file + "(file)", e.getMessage(), e.expected() == null ? "a readable file"
                : e.expected(), e);
    }

    private static String fileName(String file) {
        try {
            Path name = Path.of(file).getFileName();
            return name == null ? file : name.toString();
        } catch (java.nio.file.InvalidPathException ex) {
            return file;
        }
    }
}
