package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.plugin.PilotFlowConfig;
import org.pilotflow.resource.config.ChannelMode;
import org.pilotflow.resource.config.ResourceConfig;
import org.pilotflow.resource.ssh.SshCredentials;
import org.pilotflow.testing.TestBackends;

/**
 * Sessions and resource entries for the real sshd, SLURM and SGE of {@link TestBackends}; everything runs on this
 * machine, so "remote" sandboxes are under {@link #SANDBOX_ROOT} and the agent uses this JVM's java.
 */
final class ClusterFixture {

    /** Every sandbox of these tests lies below it; the resources' only valid root. */
    static final Path SANDBOX_ROOT = Path.of("/tmp/pilotflow-e2e");

    private ClusterFixture() {
    }

    static PilotFlowConfig config(Path work) {
        return PilotFlowConfig.builder()
                .workDirectory(work)
                .heartbeatInterval(Duration.ofMillis(500))
                .heartbeatTimeout(Duration.ofSeconds(6))
                .launchTimeout(Duration.ofSeconds(90))
                .cancelGrace(Duration.ofSeconds(10))
                .jobPollInterval(Duration.ofSeconds(1))
                .clientDirectory(work.resolve("client")) // client:// of staging directives
                .build();
    }

    static Session session(Path work, ResourceConfig... resources) {
        Session s = org.pilotflow.e2e.LocalFixture.builder(work, config(work)).create();
        for (ResourceConfig rc : resources) {
            s.resources().add(rc);
        }
        return s;
    }

    /** The credentials of the test sshd's authorized key, checked against its known_hosts. */
    static SshCredentials sshCredentials(Map<String, String> sshd) {
        return SshCredentials.builder().user(sshd.get("SSH_USER")).keyFile(Path.of(sshd.get("SSH_KEY")))
                .knownHosts(Path.of(sshd.get("SSH_KNOWN_HOSTS"))).build();
    }

    static String sshUrl(String scheme, Map<String, String> sshd) {
        return scheme + "://" + sshd.get("SSH_USER") + "@" + sshd.get("SSH_HOST") + ":" + sshd.get("SSH_PORT") + "/";
    }

