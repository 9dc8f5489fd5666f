package org.pilotflow.agent.nodes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pilotflow.agent.BadConfigException;
import org.pilotflow.agent.scheduler.Node;
import org.pilotflow.model.wire.AgentConfig;

class NodeDiscoveryTest {

    @TempDir
    Path dir;

    private static AgentConfig pilot(int cores, int gpus) {
        return new AgentConfig("s", "p", List.of("http://127.0.0.1:1"), "x", "/tmp", cores, gpus, 60, 1000, 1000);
    }

    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void withoutABatchSystemThePilotIsThisHostWithTheConfiguredSize() throws Exception {
        PilotNodes n = Declared.discover(env("PATH", "/bin"), pilot(3, 1), "vm");
        assertThat(n.source()).isEqualTo(PilotNodes.THIS_HOST);
        assertThat(n.nodes()).containsExactly(new Node("localhost", 3, 1));
        assertThat(n.agentNode()).contains("localhost");
    }

    @Test
    void slurmNodesAndCoresPerNode() throws Exception {
        PilotNodes n = Declared.discover(env("SLURM_JOB_NODELIST", "n[01-03],gpu7",
                "SLURM_JOB_CPUS_PER_NODE", "4(x3),8", "SLURM_CPUS_ON_NODE", "4"), pilot(20, 2), "n02");
        assertThat(n.source()).isEqualTo("SLURM_JOB_NODELIST");
        assertThat(n.format()).isEqualTo(SlurmHostlistFormat.NAME);
        assertThat(n.nodes()).containsExactly(new Node("n01", 4, 2), new Node("n02", 4, 0), new Node("n03", 4, 0),
                new Node("gpu7", 8, 0));
        assertThat(n.agentNode()).contains("n02");
        assertThat(n.totalCores()).isEqualTo(20);
        assertThat(n.describe()).isEqualTo("n01 (4 cores, 2 gpus), n02 (4 cores), n03 (4 cores), gpu7 (8 cores)");
    }

    @Test
    void slurmFallsBackToCpusOnNodeAndTheOlderNodelistName() throws Exception {
        PilotNodes n = Declared.discover(env("SLURM_NODELIST", "a,b", "SLURM_CPUS_ON_NODE", "2"),
                pilot(4, 0), "a.cluster.example.org");
        assertThat(n.nodes()).containsExactly(new Node("a", 2, 0), new Node("b", 2, 0));
        assertThat(n.agentNode()).contains("a"); // compared by short name
    }

    @Test
    void slurmdNodeNameNamesTheAgentsNodeWhenItDiffersFromTheHostName() throws Exception {
        PilotNodes n = Declared.discover(env("SLURM_JOB_NODELIST", "c[1-2]", "SLURM_CPUS_ON_NODE", "2",
                "SLURMD_NODENAME", "c2"), pilot(4, 0), "ip-10-0-0-7");
        assertThat(n.agentNode()).contains("c2");
    }

