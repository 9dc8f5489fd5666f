package org.pilotflow.agent.nodes;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.pilotflow.agent.BadConfigException;

/**
 * PBS Pro, OpenPBS, Torque (and Cobalt's {@code COBALT_NODEFILE}): a file naming a host once per core (per MPI rank:
 * the job script asks for one rank per core); a host's cores are the lines that name it.
 */
public final class HostPerCoreFileFormat implements NodeListFormat {

    public static final String NAME = "host-per-core-file";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "a file naming a host once per core";
    }

    @Override
    public List<HostCores> read(String variable, Map<String, String> env) throws BadConfigException {
        return NodeDiscovery.hostPerCoreFile(variable, Path.of(env.get(variable)));
    }
}
