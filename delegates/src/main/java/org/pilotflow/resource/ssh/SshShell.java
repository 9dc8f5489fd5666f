package org.pilotflow.resource.ssh;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpATTRS;
import com.jcraft.jsch.SftpException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceFiles;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.resource.shell.ShellQuote;

/**
 * A {@link ResourceShell} on an SSH host: commands over exec channels, files over SFTP, both on the host's one
 * shared {@link SshConnection}. Obtain it from {@link SshConnections}.
 *
 * <p>Commands: the remote sshd hands the command line to the user's login shell, so every word is quoted with
 * {@link ShellQuote} and arrives as one argument, byte for byte ({@code exec [env K=V ...] argv...}; a POSIX
 * login shell is assumed, csh-family shells mangle newlines in quotes). Standard input is empty, as for
 * {@link org.pilotflow.resource.shell.LocalShell}. The environment is the one sshd gives a non-interactive
 * command (what {@code ssh host cmd} sees), not a login shell's. As with {@code ssh host cmd}, a command ends for
 * SSH when its output pipes close: one that leaves a background process behind (an agent started with {@code &})
 * must redirect that process's stdout and stderr, or {@link #run} waits for it until the timeout.
 *
 * <p>Files: {@link #write} creates a temporary file next to the target, sets its mode while it is still empty,
 * fills it and renames it over the target ({@code posix-rename@openssh.com} when the server offers it, which
 * OpenSSH does), so the target is never partly written and a secret is never readable by others, not even for a
 * moment. Directories made by {@link #mkdirs} are set to 0700 right after they are created.
 */
public final class SshShell implements ResourceShell {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Prints {@code name=value\0} for each name given as an argument that is set in the environment. No eval: the
     * names are validated, and printenv reads the environment directly.
     */
    private static final String PRINT_VARIABLES =
            "for n do if v=$(printenv \"$n\"); then printf '%s=%s\\000' \"$n\" \"$v\"; fi; done";

    private final SshConnection connection;
    private final SshConnections.Settings settings;

    SshShell(SshConnection connection, SshConnections.Settings settings) {
        this.connection = connection;
        this.settings = settings;
    }

    @Override
    public String target() {
        return connection.target();
    }

    SshConnection connection() {
        return connection;
    }

    // --------------------------------------------------------------------------------------------- commands

    /**
     * {@inheritDoc}
     *
     * <p>On timeout the command's process group is killed (SIGKILL) by a second command: the SSH {@code signal}
     * request is no use, as OpenSSH refuses it for root logins ("session signalling requires privilege
     * separation") and older servers ignore it. The command reports its process id first, on stderr, in a line
     * with a random token that is removed from the output again. The exit code is -1 when the command was killed by
     * a signal (SSH then reports the signal's name, which JSch drops).
     */
    @Override
    public CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws ResourceException {
        String marker = "pilotflow-pid-" + HexFormat.of().formatHex(randomBytes()) + "=";
        // sshd starts the login shell in a new session, so $$ (which exec turns into the command) leads its group
        String command = "printf '" + marker + "%s\\n' \"$$\" >&2; " + commandLine(argv, env);
        long deadline = System.nanoTime() + timeout.toNanos();
        String what = "run '" + argv.get(0) + "'";
        try {
            return connection.<ChannelExec, CommandResult>withChannel("exec", what, timeout, false,
                    () -> new ExecOperation(argv, command, marker, deadline, target()));
        } catch (TimedOut t) {
            throw new ResourceException("'" + String.join(" ", argv) + "' on " + target() + " did not end within "
                    + SshErrors.seconds(timeout) + "; " + kill(t.pid));
        }
    }

    /** Kills the process group of a command that overran its timeout; says how that went. */
    private String kill(String pid) {
        if (pid == null) {
            return "its process id is unknown, so it may still run";
        }
        try {
            CommandResult r = run(List.of("/bin/sh", "-c", "kill -KILL -\"$1\" 2>/dev/null || kill -KILL \"$1\"", "sh",
                    pid), Map.of(), settings.commandTimeout());
            return r.ok() ? "it was killed" : "it had ended when it was to be killed";
        } catch (ResourceException e) {
            return "killing it (process " + pid + ") failed: " + e.getMessage();
        }
    }

    /** The command did not end in time; {@code pid} is its process id there, if it reported it. */
    private static final class TimedOut extends ResourceException {
        private static final long serialVersionUID = 1L;
        private final transient String pid;

        TimedOut(String pid) {
            super("timed out");
            this.pid = pid;
        }
    }

