package org.pilotflow.resource.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code launch_methods}: {@code {"order": ["FORK", ...], "<METHOD>": {options}, ...}}. The agent uses the first
 * method in {@link #order()} that can run a unit. Options are free-form JSON (maps, lists, strings, numbers,
 * booleans), kept deeply unmodifiable. Default: order {@code [FORK]}, no options.
 */
public record LaunchMethods(List<LaunchMethod> order, Map<LaunchMethod, Map<String, Object>> options) {

    public static final LaunchMethods DEFAULT = new LaunchMethods(List.of(LaunchMethod.FORK), Map.of());

    public LaunchMethods {
        order = List.copyOf(order);
        Map<LaunchMethod, Map<String, Object>> copy = new LinkedHashMap<>();
        options.forEach((k, v) -> copy.put(k, deepCopy(v)));
        options = Collections.unmodifiableMap(copy);
    }

    /** The options of {@code method}, empty when none were given. */
    public Map<String, Object> optionsOf(LaunchMethod method) {
        return options.getOrDefault(method, Map.of());
    }

    @SuppressWarnings("unchecked")
    static <T> T deepCopy(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> c = new LinkedHashMap<>();
            m.forEach((k, v) -> c.put(String.valueOf(k), deepCopy(v)));
            return (T) Collections.unmodifiableMap(c);
        }
        if (o instanceof List<?> l) {
            List<Object> c = new ArrayList<>();
            l.forEach(v -> c.add(deepCopy(v)));
            return (T) Collections.unmodifiableList(c);
        }
        return (T) o;
    }
}
