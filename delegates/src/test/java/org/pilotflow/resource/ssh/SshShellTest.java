package org.pilotflow.resource.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.resource.ResourceException;
import org.pilotflow.resource.shell.CommandResult;
import org.pilotflow.resource.shell.ResourceShell;

/**
 * {@link SshShell} against the real private sshd: commands, quoting, files and modes. The sshd runs on this
 * machine as this user, so what the remote side did is checked directly on the local file system.
 */
class SshShellTest {

    private static final Duration T = Duration.ofSeconds(30);

    private static SshFixture sshd;
    private static SshConnections connections;
    private static ResourceShell shell;

    @TempDir
    Path dir;

    @BeforeAll
    static void connect() throws Exception {
        sshd = SshFixture.require();
        connections = sshd.connections();
        shell = connections.forEndpoint(sshd.endpoint(), true);
    }

    @AfterAll
    static void close() {
        if (connections != null) {
            connections.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ run

    @Test
    void everyArgumentArrivesAsOneWordByteForByte() throws Exception {
        List<String> args = List.of("plain", "two words", "it's", "\"double\"", "$HOME", "${PATH}", "`id`", "$(id)",
                "a;b", "a&&b", "a|b", "x\ny\n", "", " ", "*", "?", "~", "\\", "\\n", "-n", "--", "!", "#hash",
                "tab\there", "ünïcödé €", "'", "''", "a'b\"c$d`e\\f", "<in", ">pilotflow-quoting-probe");
        List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
        argv.addAll(args);

        CommandResult r = shell.run(argv, Map.of(), T);

        assertThat(r.exitCode()).as(r.describe()).isZero();
        assertThat(splitNul(r.stdout())).containsExactlyElementsOf(args);
        assertThat(Path.of(System.getProperty("user.home"), "pilotflow-quoting-probe")).doesNotExist();
    }

    @Test
    void argumentsReachAProgramUnchangedAlsoWithEnvironment() throws Exception {
        // through env(1) the command is a program, not a shell builtin: a second path for the words
        List<String> args = List.of("two words", "$HOME", "", "x\ny", "it's");
        List<String> argv = new ArrayList<>(List.of("/usr/bin/printf", "%s\\0"));
        argv.addAll(args);

        CommandResult r = shell.run(argv, Map.of("SOME_VAR", "1"), T);

        assertThat(splitNul(r.stdout())).containsExactlyElementsOf(args);
    }

    @Test
    void environmentVariablesArriveVerbatim() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PF_PLAIN", "value");
        env.put("PF_TRICKY", "a b'c\"d $HOME `id` ; x\ny");
        env.put("PF_EMPTY", "");

        CommandResult r = shell.run(List.of("/bin/sh", "-c",
                "printf '%s\\0' \"$PF_PLAIN\" \"$PF_TRICKY\" \"${PF_EMPTY-unset}\""), env, T);

        assertThat(splitNul(r.stdout())).containsExactly("value", "a b'c\"d $HOME `id` ; x\ny", "");
    }

    @Test
    void environmentNamesMustBeNames() {
        assertThatThrownBy(() -> shell.run(List.of("true"), Map.of("A=B", "x"), T))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'A=B'");
    }

    @Test
    void exitCodeStdoutAndStderrAreReported() throws Exception {
        CommandResult r = shell.run(List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 7"), Map.of(), T);

        assertThat(r.exitCode()).isEqualTo(7);
        assertThat(r.stdout()).isEqualTo("out\n");
        assertThat(r.stderr()).isEqualTo("err\n");
        assertThat(r.describe()).isEqualTo("'/bin/sh' exited with 7: err");
    }

    @Test
    void aMissingProgramIsAnExitCodeNotAnException() throws Exception {
        CommandResult r = shell.run(List.of("pilotflow-no-such-program"), Map.of(), T);

        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.stderr()).contains("pilotflow-no-such-program");
    }

    @Test
    void largeOutputOnBothStreamsIsCapturedCompletely() throws Exception {
        CommandResult r = shell.run(List.of("/bin/sh", "-c",
                "head -c 3000000 /dev/zero | tr '\\0' o & head -c 1000000 /dev/zero | tr '\\0' e >&2; wait"),
                Map.of(), T);

        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).hasSize(3_000_000).matches("o+");
        assertThat(r.stderr()).hasSize(1_000_000).matches("e+");
    }

