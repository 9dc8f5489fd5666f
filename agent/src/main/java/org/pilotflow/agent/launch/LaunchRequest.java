package org.pilotflow.agent.launch;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.pilotflow.agent.scheduler.Allocation;
import org.pilotflow.model.wire.UnitSpec;

/**
 * A unit placed on its slots, about to be started: what a {@link LaunchMethod} needs to decide whether it can start
 * it and how.
 *
 * @param argv        the unit's own argv (executable and arguments), never given to a shell
 * @param sandbox     the unit's working directory (on a shared file system when the unit runs on other nodes)
 * @param environment the unit's own variables (its environment and the {@code PILOTFLOW_*} ones), which a launch
 *                    method that reaches other nodes must carry there
 */
public record LaunchRequest(UnitSpec unit, Allocation allocation, List<String> argv, Path sandbox,
                            Map<String, String> environment) {

    public LaunchRequest {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }

    /** MPI ranks to start: an MPI unit's cores; anything else is one process. */
    public int ranks() {
        return unit.mpi() ? allocation.coreCount() : 1;
    }

    /** For failure reasons: "an MPI unit of 4 ranks on 2 nodes", "a unit of 2 cores on node n1". */
    public String describe() {
        int n = allocation.parts().size();
        return unit.mpi()
                ? "an MPI unit of " + ranks() + (ranks() == 1 ? " rank" : " ranks") + " on " + n
                        + (n == 1 ? " node" : " nodes")
                : "a unit of " + allocation.coreCount() + (allocation.coreCount() == 1 ? " core" : " cores")
                        + " on node " + allocation.hosts().get(0);
    }
}
