package org.pilotflow.agent.launch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.pilotflow.agent.executor.RemoteKill;

/**
 * {@code SSH}: a non-MPI unit on another node of the pilot, through ssh:
 * <pre>
 * ssh [args...] -o BatchMode=yes -o StrictHostKeyChecking=accept-new HOST "cd 'SANDBOX' &amp;&amp; exec setsid -w /bin/sh -c 'START' '.pilotflow-ssh-N' env 'K=V'... 'argv0' 'argv1'..."
 * </pre>
 * ssh hands the remote side one command line for the login shell, so here, and only here, the argv becomes a
 * command line: every word in POSIX single quotes ({@link #quote}), which that shell passes on verbatim (a POSIX
 * shell is assumed on the nodes; csh would treat '!' and newlines differently). The remote process starts in the
 * unit sandbox (the pilot's nodes share a file system) with the unit's own variables; the rest of its
 * environment is the remote login's. The configured {@code args} come first because ssh keeps the first value it
 * sees for an option, so a resource can override the two defaults (e.g. {@code StrictHostKeyChecking=yes}).
 * {@code BatchMode=yes} makes a missing key fail at once instead of waiting for a password.
 *
 * <p>Killing: a killed ssh client does not end the remote command (no terminal, no signal), so the unit runs in a
 * process group of its own on the remote node ({@code setsid -w}, util-linux, assumed there), whose id the fixed
 * {@link #START} script writes to {@code .pilotflow-ssh-N.pid} in the unit sandbox before it execs the unit (the
 * words after it are its arguments, not parsed again). The launch's {@link Launch#remoteKill} then runs, over a
 * second ssh connection to the same node, {@link #KILL}: it creates {@code .pilotflow-ssh-N.cancel} and signals the
 * group named in the pid file. START looks for the cancel file after writing the pid file, so a kill that comes
 * before the unit started keeps it from starting. N counts this agent's ssh launches, so a unit run again in the
 * same sandbox gets fresh files. The two small files stay in the unit sandbox.
 */
final class SshMethod implements LaunchMethod {
    static final String NAME = "SSH";

    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** Run by {@code sh -c} on the remote node: $0 is the files' prefix, "$@" the unit's command. */
    static final String START = "echo $$ > \"$0.pid\" && if [ -e \"$0.cancel\" ]; then exit 143; fi && exec \"$@\"";

    /** Run by the remote login shell after {@code cd SANDBOX && f=PREFIX s=SIGNAL}: signals the unit's group. */
    static final String KILL = "touch \"$f.cancel\" && if [ -s \"$f.pid\" ]; then "
            + "kill -s \"$s\" -- \"-$(cat \"$f.pid\")\" 2>/dev/null; fi; exit 0";

    private final AtomicLong launches = new AtomicLong();

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
        String files = ".pilotflow-ssh-" + launches.incrementAndGet();
        String sandbox = quote(r.sandbox().toString());
        StringBuilder line = new StringBuilder("cd ").append(sandbox).append(" && exec setsid -w /bin/sh -c ")
                .append(quote(START)).append(' ').append(quote(files)).append(" env");
        for (Map.Entry<String, String> e : new TreeMap<>(r.environment()).entrySet()) {
            line.append(' ').append(quote(e.getKey() + "=" + e.getValue()));
        }
        for (String word : r.argv()) {
            line.append(' ').append(quote(word));
        }
        String host = r.allocation().hosts().get(0);
        RemoteKill kill = signal -> ssh(host, "cd " + sandbox + " && f=" + quote(files) + " s=" + quote(signal)
                + " && " + KILL);
        return new Launch(NAME, ssh(host, line.toString()), Map.of(), kill);
    }

    private List<String> ssh(String host, String commandLine) {
        List<String> argv = new ArrayList<>();
        argv.add(options.executable());
        argv.addAll(options.args());
        argv.addAll(List.of("-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"));
        argv.add(host);
        argv.add(commandLine);
        return argv;
    }

    /** One word for a POSIX shell: in single quotes, each {@code '} written as {@code '\''}. */
    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
