package org.pilotflow.agent.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.agent.BadConfigException;
import org.pilotflow.agent.scheduler.Allocation;
import org.pilotflow.agent.scheduler.Node;
import org.pilotflow.model.wire.AgentConfig;
import org.pilotflow.model.wire.UnitSpec;

/** The argv each launch method builds, and which method a unit gets. */
class LaunchMethodsTest {
    static final Path SANDBOX = Path.of("/scratch/pilot.0/unit.1");
    static final Node N1 = new Node("n1", 4, 2);
    static final Node N2 = new Node("n2", 4, 0);

    @TempDir
    Path bin;

    Map<String, String> env;

    @BeforeEach
    void fakeLaunchersOnPath() throws Exception {
        for (String exe : List.of("srun", "mpiexec", "mpirun", "ssh")) {
            Path p = bin.resolve(exe);
            Files.writeString(p, "#!/bin/sh\n");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        env = new HashMap<>(Map.of("PATH", "/nonexistent:" + bin, "SLURM_JOB_ID", "1234"));
    }

    private static AgentConfig config(List<String> methods, Map<String, Map<String, Object>> options) {
        return new AgentConfig("s", "p", List.of("http://127.0.0.1:1"), "x", "/tmp", 8, 2, 60, 1000, 1000, methods,
                options);
    }

    private LaunchMethods methods(String... names) throws BadConfigException {
        return LaunchMethods.create(config(List.of(names), Map.of()), env, Optional.of("n1"), false);
    }

    private static UnitSpec unit(int cores, int gpus, boolean mpi) {
        return new UnitSpec("unit.1", null, "/bin/app", List.of("--in", "a b", "it's"), null, cores, gpus, null,
                null, null, null, 0, mpi);
    }

    private static LaunchRequest request(UnitSpec unit, Allocation a) {
        return new LaunchRequest(unit, a, List.of("/bin/app", "--in", "a b", "it's"), SANDBOX,
                Map.of("PILOTFLOW_UNIT_ID", "unit.1", "X", "1"));
    }

    private static Allocation.Part part(Node node, int cores, int gpus) {
        return new Allocation.Part(node, java.util.stream.IntStream.range(0, cores).boxed().toList(),
                java.util.stream.IntStream.range(0, gpus).boxed().toList());
    }

    private static final Allocation TWO_CORES_ON_N1 = new Allocation(List.of(part(N1, 2, 0)));
    private static final Allocation TWO_CORES_ON_N2 = new Allocation(List.of(part(N2, 2, 0)));
    private static final Allocation FOUR_RANKS_ON_TWO_NODES = new Allocation(List.of(part(N1, 3, 1), part(N2, 1, 0)));

    @Test
    void forkRunsTheArgvAsItIsOnTheAgentsNode() throws Exception {
        Launch l = methods("FORK").select(request(unit(2, 0, false), TWO_CORES_ON_N1));
        assertThat(l.method()).isEqualTo("FORK");
        assertThat(l.argv()).containsExactly("/bin/app", "--in", "a b", "it's");
        assertThat(l.environment()).isEmpty();
        Allocation oneRank = new Allocation(List.of(part(N1, 1, 0)));
        assertThat(methods("FORK").select(request(unit(1, 0, true), oneRank)).argv()).startsWith("/bin/app");
    }

    @Test
    void srunForANonMpiUnitIsOneTaskWithAllItsCores() throws Exception {
        Launch l = methods("SRUN").select(request(unit(2, 0, false), TWO_CORES_ON_N2));
        assertThat(l.argv()).containsExactly("srun", "--nodes=1", "--ntasks=1", "--cpus-per-task=2",
                "--nodelist=n2", "--exact", "--overlap", "--kill-on-bad-exit=1", "--", "/bin/app", "--in", "a b",
                "it's");
    }

    @Test
    void srunForAnMpiUnitIsOneTaskPerRankOnItsNodesWithExtraArgs() throws Exception {
        LaunchMethods m = LaunchMethods.create(config(List.of("SRUN"),
                Map.of("SRUN", Map.of("args", List.of("--mpi=pmix")))), env, Optional.of("n1"), false);
        Launch l = m.select(request(unit(4, 1, true), FOUR_RANKS_ON_TWO_NODES));
        assertThat(l.argv()).containsExactly("srun", "--nodes=2", "--ntasks=4", "--cpus-per-task=1", "--gpus=1",
                "--nodelist=n1,n2", "--exact", "--overlap", "--kill-on-bad-exit=1", "--mpi=pmix", "--", "/bin/app",
                "--in", "a b", "it's");
    }

    @Test
    void mpiexecGivesEachNodeItsRanksAndExportsTheUnitsVariables() throws Exception {
        Launch l = methods("MPIEXEC").select(request(unit(4, 1, true), FOUR_RANKS_ON_TWO_NODES));
        assertThat(l.method()).isEqualTo("MPIEXEC");
        assertThat(l.argv()).containsExactly("mpiexec", "-n", "4", "--host", "n1:3,n2:1", "-x", "PILOTFLOW_UNIT_ID",
                "-x", "X", "/bin/app", "--in", "a b", "it's");
        assertThat(l.environment()).isEmpty();
    }

    @Test
    void mpirunTakesItsExecutableAndArgsFromTheOptionsAndIsAllowedToRunAsRoot() throws Exception {
        Path mpirun = bin.resolve("mpirun");
        LaunchMethods m = LaunchMethods.create(config(List.of("MPIRUN"), Map.of("MPIRUN",
                Map.of("executable", mpirun.toString(), "args", List.of("--oversubscribe"), "pre_exec_cached",
                        List.of("module load mpi")))), Map.of(), Optional.of("n1"), true);
        Launch l = m.select(request(unit(4, 0, true), FOUR_RANKS_ON_TWO_NODES));
        assertThat(l.argv()).containsExactly(mpirun.toString(), "-n", "4", "--host", "n1:3,n2:1", "-x",
                "PILOTFLOW_UNIT_ID", "-x", "X", "--oversubscribe", "/bin/app", "--in", "a b", "it's");
        assertThat(l.environment()).containsOnly(Map.entry("OMPI_ALLOW_RUN_AS_ROOT", "1"),
                Map.entry("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"));
    }

    @Test
    void sshPassesOneQuotedCommandLineThatEntersTheSandboxWithTheUnitsVariables() throws Exception {
        Launch l = methods("SSH").select(request(unit(2, 0, false), TWO_CORES_ON_N2));
        assertThat(l.argv()).containsExactly("ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new",
                "n2", "cd '/scratch/pilot.0/unit.1' && exec /bin/sh -c " + SshMethod.quote(SshMethod.LAUNCH)
                        + " '.pilotflow-ssh-1' env 'PILOTFLOW_UNIT_ID=unit.1' 'X=1' '/bin/app' '--in' 'a b' "
                        + "'it'\\''s'");
        assertThat(l.remoteKill().node()).isEqualTo("n2");
        assertThat(l.remoteKill().argv("TERM")).containsExactly("ssh", "-o", "BatchMode=yes", "-o",
                "StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=5", "-o", "ServerAliveInterval=5", "-o",
                "ServerAliveCountMax=2", "n2", "cd '/scratch/pilot.0/unit.1' && exec /bin/sh -c "
                        + SshMethod.quote(SshMethod.KILL) + " sh '.pilotflow-ssh-1' 'TERM'");
    }

    @Test
    void sshGivesEveryLaunchItsOwnPidAndCancelFiles() throws Exception {
        LaunchMethods m = methods("SSH");
        m.select(request(unit(2, 0, false), TWO_CORES_ON_N2));
        Launch second = m.select(request(unit(2, 0, false), TWO_CORES_ON_N2));
        assertThat(second.argv().get(second.argv().size() - 1)).contains(" '.pilotflow-ssh-2' env ");
        List<String> kill = second.remoteKill().argv("KILL");
        assertThat(kill.get(kill.size() - 1)).endsWith(" sh '.pilotflow-ssh-2' 'KILL'");
    }

    /** The login shells the real-shell tests run the ssh command lines in: sh, and tcsh where installed. */
    static List<String> loginShells() {
        return java.util.stream.Stream.of("/bin/sh", "/usr/bin/tcsh")
                .filter(s -> Files.isExecutable(Path.of(s))).toList();
    }

    /** The SSH launch of {@code argv} in {@code sandbox}, with {@code env} as the agent's environment. */
    private Launch sshLaunch(Path sandbox, String... argv) throws Exception {
        UnitSpec u = unit(1, 0, false);
        return methods("SSH").select(new LaunchRequest(u, TWO_CORES_ON_N2, List.of(argv), sandbox,
                Map.of("PILOTFLOW_UNIT_ID", "unit.1")));
    }

    /** Runs the command line ssh would hand to the remote login {@code shell}, here, with {@code path} as PATH. */
    private static Process remote(String shell, List<String> sshArgv, String path) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(shell, "-c", sshArgv.get(sshArgv.size() - 1));
        if (path != null) {
            pb.environment().put("PATH", path);
        }
        return pb.redirectErrorStream(true).start();
    }

