package org.pilotflow.resource.config;

import java.util.Locale;

/**
 * How the agent reaches the engine's agent endpoint ({@code "channel": {"mode": ...}}): {@code "direct"} (the
 * agent connects to the engine's address; the default) or {@code "ssh_tunnel"} (through a reverse tunnel over the
 * job manager's SSH connection, for compute nodes that cannot reach the engine).
 */
public enum ChannelMode {
    DIRECT, SSH_TUNNEL;

    /** The JSON spelling: {@code direct}, {@code ssh_tunnel}. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