    private static ResourceConfig.Builder base(String label, String jobManager, String filesystem) {
        return ResourceConfig.builder(label)
                .schema("default", jobManager, filesystem)
                .coresPerNode(Runtime.getRuntime().availableProcessors())
                .defaultRemoteWorkdir(SANDBOX_ROOT + "/work")
                .validRoots(List.of(SANDBOX_ROOT.toString()))
                .agentJava(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** {@code ssh://}: the agent forked on the SSH host, reporting straight to the engine. */
    static ResourceConfig sshFork(Map<String, String> sshd) {
        return base("test.ssh", sshUrl("ssh", sshd), "sftp://" + sshd.get("SSH_HOST") + "/").build();
    }

    /** {@code slurm://localhost/} with the test cluster's client environment. */
    static ResourceConfig slurmLocal(Map<String, String> slurm) {
        return base("test.slurm", "slurm://localhost/", "file://localhost/")
                .jobManagerEnvironment(TestBackends.clientEnvironment("slurm"))
                .build();
    }

    /** {@code slurm+ssh://}: SLURM behind SSH, the agent's channel through a reverse tunnel on that connection. */
    static ResourceConfig slurmSsh(Map<String, String> sshd) {
        return base("test.slurmssh", sshUrl("slurm+ssh", sshd), "sftp://" + sshd.get("SSH_HOST") + "/")
                .jobManagerEnvironment(TestBackends.clientEnvironment("slurm"))
                .channelMode(ChannelMode.SSH_TUNNEL)
                .build();
    }

    /**
     * {@code slurm://localhost/} on the multi-node test cluster (test-backends/slurm-cluster.sh) with these launch
     * methods; nodes of {@code SLURM_CPUS_PER_NODE} cores.
     */
    static ResourceConfig slurmCluster(String label, Map<String, String> cluster,
                                       org.pilotflow.resource.config.LaunchMethods launchMethods) {
        return base(label, "slurm://localhost/", "file://localhost/")
                .coresPerNode(Integer.parseInt(cluster.get("SLURM_CPUS_PER_NODE")))
                .jobManagerEnvironment(TestBackends.clientEnvironment("slurm-cluster"))
                .launchMethods(launchMethods)
                .build();
    }

    /** A session whose agents report to {@code endpointHost} (an address the cluster's nodes reach). */
    static Session session(Path work, String endpointHost, ResourceConfig... resources) {
        Session s = org.pilotflow.e2e.LocalFixture.builder(work, config(work).toBuilder().endpointHost(endpointHost)
                .build()).create();
        for (ResourceConfig rc : resources) {
            s.resources().add(rc);
        }
        return s;
    }

    /** {@code sge://localhost/} with the test cell's client environment. */
    static ResourceConfig sgeLocal(Map<String, String> sge) {
        return base("test.sge", "sge://localhost/", "file://localhost/")
                .jobManagerEnvironment(TestBackends.clientEnvironment("sge"))
                .build();
    }

    static ComputePilotDescription.Builder pilot(String resource, int cores) {
        return ComputePilotDescription.builder()
                .resource(resource)
                .runtime(Duration.ofMinutes(10))
                .cores(cores)
                .sandbox(SANDBOX_ROOT.resolve("p-" + System.nanoTime()).toString());
    }

    /**
     * The foundation's first behaviour on any resource: 200 {@code /bin/date} units on a 2-core pilot, all DONE
     * with their output; then a failing unit FAILED with its exit code, and a long unit CANCELED when canceled.
     */
    static void standardWorkload(Session session, ComputePilot pilot) {
        UnitManager umgr = session.createUnitManager();
        umgr.addPilot(pilot);
        List<ComputeUnitDescription> ds = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ds.add(ComputeUnitDescription.builder().name("date-" + i).executable("/bin/date").build());
        }
        List<ComputeUnit> units = umgr.submitUnits(ds);
        List<UnitState> states = umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(3));
        assertThat(states).hasSize(200).containsOnly(UnitState.DONE);
        for (ComputeUnit u : units) {
            assertThat(u.exitCode()).contains(0);
            assertThat(u.stdout()).isNotBlank();
            assertThat(u.pilot()).contains(pilot.uid());
        }

        ComputeUnit failing = umgr.submitUnits(List.of(ComputeUnitDescription.builder().name("fails")
                .executable("/bin/sh").arguments("-c", "echo broken >&2; exit 3").build())).get(0);
        ComputeUnit sleeper = umgr.submitUnits(List.of(ComputeUnitDescription.builder().name("sleeps")
                .executable("/bin/sleep").arguments("300").build())).get(0);
        assertThat(failing.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.FAILED);
        assertThat(failing.exitCode()).contains(3);
        assertThat(failing.failureReason()).hasValueSatisfying(r -> assertThat(r).contains("exit code 3", "broken"));
        sleeper.waitFor(Duration.ofSeconds(60), UnitState.EXECUTING);
        sleeper.cancel();
        assertThat(sleeper.waitFor(Duration.ofSeconds(60))).isEqualTo(UnitState.CANCELED);
        assertThat(pilot.state()).isEqualTo(PilotState.ACTIVE);
    }

    /** Cancels an ACTIVE pilot: it ends CANCELED, and its agent stops by itself (no kill needed). */
    static void cancelActivePilot(ComputePilot pilot) {
        pilot.cancel();
        assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.CANCELED);
        assertThat(pilot.reason()).isPresent();
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        await(() -> what, timeout, condition);
    }

    /** As {@link #await(String, Duration, BooleanSupplier)}, the message made when it times out. */
    static void await(java.util.function.Supplier<String> what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what.get());
            }
        }
    }

    /** Runs a client command of a test backend on this machine and returns its stdout (fails the test otherwise). */
    static String run(Map<String, String> env, String... argv) {
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", argv) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", argv) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /**
     * The 3-node SLURM test cluster (test-backends/slurm-cluster.sh), started once per JVM. Its tests run in the H2
     * run of the end-to-end suite only: what they test happens on the cluster, not in the engine's database.
     *
     * @param env    what the cluster's script wrote (node names, links, ENGINE_HOST, ...)
     * @param client the environment a client of the cluster needs (SLURM_CONF, munge socket, ...)
     */
    record SlurmCluster(Map<String, String> env, Map<String, String> client, List<String> nodes, int coresPerNode) {

        static SlurmCluster require() throws IOException {
            org.junit.jupiter.api.Assumptions.assumeFalse(org.pilotflow.e2e.LocalFixture.onPostgres(),
                    "runs in the H2 run of the end-to-end suite only");
            Map<String, String> env = TestBackends.require("slurm-cluster");
            SlurmCluster c = new SlurmCluster(env, TestBackends.clientEnvironment("slurm-cluster"),
                    List.of(env.get("SLURM_NODE_NAMES").split(",")), Integer.parseInt(env.get("SLURM_CPUS_PER_NODE")));
            createSandboxRoot();
            return c;
        }
    }

    static void createSandboxRoot() throws IOException {
        Files.createDirectories(SANDBOX_ROOT);
    }
}
