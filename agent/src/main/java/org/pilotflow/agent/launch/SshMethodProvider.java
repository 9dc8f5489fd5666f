package org.pilotflow.agent.launch;

import java.util.List;

/** Registers {@link SshMethod} ({@code SSH}) with the agent's launch methods. */
public final class SshMethodProvider implements LaunchMethodProvider {

    @Override
    public List<String> names() {
        return List.of(SshMethod.NAME);
    }

    @Override
    public String defaultExecutable(String name) {
        return "ssh";
    }

    @Override
    public LaunchMethod create(String name, MethodOptions options, Context context) {
        return new SshMethod(options, context.env(), context.agentNode());
    }
}
