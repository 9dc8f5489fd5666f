package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.JobManagerEndpoint;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;
import org.pilotflow.testing.TestBackends;

/** The private sshd of {@code test-backends/sshd.sh}, as the SSH tests use it. */
final class SshFixture {

    private final Map<String, String> env;

    private SshFixture(Map<String, String> env) {
        this.env = env;
    }

    /** Starts the sshd if needed; skips the test without it (fails under CI=true). */
    static SshFixture require() {
        return new SshFixture(TestBackends.require("sshd"));
    }

    String host() {
        return env.get("SSH_HOST");
    }

    int port() {
        return Integer.parseInt(env.get("SSH_PORT"));
    }

    String user() {
        return env.get("SSH_USER");
    }

    Path key() {
        return Path.of(env.get("SSH_KEY"));
    }

    Path passphraseKey() {
        return Path.of(env.get("SSH_KEY_PASSPHRASE_FILE"));
    }

    String passphrase() {
        return env.get("SSH_KEY_PASSPHRASE");
    }

    Path unauthorizedKey() {
        return Path.of(env.get("SSH_UNAUTHORIZED_KEY"));
    }

    Path knownHosts() {
        return Path.of(env.get("SSH_KNOWN_HOSTS"));
    }

    Path wrongKnownHosts() {
        return Path.of(env.get("SSH_WRONG_KNOWN_HOSTS"));
    }

    /** {@code user@127.0.0.1:2222}. */
    String location() {
        return user() + "@" + host() + ":" + port();
    }

    /** {@code 127.0.0.1:2222}. */
    String hostPort() {
        return host() + ":" + port();
    }

    JobManagerEndpoint endpoint() {
        return JobManagerEndpoint.parse("ssh://" + location() + "/");
    }

    SshCredentials credentials() {
        return SshCredentials.builder().user(user()).keyFile(key()).knownHosts(knownHosts()).build();
    }

    /** Connections for tests: the fixture's credentials, a quick tunnel watchdog. */
    SshConnections connections() {
        return connections(credentials());
    }

    SshConnections connections(SshCredentials credentials) {
        return SshConnections.builder().defaultCredentials(credentials)
                .tunnelCheckInterval(Duration.ofMillis(200)).build();
    }

    long listenerPid() throws Exception {
        return Long.parseLong(Files.readString(Path.of(env.get("SSHD_PID_FILE")), StandardCharsets.US_ASCII).strip());
    }

    /**
     * The sshd process that serves the connection of {@code shell} (the listener's child for that TCP connection),
     * found from the parent of a command run through it.
     */
    ProcessHandle serverProcessOf(ResourceShell shell) throws Exception {
        CommandResult r = shell.run(List.of("/bin/sh", "-c", "echo $PPID"), Map.of(), Duration.ofSeconds(20));
        assertThat(r.exitCode()).isZero();
        long listener = listenerPid();
        Optional<ProcessHandle> p = ProcessHandle.of(Long.parseLong(r.stdout().strip()));
        while (p.isPresent()) {
            Optional<ProcessHandle> parent = p.get().parent();
            if (parent.isPresent() && parent.get().pid() == listener) {
                return p.get();
            }
            p = parent;
        }
        throw new AssertionError("no child of the sshd listener " + listener + " above the command's shell");
    }

    /** Drops the TCP connection of {@code shell} from the server side, as a crashed or rebooted sshd would. */
    void dropConnectionOf(ResourceShell shell) throws Exception {
        ProcessHandle server = serverProcessOf(shell);
        server.descendants().forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly();
        await("sshd process " + server.pid() + " gone", Duration.ofSeconds(10), () -> !server.isAlive());
    }

    /** {@code SSH_CONNECTION} as the server sees it: client address and port identify the TCP connection. */
    static String sshConnection(ResourceShell shell) throws ResourceException {
        CommandResult r = shell.run(List.of("printenv", "SSH_CONNECTION"), Map.of(), Duration.ofSeconds(20));
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return r.stdout().strip();
    }

    /** Waits for {@code condition} until the deadline; fails naming {@code what}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }
}
