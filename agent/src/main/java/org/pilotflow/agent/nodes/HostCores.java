package org.pilotflow.agent.nodes;

/**
 * A host of the job and the cores the batch system gave on it, before trimming to the pilot's size.
 *
 * @param host  the host's name as the batch system wrote it
 * @param cores at least 1
 */
public record HostCores(String host, int cores) {
}
