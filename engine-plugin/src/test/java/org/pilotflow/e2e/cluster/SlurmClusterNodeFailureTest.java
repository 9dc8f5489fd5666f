package org.pilotflow.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.PilotState;
import org.pilotflow.model.UnitState;
import org.pilotflow.resource.config.LaunchMethod;
import org.pilotflow.resource.config.LaunchMethods;

/**
 * A node of a running 3-node pilot cut off from the cluster (its namespace's link down): SLURM calls it DOWN after
 * its SlurmdTimeout, the pilot's job goes on (--no-kill), and the agent fails the units that were on it with
 * NODE_LOST, a restartable one running again on a node left, while the other nodes' units finish and new units go to
 * them only. The link comes back up at the end, and the node back into service.
 */
class SlurmClusterNodeFailureTest {

    /** Records "host pid" in {@code $1/<unit id>}, then waits (bounded) for the file {@code $2}: a unit that holds its core. */
    static final String HOLD = "echo \"$(hostname) $$\" > \"$1/$PILOTFLOW_UNIT_ID\"; i=0; "
            + "while [ ! -e \"$2\" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done; hostname";

    /** First attempt: records "host pid" and holds its core long; a later one appends its host, prints it and ends. */
    static final String ONCE_LONG_THEN_SHORT = "if [ -e \"$1/$PILOTFLOW_UNIT_ID\" ]; then "
            + "echo \"$(hostname) $$\" >> \"$1/$PILOTFLOW_UNIT_ID\"; hostname; exit 0; fi; "
            + "echo \"$(hostname) $$\" > \"$1/$PILOTFLOW_UNIT_ID\"; exec sleep 300";

