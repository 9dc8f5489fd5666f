package org.pilotflow.agent.launch;

import java.util.List;

/** Registers {@link MpiMethod} as {@code MPIEXEC} ({@code mpiexec}) and {@code MPIRUN} ({@code mpirun}). */
public final class MpiMethodProvider implements LaunchMethodProvider {

    @Override
    public List<String> names() {
        return List.of(MpiMethod.MPIEXEC, MpiMethod.MPIRUN);
    }

    @Override
    public String defaultExecutable(String name) {
        return name.toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public LaunchMethod create(String name, MethodOptions options, Context context) {
        return new MpiMethod(name, options, context.env(), context.root());
    }
}
