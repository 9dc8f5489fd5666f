package org.pilotflow.model.wire;

import java.util.List;
import java.util.Map;

/**
 * What the agent needs to run one unit. {@code executable} and {@code arguments} form an argv that is never
 * parsed by a shell; {@code preExec} and {@code postExec} are shell command lines (as in RADICAL-Pilot), run with
 * {@code /bin/sh -c} in the unit sandbox before and after the executable.
 *
 * @param timeoutSeconds 0 means no limit
 * @param mpi            an MPI program: its {@code cores} are ranks, which may span nodes, and it is started by an
 *                       MPI-capable launch method ({@code MPIEXEC}, {@code MPIRUN}, {@code SRUN})
 * @param sandbox        the unit sandbox's path relative to the pilot sandbox; null for the unit id
 * @param threads        threads of a one-process unit (set as {@code OMP_NUM_THREADS}); 0 when not given
 * @param priority       higher is scheduled first among the units waiting for slots
 * @param colocate       units with the same value run on one node (the one the first of them got); null for none
 * @param memoryMb       the most memory ({@code pss + swap}, MiB) the unit's processes may use; 0 for no limit
 * @param inputStaging   resolved directives ({@link StagingDirective#resolved}) the agent carries out, in order,
 *                       before the unit runs (STAGING_INPUT)
 * @param outputStaging  resolved directives carried out after the unit ran (STAGING_OUTPUT): after it ended DONE,
 *                       or also after FAILED or CANCELED with {@code stageOnError}
 * @param function       a function unit: the fully qualified name of a class implementing
 *                       {@code org.pilotflow.function.PilotFunction}, run in the agent's worker pool instead of a
 *                       process (then {@code executable} is null); null for a process unit
 * @param functionJars   the jars {@code function} is loaded from: absolute, or relative to the pilot sandbox
 */
public record UnitSpec(
        String unitId,
        String name,
        String executable,
        List<String> arguments,
        Map<String, String> environment,
        int cores,
        int gpus,
        List<String> preExec,
        List<String> postExec,
        String stdout,
        String stderr,
        long timeoutSeconds,
        boolean mpi,
        String sandbox,
        int threads,
        int priority,
        String colocate,
        long memoryMb,
        List<StagingDirective> inputStaging,
        List<StagingDirective> outputStaging,
        boolean stageOnError,
        String function,
        List<String> functionJars) {

    /** A process unit. */
    public UnitSpec(String unitId, String name, String executable, List<String> arguments,
                    Map<String, String> environment, int cores, int gpus, List<String> preExec,
                    List<String> postExec, String stdout, String stderr, long timeoutSeconds, boolean mpi,
                    String sandbox, int threads, int priority, String colocate, long memoryMb,
                    List<StagingDirective> inputStaging, List<StagingDirective> outputStaging,
                    boolean stageOnError) {
        this(unitId, name, executable, arguments, environment, cores, gpus, preExec, postExec, stdout, stderr,
                timeoutSeconds, mpi, sandbox, threads, priority, colocate, memoryMb, inputStaging, outputStaging,
                stageOnError, null, null);
    }

    /** A unit without staging. */
    public UnitSpec(String unitId, String name, String executable, List<String> arguments,
                    Map<String, String> environment, int cores, int gpus, List<String> preExec,
                    List<String> postExec, String stdout, String stderr, long timeoutSeconds, boolean mpi,
                    String sandbox, int threads, int priority, String colocate, long memoryMb) {
        this(unitId, name, executable, arguments, environment, cores, gpus, preExec, postExec, stdout, stderr,
                timeoutSeconds, mpi, sandbox, threads, priority, colocate, memoryMb, null, null, false);
    }

    /** A unit without a memory limit. */
    public UnitSpec(String unitId, String name, String executable, List<String> arguments,
                    Map<String, String> environment, int cores, int gpus, List<String> preExec,
                    List<String> postExec, String stdout, String stderr, long timeoutSeconds, boolean mpi,
                    String sandbox, int threads, int priority, String colocate) {
        this(unitId, name, executable, arguments, environment, cores, gpus, preExec, postExec, stdout, stderr,
                timeoutSeconds, mpi, sandbox, threads, priority, colocate, 0);
    }

    /** A unit in its own sandbox, without threads, priority or co-location. */
    public UnitSpec(String unitId, String name, String executable, List<String> arguments,
                    Map<String, String> environment, int cores, int gpus, List<String> preExec,
                    List<String> postExec, String stdout, String stderr, long timeoutSeconds, boolean mpi) {
        this(unitId, name, executable, arguments, environment, cores, gpus, preExec, postExec, stdout, stderr,
                timeoutSeconds, mpi, null, 0, 0, null);
    }

    /** A non-MPI unit. */
    public UnitSpec(String unitId, String name, String executable, List<String> arguments,
                    Map<String, String> environment, int cores, int gpus, List<String> preExec,
                    List<String> postExec, String stdout, String stderr, long timeoutSeconds) {
        this(unitId, name, executable, arguments, environment, cores, gpus, preExec, postExec, stdout, stderr,
                timeoutSeconds, false);
    }

    public UnitSpec {
        arguments = arguments == null ? List.of() : List.copyOf(arguments);
        environment = environment == null ? Map.of() : Map.copyOf(environment);
        preExec = preExec == null ? List.of() : List.copyOf(preExec);
        postExec = postExec == null ? List.of() : List.copyOf(postExec);
        stdout = stdout == null ? "STDOUT" : stdout;
        stderr = stderr == null ? "STDERR" : stderr;
        inputStaging = inputStaging == null ? List.of() : List.copyOf(inputStaging);
        outputStaging = outputStaging == null ? List.of() : List.copyOf(outputStaging);
        functionJars = functionJars == null ? List.of() : List.copyOf(functionJars);
    }
}
