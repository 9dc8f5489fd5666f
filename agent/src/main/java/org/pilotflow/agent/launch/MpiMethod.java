package org.pilotflow.agent.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import org.pilotflow.agent.scheduler.Allocation;

/**
 * {@code MPIEXEC} and {@code MPIRUN}: an MPI unit started by the MPI library's launcher, in Open MPI's syntax:
 * <pre>
 * mpiexec -n R --host h1:n1,h2:n2 [-x VAR]... [args...] argv...
 * </pre>
 * {@code --host h:n} gives each node exactly the ranks the scheduler placed there. {@code -x VAR} for each of the
 * unit's own variables, because Open MPI starts ranks on other nodes with the remote daemon's environment, not
 * the launcher's. When the agent runs as root (containers, CI) Open MPI refuses to start unless told twice, so
 * the launch then adds {@code OMPI_ALLOW_RUN_AS_ROOT=1} and {@code OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1} to the
 * environment. Non-MPI units are left to other methods.
 */
final class MpiMethod implements LaunchMethod {
    static final String MPIEXEC = "MPIEXEC";
    static final String MPIRUN = "MPIRUN";

    static final Map<String, String> ALLOW_ROOT = Map.of("OMPI_ALLOW_RUN_AS_ROOT", "1",
            "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");

    private final String name;
    private final MethodOptions options;
    private final boolean root;
    private final Optional<String> unavailable;

    /** @param root the agent runs as uid 0 */
    MpiMethod(String name, MethodOptions options, Map<String, String> env, boolean root) {
        this.name = name;
        this.options = options;
        this.root = root;
        this.unavailable = options.find(env.get("PATH")).isEmpty()
                ? Optional.of(options.executable() + " not found on PATH") : Optional.empty();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<String> refusal(LaunchRequest r) {
        if (!r.unit().mpi()) {
            return Optional.of("starts MPI units only");
        }
        return unavailable;
    }

    @Override
    public Launch wrap(LaunchRequest r) {
        List<String> argv = new ArrayList<>();
        argv.add(options.executable());
        argv.add("-n");
        argv.add(Integer.toString(r.ranks()));
        argv.add("--host");
        StringBuilder hosts = new StringBuilder();
        for (Allocation.Part p : r.allocation().parts()) {
            hosts.append(hosts.length() == 0 ? "" : ",").append(p.node().name()).append(':').append(p.cores().size());
        }
        argv.add(hosts.toString());
        for (String var : new TreeSet<>(r.environment().keySet())) {
            argv.add("-x");
            argv.add(var);
        }
        argv.addAll(options.args());
        argv.addAll(r.argv());
        return new Launch(name, argv, root ? ALLOW_ROOT : Map.of());
    }
}