    private static String waitForContent(Path file) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!(Files.exists(file) && Files.readString(file).endsWith("\n")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return Files.readString(file).strip();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("loginShells")
    void sshStartAndKillEndTheUnitsProcessGroupFromAnyLoginShell(String shell, @TempDir Path dir) throws Exception {
        // the command lines as the remote login shell runs them, without ssh: a unit with a child, then the kill
        Launch l = sshLaunch(dir, "/bin/sh", "-c", "sleep 300 & echo $! > child; wait");
        Process unit = remote(shell, l.argv(), null);
        long childPid = Long.parseLong(waitForContent(dir.resolve("child")));
        assertThat(Files.readString(dir.resolve(".pilotflow-ssh-1.pid"))).as("a process group").startsWith("-");
        Process kill = remote(shell, l.remoteKill().argv("TERM"), null);
        assertThat(kill.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as(new String(kill.getInputStream().readAllBytes())).isZero();
        assertThat(unit.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (ProcessHandle.of(childPid).map(org.pilotflow.agent.executor.ProcessTrees::isRunning).orElse(false)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ProcessHandle.of(childPid).map(org.pilotflow.agent.executor.ProcessTrees::isRunning))
                .as("the unit's child, in its process group").isNotEqualTo(Optional.of(true));
        assertThat(dir.resolve(".pilotflow-ssh-1.cancel")).exists();

        // a kill that came first keeps the unit from starting at all
        Files.delete(dir.resolve(".pilotflow-ssh-1.pid"));
        Process late = remote(shell, l.argv(), null);
        assertThat(late.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(late.exitValue()).isEqualTo(143);

        // the files go once the unit is over
        l.remoteKill().ended();
        assertThat(dir.resolve(".pilotflow-ssh-1.cancel")).doesNotExist();
        assertThat(dir.resolve(".pilotflow-ssh-1.pid")).doesNotExist();
    }

    @Test
    void sshRunsTheUnitAndKillsItsProcessWhereSetsidIsMissingOrHasNoW(@TempDir Path dir) throws Exception {
        // a PATH with what the scripts need but setsid: missing, then one that rejects -w (old util-linux, busybox)
        Path tools = Files.createDirectories(dir.resolve("tools"));
        for (String t : List.of("env", "touch", "cat", "sleep")) {
            Files.createSymbolicLink(tools.resolve(t), Path.of(bin("/usr/bin/" + t, "/bin/" + t)));
        }
        for (boolean fakeSetsid : List.of(false, true)) {
            if (fakeSetsid) {
                Path setsid = tools.resolve("setsid");
                Files.writeString(setsid, "#!/bin/sh\necho \"setsid: invalid option -- 'w'\" >&2\nexit 1\n");
                Files.setPosixFilePermissions(setsid, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Path sandbox = Files.createDirectories(dir.resolve("sandbox-" + fakeSetsid));
            Launch done = sshLaunch(sandbox, "/bin/sh", "-c", "exit 3");
            Process p = remote("/bin/sh", done.argv(), tools.toString());
            assertThat(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isEqualTo(3);

            Launch l = sshLaunch(sandbox, "/bin/sh", "-c", "echo $$ > me; exec sleep 300");
            Process unit = remote("/bin/sh", l.argv(), tools.toString());
            String me = waitForContent(sandbox.resolve("me"));
            assertThat(Files.readString(sandbox.resolve(".pilotflow-ssh-1.pid")).strip()).as("the unit's pid")
                    .isEqualTo(me);
            Process kill = remote("/bin/sh", l.remoteKill().argv("TERM"), tools.toString());
            assertThat(kill.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            assertThat(unit.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(unit.exitValue()).isEqualTo(143);
        }
    }

    private static String bin(String... candidates) {
        return java.util.Arrays.stream(candidates).filter(c -> Files.isExecutable(Path.of(c))).findFirst()
                .orElseThrow();
    }

    @Test
    void sshPutsConfiguredArgsFirstSoTheyWinOverTheDefaults() throws Exception {
        LaunchMethods m = LaunchMethods.create(config(List.of("SSH"), Map.of("SSH", Map.of("executable",
                "ssh", "args", List.of("-o", "StrictHostKeyChecking=yes", "-p", "2222")))), env, Optional.of("n1"),
                false);
        assertThat(m.select(request(unit(1, 0, false), TWO_CORES_ON_N2)).argv()).startsWith("ssh", "-o",
                "StrictHostKeyChecking=yes", "-p", "2222", "-o", "BatchMode=yes");
    }

    @Test
    void quotingSurvivesARealShell() throws Exception {
        List<String> words = List.of("plain", "a b", "it's", "'", "$HOME", "`id`", "a\"b", "back\\slash", "",
                "new\nline", "*", "!x", ";", "&&");
        StringBuilder line = new StringBuilder("printf '%s\\0'");
        for (String w : words) {
            line.append(' ').append(SshMethod.quote(w));
        }
        Process p = new ProcessBuilder("/bin/sh", "-c", line.toString()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isZero();
        assertThat(out.split("\0", -1)).containsExactlyElementsOf(
                java.util.stream.Stream.concat(words.stream(), java.util.stream.Stream.of("")).toList());
    }

    @Test
    void theFirstMethodThatCanRunTheUnitIsUsed() throws Exception {
        LaunchMethods m = methods("MPIEXEC", "SSH", "FORK");
        assertThat(m.select(request(unit(4, 0, true), FOUR_RANKS_ON_TWO_NODES)).method()).isEqualTo("MPIEXEC");
        assertThat(m.select(request(unit(2, 0, false), TWO_CORES_ON_N2)).method()).isEqualTo("SSH");
        assertThat(m.select(request(unit(2, 0, false), TWO_CORES_ON_N1)).method()).isEqualTo("FORK");
        assertThat(methods("SRUN", "FORK").select(request(unit(2, 0, false), TWO_CORES_ON_N1)).method())
                .isEqualTo("SRUN");
        env.remove("SLURM_JOB_ID");
        assertThat(methods("SRUN", "FORK").select(request(unit(2, 0, false), TWO_CORES_ON_N1)).method())
                .isEqualTo("FORK");
    }

    @Test
    void whenNoMethodCanTheReasonNamesEachMethodAndWhy() throws Exception {
        assertThatThrownBy(() -> methods("FORK").select(request(unit(4, 0, true), FOUR_RANKS_ON_TWO_NODES)))
                .isInstanceOf(LaunchMethods.NoLaunchMethodException.class)
                .hasMessage("no launch method of [FORK] can run an MPI unit of 4 ranks on 2 nodes "
                        + "(FORK: starts one process, not 4 ranks)");
        env.remove("SLURM_JOB_ID");
        env.put("PATH", "/nonexistent");
        assertThatThrownBy(() -> methods("FORK", "SRUN", "MPIEXEC", "SSH")
                .select(request(unit(2, 0, false), TWO_CORES_ON_N2)))
                .hasMessage("no launch method of [FORK, SRUN, MPIEXEC, SSH] can run a unit of 2 cores on node n2 "
                        + "(FORK: runs only on the agent's node n1, the unit is on n2; "
                        + "SRUN: not inside a Slurm job (SLURM_JOB_ID is not set); MPIEXEC: starts MPI units only; "
                        + "SSH: ssh not found on PATH)");
        assertThatThrownBy(() -> methods("SSH", "MPIEXEC").select(request(unit(2, 0, false), TWO_CORES_ON_N1)))
                .hasMessage("no launch method of [SSH, MPIEXEC] can run a unit of 2 cores on node n1 "
                        + "(SSH: starts units on other nodes, this one is on the agent's node n1; "
                        + "MPIEXEC: starts MPI units only)");
        assertThatThrownBy(() -> methods("MPIEXEC").select(request(unit(4, 0, true), FOUR_RANKS_ON_TWO_NODES)))
                .hasMessageEndingWith("(MPIEXEC: mpiexec not found on PATH)");
    }

    @Test
    void forkCannotRunAnythingWhenTheAgentIsNotOnAPilotNode() throws Exception {
        LaunchMethods m = LaunchMethods.create(config(List.of("FORK"), Map.of()), env, Optional.empty(), false);
        assertThatThrownBy(() -> m.select(request(unit(2, 0, false), TWO_CORES_ON_N1)))
                .hasMessageEndingWith("(FORK: the agent's host is not one of the pilot's nodes)");
    }

    @Test
    void unknownMethodsAndBadOptionsAreBadConfigNamingTheField() {
        assertThatThrownBy(() -> LaunchMethods.check(config(List.of("FORK", "APRUN"), Map.of()), "/p/agent.json"))
                .isInstanceOf(BadConfigException.class)
                .hasMessage("bad config /p/agent.json: field 'launchMethods' names an unknown launch method 'APRUN' "
                        + "(expected some of [FORK, SRUN, MPIEXEC, MPIRUN, SSH]), was [FORK, APRUN]");
        assertThatThrownBy(() -> LaunchMethods.check(config(List.of("MPIEXEC"),
                Map.of("MPIEXEC", Map.of("args", "--oversubscribe"))), "/p/agent.json"))
                .hasMessage("bad config /p/agent.json: field 'launchMethodOptions.MPIEXEC.args' must be a list of "
                        + "strings, was --oversubscribe");
        assertThatThrownBy(() -> LaunchMethods.check(config(List.of("SSH"),
                Map.of("SSH", Map.of("executable", 7))), "/p/agent.json"))
                .hasMessage("bad config /p/agent.json: field 'launchMethodOptions.SSH.executable' must be a program "
                        + "name or path, was 7");
        assertThatThrownBy(() -> LaunchMethods.create(config(List.of("srun"), Map.of()), env, Optional.empty(),
                false)).hasMessageStartingWith("bad config: field 'launchMethods' names an unknown launch method");
    }

    @Test
    void sshRefusesVariableNamesAShellCannotTake() throws Exception {
        LaunchRequest r = new LaunchRequest(unit(1, 0, false), TWO_CORES_ON_N2, List.of("/bin/app"), SANDBOX,
                Map.of("A-B", "1"));
        assertThatThrownBy(() -> methods("SSH").select(r))
                .hasMessageEndingWith("(SSH: cannot pass the variable 'A-B' to a shell)");
    }
}
