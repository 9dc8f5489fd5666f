package org.pilotflow.internal;

import java.util.AbstractMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The engine's beans map with PilotFlow's delegates layered on top. The application's map may be read-only
 * (camunda.cfg.xml gives a proxy onto its Spring bean factory), so PilotFlow never writes into it: lookups try
 * PilotFlow's beans first, then the application's.
 */
final class LayeredBeans extends AbstractMap<Object, Object> {
    private final Map<Object, Object> ours;
    private final Map<Object, Object> theirs;

    LayeredBeans(Map<Object, Object> ours, Map<Object, Object> theirs) {
        this.ours = new HashMap<>(ours);
        this.theirs = theirs;
    }

    @Override
    public Object get(Object key) {
        Object v = ours.get(key);
        return v != null ? v : theirs.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return ours.containsKey(key) || theirs.containsKey(key);
    }

    /** PilotFlow's beans only: a bean-factory proxy cannot list its beans. */
    @Override
    public Set<Entry<Object, Object>> entrySet() {
        return ours.entrySet();
    }
}
