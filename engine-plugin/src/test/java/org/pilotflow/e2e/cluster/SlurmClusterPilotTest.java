package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.resource.config.LaunchMethod;
import org.pilotflow.resource.config.LaunchMethods;

/**
 * Pilots spanning the nodes of the multi-node test cluster ({@code test-backends/slurm-cluster.sh}: nodes
 * {@code pfnode1..3}, each its own network and UTS namespace, so a process's hostname says which node it runs on).
 * One pilot of all the cluster's cores is one batch job over every node; its agent (on the first node) finds the
 * nodes in {@code SLURM_JOB_NODELIST} and places units on all of them.
 */
class SlurmClusterPilotTest {

    /** Each unit records its node, waits (bounded) until all {@code $2} have, then prints its node. */
    static final String MEET_THEN_PRINT_HOST = "hostname > \"$1/$PILOTFLOW_UNIT_ID\"; i=0; "
            + "while [ \"$(ls \"$1\" | wc -l)\" -lt \"$2\" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
            + "hostname";

    /** A unit with a child process; records "host its-pid child-pid" and waits for the child. */
    static final String SLEEP_WITH_CHILD = "sleep 300 & echo \"$(hostname) $$ $!\" > \"$1/$PILOTFLOW_UNIT_ID\"; wait";

    @TempDir
    Path work;

    static Map<String, String> cluster;
    static Map<String, String> client;
    static List<String> nodes;
    static int coresPerNode;

    @BeforeAll
    static void backends() throws Exception {
        ClusterFixture.SlurmCluster c = ClusterFixture.SlurmCluster.require();
        cluster = c.env();
        client = c.client();
        nodes = c.nodes();
        coresPerNode = c.coresPerNode();
    }

    @Test
    void unitsLandOnEveryNodeAndAnMpiUnitRunsAcrossNodesThroughSrun() throws Exception {
        LaunchMethods forkThenSrun = new LaunchMethods(List.of(LaunchMethod.FORK, LaunchMethod.SRUN), Map.of());
        try (Session session = ClusterFixture.session(work, cluster.get("ENGINE_HOST"),
                ClusterFixture.slurmCluster("test.cluster-srun", cluster, forkThenSrun))) {
            ComputePilot pilot = pilotOnAllNodes(session, "test.cluster-srun");
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            unitsOnEveryNode(umgr);
            mpiRanksOnEveryNode(umgr); // FORK starts no MPI unit of several ranks: SRUN does

            ClusterFixture.cancelActivePilot(pilot);
        }
    }

    @Test
    void mpiexecAndSshReachTheOtherNodesAndCancelingEndsTheRemoteProcesses() throws Exception {
        LaunchMethods methods = new LaunchMethods(List.of(LaunchMethod.FORK, LaunchMethod.MPIEXEC, LaunchMethod.SSH),
                Map.of(LaunchMethod.SSH, Map.of("args", List.of("-F", cluster.get("SSH_CONFIG")))));
        try (Session session = ClusterFixture.session(work, cluster.get("ENGINE_HOST"),
                ClusterFixture.slurmCluster("test.cluster-ssh", cluster, methods))) {
            ComputePilot pilot = pilotOnAllNodes(session, "test.cluster-ssh");
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            mpiRanksOnEveryNode(umgr); // MPI units through MPIEXEC (Open MPI)
            unitsOnEveryNode(umgr); // those off the agent's node through SSH
            cancelingEndsEveryProcessOnEveryNode(umgr);
            jobCanceledFromOutsideEndsTheRemoteProcessesToo(umgr, pilot);
        }
    }

    /** A pilot of every core of the cluster: one batch job on all nodes, and an agent that knows them all. */
    private ComputePilot pilotOnAllNodes(Session session, String resource) throws IOException {
        ComputePilot pilot = session.createPilotManager().submitPilot(
                ClusterFixture.pilot(resource, nodes.size() * coresPerNode).build());
        assertThat(pilot.waitFor(Duration.ofSeconds(120), PilotState.ACTIVE)).as(pilot.reason().orElse(""))
                .isEqualTo(PilotState.ACTIVE);
        String job = SlurmPilotTest.jobId(pilot);
        assertThat(ClusterFixture.run(client, "squeue", "-h", "-o", "%i %T %N").strip())
                .as("the cluster's only job").isEqualTo(job + " RUNNING " + cluster.get("SLURM_NODES"));
        String nodeLine = nodes.stream().map(n -> n + " (" + coresPerNode + " cores)")
                .collect(Collectors.joining(", ", "nodes from SLURM_JOB_NODELIST: ", "; "));
        // the engine told the agent where SLURM's provider says the list is (BatchSystemInfo.nodeList)
        assertThat(Files.readString(Path.of(pilot.sandbox(), "agent.log"))).contains(nodeLine)
                .contains("nodeList=NodeList[variable=SLURM_JOB_NODELIST, format=slurm-hostlist]")
                .contains("the agent runs on " + nodes.get(0));
        return pilot;
    }

