package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.jcraft.jsch.JSch;
import com.jcraft.jsch.KeyPair;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation of {@link SshCredentials}, with keys made here by JSch; no server needed. */
class SshCredentialsTest {

    private static final String SECRET = "correct horse battery staple";

    @TempDir
    Path dir;

    private Path plainKey;
    private Path protectedKey;

    @BeforeEach
    void keys() throws Exception {
        JSch jsch = new JSch();
        KeyPair kp = KeyPair.genKeyPair(jsch, KeyPair.ECDSA, 256);
        plainKey = dir.resolve("id_plain");
        kp.writePrivateKey(plainKey.toString());
        protectedKey = dir.resolve("id_protected");
        kp.writePrivateKey(protectedKey.toString(), SECRET.getBytes(StandardCharsets.UTF_8));
        kp.dispose();
    }

    @Test
    void aPlainKeyIsEnoughAndDefaultsApply() {
        SshCredentials c = SshCredentials.ofKey("alice", plainKey);

        assertThat(c.user()).contains("alice");
        assertThat(c.keyFile()).contains(plainKey);
        assertThat(c.knownHosts()).isEqualTo(Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"));
        assertThat(c.useAgent()).isFalse();
        assertThat(c.useSshConfig()).isFalse();
        assertThat(c.hasPassphrase()).isFalse();
    }

    @Test
    void aProtectedKeyNeedsItsPassphraseWhichIsCopiedAndNeverShown() {
        char[] pass = SECRET.toCharArray();
        SshCredentials c = SshCredentials.builder().keyFile(protectedKey).passphrase(pass).build();
        Arrays.fill(pass, '\0'); // the caller clears its copy

        assertThat(c.hasPassphrase()).isTrue();
        assertThat(new String(c.passphraseBytes(), StandardCharsets.UTF_8)).isEqualTo(SECRET);
        assertThat(c.toString()).doesNotContain(SECRET).contains("passphrase=(set)");
        assertThatThrownBy(() -> SshCredentials.builder().keyFile(protectedKey).build())
                .hasMessage("SshCredentials passphrase: none given, but keyFile " + protectedKey
                        + " is protected by a passphrase");
        assertThatThrownBy(() -> SshCredentials.builder().keyFile(protectedKey).passphrase("wrong".toCharArray()).build())
                .hasMessage("SshCredentials passphrase: it does not decrypt keyFile " + protectedKey)
                .hasMessageNotContaining("wrong");
    }

    @Test
    void aProtectedKeyWithoutPassphraseIsAllowedWhenTheAgentMayHoldIt() throws Exception {
        Path socket = Files.createFile(dir.resolve("agent.sock")); // only its existence is checked here

        SshCredentials c = SshCredentials.builder().keyFile(protectedKey).agentSocket(socket).build();

        assertThat(c.agentSocket()).contains(socket);
        assertThat(c.describeKeys()).isEqualTo("key " + protectedKey + " and the keys of ssh-agent " + socket);
    }

    @Test
    void badKeyFilesAreNamed() throws Exception {
        Path missing = dir.resolve("nope");
        Path notAKey = Files.writeString(dir.resolve("notakey"), "hello\n");

        assertThatThrownBy(() -> SshCredentials.ofKey("alice", missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SshCredentials keyFile \"" + missing + "\": expected an existing private key file (it does"
                        + " not exist)");
        assertThatThrownBy(() -> SshCredentials.ofKey("alice", dir))
                .hasMessageContaining("keyFile \"" + dir + "\"").hasMessageContaining("not a regular file");
        assertThatThrownBy(() -> SshCredentials.ofKey("alice", notAKey))
                .hasMessageStartingWith("SshCredentials keyFile \"" + notAKey + "\": expected a private key in a format");
    }

    @Test
    void otherFieldsAreChecked() {
        assertThatThrownBy(() -> SshCredentials.builder().build())
                .hasMessageStartingWith("SshCredentials keyFile: none given");
        assertThatThrownBy(() -> SshCredentials.builder().user("al ice").keyFile(plainKey).build())
                .hasMessageStartingWith("SshCredentials user \"al ice\"");
        assertThatThrownBy(() -> SshCredentials.builder().keyFile(plainKey).knownHosts(dir.resolve("kh")).build())
                .hasMessageStartingWith("SshCredentials knownHosts \"" + dir.resolve("kh") + "\"");
        assertThatThrownBy(() -> SshCredentials.builder().agentSocket(dir.resolve("sock")).build())
                .hasMessageStartingWith("SshCredentials agentSocket \"" + dir.resolve("sock") + "\"");
        assertThatThrownBy(() -> SshCredentials.builder().sshConfig(dir.resolve("cfg")).build())
                .hasMessageStartingWith("SshCredentials sshConfig \"" + dir.resolve("cfg") + "\"");
        assertThatThrownBy(() -> SshCredentials.builder().passphrase("x".toCharArray()).useAgent(true).build())
                .hasMessageStartingWith("SshCredentials passphrase: given without a keyFile");
    }
}
