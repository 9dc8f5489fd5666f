package org.pilotflow.agent.launch;

import java.util.Map;
import java.util.Optional;

import org.pilotflow.agent.scheduler.Allocation;

/**
 * {@code FORK}: the unit's argv as it is, a child of the agent. Only for units on the agent's own node, and for
 * MPI units of one rank (an MPI program started without a launcher runs as a singleton).
 */
final class ForkMethod implements LaunchMethod {
    static final String NAME = "FORK";

    private final Optional<String> agentNode;

    /** @param agentNode the node the agent runs on; empty when it is not one of the pilot's nodes */
    ForkMethod(Optional<String> agentNode) {
        this.agentNode = agentNode;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<String> refusal(LaunchRequest r) {
        Allocation a = r.allocation();
        if (r.ranks() > 1) {
            return Optional.of("starts one process, not " + r.ranks() + " ranks");
        }
        if (agentNode.isEmpty()) {
            return Optional.of("the agent's host is not one of the pilot's nodes");
        }
        if (!a.isSingleNode() || !a.hosts().get(0).equals(agentNode.get())) {
            return Optional.of("runs only on the agent's node " + agentNode.get() + ", the unit is on "
                    + String.join(", ", a.hosts()));
        }
        return Optional.empty();
    }

    @Override
    public Launch wrap(LaunchRequest r) {
        return new Launch(NAME, r.argv(), Map.of());
    }
}
