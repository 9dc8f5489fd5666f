package org.pilotflow.agent.launch;

import java.util.Optional;

/**
 * One way of starting a unit's processes on the nodes it was given (fork, {@code srun}, {@code mpiexec}, ssh). The
 * agent asks the configured methods in order ({@link LaunchMethods}) and uses the first that can run the unit.
 */
public interface LaunchMethod {

    /** The name used in the configuration: {@code FORK}, {@code SRUN}, {@code MPIEXEC}, {@code MPIRUN}, {@code SSH}. */
    String name();

    /** Why this method cannot start the unit on its allocation (a phrase for the failure reason), or empty if it can. */
    Optional<String> refusal(LaunchRequest request);

    /** The process to start; call only when {@link #refusal} is empty. */
    Launch wrap(LaunchRequest request);
}
