package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Locations of job handles, and the command line an exec channel gets; no server needed. */
class SshAddressTest {

    @Test
    void parsesWhatJobHandlesHold() {
        assertThat(SshAddress.parse("login.example.org")).isEqualTo(new SshAddress(null, "login.example.org", -1));
        assertThat(SshAddress.parse("alice@login:2222")).isEqualTo(new SshAddress("alice", "login", 2222));
        assertThat(SshAddress.parse("a@b@host")).isEqualTo(new SshAddress("a@b", "host", -1));
        assertThat(SshAddress.parse("[::1]:2222")).isEqualTo(new SshAddress(null, "[::1]", 2222));
        assertThat(SshAddress.parse("[::1]:2222").bareHost()).isEqualTo("::1");
        assertThat(SshAddress.parse("alice@login:2222")).hasToString("alice@login:2222");
    }

    @Test
    void rejectsWhatIsNoLocation() {
        assertThatThrownBy(() -> SshAddress.parse("host:ssh")).hasMessageContaining("port 'ssh'");
        assertThatThrownBy(() -> SshAddress.parse("host:0")).hasMessageContaining("not a TCP port");
        assertThatThrownBy(() -> SshAddress.parse("@host")).hasMessageContaining("empty user");
        assertThatThrownBy(() -> SshAddress.parse("[::1")).hasMessageContaining("']'");
        assertThatThrownBy(() -> SshAddress.parse(" ")).hasMessageContaining("[user@]host[:port]");
    }

    @Test
    void commandLinesQuoteEveryWordAndExecTheCommand() {
        assertThat(SshShell.commandLine(List.of("sbatch", "--parsable", "/home/a b/job.sh"), Map.of()))
                .isEqualTo("exec sbatch --parsable '/home/a b/job.sh'");
        assertThat(SshShell.commandLine(List.of("echo", "it's"), Map.of("SLURM_CONF", "/etc/slurm x.conf")))
                .isEqualTo("exec env 'SLURM_CONF=/etc/slurm x.conf' echo 'it'\\''s'");
        assertThatThrownBy(() -> SshShell.commandLine(List.of(), Map.of())).hasMessageContaining("empty command");
    }

    @Test
    void sftpPathsAreTakenLiterally() {
        assertThat(SshShell.literal("/a/b*c?d\\e")).isEqualTo("/a/b\\*c\\?d\\\\e");
        assertThat(SshShell.literal("/plain/path")).isEqualTo("/plain/path");
    }
}
