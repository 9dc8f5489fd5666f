package org.pilotflow.agent.launch;

import java.util.List;

/** Registers {@link ForkMethod} ({@code FORK}) with the agent's launch methods. */
public final class ForkMethodProvider implements LaunchMethodProvider {

    @Override
    public List<String> names() {
        return List.of(ForkMethod.NAME);
    }

    @Override
    public String defaultExecutable(String name) {
        return null;
    }

    @Override
    public LaunchMethod create(String name, MethodOptions options, Context context) {
        return new ForkMethod(context.agentNode());
    }
}