    @Test
    void standardInputIsEmpty() throws Exception {
        CommandResult r = shell.run(List.of("cat"), Map.of(), T);

        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aCommandThatOverrunsItsTimeoutIsKilledAndNamed() throws Exception {
        Path pidFile = dir.resolve("pid");

        long start = System.nanoTime();
        assertThatThrownBy(() -> shell.run(List.of("/bin/sh", "-c", "echo $$ > \"$1\"; exec sleep 60", "sh",
                pidFile.toString()), Map.of(), Duration.ofSeconds(1)))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("on " + sshd.location())
                .hasMessageContaining("did not end within 1 s; it was killed");

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        SshFixture.await("the timed-out command (pid " + pid + ") is killed", Duration.ofSeconds(10),
                () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        // and the connection is still good
        assertThat(shell.run(List.of("true"), Map.of(), T).exitCode()).isZero();
    }

    // ------------------------------------------------------------------------------------------------ files

    @Test
    void writeCreatesTheFileWithItsModeAndReplacesAnExistingOne() throws Exception {
        Path secret = dir.resolve("agent.json");
        Files.writeString(secret, "old and world-readable");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));

        shell.write(secret.toString(), "{\"secret\":\"s3cr3t\"}".getBytes(StandardCharsets.UTF_8), 0600);

        assertThat(Files.readString(secret)).isEqualTo("{\"secret\":\"s3cr3t\"}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("no temporary file left behind").containsExactly(secret);
        }

        Path script = dir.resolve("run.sh");
        shell.write(script.toString(), "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8), 0755);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(script))).isEqualTo("rwxr-xr-x");
        assertThat(shell.run(List.of(script.toString()), Map.of(), T).stdout()).isEqualTo("hi\n");
    }

    @Test
    void writeTakesPathsLiterallyEvenWithWildcardCharacters() throws Exception {
        Path odd = dir.resolve("we*ird ?dir\\x");
        Files.createDirectory(odd);
        Files.writeString(dir.resolve("weXird Xdir\\x.decoy"), "a wildcard would match me");
        Path file = odd.resolve("f*le?");

        shell.write(file.toString(), new byte[] {1, 2, 3}, 0640);

        assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
        assertThat(shell.exists(file.toString())).isTrue();
        assertThat(shell.readTail(file.toString(), 10)).containsExactly(1, 2, 3);
        assertThat(shell.exists(odd.resolve("f?le*").toString())).as("no pattern matching").isFalse();
    }

    @Test
    void writeOfEmptyContentAndBinaryContent() throws Exception {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        shell.write(dir.resolve("bin").toString(), all, 0600);
        shell.write(dir.resolve("empty").toString(), new byte[0], 0600);

        assertThat(Files.readAllBytes(dir.resolve("bin"))).isEqualTo(all);
        assertThat(Files.size(dir.resolve("empty"))).isZero();
    }

    @Test
    void writeIntoAMissingDirectoryFailsNamingPathAndHost() {
        String path = dir.resolve("missing/agent.json").toString();

        assertThatThrownBy(() -> shell.write(path, new byte[] {1}, 0600))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("write " + path + " on " + sshd.location())
                .hasMessageContaining("no such file");
    }

    @Test
    void mkdirsCreatesParentsWithMode0700AndLeavesExistingOnesAlone() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path deep = dir.resolve("a/b/c");

        shell.mkdirs(deep + "/");
        shell.mkdirs(deep.toString()); // again: nothing to do

        for (Path p : List.of(dir.resolve("a"), dir.resolve("a/b"), deep)) {
            assertThat(p).isDirectory();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).as(p.toString())
                    .isEqualTo("rwx------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void mkdirsFailsWhenAFileIsInTheWay() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        String path = dir.resolve("file/sub").toString();

        assertThatThrownBy(() -> shell.mkdirs(path))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("cannot create directory " + dir.resolve("file") + " on " + sshd.location())
                .hasMessageContaining("a file is in the way");
    }

    @Test
    void readTailReturnsTheLastBytesOrNullWhenMissing() throws Exception {
        Path log = dir.resolve("agent.log");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            sb.append("line ").append(i).append('\n');
        }
        Files.writeString(log, sb);
        byte[] all = Files.readAllBytes(log);

        assertThat(shell.readTail(log.toString(), 100)).isEqualTo(Arrays.copyOfRange(all, all.length - 100, all.length));
        assertThat(shell.readTail(log.toString(), 1_000_000)).isEqualTo(all);
        assertThat(shell.readTail(log.toString(), 0)).isEmpty();
        assertThat(shell.readTail(dir.resolve("nope").toString(), 100)).isNull();
        assertThat(shell.readTail(dir.toString(), 100)).as("a directory").isNull();
    }

    @Test
    void existsOnlyForRegularFiles() throws Exception {
        Files.writeString(dir.resolve("f"), "x");

        assertThat(shell.exists(dir.resolve("f").toString())).isTrue();
        assertThat(shell.exists(dir.resolve("g").toString())).isFalse();
        assertThat(shell.exists(dir.toString())).isFalse();
    }

    @Test
    void variablesAreTheRemoteEnvironmentsInOneCall() throws Exception {
        Map<String, String> vars = shell.variables(List.of("HOME", "USER", "PILOTFLOW_SURELY_UNDEFINED"));

        assertThat(vars).containsEntry("HOME", System.getProperty("user.home"))
                .containsEntry("USER", sshd.user())
                .doesNotContainKey("PILOTFLOW_SURELY_UNDEFINED");
        assertThat(shell.variables(List.of())).isEmpty();
        assertThatThrownBy(() -> shell.variables(List.of("HOME;id"))).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------------------------------------ sharing

    @Test
    void allCallsShareOneConnectionAlsoWhenConcurrentAndBeyondMaxSessions() throws Exception {
        SshConnection connection = SshConnections.connectionOf(shell);
        String first = SshFixture.sshConnection(shell);
        Object session = connection.currentSession();

        // 24 concurrent commands, each holding its channel a while: more than sshd's MaxSessions of 10
        ExecutorService pool = Executors.newFixedThreadPool(24);
        try {
            List<Future<CommandResult>> results = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                results.add(pool.submit(() -> shell.run(List.of("/bin/sh", "-c", "sleep 0.3; printenv SSH_CONNECTION"),
                        Map.of(), T)));
            }
            for (Future<CommandResult> f : results) {
                CommandResult r = f.get();
                assertThat(r.exitCode()).as(r.describe()).isZero();
                assertThat(r.stdout().strip()).isEqualTo(first);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 20; i++) {
            assertThat(SshFixture.sshConnection(shell)).isEqualTo(first);
        }
        assertThat(connection.currentSession()).isSameAs(session);
        assertThat(connections.forLocation(sshd.location())).isSameAs(shell);
    }

    private static List<String> splitNul(String s) {
        List<String> out = new ArrayList<>(Arrays.asList(s.split("\0", -1)));
        assertThat(out.remove(out.size() - 1)).as("output ends with NUL").isEmpty();
        return out;
    }
}
