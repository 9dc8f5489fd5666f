package org.pilotflow.resource.ssh;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.KeyPair;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Who the engine is on an SSH host: the security context of RADICAL-Pilot's SAGA layer. A user id, a private key
 * file (with its passphrase if it has one), the known_hosts file that host keys are checked against, and whether
 * the user's ssh-agent and {@code ~/.ssh/config} may be used.
 *
 * <p>Immutable and validated completely by {@link Builder#build()}: a key file that does not exist, cannot be
 * read, is not a private key, or whose passphrase is missing or wrong fails there, with an
 * {@link IllegalArgumentException} naming the field and the value. The passphrase is copied in, never shown by
 * {@link #toString()} and never put in a message; the private key stays on this machine (SSH only ever sends
 * signatures).
 *
 * <h2>Fields and defaults</h2>
 * <table>
 * <caption>fields</caption>
 * <tr><th>field</th><th>default</th></tr>
 * <tr><td>user</td><td>the endpoint's user; else {@code User} from {@code ~/.ssh/config} (when used); else
 *     this process's {@code user.name}</td></tr>
 * <tr><td>keyFile</td><td>none; required unless the agent or {@code ~/.ssh/config} supplies keys</td></tr>
 * <tr><td>passphrase</td><td>none; required when the key file is encrypted (unless the agent holds the key)</td></tr>
 * <tr><td>knownHosts</td><td>{@code ~/.ssh/known_hosts}; a missing default file is an empty one</td></tr>
 * <tr><td>useAgent / agentSocket</td><td>off; the socket defaults to {@code $SSH_AUTH_SOCK}</td></tr>
 * <tr><td>useSshConfig / sshConfig</td><td>off; the file defaults to {@code ~/.ssh/config}</td></tr>
 * </table>
 *
 * <p>From {@code ~/.ssh/config} the connection takes {@code HostName}, {@code User}, {@code Port} and
 * {@code IdentityFile} (keys without passphrase). It ignores {@code StrictHostKeyChecking} and
 * {@code UserKnownHostsFile} on purpose (host keys are checked as the resource config says, against
 * {@link #knownHosts()}), and does not support {@code ProxyJump}/{@code ProxyCommand}.
 */
public final class SshCredentials {

    private final String user;
    private final Path keyFile;
    private final char[] passphrase;
    private final Path knownHosts;
    private final boolean useAgent;
    private final Path agentSocket;
    private final boolean useSshConfig;
    private final Path sshConfig;

    private SshCredentials(Builder b, Path knownHosts, Path agentSocket, Path sshConfig) {
        this.user = b.user;
        this.keyFile = b.keyFile;
        this.passphrase = b.passphrase == null ? null : b.passphrase.clone();
        this.knownHosts = knownHosts;
        this.useAgent = b.useAgent;
        this.agentSocket = agentSocket;
        this.useSshConfig = b.useSshConfig;
        this.sshConfig = sshConfig;
    }

    /** A builder; at least one of {@code keyFile}, {@code useAgent}, {@code useSshConfig} must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Credentials with a key file without passphrase: the common case. */
    public static SshCredentials ofKey(String user, Path keyFile) {
        return builder().user(user).keyFile(keyFile).build();
    }

    /** The user to log in as unless the endpoint names one. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    public Optional<Path> keyFile() {
        return Optional.ofNullable(keyFile);
    }

    public boolean hasPassphrase() {
        return passphrase != null;
    }

    /** The known_hosts file that host keys are checked against. */
    public Path knownHosts() {
        return knownHosts;
    }

    public boolean useAgent() {
        return useAgent;
    }

    /** The ssh-agent's socket, when {@link #useAgent()}. */
    public Optional<Path> agentSocket() {
        return Optional.ofNullable(agentSocket);
    }

    public boolean useSshConfig() {
        return useSshConfig;
    }

    /** The ssh config file, when {@link #useSshConfig()}. */
    public Optional<Path> sshConfig() {
        return Optional.ofNullable(sshConfig);
    }

    /**
     * The passphrase as UTF-8 bytes for JSch, a fresh copy the caller must clear with
     * {@code Arrays.fill(b, (byte) 0)}; {@code null} when there is none.
     */
    byte[] passphraseBytes() {
        return passphrase == null ? null : utf8(passphrase);
    }

    /** What a message may say about the keys: the key file and/or the agent; never any secret. */
    String describeKeys() {
        StringBuilder sb = new StringBuilder();
        if (keyFile != null) {
            sb.append("key ").append(keyFile);
        }
        if (useAgent) {
            sb.append(sb.length() > 0 ? " and " : "").append("the keys of ssh-agent ").append(agentSocket);
        }
        if (useSshConfig) {
            sb.append(sb.length() > 0 ? " and " : "").append("the IdentityFile keys of ").append(sshConfig);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "SshCredentials[user=" + user + ", keyFile=" + keyFile + ", passphrase=" + (passphrase != null
                ? "(set)" : "(none)") + ", knownHosts=" + knownHosts + (useAgent ? ", agent=" + agentSocket : "")
                + (useSshConfig ? ", sshConfig=" + sshConfig : "") + "]";
    }

    static byte[] utf8(char[] chars) {
        ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
        byte[] out = new byte[bb.remaining()];
        bb.get(out);
        Arrays.fill(bb.array(), (byte) 0); // the encoder's buffer held the secret too
        return out;
    }

    /** Builds {@link SshCredentials}; not thread-safe, reusable. */
    public static final class Builder {
        private String user;
        private Path keyFile;
        private char[] passphrase;
        private Path knownHosts;
        private boolean useAgent;
        private Path agentSocket;
        private boolean useSshConfig;
        private Path sshConfig;

        private Builder() {
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder keyFile(Path keyFile) {
            this.keyFile = keyFile;
            return this;
        }

        /** The key file's passphrase; copied, so the caller may clear its array afterwards. */
        public Builder passphrase(char[] passphrase) {
            this.passphrase = passphrase == null ? null : passphrase.clone();
            return this;
        }

        public Builder knownHosts(Path knownHosts) {
            this.knownHosts = knownHosts;
            return this;
        }

        /** Use the keys of the ssh-agent at {@code $SSH_AUTH_SOCK}. */
        public Builder useAgent(boolean useAgent) {
            this.useAgent = useAgent;
            return this;
        }

        /** Use the keys of the ssh-agent listening on {@code socket}. */
        public Builder agentSocket(Path socket) {
            this.useAgent = socket != null;
            this.agentSocket = socket;
            return this;
        }

        /** Read {@code ~/.ssh/config} for host aliases, users, ports and identity files. */
        public Builder useSshConfig(boolean useSshConfig) {
            this.useSshConfig = useSshConfig;
            return this;
        }

        /** Read {@code file} as the ssh config. */
        public Builder sshConfig(Path file) {
            this.useSshConfig = file != null;
            this.sshConfig = file;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the field and the value that is wrong
         */
        public SshCredentials build() {
            if (user != null && (user.isBlank() || !user.matches("[^\\s@:/]+"))) {
                throw invalid("user", user, "a user name without spaces, '@', ':' or '/'");
            }
            if (keyFile == null && !useAgent && !useSshConfig) {
                throw new IllegalArgumentException("SshCredentials keyFile: none given; give a private key file, "
                        + "or use the ssh agent or ~/.ssh/config");
            }
            if (passphrase != null && keyFile == null) {
                throw new IllegalArgumentException("SshCredentials passphrase: given without a keyFile it belongs to");
            }
            Path home = Path.of(System.getProperty("user.home"));
            Path agent = null;
            if (useAgent) {
                agent = agentSocket;
                if (agent == null) {
                    String sock = System.getenv("SSH_AUTH_SOCK");
                    if (sock == null || sock.isBlank()) {
                        throw new IllegalArgumentException("SshCredentials useAgent: SSH_AUTH_SOCK is not set; start "
                                + "ssh-agent (eval $(ssh-agent)) or give agentSocket");
                    }
                    agent = Path.of(sock);
                }
                if (!Files.exists(agent)) {
                    throw invalid("agentSocket", agent.toString(), "the socket of a running ssh-agent (it does not exist)");
                }
            }
            Path config = null;
            if (useSshConfig) {
                config = sshConfig != null ? sshConfig : home.resolve(".ssh/config");
                if (sshConfig != null && !Files.isReadable(sshConfig)) {
                    throw invalid("sshConfig", sshConfig.toString(), "a readable ssh config file");
                }
            }
            if (keyFile != null) {
                checkKey(keyFile, passphrase, useAgent);
            }
            Path known = knownHosts != null ? knownHosts : home.resolve(".ssh/known_hosts");
            if (knownHosts != null && !Files.isRegularFile(knownHosts)) {
                throw invalid("knownHosts", knownHosts.toString(), "an existing known_hosts file");
            }
            return new SshCredentials(this, known, agent, config);
        }

        /** The key file must be a private key JSch can use, decrypted by the passphrase if it is encrypted. */
        private static void checkKey(Path file, char[] passphrase, boolean agentMayHoldIt) {
            String name = file.toString();
            if (!Files.exists(file)) {
                throw invalid("keyFile", name, "an existing private key file (it does not exist)");
            }
            if (!Files.isRegularFile(file)) {
                throw invalid("keyFile", name, "a private key file (it is not a regular file)");
            }
            if (!Files.isReadable(file)) {
                throw invalid("keyFile", name, "a private key file this user can read");
            }
            KeyPair kp;
            try {
                kp = KeyPair.load(new JSch(), name);
            } catch (JSchException e) {
                throw invalid("keyFile", name, "a private key in a format JSch reads (OpenSSH, PEM, PKCS#8 or PuTTY): "
                        + e.getMessage());
            }
            try {
                if (kp.isEncrypted()) {
                    if (passphrase == null) {
                        if (!agentMayHoldIt) {
                            throw new IllegalArgumentException("SshCredentials passphrase: none given, but keyFile "
                                    + name + " is protected by a passphrase");
                        }
                    } else {
                        byte[] p = utf8(passphrase);
                        try {
                            if (!kp.decrypt(p)) {
                                throw new IllegalArgumentException("SshCredentials passphrase: it does not decrypt "
                                        + "keyFile " + name);
                            }
                        } finally {
                            Arrays.fill(p, (byte) 0);
                        }
                    }
                }
            } finally {
                kp.dispose();
            }
        }

        private static IllegalArgumentException invalid(String field, String value, String expected) {
            return new IllegalArgumentException("SshCredentials " + field + " \"" + value + "\": expected " + expected);
        }
    }
}
