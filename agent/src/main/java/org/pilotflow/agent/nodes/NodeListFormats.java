package org.pilotflow.agent.nodes;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.pilotflow.agent.BadConfigException;

/** The installed {@link NodeListFormat}s by name, in their service file's order (the order variables are tried). */
public final class NodeListFormats {

    private static final Map<String, NodeListFormat> BY_NAME = load();

    /** Every installed format's name. */
    public static final List<String> NAMES = List.copyOf(BY_NAME.keySet());

    private NodeListFormats() {
    }

    /** The format {@code name}, or null when none is installed under it. */
    public static NodeListFormat byName(String name) {
        return BY_NAME.get(name);
    }

    /**
     * The format {@code name}.
     *
     * @param prefix what the message starts with ({@code bad config agent.json: })
     * @throws BadConfigException no format of that name is installed; the message names it and the installed ones
     */
    public static NodeListFormat require(String name, String prefix) throws BadConfigException {
        NodeListFormat f = name == null ? null : BY_NAME.get(name);
        if (f == null) {
            throw new BadConfigException(prefix + "field 'nodeList.format' names a node-list format this agent does "
                    + "not read, '" + name + "' (expected one of " + NAMES + ")");
        }
        return f;
    }

    private static Map<String, NodeListFormat> load() {
        Map<String, NodeListFormat> byName = new LinkedHashMap<>();
        for (NodeListFormat f : ServiceLoader.load(NodeListFormat.class, NodeListFormat.class.getClassLoader())) {
            NodeListFormat before = byName.putIfAbsent(f.name(), f);
            if (before != null) {
                throw new IllegalStateException("node-list format " + f.name() + " is registered twice: by "
                        + before.getClass().getName() + " and " + f.getClass().getName());
            }
        }
        return Collections.unmodifiableMap(byName);
    }
}
