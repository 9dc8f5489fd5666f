package org.pilotflow.agent.nodes;

import java.util.List;
import java.util.Map;

import org.pilotflow.agent.BadConfigException;

/** LSF: host and core-count pairs, {@code n1 4 n2 4}; the first host is where the job script (the agent) runs. */
public final class HostCorePairsFormat implements NodeListFormat {

    public static final String NAME = "host-core-pairs";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "host and core-count pairs, 'n1 4 n2 4'";
    }

    @Override
    public List<HostCores> read(String variable, Map<String, String> env) throws BadConfigException {
        return NodeDiscovery.hostCorePairs(variable, env.get(variable));
    }
}
