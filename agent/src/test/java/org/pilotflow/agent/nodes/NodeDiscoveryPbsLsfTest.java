package org.pilotflow.agent.nodes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.agent.BadConfigException;
import org.pilotflow.agent.scheduler.Node;
import org.pilotflow.model.wire.AgentConfig;

/** PBS's PBS_NODEFILE and LSF's LSB_MCPU_HOSTS, in the shapes those systems write them. */
class NodeDiscoveryPbsLsfTest {

    @TempDir
    Path dir;

    private static AgentConfig pilot(int cores, int gpus) {
        return new AgentConfig("s", "p", List.of("http://127.0.0.1:1"), "x", "/tmp", cores, gpus, 60, 1000, 1000);
    }

    @Test
    void pbsNodefileNamesEachHostOncePerCore() throws Exception {
        // select=2:ncpus=4:mpiprocs=4+1:ncpus=2:mpiprocs=2 on PBS Pro: hosts in chunk order, one line per rank
        Path file = Files.writeString(dir.resolve("4711.pbs-server"), """
                n01.cluster
                n01.cluster
                n01.cluster
                n01.cluster
                n07.cluster
                n07.cluster
                n07.cluster
                n07.cluster
                n03.cluster
                n03.cluster
                """);

        PilotNodes n = Declared.discover(Map.of("PBS_NODEFILE", file.toString(), "PBS_JOBID", "4711.pbs-server"),
                pilot(10, 1), "n01");

        assertThat(n.source()).isEqualTo("PBS_NODEFILE");
        assertThat(n.nodes()).containsExactly(new Node("n01.cluster", 4, 1), new Node("n07.cluster", 4, 0),
                new Node("n03.cluster", 2, 0));
        assertThat(n.agentNode()).contains("n01.cluster");
    }

    @Test
    void torqueNodefileWithInterleavedHostsAddsUpEachHostsLines() throws Exception {
        Path file = Files.writeString(dir.resolve("nodefile"), "a\nb\na\nb\n\n");
        assertThat(Declared.discover(Map.of("PBS_NODEFILE", file.toString()), pilot(4, 0), "b").nodes())
                .containsExactly(new Node("a", 2, 0), new Node("b", 2, 0));
    }

    @Test
    void badPbsNodefilesNameTheVariableTheFileTheLineAndWhatWasExpected() throws Exception {
        Path file = Files.writeString(dir.resolve("nodefile"), "n1\nn2 4\n");
        assertThatThrownBy(() -> Declared.discover(Map.of("PBS_NODEFILE", file.toString()), pilot(2, 0), "n1"))
                .hasMessage("batch system: cannot use PBS_NODEFILE='" + file + "': line 2 'n2 4' is not a host name "
                        + "(expected one host name per line, once per core)");
        Files.writeString(file, "\n\n");
        assertThatThrownBy(() -> Declared.discover(Map.of("PBS_NODEFILE", file.toString()), pilot(2, 0), "n1"))
                .hasMessage("batch system: cannot use PBS_NODEFILE='" + file + "': lists no host");
        Path missing = dir.resolve("gone");
        assertThatThrownBy(() -> Declared.discover(Map.of("PBS_NODEFILE", missing.toString()), pilot(2, 0), "n1"))
                .hasMessageStartingWith("batch system: cannot use PBS_NODEFILE='" + missing + "': cannot read it");
    }

    @Test
    void lsfHostsArePairsOfHostAndCoresTheFirstRunningTheAgent() throws Exception {
        PilotNodes n = Declared.discover(Map.of("LSB_MCPU_HOSTS", "c01 4 c02 4 c03 2 ",
                "LSB_HOSTS", "c01 c01 c01 c01 c02 c02 c02 c02 c03 c03"), pilot(10, 2), "c01.lsf.example.org");

        assertThat(n.source()).isEqualTo("LSB_MCPU_HOSTS");
        assertThat(n.nodes()).containsExactly(new Node("c01", 4, 2), new Node("c02", 4, 0), new Node("c03", 2, 0));
        assertThat(n.agentNode()).contains("c01");
        assertThat(Declared.discover(Map.of("LSB_MCPU_HOSTS", "c01 8"), pilot(3, 0), "c01").nodes())
                .containsExactly(new Node("c01", 3, 0));
    }

