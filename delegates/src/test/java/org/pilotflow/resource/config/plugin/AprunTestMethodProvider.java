package org.pilotflow.resource.config.plugin;

import java.util.List;

import org.pilotflow.agent.launch.ForkMethodProvider;
import org.pilotflow.agent.launch.LaunchMethod;
import org.pilotflow.agent.launch.LaunchMethodProvider;
import org.pilotflow.agent.launch.MethodOptions;

/**
 * A launch method installed the way a new one is: its own package and a service-file line. Registered only in the
 * class loader {@code LaunchMethodPluginTest} builds (its service file is not among the test resources), so other
 * tests see the built-in methods alone. It forks, as {@code aprun} would place ranks on a Cray's compute nodes.
 */
public final class AprunTestMethodProvider implements LaunchMethodProvider {

    public static final String NAME = "APRUN";

    @Override
    public List<String> names() {
        return List.of(NAME);
    }

    @Override
    public String defaultExecutable(String name) {
        return "aprun";
    }

    @Override
    public LaunchMethod create(String name, MethodOptions options, Context context) {
        return new ForkMethodProvider().create("FORK", options, context);
    }
}
