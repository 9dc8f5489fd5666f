package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.resource.JobHandle;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.config.JobManagerEndpoint;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.LocalShell;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * {@link SshConnections} against the real private sshd: sharing, reconnecting, reverse tunnels, host keys,
 * credentials, and the error messages a user sees when something is wrong.
 */
class SshConnectionsTest {

    private static final Duration T = Duration.ofSeconds(30);

    private static SshFixture sshd;

    private SshConnections connections;
    private TokenServer engine;

    @TempDir
    Path dir;

    @BeforeAll
    static void sshd() {
        sshd = SshFixture.require();
    }

    @AfterEach
    void close() throws IOException {
        if (connections != null) {
            connections.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ lookup

    @Test
    void anEndpointAndTheLocationOfItsJobHandlesShareOneShell() throws Exception {
        connections = sshd.connections();
        JobManagerEndpoint endpoint = sshd.endpoint();

        ResourceShell shell = connections.forEndpoint(endpoint, true);

        assertThat(shell.target()).isEqualTo(sshd.location());
        assertThat(connections.forLocation(JobHandle.of(endpoint, "4711").location())).isSameAs(shell);
        assertThat(connections.forEndpoint(JobManagerEndpoint.parse("fork://localhost/"), true))
                .isSameAs(LocalShell.INSTANCE);
        assertThat(connections.forLocation(null)).isSameAs(LocalShell.INSTANCE);
    }

    @Test
    void theUserComesFromTheCredentialsWhenTheLocationHasNone() throws Exception {
        connections = sshd.connections();

        ResourceShell shell = connections.forLocation(sshd.hostPort());

        assertThat(shell.target()).isEqualTo(sshd.location());
        assertThat(shell.run(List.of("id", "-un"), Map.of(), T).stdout().strip()).isEqualTo(sshd.user());
    }

    @Test
    void hostsWithoutCredentialsAreRefusedByName() {
        connections = SshConnections.builder().build();

        assertThatThrownBy(() -> connections.forLocation(sshd.location()))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("no SSH credentials for host " + sshd.host());
    }

    @Test
    void perHostCredentialsWinOverTheDefault() throws Exception {
        SshCredentials wrong = SshCredentials.builder().user(sshd.user()).keyFile(sshd.unauthorizedKey())
                .knownHosts(sshd.knownHosts()).build();
        connections = sshd.connections(wrong).credentials(sshd.host(), sshd.credentials());

        assertThat(connections.forEndpoint(sshd.endpoint(), true).run(List.of("true"), Map.of(), T).ok()).isTrue();
    }

    // ------------------------------------------------------------------------------------------------ reconnect

    @Test
    void aDroppedConnectionIsReplacedOnNextUseAndLoggedOnce() throws Exception {
        connections = sshd.connections();
        ResourceShell shell = connections.forEndpoint(sshd.endpoint(), true);
        String before = SshFixture.sshConnection(shell);

        try (LogCapture log = new LogCapture()) {
            sshd.dropConnectionOf(shell);

            // the very next call: the client may or may not have noticed the drop yet; either way it succeeds
            CommandResult r = shell.run(List.of("printenv", "SSH_CONNECTION"), Map.of(), T);

            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout().strip()).isNotEqualTo(before);
            assertThat(log.lines(Level.INFO)).containsOnlyOnce("reconnected to " + sshd.location());
        }
        shell.write(dir.resolve("after").toString(), new byte[] {1}, 0600);
        assertThat(dir.resolve("after")).hasBinaryContent(new byte[] {1});
    }

    // ------------------------------------------------------------------------------------------------ tunnels

    @Test
    void aReverseForwardReachesTheEnginesPortFromTheRemoteSide() throws Exception {
        connections = sshd.connections();
        ResourceShell shell = connections.forEndpoint(sshd.endpoint(), true);
        String token = startEngine();
        int localPort = engine.port();

        int remotePort = shell.reverseForward(localPort);

        assertThat(remotePort).isPositive().isNotEqualTo(localPort);
        assertThat(shell.reverseForward(localPort)).as("set up once").isEqualTo(remotePort);
        assertThat(fetchRemotely(shell, remotePort)).isEqualTo(token);
    }

    @Test
    void settingUpForwardsLeavesTheCallersThreadUsable() throws Exception {
        // JSch signals the forward's reply by interrupting the requesting thread, sometimes late; that once broke
        // the caller's next channel open ("channel is not opened.")
        connections = sshd.connections();
        ResourceShell shell = connections.forEndpoint(sshd.endpoint(), true);
        List<ServerSocket> ports = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 15; i++) {
                ServerSocket local = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ports.add(local);

                shell.reverseForward(local.getLocalPort());

                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                assertThat(shell.run(List.of("true"), Map.of(), T).ok()).isTrue();
            }
        } finally {
            for (ServerSocket p : ports) {
                p.close();
            }
        }
    }

    @Test
    void afterADropTheTunnelComesBackOnTheSamePortWithoutAnyCall() throws Exception {
        connections = sshd.connections();
        ResourceShell shell = connections.forEndpoint(sshd.endpoint(), true);
        String token = startEngine();
        int remotePort = shell.reverseForward(engine.port());
        SshConnection connection = SshConnections.connectionOf(shell);
        Object oldSession = connection.currentSession();

        try (LogCapture log = new LogCapture()) {
            sshd.dropConnectionOf(shell);

            // no command is issued: the tunnel watchdog notices, reconnects and restores the forward
            SshFixture.await("the watchdog reconnected", Duration.ofSeconds(20), () -> {
                Object s = connection.currentSession();
                return s != null && s != oldSession && listening(remotePort);
            });
            assertThat(log.lines(Level.INFO)).contains("reconnected to " + sshd.location(),
                    "restored reverse tunnel 127.0.0.1:" + remotePort + " on " + sshd.location() + " -> 127.0.0.1:"
                            + engine.port() + " here");
        }
        assertThat(shell.reverseForward(engine.port())).isEqualTo(remotePort);
        assertThat(fetchRemotely(shell, remotePort)).isEqualTo(token);
    }

    @Test
    void theTunnelEndsWithClose() throws Exception {
        connections = sshd.connections();
        ResourceShell shell = connections.forEndpoint(sshd.endpoint(), true);
        startEngine();
        int remotePort = shell.reverseForward(engine.port());
        assertThat(listening(remotePort)).isTrue();

        connections.close();

        SshFixture.await("remote port " + remotePort + " closed", Duration.ofSeconds(10), () -> !listening(remotePort));
        assertThatThrownBy(() -> connections.forLocation(sshd.location()))
                .isInstanceOf(ResourceException.class).hasMessageContaining("closed");
    }

    // ------------------------------------------------------------------------------------------------ host keys

    @Test
    void aChangedHostKeyIsRefusedNamingHostAndFile() {
        connections = sshd.connections(SshCredentials.builder().user(sshd.user()).keyFile(sshd.key())
                .knownHosts(sshd.wrongKnownHosts()).build());

        assertThatThrownBy(() -> connections.forEndpoint(sshd.endpoint(), true))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("host key of " + sshd.hostPort() + " does not match known_hosts "
                        + sshd.wrongKnownHosts())
                .hasMessageContaining("ssh-keygen -R '[" + sshd.host() + "]:" + sshd.port() + "'")
                .hasMessageContaining("SHA256:");
    }

    @Test
    void anUnknownHostKeyIsRefusedWithTheCommandThatAddsIt() throws Exception {
        Path empty = Files.createFile(dir.resolve("known_hosts"));
        connections = sshd.connections(SshCredentials.builder().user(sshd.user()).keyFile(sshd.key())
                .knownHosts(empty).build());

        assertThatThrownBy(() -> connections.forEndpoint(sshd.endpoint(), true))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("host key of " + sshd.hostPort() + " is not in known_hosts " + empty
                        + "; add it with ssh-keyscan -p " + sshd.port() + " " + sshd.host() + " >> " + empty)
                .hasMessageContaining("SHA256:");
        assertThat(Files.size(empty)).isZero();
    }

    @Test
    void hostKeyCheckingOffConnectsWarnsOnceAndWritesNothing() throws Exception {
        Path empty = Files.createFile(dir.resolve("known_hosts"));
        connections = sshd.connections(SshCredentials.builder().user(sshd.user()).keyFile(sshd.key())
                .knownHosts(empty).build());

        try (LogCapture log = new LogCapture()) {
            ResourceShell shell = connections.forEndpoint(sshd.endpoint(), false);
            assertThat(shell.run(List.of("true"), Map.of(), T).ok()).isTrue();
            assertThat(connections.forLocation(sshd.location())).as("remembered for the host").isSameAs(shell);
            connections.forEndpoint(sshd.endpoint(), false);

            assertThat(log.lines(Level.WARN)).filteredOn(l -> l.contains("host key checking is OFF for "
                    + sshd.host())).hasSize(1);
        }
        assertThat(Files.size(empty)).isZero();
    }

    // ------------------------------------------------------------------------------------------------ keys

    @Test
    void aKeyTheServerDoesNotAcceptFailsNamingUserHostAndKey() {
        connections = sshd.connections(SshCredentials.builder().user(sshd.user()).keyFile(sshd.unauthorizedKey())
                .knownHosts(sshd.knownHosts()).build());

        assertThatThrownBy(() -> connections.forEndpoint(sshd.endpoint(), true))
                .isInstanceOf(ResourceException.class)
                .hasMessageStartingWith("authentication as " + sshd.location() + " failed with key "
                        + sshd.unauthorizedKey())
                .hasMessageContaining("authorized_keys");
    }

    @Test
    void aPassphraseKeyWorksWithItsPassphraseAndNoSecretIsEverShown() throws Exception {
        String passphrase = sshd.passphrase();
        try (LogCapture log = new LogCapture()) {
            connections = sshd.connections(SshCredentials.builder().user(sshd.user()).keyFile(sshd.passphraseKey())
                    .passphrase(passphrase.toCharArray()).knownHosts(sshd.knownHosts()).build());
            ResourceShell shell = connections.forEndpoint(sshd.endpoint(), true);
            assertThat(shell.run(List.of("true"), Map.of(), T).ok()).isTrue();

            Throwable without = catchThrown(() -> SshCredentials.builder().user(sshd.user())
                    .keyFile(sshd.passphraseKey()).knownHosts(sshd.knownHosts()).build());
            assertThat(without).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("SshCredentials passphrase: none given, but keyFile " + sshd.passphraseKey()
                            + " is protected by a passphrase");

            char[] wrong = (passphrase + "x").toCharArray();
            Throwable wrongOne = catchThrown(() -> SshCredentials.builder().keyFile(sshd.passphraseKey())
                    .passphrase(wrong).build());
            assertThat(wrongOne).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("SshCredentials passphrase: it does not decrypt keyFile " + sshd.passphraseKey());

            SshCredentials c = SshCredentials.builder().keyFile(sshd.passphraseKey()).passphrase(passphrase.toCharArray())
                    .build();
            assertThat(c.toString()).doesNotContain(passphrase).contains("passphrase=(set)");
            assertThat(without.getMessage() + wrongOne.getMessage()).doesNotContain(passphrase);
            assertThat(log.lines()).isNotEmpty().noneMatch(l -> l.contains(passphrase));
        }
    }

    @Test
    void theKeysOfAnSshAgentAreUsedAndTheAgentIsLeftAsItWas() throws Exception {
        Path socket = dir.resolve("agent.sock");
        Process agent;
        try {
            // -D: in the foreground, so this test owns the process and ends it by its handle
            agent = new ProcessBuilder("ssh-agent", "-D", "-a", socket.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent.out").toFile()).start();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("ssh-agent is not installed: " + e.getMessage());
            return;
        }
        try {
            SshFixture.await("ssh-agent socket", Duration.ofSeconds(10), () -> Files.exists(socket));
            assertThat(sshAdd(socket, sshd.key().toString())).isZero();
            connections = sshd.connections(SshCredentials.builder().user(sshd.user()).agentSocket(socket)
                    .knownHosts(sshd.knownHosts()).build());

            ResourceShell shell = connections.forEndpoint(sshd.endpoint(), true);

            assertThat(shell.run(List.of("true"), Map.of(), T).ok()).isTrue();
            ProcessBuilder list = new ProcessBuilder("ssh-add", "-l").redirectErrorStream(true);
            list.environment().put("SSH_AUTH_SOCK", socket.toString());
            Process p = list.start();
            String keys = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            assertThat(keys.strip().lines()).as("the agent still holds just the one key").hasSize(1);
        } finally {
            agent.destroy();
            agent.waitFor();
        }
    }

    @Test
    void anSshConfigAliasGivesHostNamePortUserAndIdentityFile() throws Exception {
        Path config = dir.resolve("config");
        Files.writeString(config, "Host pilotflow-test-alias\n  HostName " + sshd.host() + "\n  Port " + sshd.port()
                + "\n  User " + sshd.user() + "\n  IdentityFile " + sshd.key() + "\n");
        connections = sshd.connections(SshCredentials.builder().sshConfig(config).knownHosts(sshd.knownHosts())
                .build());

        ResourceShell shell = connections.forLocation("pilotflow-test-alias");

        assertThat(shell.target()).isEqualTo(sshd.location());
        assertThat(shell.run(List.of("true"), Map.of(), T).ok()).isTrue();
    }

    // ------------------------------------------------------------------------------------------------ network

    @Test
    void anUnreachablePortIsNamed() throws Exception {
        int port = freePort();
        connections = sshd.connections();

        assertThatThrownBy(() -> connections.forLocation(sshd.host() + ":" + port))
                .isInstanceOf(ResourceException.class)
                .hasMessage("cannot connect to " + sshd.host() + ":" + port + ": connection refused (is an SSH server "
                        + "listening on port " + port + " there?)");
    }

    @Test
    void aServerThatNeverAnswersTimesOutAfterTheConnectTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            connections = SshConnections.builder().defaultCredentials(sshd.credentials())
                    .connectTimeout(Duration.ofSeconds(1)).build();
            long start = System.nanoTime();

            assertThatThrownBy(() -> connections.forLocation(sshd.host() + ":" + silent.getLocalPort()))
                    .isInstanceOf(ResourceException.class)
                    .hasMessageStartingWith("cannot connect to " + sshd.host() + ":" + silent.getLocalPort()
                            + ": no SSH answer within 1 s");

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        }
    }

    @Test
    void aServerThatHangsUpIsNamed() throws Exception {
        try (ServerSocket rude = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = rude.accept()) {
                    s.getOutputStream().write("HTTP/1.0 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // the test checks the client's side
                }
            });
            t.start();
            connections = sshd.connections();

            assertThatThrownBy(() -> connections.forLocation(sshd.host() + ":" + rude.getLocalPort()))
                    .isInstanceOf(ResourceException.class)
                    .hasMessageStartingWith("cannot connect to " + sshd.host() + ":" + rude.getLocalPort());
            t.join(10_000);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Stands in for the engine's agent endpoint: answers every connection with a token and closes it. */
    private static final class TokenServer implements AutoCloseable {
        final String token = "pilotflow-" + UUID.randomUUID();
        final ServerSocket socket;
        final Thread thread;

        TokenServer() throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        s.getOutputStream().write(token.getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        // closed: the test is over
                    }
                }
            }, "token-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private String startEngine() throws IOException {
        engine = new TokenServer();
        return engine.token;
    }

    /** Connects through the tunnel from the remote side (bash's /dev/tcp: nothing to install) and reads. */
    private static String fetchRemotely(ResourceShell shell, int remotePort) throws ResourceException {
        CommandResult r = shell.run(List.of("/bin/bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/$1\" && cat <&3", "bash",
                Integer.toString(remotePort)), Map.of(), T);
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return r.stdout();
    }

    /** Whether something listens on 127.0.0.1:port (the remote host is this machine). */
    private static boolean listening(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int sshAdd(Path socket, String key) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("ssh-add", key).redirectErrorStream(true);
        pb.environment().put("SSH_AUTH_SOCK", socket.toString());
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    private static Throwable catchThrown(org.assertj.core.api.ThrowableAssert.ThrowingCallable c) {
        return org.assertj.core.api.Assertions.catchThrowable(c);
    }
}
