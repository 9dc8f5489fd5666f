package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import com.jcraft.jsch.JSchException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The mapping of JSch's exception texts (as JSch 0.2.21 words them) to messages; no server needed. */
class SshErrorsTest {

    private static final Path KNOWN = Path.of("/home/alice/.ssh/known_hosts");

    private static SshErrors.Attempt attempt(String host, int port) {
        return new SshErrors.Attempt("alice", host, port, KNOWN, "key /home/alice/.ssh/id_ed25519",
                Duration.ofSeconds(10), "ssh-ed25519 key SHA256:abc");
    }

    private static String message(SshErrors.Attempt a, JSchException e) {
        return SshErrors.connectMessage(a, e);
    }

    @Test
    void unknownHostKeyOnAPortOtherThan22() {
        assertThat(message(attempt("login.example.org", 2222), new JSchException("reject HostKey: [login.example.org]:2222")))
                .isEqualTo("host key of login.example.org:2222 is not in known_hosts " + KNOWN
                        + " (the file does not exist); add it with ssh-keyscan -p 2222 login.example.org >> " + KNOWN
                        + " after checking that it is the host's key: the server offered ssh-ed25519 key SHA256:abc"
                        + " (or set host_key_checking false in the resource config, which allows man-in-the-middle"
                        + " attacks)");
    }

    @Test
    void unknownHostKeyOnPort22NeedsNoPortOption() {
        assertThat(message(attempt("hpc.example.org", 22), new JSchException("reject HostKey: hpc.example.org")))
                .contains("add it with ssh-keyscan hpc.example.org >> " + KNOWN);
    }

    @Test
    void changedHostKey() {
        assertThat(message(attempt("hpc.example.org", 22), new JSchException("HostKey has been changed: hpc.example.org")))
                .startsWith("host key of hpc.example.org:22 does not match known_hosts " + KNOWN
                        + " (the server offered ssh-ed25519 key SHA256:abc)")
                .contains("ssh-keygen -R 'hpc.example.org' -f " + KNOWN);
    }

    @Test
    void authenticationFailure() {
        assertThat(message(attempt("127.0.0.1", 2222), new JSchException("Auth fail for methods 'publickey'")))
                .isEqualTo("authentication as alice@127.0.0.1:2222 failed with key /home/alice/.ssh/id_ed25519: the"
                        + " server accepted none of them (is the public key in the authorized_keys of alice on"
                        + " 127.0.0.1?)");
    }

    @Test
    void networkFailures() {
        assertThat(message(attempt("127.0.0.1", 2299), new JSchException("java.net.ConnectException: Connection refused",
                new ConnectException("Connection refused"))))
                .isEqualTo("cannot connect to 127.0.0.1:2299: connection refused (is an SSH server listening on port"
                        + " 2299 there?)");
        assertThat(message(attempt("nosuch.invalid", 22), new JSchException("java.net.UnknownHostException: nosuch.invalid",
                new UnknownHostException("nosuch.invalid"))))
                .isEqualTo("cannot connect to nosuch.invalid:22: unknown host nosuch.invalid");
        assertThat(message(attempt("10.255.255.1", 22), new JSchException("timeout: socket is not established")))
                .startsWith("cannot connect to 10.255.255.1:22: no SSH answer within 10 s");
    }

    @Test
    void ipv6HostsAreBracketed() {
        assertThat(message(attempt("::1", 2222), new JSchException("java.net.ConnectException: Connection refused",
                new ConnectException("Connection refused")))).startsWith("cannot connect to [::1]:2222: ");
    }

    @Test
    void anythingElseKeepsJSchsWordsAndNamesTheHost() {
        assertThat(message(attempt("h", 22), new JSchException("something new")))
                .isEqualTo("cannot connect to h:22 as alice: something new");
    }
}