    @Test
    void badLsfHostsNameTheVariableTheValueAndWhatWasExpected() {
        assertThatThrownBy(() -> Declared.discover(Map.of("LSB_MCPU_HOSTS", "c01 4 c02"), pilot(4, 0), "c01"))
                .hasMessage("batch system: cannot use LSB_MCPU_HOSTS='c01 4 c02': an odd number of words: expected "
                        + "pairs of host name and core count, like 'n1 4 n2 4'");
        assertThatThrownBy(() -> Declared.discover(Map.of("LSB_MCPU_HOSTS", "c01 four"), pilot(4, 0), "c01"))
                .hasMessage("batch system: cannot use LSB_MCPU_HOSTS='c01 four': host c01 has 'four' cores, expected "
                        + "a number >= 1");
        assertThatThrownBy(() -> Declared.discover(Map.of("LSB_MCPU_HOSTS", "c01 0"), pilot(4, 0), "c01"))
                .hasMessageContaining("host c01 has '0' cores, expected a number >= 1");
        assertThatThrownBy(() -> Declared.discover(Map.of("LSB_MCPU_HOSTS", "4 c01"), pilot(4, 0), "c01"))
                .hasMessageContaining("host 4 has 'c01' cores");
        assertThatThrownBy(() -> Declared.discover(Map.of("LSB_MCPU_HOSTS", "c0/1 4"), pilot(4, 0), "c01"))
                .hasMessageContaining("'c0/1' is not a host name");
    }

    /**
     * Fork and ssh pilots declare no list: this host alone, whatever the environment holds (an engine running inside
     * a batch job passes its own SLURM_JOB_NODELIST on to a fork agent, whose units could not reach those nodes).
     */
    @Test
    void withoutADeclaredListThisHostAloneWhateverTheEnvironment() throws Exception {
        Path file = Files.writeString(dir.resolve("nodefile"), "p1\n");
        PilotNodes n = NodeDiscovery.discover(Map.of("PBS_NODEFILE", file.toString(), "SLURM_JOB_NODELIST",
                "c[1-4]", "SLURM_CPUS_ON_NODE", "8"), pilot(2, 0), "p1");
        assertThat(n.source()).isEqualTo(PilotNodes.THIS_HOST);
        assertThat(n.nodes()).extracting(Node::name, Node::cores).containsExactly(tuple("localhost", 2));
        assertThat(NodeListFormats.NAMES).containsExactly(SlurmHostlistFormat.NAME, PeHostfileFormat.NAME,
                HostPerCoreFileFormat.NAME, HostCorePairsFormat.NAME);
    }

    /**
     * A batch system declares its variable and format; one that writes PBS's format under another name (Cobalt's
     * COBALT_NODEFILE) needs no agent change, and its variable wins over any other list in the environment.
     */
    @Test
    void aDeclaredListIsReadWithItsFormatWhateverTheVariable() throws Exception {
        Path file = Files.writeString(dir.resolve("cobalt"), "c1\nc1\nc2\nc2\n");
        AgentConfig cfg = pilot(4, 0).withNodeList(new AgentConfig.NodeList("COBALT_NODEFILE",
                HostPerCoreFileFormat.NAME));
        PilotNodes n = NodeDiscovery.discover(Map.of("COBALT_NODEFILE", file.toString(), "LSB_MCPU_HOSTS", "l1 1"),
                cfg, "c1");
        assertThat(n.source()).isEqualTo("COBALT_NODEFILE");
        assertThat(n.format()).isEqualTo(HostPerCoreFileFormat.NAME);
        assertThat(n.nodes()).extracting(Node::name, Node::cores).containsExactly(tuple("c1", 2), tuple("c2", 2));
        assertThat(n.agentNode()).contains("c1");

        Path bad = Files.writeString(dir.resolve("bad"), "c1\nnot a host\n");
        assertThatThrownBy(() -> NodeDiscovery.discover(Map.of("COBALT_NODEFILE", bad.toString()), cfg, "c1"))
                .isInstanceOf(BadConfigException.class)
                .hasMessageContaining("cannot use COBALT_NODEFILE='" + bad + "'")
                .hasMessageContaining("line 2 'not a host' is not a host name");
    }

    @Test
    void aDeclaredFormatTheAgentDoesNotReadIsAClearErrorAndAMissingVariableMeansThisHost() throws Exception {
        AgentConfig unknown = pilot(4, 0).withNodeList(new AgentConfig.NodeList("FLUX_R", "flux-r"));
        assertThatThrownBy(() -> NodeDiscovery.discover(Map.of("FLUX_R", "{}"), unknown, "h"))
                .isInstanceOf(BadConfigException.class)
                .hasMessageContaining("node-list format this agent does not read, 'flux-r'")
                .hasMessageContaining("expected one of [slurm-hostlist, pe-hostfile, host-per-core-file, "
                        + "host-core-pairs]");

        AgentConfig declared = pilot(2, 0).withNodeList(new AgentConfig.NodeList("PBS_NODEFILE",
                HostPerCoreFileFormat.NAME));
        PilotNodes n = NodeDiscovery.discover(Map.of("LSB_MCPU_HOSTS", "l1 2"), declared, "l1");
        assertThat(n.source()).as("only the declared variable is read").isEqualTo(PilotNodes.THIS_HOST);
    }
}