    /** {@code exec [env K=V ...] argv...} with every word quoted. {@code exec}: no shell process stays between. */
    static String commandLine(List<String> argv, Map<String, String> env) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        StringBuilder sb = new StringBuilder("exec ");
        if (!env.isEmpty()) {
            sb.append("env ");
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (!ENV_NAME.matcher(e.getKey()).matches()) {
                    throw new IllegalArgumentException("environment variable name '" + e.getKey()
                            + "' is not of letters, digits and '_'");
                }
                sb.append(ShellQuote.quote(e.getKey() + "=" + e.getValue())).append(' ');
            }
        }
        return sb.append(ShellQuote.join(argv)).toString();
    }

    /** Collects a stream of the channel, and tells when JSch closed it. */
    private static final class Capture extends ByteArrayOutputStream {
        private final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public void close() {
            closed.countDown();
        }

        boolean awaitClosed(long nanos) throws InterruptedException {
            return closed.await(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        }

        String text() {
            return toString(StandardCharsets.UTF_8);
        }
    }

    private static final class ExecOperation implements SshConnection.Operation<ChannelExec, CommandResult> {
        private final List<String> argv;
        private final String command;
        private final String marker;
        private final long deadline;
        private final String target;
        private final Capture out = new Capture();
        private final Capture err = new Capture();

        ExecOperation(List<String> argv, String command, String marker, long deadline, String target) {
            this.argv = argv;
            this.command = command;
            this.marker = marker;
            this.deadline = deadline;
            this.target = target;
        }

        @Override
        public void prepare(ChannelExec channel) {
            channel.setCommand(command.getBytes(StandardCharsets.UTF_8));
            channel.setOutputStream(out);
            channel.setErrStream(err);
        }

        @Override
        public CommandResult run(Session session, ChannelExec channel) throws Exception {
            channel.getOutputStream().close(); // end of input right away, like stdin from /dev/null
            // JSch closes the stderr stream when the channel closes, after the exit status arrived
            if (!err.awaitClosed(deadline - System.nanoTime())) {
                throw new TimedOut(pidAndRest(err.text())[0]);
            }
            int status = channel.getExitStatus();
            if (status == -1 && !session.isConnected()) {
                throw new ResourceException("the connection to " + target + " was lost while '" + argv.get(0)
                        + "' ran; it may have run partly or not at all");
            }
            return new CommandResult(argv, status, out.text(), pidAndRest(err.text())[1]);
        }

        /** The process id from the marker line, and stderr without that line. */
        private String[] pidAndRest(String stderr) {
            int at = stderr.indexOf(marker);
            if (at < 0) {
                return new String[] {null, stderr};
            }
            int end = stderr.indexOf('\n', at);
            if (end < 0) {
                return new String[] {null, stderr};
            }
            String pid = stderr.substring(at + marker.length(), end);
            return new String[] {pid.matches("[0-9]+") ? pid : null, stderr.substring(0, at) + stderr.substring(end + 1)};
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One command for all names; names must be of letters, digits and {@code _}.
     */
    @Override
    public Map<String, String> variables(List<String> names) throws ResourceException {
        if (names.isEmpty()) {
            return Map.of();
        }
        for (String n : names) {
            if (!ENV_NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("variable name '" + n + "' is not of letters, digits and '_'");
            }
        }
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", PRINT_VARIABLES, "sh"));
        argv.addAll(names);
        CommandResult r = run(argv, Map.of(), settings.commandTimeout());
        if (!r.ok()) {
            throw new ResourceException("cannot read the variables " + names + " on " + target() + ": " + r.describe());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String entry : r.stdout().split("\0")) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                out.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return out;
    }

    // --------------------------------------------------------------------------------------------- files

    /** What one SFTP operation does with its channel. */
    private interface SftpWork<T> {
        T run(ChannelSftp sftp) throws Exception;
    }

    private <T> T sftp(String what, SftpWork<T> work) throws ResourceException {
        return connection.<ChannelSftp, T>withChannel("sftp", what, settings.channelWait(), true,
                () -> (session, channel) -> work.run(channel));
    }

    @Override
    public void mkdirs(String path) throws ResourceException {
        String dir = trimSlashes(path);
        sftp("create directory " + path, sftp -> {
            if (isDirectory(sftp, dir)) {
                return null; // the common case: one round trip
            }
            StringBuilder prefix = new StringBuilder(dir.startsWith("/") ? "" : ".");
            for (String part : dir.split("/")) {
                if (part.isEmpty()) {
                    continue;
                }
                prefix.append('/').append(part);
                String p = prefix.toString();
                if (isDirectory(sftp, p)) {
                    continue;
                }
                try {
                    sftp.mkdir(p); // mkdir takes the path literally (no glob)
                    sftp.chmod(0700, literal(p));
                } catch (SftpException e) {
                    if (!isDirectory(sftp, p)) { // another caller may have just made it
                        throw new ResourceException("cannot create directory " + p + " on " + target() + ": "
                                + SshErrors.sftpMessage(e), e);
                    }
                }
            }
            return null;
        });
    }

    /** Whether {@code path} is a directory; false when missing; an error when a non-directory is in the way. */
    private boolean isDirectory(ChannelSftp sftp, String path) throws SftpException, ResourceException {
        SftpATTRS a = statOrNull(sftp, path);
        if (a == null) {
            return false;
        }
        if (!a.isDir()) {
            throw new ResourceException("cannot create directory " + path + " on " + target()
                    + ": a file is in the way");
        }
        return true;
    }

    @Override
    public void write(String path, byte[] content, int mode) throws ResourceException {
        int slash = path.lastIndexOf('/');
        String dir = slash < 0 ? "" : path.substring(0, slash + 1);
        String tmp = dir + ".pilotflow-" + HexFormat.of().formatHex(randomBytes()) + ".tmp";
        sftp("write " + path, sftp -> {
            try {
                // created empty, then restricted, then filled: the content is never readable with another mode
                sftp.put(new ByteArrayInputStream(new byte[0]), literal(tmp), ChannelSftp.OVERWRITE);
                sftp.chmod(mode & 07777, literal(tmp));
                sftp.put(new ByteArrayInputStream(content), literal(tmp), ChannelSftp.OVERWRITE);
                renameOver(sftp, tmp, path);
                return null;
            } catch (Exception e) {
                try {
                    sftp.rm(literal(tmp));
                } catch (SftpException ignored) {
                    // it may not exist; the original failure is what counts
                }
                throw e;
            }
        });
    }

    /**
     * Renames over an existing file. JSch uses {@code posix-rename@openssh.com} when the server offers it (atomic
     * replace); plain SFTP rename refuses an existing target, so then the target is removed first.
     */
    static void renameOver(ChannelSftp sftp, String from, String to) throws SftpException {
        try {
            sftp.rename(literal(from), literal(to));
        } catch (SftpException e) {
            if (e.id != ChannelSftp.SSH_FX_FAILURE || sftp.getExtension("posix-rename@openssh.com") != null) {
                throw e;
            }
            sftp.rm(literal(to));
            sftp.rename(literal(from), literal(to));
        }
    }

    @Override
    public byte[] readTail(String path, long maxBytes) throws ResourceException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes " + maxBytes + " < 0");
        }
        return sftp("read " + path, sftp -> {
            SftpATTRS a = statOrNull(sftp, path);
            if (a == null || !a.isReg()) {
                return null;
            }
            long start = Math.max(0, a.getSize() - maxBytes);
            byte[] bytes;
            try (InputStream in = sftp.get(literal(path), null, start)) {
                bytes = in.readAllBytes();
            }
            // the file may have grown since stat: still only its last maxBytes
            return bytes.length <= maxBytes ? bytes : Arrays.copyOfRange(bytes, bytes.length - (int) maxBytes,
                    bytes.length);
        });
    }

    @Override
    public boolean exists(String path) throws ResourceException {
        return sftp("look for " + path, sftp -> {
            SftpATTRS a = statOrNull(sftp, path);
            return a != null && a.isReg();
        });
    }

    /** {@code stat} (following links), or {@code null} when the path does not exist or cannot be seen. */
    private static SftpATTRS statOrNull(ChannelSftp sftp, String path) throws SftpException {
        try {
            return sftp.stat(literal(path));
        } catch (SftpException e) {
            if (e.id == ChannelSftp.SSH_FX_NO_SUCH_FILE || e.id == ChannelSftp.SSH_FX_PERMISSION_DENIED) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public <T> T withFiles(String what, ResourceFiles.Work<T> work) throws ResourceException {
        // not repeated after a dropped connection: the work decides per file what a failure means
        return connection.<ChannelSftp, T>withChannel("sftp", what, settings.channelWait(), false,
                () -> (session, channel) -> work.run(new SftpFiles(channel, target())));
    }

    @Override
    public int reverseForward(int localPort) throws ResourceException {
        return connection.reverseForward(localPort);
    }

    // --------------------------------------------------------------------------------------------- helpers

    /**
     * A path for the ChannelSftp methods that expand wildcards ({@code stat}, {@code put}, {@code get},
     * {@code chmod}, {@code rename}, {@code rm}): they treat {@code *} and {@code ?} as patterns and drop
     * backslashes, so those are escaped and the path is taken literally. ({@code mkdir} takes paths as they are.)
     */
    static String literal(String path) {
        StringBuilder sb = new StringBuilder(path.length() + 8);
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\' || c == '*' || c == '?') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String trimSlashes(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }

    @Override
    public String toString() {
        return "SshShell[" + target() + "]";
    }
}