    /** Records "host pid" and holds its core long (the pid is the sleep's). */
    static final String LONG = "echo \"$(hostname) $$\" > \"$1/$PILOTFLOW_UNIT_ID\"; exec sleep 300";

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
    void unitsOnALostNodeFailOrRunAgainAndThePilotGoesOnWithTheOthers() throws Exception {
        String lost = nodes.get(nodes.size() - 1); // not the agent's node (the first)
        String link = cluster.get("NODE_LINK_" + lost);
        Path records = Files.createDirectories(ClusterFixture.SANDBOX_ROOT.resolve("nodefail-" + System.nanoTime()));
        Path release = records.resolve("release");
        LaunchMethods forkThenSrun = new LaunchMethods(List.of(LaunchMethod.FORK, LaunchMethod.SRUN), Map.of());
        try (Session session = ClusterFixture.session(work, cluster.get("ENGINE_HOST"),
                ClusterFixture.slurmCluster("test.cluster-nodefail", cluster, forkThenSrun))) {
            ComputePilot pilot = session.createPilotManager().submitPilot(
                    ClusterFixture.pilot("test.cluster-nodefail", nodes.size() * coresPerNode).build());
            assertThat(pilot.waitFor(Duration.ofSeconds(120), PilotState.ACTIVE)).as(pilot.reason().orElse(""))
                    .isEqualTo(PilotState.ACTIVE);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);

            // one unit at a time, each running before the next: first fit fills the nodes in order, so the last
            // node gets the last two (a plain one and a restartable one)
            int others = (nodes.size() - 1) * coresPerNode;
            List<ComputeUnit> holders = new ArrayList<>();
            for (int i = 0; i < others; i++) {
                holders.add(running(umgr, ComputeUnitDescription.builder().name("hold-" + i).executable("/bin/sh")
                        .arguments("-c", HOLD, "hold", records.toString(), release.toString()).build()));
            }
            ComputeUnit plain = running(umgr, ComputeUnitDescription.builder().name("plain")
                    .executable("/bin/sh").arguments("-c", LONG, "plain", records.toString()).build());
            ComputeUnit again = running(umgr, ComputeUnitDescription.builder().name("again").restartable(true)
                    .executable("/bin/sh").arguments("-c", ONCE_LONG_THEN_SHORT, "again", records.toString())
                    .build());
            assertThat(plain.slots()).allMatch(s -> s.startsWith(lost + ":"));
            assertThat(again.slots()).allMatch(s -> s.startsWith(lost + ":"));
            ClusterFixture.await("the last node's units to record their processes", Duration.ofSeconds(30),
                    () -> lines(records.resolve(plain.uid())).size() == 1
                            && lines(records.resolve(again.uid())).size() == 1);

            ClusterFixture.run(client, "ip", "link", "set", link, "down");
            try {
                // SLURM calls the node DOWN after SlurmdTimeout (30 s) and a ping round; the agent asks every 5 s
                assertThat(plain.waitFor(Duration.ofMinutes(3))).isEqualTo(UnitState.FAILED);
                assertThat(plain.errorCode()).hasValue(ErrorCode.NODE_LOST);
                assertThat(plain.failureReason().orElse("")).startsWith("node " + lost + " lost: ");
                assertThat(pilot.state()).as("the pilot goes on without the node").isEqualTo(PilotState.ACTIVE);
                assertThat(Files.readString(Path.of(pilot.sandbox(), "agent.log"))).contains("node " + lost + " lost")
                        .as("the node watcher's sinfo works in the job").doesNotContain("cannot ask SLURM");

                // the restartable unit runs again once a core is free, on a node left
                Files.writeString(release, "");
                for (ComputeUnit h : holders) {
                    assertThat(h.waitFor(Duration.ofMinutes(1))).as(h.failureReason().orElse(""))
                            .isEqualTo(UnitState.DONE);
                    assertThat(h.stdout().strip()).isNotEqualTo(lost);
                }
                assertThat(again.waitFor(Duration.ofMinutes(1))).as(again.failureReason().orElse(""))
                        .isEqualTo(UnitState.DONE);
                List<String> attempts = lines(records.resolve(again.uid()));
                assertThat(attempts).hasSize(2);
                assertThat(attempts.get(0)).startsWith(lost + " ");
                assertThat(again.stdout().strip()).isIn(nodes).isNotEqualTo(lost);
                assertThat(again.stateHistory().stream().filter(e -> e.state() == UnitState.EXECUTING).count())
                        .as("executing twice").isEqualTo(2);

                // new units: every core left runs one at once, none on the lost node
                Set<String> hosts = new TreeSet<>();
                Path meet = Files.createDirectories(records.resolve("meet"));
                List<ComputeUnitDescription> ds = new ArrayList<>();
                for (int i = 0; i < others; i++) {
                    ds.add(ComputeUnitDescription.builder().name("after-" + i).executable("/bin/sh")
                            .arguments("-c", SlurmClusterPilotTest.MEET_THEN_PRINT_HOST, "meet", meet.toString(),
                                    Integer.toString(others)).build());
                }
                for (ComputeUnit u : umgr.submitUnits(ds)) {
                    assertThat(u.waitFor(Duration.ofMinutes(1))).as(u.failureReason().orElse(""))
                            .isEqualTo(UnitState.DONE);
                    hosts.add(u.stdout().strip());
                }
                assertThat(hosts).containsExactlyInAnyOrderElementsOf(nodes.subList(0, nodes.size() - 1));
                ClusterFixture.cancelActivePilot(pilot);
            } finally {
                ClusterFixture.run(client, "ip", "link", "set", link, "up");
                // the processes on the cut-off node: their launchers (srun) are gone, they may not be
                for (String pidOf : List.of(plain.uid(), again.uid())) {
                    List<String> rec = lines(records.resolve(pidOf));
                    if (!rec.isEmpty()) {
                        new ProcessBuilder("kill", "-KILL", rec.get(0).split(" ")[1]).start().waitFor();
                    }
                }
                backInService(lost);
            }
        }
    }

    /**
     * Resumes the node (its link up again) and waits until it is idle. slurmctld does not ping a DOWN node that
     * stopped answering; it only asks it to register every 20th ping cycle (~200 s here), unless its slurmd happens to
     * send something first. Resuming makes it idle-not-responding, which is pinged at once. The states the node went
     * through (seconds since the link came up) go into the failure message and the test's log. A resume slurmctld
     * refuses (the node was no longer down when it came) is one of them: the wait goes on.
     */
    private static void backInService(String node) {
        long start = System.nanoTime();
        long[] lastResume = {start - Duration.ofSeconds(10).toNanos()};
        List<String> seen = new ArrayList<>();
        try {
            ClusterFixture.await(() -> node + " back in service; states seen " + seen, Duration.ofMinutes(2), () -> {
                String state = ClusterFixture.run(client, "sinfo", "-h", "-N", "-n", node, "-o", "%T").strip();
                long now = System.nanoTime();
                if (seen.isEmpty() || !seen.get(seen.size() - 1).startsWith(state + " ")) {
                    seen.add(state + " @" + (now - start) / 1_000_000_000 + "s");
                }
                if (state.startsWith("down") && now - lastResume[0] >= Duration.ofSeconds(5).toNanos()) {
                    try {
                        ClusterFixture.run(client, "scontrol", "update", "nodename=" + node, "state=resume");
                    } catch (AssertionError e) {
                        // the node changed state between sinfo and scontrol (its slurmd registered again): slurmctld
                        // refuses to resume a node that is not down any more ("Invalid node state specified");
                        // the next round reads the state again
                        seen.add("resume refused @" + (now - start) / 1_000_000_000 + "s: " + e.getMessage().strip());
                    }
                    lastResume[0] = now;
                }
                return state.equals("idle");
            });
        } finally {
            System.out.println(node + " after its link came up: " + seen);
        }
    }

    /** Submits one unit and waits until it runs. */
    private static ComputeUnit running(UnitManager umgr, ComputeUnitDescription d) {
        ComputeUnit u = umgr.submitUnits(List.of(d)).get(0);
        assertThat(u.waitFor(Duration.ofMinutes(1), UnitState.EXECUTING)).as(u.failureReason().orElse(""))
                .isEqualTo(UnitState.EXECUTING);
        return u;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList()
                    : List.of();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
