package org.pilotflow.internal.lifecycle;

import java.util.List;

/**
 * Receives what each committed transaction published, in commit order per thread, on the thread that committed.
 * Implementations hand work to their own threads and return quickly.
 */
@FunctionalInterface
public interface Publisher {
    void published(List<Published> events);
}
