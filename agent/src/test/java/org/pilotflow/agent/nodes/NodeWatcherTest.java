package org.pilotflow.agent.nodes;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeWatcherTest {

    private static final Set<String> WATCHED = Set.of("pfnode1", "pfnode2", "pfnode3");

    @Test
    void downAndFailNodesAreLostWithWhatSlurmSays() {
        String sinfo = """
                pfnode1 allocated none
                pfnode2 down* Not responding
                pfnode3 fail Kill task failed
                other down* Not responding
                """;
        assertThat(NodeWatcher.lostNodes(sinfo, WATCHED)).containsExactly(
                Map.entry("pfnode2", "SLURM reports it down* (Not responding)"),
                Map.entry("pfnode3", "SLURM reports it fail (Kill task failed)"));
    }

    @Test
    void busyDrainedFailingAndNotRespondingNodesAreNotLost() {
        String sinfo = """
                pfnode1 mixed none
                pfnode2 drained maintenance
                pfnode2 failing going
                pfnode3 allocated* none
                pfnode3 idle~ none
                """;
        assertThat(NodeWatcher.lostNodes(sinfo, WATCHED)).isEmpty();
        assertThat(NodeWatcher.lostNodes("", WATCHED)).isEmpty();
        assertThat(NodeWatcher.lostNodes("pfnode1 down", WATCHED)).containsEntry("pfnode1", "SLURM reports it down");
    }

    @Test
    void sinfoIsAskedForTheWatchedNodesOneLineEach() {
        assertThat(NodeWatcher.sinfoArgv(List.of("pfnode1", "pfnode2")))
                .containsExactly("sinfo", "-h", "-N", "-n", "pfnode1,pfnode2", "-o", "%N %T %E");
    }

    @Test
    void srunsNodeFailureMessageNamesTheNode() {
        assertThat(NodeWatcher.srunNodeFailure("srun: error: Node failure on pfnode3\n")).hasValue("pfnode3");
        assertThat(NodeWatcher.srunNodeFailure("a line\nsrun: error: Node failure on n7\nmore")).hasValue("n7");
        assertThat(NodeWatcher.srunNodeFailure("my program: error: Node failure on n7 (quoted)")).isEmpty();
        assertThat(NodeWatcher.srunNodeFailure(null)).isEmpty();
    }

    /** A real command as sinfo: the lost node is told once, though every poll reports it; a failing poll is none. */
    @Test
    void aLostNodeIsToldOnceFromARealCommand(@TempDir Path dir) throws Exception {
        Path states = dir.resolve("states");
        Files.writeString(states, "pfnode1 allocated none\n");
        List<String> told = new CopyOnWriteArrayList<>();
        List<String> fake = List.of("/bin/sh", "-c",
                "echo >> \"$0.polls\"; cat \"$0\" && test ! -e \"$0.fail\"", states.toString());
        try (NodeWatcher w = new NodeWatcher(fake, WATCHED, 20, (node, why) -> told.add(node + ": " + why))) {
            Files.writeString(dir.resolve("states.fail"), "");
            Files.writeString(states, "pfnode1 allocated none\npfnode3 down* Not responding\n");
            Path polls = dir.resolve("states.polls");
            Files.deleteIfExists(polls); // count the polls that see the down node
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((!Files.exists(polls) || Files.readAllLines(polls).size() < 5) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(told).as("failing polls tell nothing").isEmpty();
            Files.delete(dir.resolve("states.fail"));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (told.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(told).containsExactly("pfnode3: SLURM reports it down* (Not responding)");
            Files.writeString(states, "pfnode3 down* Not responding\npfnode2 down none\n");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (told.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(told).containsExactly("pfnode3: SLURM reports it down* (Not responding)",
                    "pfnode2: SLURM reports it down");
        }
    }
}
