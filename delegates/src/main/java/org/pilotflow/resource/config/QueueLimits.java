package org.pilotflow.resource.config;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What one batch queue (partition) of a resource lets a job ask for: {@code "queues": {"debug": {"max_nodes": 2,
 * "max_runtime": 1800}}}. A limit not given here falls back to the resource's own {@code max_nodes} /
 * {@code max_runtime}.
 *
 * @param maxNodes   the most nodes, or null
 * @param maxRuntime the longest runtime, or null
 */
public record QueueLimits(Integer maxNodes, Duration maxRuntime) {

    public OptionalInt nodes() {
        return maxNodes == null ? OptionalInt.empty() : OptionalInt.of(maxNodes);
    }

    public Optional<Duration> runtime() {
        return Optional.ofNullable(maxRuntime);
    }
}