    /** As many single-core units as the pilot has cores, all running at once: each node prints its own name. */
    private void unitsOnEveryNode(UnitManager umgr) throws IOException {
        int n = nodes.size() * coresPerNode;
        Path meet = Files.createDirectories(ClusterFixture.SANDBOX_ROOT.resolve("meet-" + System.nanoTime()));
        List<ComputeUnitDescription> ds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().name("where-" + i).executable("/bin/sh")
                    .arguments("-c", MEET_THEN_PRINT_HOST, "meet", meet.toString(), Integer.toString(n)).build());
        }
        Set<String> hosts = new TreeSet<>();
        for (ComputeUnit u : umgr.submitUnits(ds)) {
            assertThat(u.waitFor(Duration.ofMinutes(2))).as(u.failureReason().orElse("")).isEqualTo(UnitState.DONE);
            String host = u.stdout().strip();
            assertThat(u.slots()).as("the slots of the unit that printed " + host).isNotEmpty()
                    .allMatch(s -> s.startsWith(host + ":"));
            hosts.add(host);
        }
        assertThat(hosts).containsExactlyInAnyOrderElementsOf(nodes);
    }

    /** One MPI unit of every core: each rank prints its node, each node holds coresPerNode ranks. */
    private void mpiRanksOnEveryNode(UnitManager umgr) {
        int ranks = nodes.size() * coresPerNode;
        ComputeUnit mpi = umgr.submitUnits(List.of(ComputeUnitDescription.builder().name("ranks")
                .executable("/bin/hostname").mpi(true).cores(ranks).build())).get(0);
        assertThat(mpi.waitFor(Duration.ofMinutes(2))).as(mpi.failureReason().orElse("") + mpi.stderr())
                .isEqualTo(UnitState.DONE);
        Map<String, Long> perNode = mpi.stdout().lines().map(String::strip)
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
        Map<String, Long> expected = new TreeMap<>();
        nodes.forEach(node -> expected.put(node, (long) coresPerNode));
        assertThat(perNode).as("ranks per node").isEqualTo(expected);
    }

    /**
     * A unit with a child process on every core, then each canceled: every unit's processes end, those the agent
     * started on other nodes (through ssh) included.
     */
    private void cancelingEndsEveryProcessOnEveryNode(UnitManager umgr) throws IOException {
        Path pids = Files.createDirectories(ClusterFixture.SANDBOX_ROOT.resolve("pids-" + System.nanoTime()));
        List<ComputeUnit> units = sleepersOnEveryNode(umgr, pids);
        List<String[]> recorded = complete(pids).stream().map(l -> l.split(" ")).toList();

        units.forEach(ComputeUnit::cancel);

        for (ComputeUnit u : units) {
            assertThat(u.waitFor(Duration.ofMinutes(1))).isEqualTo(UnitState.CANCELED);
        }
        for (String[] r : recorded) { // one process table: a remote node's processes are visible here
            for (int i = 1; i < 3; i++) {
                long pid = Long.parseLong(r[i]);
                assertThat(running(pid)).as((i == 1 ? "unit" : "its child") + " " + pid + " on " + r[0]).isFalse();
            }
        }
    }

    /**
     * The batch system ends the pilot's job (an admin's scancel): the agent, killed, still ends the processes it
     * started on other nodes through ssh, which are no part of the job.
     */
    private void jobCanceledFromOutsideEndsTheRemoteProcessesToo(UnitManager umgr, ComputePilot pilot)
            throws IOException {
        Path pids = Files.createDirectories(ClusterFixture.SANDBOX_ROOT.resolve("pids-" + System.nanoTime()));
        sleepersOnEveryNode(umgr, pids);
        List<String[]> recorded = complete(pids).stream().map(l -> l.split(" ")).toList();

        ClusterFixture.run(client, "scancel", SlurmPilotTest.jobId(pilot));

        assertThat(pilot.waitFor(Duration.ofSeconds(60))).isEqualTo(PilotState.FAILED);
        for (String[] r : recorded) {
            for (int i = 1; i < 3; i++) {
                long pid = Long.parseLong(r[i]);
                ClusterFixture.await("process " + pid + " on " + r[0] + " to end", Duration.ofSeconds(30),
                        () -> !running(pid));
            }
        }
    }

    /** A unit with a child process on every core, each recorded in {@code pids}: on every node. */
    private List<ComputeUnit> sleepersOnEveryNode(UnitManager umgr, Path pids) {
        int n = nodes.size() * coresPerNode;
        List<ComputeUnitDescription> ds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ds.add(ComputeUnitDescription.builder().name("sleeper-" + i).executable("/bin/sh")
                    .arguments("-c", SLEEP_WITH_CHILD, "sleeper", pids.toString()).build());
        }
        List<ComputeUnit> units = umgr.submitUnits(ds);
        ClusterFixture.await(n + " units to record their processes", Duration.ofMinutes(1),
                () -> complete(pids).size() == n);
        assertThat(complete(pids).stream().map(l -> l.split(" ")[0]).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(nodes);
        return units;
    }

    /** The lines of the files in {@code dir} that are written completely (three words). */
    private static List<String> complete(Path dir) {
        try (var files = Files.list(dir)) {
            List<String> out = new ArrayList<>();
            for (Path f : files.toList()) {
                String line = Files.readString(f).strip();
                if (line.split(" ").length == 3) {
                    out.add(line);
                }
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Alive and not a zombie. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}