    @Test
    void anAgentOutsideItsNodeListHasNoNode() throws Exception {
        PilotNodes n = Declared.discover(env("SLURM_JOB_NODELIST", "c[1-2]", "SLURM_CPUS_ON_NODE", "2"),
                pilot(4, 0), "login1");
        assertThat(n.agentNode()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            2(x3),1        | 2 2 2 1
            4              | 4
            1,2,3          | 1 2 3
            36(x2)         | 36 36
            """)
    void parsesSlurmJobCpusPerNode(String value, String expected) throws Exception {
        assertThat(NodeDiscovery.cpusPerNode(value))
                .containsExactlyElementsOf(List.of(expected.split(" ")).stream().map(Integer::valueOf).toList());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            2(x3            | expected a comma list like 2(x3),1
            x3              | expected a comma list like 2(x3),1
            2(3)            | expected a comma list like 2(x3),1
            '2,,1'          | expected a comma list like 2(x3),1
            0               | counts must be >= 1
            2(x0)           | counts must be >= 1
            1(x200000)      | more than 100000 nodes
            """)
    void badSlurmJobCpusPerNodeNamesTheVariableAndValue(String value, String why) {
        assertThatThrownBy(() -> NodeDiscovery.cpusPerNode(value)).isInstanceOf(BadConfigException.class)
                .hasMessage("batch system: cannot use SLURM_JOB_CPUS_PER_NODE='" + value + "': " + why);
    }

    @Test
    void badSlurmValuesNameTheVariableAndValue() {
        assertThatThrownBy(() -> Declared.discover(env("SLURM_JOB_NODELIST", "n[1-2", "SLURM_CPUS_ON_NODE",
                "2"), pilot(2, 0), "n1"))
                .hasMessage("batch system: cannot use SLURM_JOB_NODELIST='n[1-2': not a Slurm host list: "
                        + "'[' without ']'");
        assertThatThrownBy(() -> Declared.discover(env("SLURM_JOB_NODELIST", "n[1-3]",
                "SLURM_JOB_CPUS_PER_NODE", "2(x2)"), pilot(2, 0), "n1"))
                .hasMessage("batch system: cannot use SLURM_JOB_CPUS_PER_NODE='2(x2)': gives the cores of 2 nodes, "
                        + "but SLURM_JOB_NODELIST has 3");
        assertThatThrownBy(() -> Declared.discover(env("SLURM_JOB_NODELIST", "n1", "SLURM_CPUS_ON_NODE",
                "many"), pilot(2, 0), "n1"))
                .hasMessage("batch system: cannot use SLURM_CPUS_ON_NODE='many': expected a number >= 1");
        assertThatThrownBy(() -> Declared.discover(env("SLURM_JOB_NODELIST", "n1"), pilot(2, 0), "n1"))
                .isInstanceOf(BadConfigException.class)
                .hasMessageContaining("neither SLURM_JOB_CPUS_PER_NODE nor SLURM_CPUS_ON_NODE");
    }

    @Test
    void gridEngineHostfileWithQualifiedNamesAndRepeatedHosts() throws Exception {
        Path file = dir.resolve("pe_hostfile");
        Files.writeString(file, """
                n1.cluster.org 4 all.q@n1.cluster.org UNDEFINED
                n2.cluster.org 2 all.q@n2.cluster.org UNDEFINED

                n1.cluster.org 2 long.q@n1.cluster.org UNDEFINED
                """);
        PilotNodes n = Declared.discover(env("PE_HOSTFILE", file.toString()), pilot(8, 1), "n2");
        assertThat(n.source()).isEqualTo("PE_HOSTFILE");
        assertThat(n.nodes()).containsExactly(new Node("n1.cluster.org", 6, 1), new Node("n2.cluster.org", 2, 0));
        assertThat(n.agentNode()).contains("n2.cluster.org");
    }

    @Test
    void badGridEngineHostfilesNameTheVariableTheFileAndTheLine() throws Exception {
        Path file = dir.resolve("pe_hostfile");
        Files.writeString(file, "n1 4 all.q UNDEFINED\nn2 four all.q UNDEFINED\n");
        assertThatThrownBy(() -> Declared.discover(env("PE_HOSTFILE", file.toString()), pilot(8, 0), "n1"))
                .hasMessage("batch system: cannot use PE_HOSTFILE='" + file + "': line 2 'n2 four all.q UNDEFINED'"
                        + ": slots must be a number >= 1");
        Files.writeString(file, "n1\n");
        assertThatThrownBy(() -> Declared.discover(env("PE_HOSTFILE", file.toString()), pilot(8, 0), "n1"))
                .hasMessageContaining("line 1 'n1' is not 'host slots queue processors'");
        Files.writeString(file, "\n");
        assertThatThrownBy(() -> Declared.discover(env("PE_HOSTFILE", file.toString()), pilot(8, 0), "n1"))
                .hasMessageEndingWith("lists no host");
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> Declared.discover(env("PE_HOSTFILE", missing.toString()), pilot(8, 0), "n1"))
                .hasMessageStartingWith("batch system: cannot use PE_HOSTFILE='" + missing + "': cannot read it");
    }

    @Test
    void neverUsesMoreCoresThanThePilotAskedForTrimmingTheLastNodes() {
        List<HostCores> given = List.of(new HostCores("a", 4),
                new HostCores("b", 4), new HostCores("c", 4));
        assertThat(NodeDiscovery.fit("SLURM_JOB_NODELIST", new SlurmHostlistFormat(), given, pilot(6, 1), "a").nodes())
                .containsExactly(new Node("a", 4, 1), new Node("b", 2, 0));
        assertThat(NodeDiscovery.fit("SLURM_JOB_NODELIST", new SlurmHostlistFormat(), given, pilot(4, 0), "a").nodes())
                .containsExactly(new Node("a", 4, 0));
        assertThat(NodeDiscovery.fit("SLURM_JOB_NODELIST", new SlurmHostlistFormat(), given, pilot(12, 0), "a").nodes())
                .extracting(Node::cores).containsExactly(4, 4, 4);
    }

    @Test
    void usesWhatTheBatchSystemGaveWhenItIsLessThanAsked() {
        PilotNodes n = NodeDiscovery.fit("PE_HOSTFILE", new PeHostfileFormat(), List.of(new HostCores("a", 2)),
                pilot(8, 0), "a");
        assertThat(n.nodes()).containsExactly(new Node("a", 2, 0));
        assertThat(n.agentNode()).isEqualTo(Optional.of("a"));
    }

    @Test
    void describeShortensLongNodeLists() throws Exception {
        PilotNodes n = Declared.discover(env("SLURM_JOB_NODELIST", "n[1-25]", "SLURM_CPUS_ON_NODE", "1"),
                pilot(25, 0), "n1");
        assertThat(n.describe()).startsWith("n1 (1 cores), n2 (1 cores)").endsWith("n20 (1 cores) and 5 more");
    }

    @Test
    void thisHostsNameIsTheKernelsNotAnInheritedHostnameVariable() throws Exception {
        Path kernel = Path.of("/proc/sys/kernel/hostname");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(kernel), "not Linux");
        assertThat(NodeDiscovery.localHostName(env("HOSTNAME", "submit-host.example.org")))
                .isEqualTo(Files.readString(kernel).strip());
    }
}
