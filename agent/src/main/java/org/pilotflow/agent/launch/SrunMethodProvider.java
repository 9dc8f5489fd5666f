package org.pilotflow.agent.launch;

import java.util.List;

/** Registers {@link SrunMethod} ({@code SRUN}) with the agent's launch methods. */
public final class SrunMethodProvider implements LaunchMethodProvider {

    @Override
    public List<String> names() {
        return List.of(SrunMethod.NAME);
    }

    @Override
    public String defaultExecutable(String name) {
        return "srun";
    }

    @Override
    public LaunchMethod create(String name, MethodOptions options, Context context) {
        return new SrunMethod(options, context.env());
    }
}
