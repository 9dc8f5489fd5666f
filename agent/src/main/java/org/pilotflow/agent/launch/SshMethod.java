package org.pilotflow.agent.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code SSH}: a non-MPI unit on another node of the pilot, through ssh:
 * <pre>
 * ssh [args...] -o BatchMode=yes -o StrictHostKeyChecking=accept-new HOST "cd 'SANDBOX' &amp;&amp; exec env 'K=V'... 'argv0' 'argv1'..."
 * </pre>
 * ssh hands the remote side one command line for the login shell, so here, and only here, the argv becomes a
 * command line: every word in POSIX single quotes ({@link #quote}), which that shell passes on verbatim (a POSIX
 * shell is assumed on the nodes; csh would treat '!' and newlines differently). The remote process starts in the
 * unit sandbox (the pilot's nodes share a file system) with the unit's own variables; the rest of its
 * environment is the remote login's. The configured {@code args} come first because ssh keeps the first value it
 * sees for an option, so a resource can override the two defaults (e.g. {@code StrictHostKeyChecking=yes}).
 * {@code BatchMode=yes} makes a missing key fail at once instead of waiting for a password.
 *
 * <p>Killing the unit kills the local ssh; the remote process gets no signal (no terminal is allocated), so it may
 * run on until it notices its output is gone.
 */
final class SshMethod implements LaunchMethod {
    static final String NAME = "SSH";

    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final MethodOptions options;
    private final Optional<String> agentNode;
    private final Optional<String> unavailable;

    SshMethod(MethodOptions options, Map<String, String> env, Optional<String> agentNode) {
        this.options = options;
        this.agentNode = agentNode;
        this.unavailable = options.find(env.get("PATH")).isEmpty()
                ? Optional.of(options.executable() + " not found on PATH") : Optional.empty();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Optional<String> refusal(LaunchRequest r) {
        if (r.unit().mpi()) {
            return Optional.of("starts non-MPI units only");
        }
        String host = r.allocation().hosts().get(0);
        if (agentNode.isPresent() && agentNode.get().equals(host)) {
            return Optional.of("starts units on other nodes, this one is on the agent's node " + host);
        }
        for (String var : r.environment().keySet()) {
            if (!VARIABLE_NAME.matcher(var).matches()) {
                return Optional.of("cannot pass the variable '" + var + "' to a shell");
            }
        }
        return unavailable;
    }

    @Override
    public Launch wrap(LaunchRequest r) {
        StringBuilder line = new StringBuilder("cd ").append(quote(r.sandbox().toString())).append(" && exec env");
        for (Map.Entry<String, String> e : new TreeMap<>(r.environment()).entrySet()) {
            line.append(' ').append(quote(e.getKey() + "=" + e.getValue()));
        }
        for (String word : r.argv()) {
            line.append(' ').append(quote(word));
        }
        List<String> argv = new ArrayList<>();
        argv.add(options.executable());
        argv.addAll(options.args());
        argv.addAll(List.of("-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"));
        argv.add(r.allocation().hosts().get(0));
        argv.add(line.toString());
        return new Launch(NAME, argv, Map.of());
    }

    /** One word for a POSIX shell: in single quotes, each {@code '} written as {@code '\''}. */
    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
