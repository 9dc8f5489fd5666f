package org.pilotflow.agent.nodes;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.pilotflow.agent.BadConfigException;

/**
 * Grid Engine: a file of {@code host slots queue processors} lines; a host listed for several queues gets the sum
 * of its slots.
 */
public final class PeHostfileFormat implements NodeListFormat {

    public static final String NAME = "pe-hostfile";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a file of 'host slots queue processors' lines";
    }

    @Override
    public List<HostCores> read(String variable, Map<String, String> env) throws BadConfigException {
        return NodeDiscovery.peHostfile(variable, Path.of(env.get(variable)));
    }
}
