package org.pilotflow.resource.config;

import java.util.List;
import java.util.Objects;

import org.pilotflow.agent.launch.LaunchMethodProvider;

/**
 * A way an agent can start a unit's processes, named as in {@code launch_methods.order}. The names are those of the
 * agent module's {@link LaunchMethodProvider} services ({@link #installed()}): the agent's classes are on this
 * classpath, and the same build's agent jar is what the engine stages, so a method added to the agent module as a
 * package of its own (and its service-file line) is accepted here without a change. A provider jar added to the
 * engine's classpath alone would be accepted here but missing in the staged agent: methods belong in the agent
 * module. The constants are the built-in methods, for code and tests that name one; {@code ResourceConfig}'s
 * builder checks every name, however it was made.
 *
 * @param name the method's name, upper case: {@code SRUN}
 */
public record LaunchMethod(String name) {

    public static final LaunchMethod FORK = new LaunchMethod("FORK");
    public static final LaunchMethod SRUN = new LaunchMethod("SRUN");
    public static final LaunchMethod MPIEXEC = new LaunchMethod("MPIEXEC");
    public static final LaunchMethod MPIRUN = new LaunchMethod("MPIRUN");
    public static final LaunchMethod SSH = new LaunchMethod("SSH");

    /** Any name; {@link #of} and the resource config's builder check it against the installed methods. */
    public LaunchMethod {
        Objects.requireNonNull(name, "name");
    }

    /**
     * The installed method {@code name}.
     *
     * @throws IllegalArgumentException no installed provider serves it; the message lists those that do
     */
    public static LaunchMethod of(String name) {
        if (name == null || !installed().contains(name)) {
            throw new IllegalArgumentException("unknown launch method '" + name + "', expected one of "
                    + installed());
        }
        return new LaunchMethod(name);
    }

    /** The names every installed method serves, in the agent's service-file order. */
    public static List<String> installed() {
        return org.pilotflow.agent.launch.LaunchMethods.NAMES;
    }

    @Override
    public String toString() {
        return name;
    }
}
