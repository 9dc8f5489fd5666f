package org.pilotflow.internal.scheduling;

import java.util.Set;

/**
 * Where a unit's data is, in the scheduler's terms (BigJob's data-compute affinity): the pilots that reach a
 * replica of every data unit the unit reads or writes, and among them the ones near it (same affinity labels as
 * the data or its pilot-data). A unit goes to a near pilot when one can take it, else to any reaching one; with no
 * reaching pilot it is rejected with {@code unreachable}.
 */
public record DataLocality(Set<String> reaching, Set<String> near, String unreachable) {
    public DataLocality {
        reaching = Set.copyOf(reaching);
        near = Set.copyOf(near);
    }
}
