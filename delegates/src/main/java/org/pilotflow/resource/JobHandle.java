package org.pilotflow.resource;

import java.util.Objects;

/**
 * Identifies a pilot's job on its resource, in a form that can be stored and parsed again after an engine
 * restart: {@code <adapter>:<id>}, e.g. {@code fork:12345} (a process id) or {@code slurm:4711}.
 */
public record JobHandle(String adapter, String id) {

    public JobHandle {
        Objects.requireNonNull(adapter, "adapter");
        Objects.requireNonNull(id, "id");
    }

    public static JobHandle parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("job handle '" + text + "' is not of the form adapter:id");
        }
        return new JobHandle(text.substring(0, colon), text.substring(colon + 1));
    }

    @Override
    public String toString() {
        return adapter + ":" + id;
    }
}
