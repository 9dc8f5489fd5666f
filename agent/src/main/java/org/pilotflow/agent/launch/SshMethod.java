package org.pilotflow.agent.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.pilotflow.agent.executor.RemoteKill;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SSH}: a non-MPI unit on another node of the pilot, through ssh:
 * <pre>
 * ssh [args...] -o BatchMode=yes -o StrictHostKeyChecking=accept-new HOST "cd 'SANDBOX' &amp;&amp; exec /bin/sh -c 'LAUNCH' '.pilotflow-ssh-N' env 'K=V'... 'argv0' 'argv1'..."
 * </pre>
 * ssh hands the remote side one command line for the login shell, so here, and only here, the argv becomes a
 * command line: every word in single quotes ({@link #quote}), which the login shell passes on verbatim, and
 * all the login shell runs is {@code cd} and {@code exec /bin/sh -c} with fixed script text, so csh and tcsh logins
 * work too (as long as no word holds a newline or '!', which csh treats differently). The remote process starts in
 * the unit sandbox (the pilot's nodes share a file system) with the unit's own variables; the rest of its
 * environment is the remote login's. The configured {@code args} come first because ssh keeps the first value it
 * sees for an option, so a resource can override the two defaults (e.g. {@code StrictHostKeyChecking=yes}).
 * {@code BatchMode=yes} makes a missing key fail at once instead of waiting for a password.
 *
 * <p>Killing: a killed ssh client does not end the remote command (no terminal, no signal), so the unit runs in a
 * process group of its own on the remote node ({@code setsid -w}, util-linux; {@link #LAUNCH} runs it without one
 * where that is missing), which the fixed {@link #START} script writes to {@code .pilotflow-ssh-N.pid} in the unit
 * sandbox before it execs the unit (the words after it are its arguments, not parsed again). The launch's
 * {@link Launch#remoteKill} then runs, over a second ssh connection to the same node, {@link #KILL}: it creates
 * {@code .pilotflow-ssh-N.cancel} and signals what the pid file names. START looks for the cancel file after
 * writing the pid file, so a kill that comes before the unit started keeps it from starting. N counts this agent's
 * ssh launches, so a unit run again in the same sandbox gets fresh files; they are removed once the remote
 * processes are known to be gone.
 */
final class SshMethod implements LaunchMethod {
    static final String NAME = "SSH";
    private static final Logger LOG = LoggerFactory.getLogger(SshMethod.class);

    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * Run by {@code sh -c} on the remote node with $0 the files' prefix and "$@" the unit's command, $g being "-" in
     * a session of its own (the pid file then names the process group) and empty without one.
     */
    static final String START = "echo \"$g$$\" > \"$0.pid\" && if [ -e \"$0.cancel\" ]; then exit 143; fi && exec \"$@\"";

    /**
     * Run by {@code /bin/sh -c} from the login shell, arguments as for {@link #START}: START in a new session when
     * the node's setsid has {@code -w} (util-linux; without -w the unit's exit code would be lost), else START in
     * this process, so a node without it still runs units (a kill then reaches the unit's own process only).
     */
    static final String LAUNCH = "if setsid -w true 2>/dev/null; then exec setsid -w /bin/sh -c 'g=-; " + START
            + "' \"$0\" \"$@\"; fi; g=; " + START;

    /**
     * Run by {@code /bin/sh -c} from the login shell with $1 the files' prefix, $2 the signal: keeps the unit from
     * starting and signals what the pid file names. Exits 0 unless it could not leave the cancel file.
     */
    static final String KILL = "touch \"$1.cancel\" && if [ -s \"$1.pid\" ]; then "
            + "kill -s \"$2\" -- \"$(cat \"$1.pid\")\" 2>/dev/null; fi; exit 0";

    /** A kill must not wait long for a node that went away: the unit's cores stay taken until it gave up. */
    private static final List<String> KILL_OPTIONS = List.of("-o", "ConnectTimeout=5", "-o",
            "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2");

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
        StringBuilder line = new StringBuilder("cd ").append(sandbox).append(" && exec /bin/sh -c ")
                .append(quote(LAUNCH)).append(' ').append(quote(files)).append(" env");
        for (Map.Entry<String, String> e : new TreeMap<>(r.environment()).entrySet()) {
            line.append(' ').append(quote(e.getKey() + "=" + e.getValue()));
        }
        for (String word : r.argv()) {
            line.append(' ').append(quote(word));
        }
        String host = r.allocation().hosts().get(0);
        return new Launch(NAME, ssh(host, List.of(), line.toString()), Map.of(), new RemoteKill() {
            @Override
            public List<String> argv(String signal) {
                return ssh(host, KILL_OPTIONS, "cd " + sandbox + " && exec /bin/sh -c " + quote(KILL) + " sh "
                        + quote(files) + " " + quote(signal));
            }

            @Override
            public String node() {
                return host;
            }

            @Override
            public void ended() { // the nodes share the file system
                for (String suffix : List.of(".pid", ".cancel")) {
                    try {
                        Files.deleteIfExists(r.sandbox().resolve(files + suffix));
                    } catch (IOException | RuntimeException e) {
                        LOG.debug("cannot remove {}{}: {}", files, suffix, e.toString());
                    }
                }
            }
        });
    }

    private List<String> ssh(String host, List<String> extraOptions, String commandLine) {
        List<String> argv = new ArrayList<>();
        argv.add(options.executable());
        argv.addAll(options.args());
        argv.addAll(List.of("-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new"));
        argv.addAll(extraOptions);
        argv.add(host);
        argv.add(commandLine);
        return argv;
    }

    /** One word for a POSIX shell: in single quotes, each {@code '} written as {@code '\''}. */
    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
