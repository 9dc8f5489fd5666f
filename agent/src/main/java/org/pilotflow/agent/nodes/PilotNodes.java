package org.pilotflow.agent.nodes;

import java.util.List;
import java.util.Optional;

import org.pilotflow.agent.scheduler.Node;

/**
 * The nodes a pilot may use, as found by {@link NodeDiscovery}.
 *
 * @param source    the variable the list came from, or {@link #THIS_HOST}
 * @param format    the {@link NodeListFormat} it was read with; null for this host alone
 * @param nodes     the nodes with the cores and GPUs the pilot may use on each; never empty
 * @param agentNode the name of the node the agent itself runs on (units there can be forked directly), or empty
 *                  when this host is not in the list
 */
public record PilotNodes(String source, String format, List<Node> nodes, Optional<String> agentNode) {

    /** The source when no batch system gave a list: this host alone, with the agent config's cores and GPUs. */
    public static final String THIS_HOST = "this host";

    public PilotNodes {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a pilot needs at least one node");
        }
    }
    public int totalCores() {
        return nodes.stream().mapToInt(Node::cores).sum();
    }

    /** For the log: {@code n1 (4 cores, 1 gpu), n2 (4 cores)}, the first 20 nodes then a count. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        int shown = Math.min(20, nodes.size());
        for (int i = 0; i < shown; i++) {
            Node n = nodes.get(i);
            sb.append(i == 0 ? "" : ", ").append(n.name()).append(" (").append(n.cores()).append(" cores");
            if (n.gpus() > 0) {
                sb.append(", ").append(n.gpus()).append(n.gpus() == 1 ? " gpu" : " gpus");
            }
            sb.append(')');
        }
        if (nodes.size() > shown) {
            sb.append(" and ").append(nodes.size() - shown).append(" more");
        }
        return sb.toString();
    }
}
