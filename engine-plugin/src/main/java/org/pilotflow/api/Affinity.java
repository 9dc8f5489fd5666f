package org.pilotflow.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * BigJob's affinity labels ({@code affinity_datacenter_label}, {@code affinity_machine_label}) on pilots, pilot-data
 * and data units. As in BigJob they are compared for equality only (both labels), with no distance between them.
 * A null label is "not given"; {@link #NONE} gives neither and matches nothing.
 */
public record Affinity(String datacenter, String machine) {

    public static final Affinity NONE = new Affinity(null, null);

    @JsonCreator
    public Affinity(@JsonProperty("datacenter") String datacenter, @JsonProperty("machine") String machine) {
        this.datacenter = blankToNull(datacenter, "affinity.datacenter");
        this.machine = blankToNull(machine, "affinity.machine");
    }

    public static Affinity of(String datacenter, String machine) {
        return new Affinity(datacenter, machine);
    }

    /** Whether any label is given. */
    public boolean given() {
        return datacenter != null || machine != null;
    }

    /** BigJob's rule: both labels equal, and at least one given. */
    public boolean matches(Affinity other) {
        return other != null && given() && Objects.equals(datacenter, other.datacenter)
                && Objects.equals(machine, other.machine);
    }

    private static String blankToNull(String label, String field) {
        if (label == null || label.isBlank()) {
            return null;
        }
        if (label.length() > 200 || label.indexOf('\0') >= 0) {
            throw new BadParameter(field, label, "a label of at most 200 characters without NUL");
        }
        return label.strip();
    }
}
