package org.pilotflow.agent.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.pilotflow.agent.scheduler.Allocation;

/**
 * {@code SRUN}: a Slurm job step inside the pilot's own job, on exactly the unit's nodes:
 * <pre>
 * srun --nodes=N --ntasks=T --cpus-per-task=C [--gpus=G] --nodelist=h1,h2 --exact --overlap --kill-on-bad-exit=1
 *      [args...] -- argv...
 * </pre>
 * A non-MPI unit of c cores is one task of c CPUs; an MPI unit of r ranks is r tasks of one CPU. {@code --exact}
 * keeps the step to the CPUs it asks for, so steps of several units share a node; {@code --overlap} lets a step
 * start while others hold the node's resources (the agent's own scheduler decides what fits, not Slurm's);
 * {@code --kill-on-bad-exit=1} ends the whole step when one rank fails. The step inherits the environment and the
 * working directory of srun (the unit sandbox, on the job's shared file system). Flags as in Slurm 22.05.
 *
 * <p>Slurm lays the tasks of an MPI step out over the nodes itself (block distribution); it may place them
 * differently from the agent's per-node rank counts when those are uneven. GPUs: Slurm picks which ones and sets
 * {@code CUDA_VISIBLE_DEVICES} in the step, overriding the agent's.
 */
final class SrunMethod implements LaunchMethod {
    static final String NAME = "SRUN";

    private final MethodOptions options;
    private final Optional<String> unavailable;

    SrunMethod(MethodOptions options, Map<String, String> env) {
        this.options = options;
        String job = env.get("SLURM_JOB_ID");
        if (job == null || job.isBlank()) {
            unavailable = Optional.of("not inside a Slurm job (SLURM_JOB_ID is not set)");
        } else if (options.find(env.get("PATH")).isEmpty()) {
            unavailable = Optional.of(options.executable() + " not found on PATH");
        } else {
            unavailable = Optional.empty();
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<String> refusal(LaunchRequest r) {
        return unavailable;
    }

    @Override
    public Launch wrap(LaunchRequest r) {
        Allocation a = r.allocation();
        boolean mpi = r.unit().mpi();
        List<String> argv = new ArrayList<>();
        argv.add(options.executable());
        argv.add("--nodes=" + a.parts().size());
        argv.add("--ntasks=" + (mpi ? a.coreCount() : 1));
        argv.add("--cpus-per-task=" + (mpi ? 1 : a.coreCount()));
        if (a.gpuCount() > 0) {
            argv.add("--gpus=" + a.gpuCount());
        }
        argv.add("--nodelist=" + String.join(",", a.hosts()));
        argv.add("--exact");
        argv.add("--overlap");
        argv.add("--kill-on-bad-exit=1");
        argv.addAll(options.args());
        argv.add("--");
        argv.addAll(r.argv());
        return new Launch(NAME, argv, Map.of());
    }
}
