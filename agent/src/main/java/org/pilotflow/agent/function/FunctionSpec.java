package org.pilotflow.agent.function;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything the {@link FunctionExecutor} needs to run one function unit.
 *
 * @param jars           as the unit gave them: absolute, or relative to the pilot sandbox
 * @param environment    the unit's environment with PilotFlow's variables (what {@code FunctionContext} shows)
 * @param timeoutSeconds 0 means no limit
 */
public record FunctionSpec(String unitId, Path sandbox, String className, List<String> jars, List<String> arguments,
                           Map<String, String> environment, String stdout, String stderr, long timeoutSeconds,
                           int cores) {
    public FunctionSpec {
        jars = List.copyOf(jars);
        arguments = arguments == null ? List.of() : List.copyOf(arguments);
        environment = environment == null ? Map.of() : Map.copyOf(environment);
    }
}
