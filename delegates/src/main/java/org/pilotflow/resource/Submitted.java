package org.pilotflow.resource;

import java.util.Objects;

/**
 * A pilot job that was accepted by its resource.
 *
 * @param handle  the job's handle (stored with the pilot)
 * @param sandbox the pilot sandbox as an absolute path on the resource ({@code $HOME} and friends resolved)
 */
public record Submitted(JobHandle handle, String sandbox) {
    public Submitted {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(sandbox, "sandbox");
    }
}
