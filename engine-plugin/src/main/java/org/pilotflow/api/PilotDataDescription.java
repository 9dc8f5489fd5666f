package org.pilotflow.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * BigJob's {@code PilotDataDescription}: storage on a resource for data units. Immutable; {@link #builder()}.
 *
 * @param resource  the resource label, as for pilots ({@code local.localhost})
 * @param path      the pilot-data's directory: an absolute path strictly below one of the resource's
 *                  {@code valid_roots}; on a resource reached over SSH as that machine sees it, and it may start
 *                  with a variable such as {@code $HOME} (resolved there); null for
 *                  {@code <default sandbox base>/<session>/<pilot-data uid>}. Units of
 *                  a pilot read a replica only when it lies below the pilot's sandbox base ({@code resource://}, the
 *                  pilot sandbox's grandparent): there the agent links or copies it into the unit sandbox
 * @param sizeLimit the most bytes its data units may hold together; 0 for no limit (BigJob's {@code size})
 * @param affinity  BigJob's affinity labels; units reading its data prefer pilots with the same labels
 */
public record PilotDataDescription(String resource, String path, long sizeLimit, Affinity affinity) {

    @JsonCreator
    public PilotDataDescription(@JsonProperty("resource") String resource, @JsonProperty("path") String path,
                                @JsonProperty("sizeLimit") long sizeLimit,
                                @JsonProperty("affinity") Affinity affinity) {
        this.resource = resource;
        this.path = path;
        this.sizeLimit = sizeLimit;
        this.affinity = affinity == null ? Affinity.NONE : affinity;
        if (resource == null || resource.isBlank()) {
            throw new BadParameter("resource", resource, "a resource label such as 'local.localhost'");
        }
        if (sizeLimit < 0) {
            throw new BadParameter("sizeLimit", sizeLimit, "bytes (> 0), or 0 for no limit");
        }
        if (path != null && (path.length() > 1000 || path.indexOf('\0') >= 0)) {
            throw new BadParameter("path", path, "an absolute path of at most 1000 characters without NUL");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private String resource;
        private String path;
        private long sizeLimit;
        private Affinity affinity = Affinity.NONE;

        public Builder resource(String v) { resource = v; return this; }
        public Builder path(String v) { path = v; return this; }
        public Builder sizeLimit(long bytes) { sizeLimit = bytes; return this; }
        public Builder affinity(Affinity v) { affinity = v; return this; }
        public Builder affinity(String datacenter, String machine) { affinity = Affinity.of(datacenter, machine); return this; }

        public PilotDataDescription build() {
            return new PilotDataDescription(resource, path, sizeLimit, affinity);
        }
    }
}
