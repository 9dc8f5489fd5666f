package org.pilotflow.resource.ssh;

import com.jcraft.jsch.JSchAlgoNegoFailException;
import com.jcraft.jsch.JSchChangedHostKeyException;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.JSchRevokedHostKeyException;
import com.jcraft.jsch.JSchUnknownHostKeyException;
import com.jcraft.jsch.SftpException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.pilotflow.resource.ResourceException;

/**
 * Turns JSch's terse exceptions ({@code reject HostKey: [127.0.0.1]:2222}, {@code Auth fail for methods
 * 'publickey'}, {@code java.net.ConnectException: Connection refused}) into messages that name the host and say
 * what to do. Messages never carry secrets: JSch's own texts hold none, and nothing else is added but paths,
 * users, hosts and public-key fingerprints.
 */
final class SshErrors {

    /**
     * What a connection attempt was, for its error message.
     *
     * @param user        the user logged in as
     * @param host        the host connected to (after {@code HostName} from ssh config)
     * @param port        its port
     * @param knownHosts  the known_hosts file checked against
     * @param keys        {@link SshCredentials#describeKeys()}
     * @param timeout     the connect timeout
     * @param offeredKey  the host key the server offered ({@code ED25519 SHA256:...}), or {@code null}
     */
    record Attempt(String user, String host, int port, Path knownHosts, String keys, Duration timeout,
                   String offeredKey) {

        String hostPort() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }

        String target() {
            return user + "@" + hostPort();
        }

        /** How OpenSSH names the host in known_hosts: {@code host}, or {@code [host]:port} off port 22. */
        String knownHostsName() {
            return port == 22 ? host : "[" + host + "]:" + port;
        }
    }

    private SshErrors() {
    }

    /** The message for a failed {@code Session.connect()}. */
    static ResourceException connectFailed(Attempt a, JSchException e) {
        return new ResourceException(connectMessage(a, e), e);
    }

    static String connectMessage(Attempt a, JSchException e) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        String offered = a.offeredKey() == null ? "" : "the server offered " + a.offeredKey();
        if (e instanceof JSchChangedHostKeyException || msg.startsWith("HostKey has been changed")) {
            return "host key of " + a.hostPort() + " does not match known_hosts " + a.knownHosts()
                    + (offered.isEmpty() ? "" : " (" + offered + ")") + ". If the host's key was changed on purpose, "
                    + "remove the old entry with ssh-keygen -R '" + a.knownHostsName() + "' -f " + a.knownHosts()
                    + " and add the new one; otherwise someone may be intercepting the connection";
        }
        if (e instanceof JSchRevokedHostKeyException || msg.startsWith("revoked HostKey")) {
            return "host key of " + a.hostPort() + " is marked @revoked in known_hosts " + a.knownHosts();
        }
        if (e instanceof JSchUnknownHostKeyException || msg.startsWith("reject HostKey")
                || msg.startsWith("UnknownHostKey")) {
            return "host key of " + a.hostPort() + " is not in known_hosts " + a.knownHosts()
                    + (Files.exists(a.knownHosts()) ? "" : " (the file does not exist)") + "; add it with "
                    + keyscan(a) + " >> " + a.knownHosts()
                    + (offered.isEmpty() ? "" : " after checking that it is the host's key: " + offered)
                    + " (or set host_key_checking false in the resource config, which allows man-in-the-middle attacks)";
        }
        if (msg.startsWith("Auth fail") || msg.startsWith("Auth cancel")
                || msg.startsWith("USERAUTH fail")) {
            return "authentication as " + a.target() + " failed with " + a.keys() + ": the server accepted none of "
                    + "them (is the public key in the authorized_keys of " + a.user() + " on " + a.host() + "?)";
        }
        if (e instanceof JSchAlgoNegoFailException) {
            return "cannot connect to " + a.hostPort() + ": no SSH algorithm in common with the server: " + msg;
        }
        Throwable cause = rootCause(e);
        if (cause instanceof ConnectException) {
            return "cannot connect to " + a.hostPort() + ": connection refused (is an SSH server listening on port "
                    + a.port() + " there?)";
        }
        if (cause instanceof UnknownHostException) {
            return "cannot connect to " + a.hostPort() + ": unknown host " + a.host();
        }
        if (cause instanceof NoRouteToHostException) {
            return "cannot connect to " + a.hostPort() + ": no route to host";
        }
        if (cause instanceof SocketTimeoutException || msg.startsWith("timeout")) {
            return "cannot connect to " + a.hostPort() + ": no SSH answer within " + seconds(a.timeout())
                    + " (host down, a firewall, or not an SSH server?)";
        }
        if (msg.contains("End of IO Stream Read") || msg.contains("connection is closed by foreign host")
                || msg.contains("Connection reset")) {
            return "cannot connect to " + a.hostPort() + ": the server closed the connection during the SSH handshake"
                    + " (not an SSH server, too many connections, or refused by its access rules)";
        }
        return "cannot connect to " + a.hostPort() + " as " + a.user() + ": " + msg;
    }

    private static String keyscan(Attempt a) {
        return "ssh-keyscan " + (a.port() == 22 ? "" : "-p " + a.port() + " ") + a.host();
    }

    /** An SFTP failure in words: {@code no such file}, {@code permission denied}, else the server's text. */
    static String sftpMessage(SftpException e) {
        return switch (e.id) {
            case com.jcraft.jsch.ChannelSftp.SSH_FX_NO_SUCH_FILE -> "no such file or directory";
            case com.jcraft.jsch.ChannelSftp.SSH_FX_PERMISSION_DENIED -> "permission denied";
            case com.jcraft.jsch.ChannelSftp.SSH_FX_OP_UNSUPPORTED -> "not supported by the server";
            case com.jcraft.jsch.ChannelSftp.SSH_FX_NO_CONNECTION, com.jcraft.jsch.ChannelSftp.SSH_FX_CONNECTION_LOST ->
                    "the connection was lost";
            default -> e.getMessage() == null || e.getMessage().isBlank() ? "SFTP error " + e.id
                    : e.getMessage().toLowerCase(Locale.ROOT);
        };
    }

    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }
}
