package org.pilotflow.agent.executor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything the executor needs to run one unit: an argv (never given to a shell), the pre/post shell lines, the
 * extra environment (added to the agent's own), the sandbox (cwd; must exist) and the output file names in it.
 *
 * @param timeoutSeconds   0 means no limit; the limit covers preExec, executable and postExec together
 * @param memoryLimitBytes the most {@code pss + swap} the unit's processes may use together; 0 means no limit
 * @param remoteKill       how to end the executable's processes on another node when the unit is killed; null when
 *                         killing its local process tree is enough
 */
public record LaunchSpec(String unitId, Path sandbox, List<String> argv, List<String> preExec,
                         List<String> postExec, Map<String, String> environment, String stdout, String stderr,
                         long timeoutSeconds, long memoryLimitBytes, RemoteKill remoteKill) {

    /** A unit whose processes all run on this node. */
    public LaunchSpec(String unitId, Path sandbox, List<String> argv, List<String> preExec, List<String> postExec,
                      Map<String, String> environment, String stdout, String stderr, long timeoutSeconds,
                      long memoryLimitBytes) {
        this(unitId, sandbox, argv, preExec, postExec, environment, stdout, stderr, timeoutSeconds, memoryLimitBytes,
                null);
    }

    /** A unit without a memory limit. */
    public LaunchSpec(String unitId, Path sandbox, List<String> argv, List<String> preExec, List<String> postExec,
                      Map<String, String> environment, String stdout, String stderr, long timeoutSeconds) {
        this(unitId, sandbox, argv, preExec, postExec, environment, stdout, stderr, timeoutSeconds, 0, null);
    }

    public LaunchSpec {
        argv = List.copyOf(argv);
        preExec = preExec == null ? List.of() : List.copyOf(preExec);
        postExec = postExec == null ? List.of() : List.copyOf(postExec);
        environment = environment == null ? Map.of() : Map.copyOf(environment);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("unit " + unitId + ": empty argv");
        }
    }
}
