package org.pilotflow.resource.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResourceRegistryTest {

    @TempDir
    Path dir;

    static final String CLUSTER = """
            {
              "_comment": "a site file",
              # RADICAL-style comment line
              "cluster": {
                "_note": "comment keys are ignored",
                "description": "a SLURM cluster",
                "schemas": {
                  "ssh": {"job_manager_endpoint": "slurm+ssh://login.example.org/",
                          "filesystem_endpoint": "sftp://login.example.org/"},
                  "local": {"job_manager_endpoint": "slurm://localhost/",
                            "filesystem_endpoint": "file://localhost/"},
                  "sge": {"job_manager_endpoint": "sge+ssh://login.example.org/",
                          "filesystem_endpoint": "sftp://login.example.org/"}
                },
                "default_queue": "normal",
                "cores_per_node": 48,
                "gpus_per_node": 4,
                "valid_roots": ["/scratch", "$WORK"],
                "default_remote_workdir": "$WORK/pilotflow",
                "mandatory_args": ["project"],
                "launch_methods": {"order": ["SRUN", "FORK"], "SRUN": {"pre_exec_cached": ["module load x"]}},
                "agent_java": "/opt/jdk17/bin/java",
                "agent_jvm_args": ["-Xmx1g"],
                "pre_bootstrap": ["module load jdk"],
                "heartbeat_interval": 2.5,
                "heartbeat_timeout": 30,
                "channel": {"mode": "ssh_tunnel"},
                "host_key_checking": false,
                "job_manager_environment": {"SLURM_CONF": "/opt/slurm/etc/slurm.conf", "_X": "1"},
                "sge_parallel_environment": "mpi-fill.up"
              }
            }
            """;

    private Path write(Path in, String name, String content) throws IOException {
        Files.createDirectories(in);
        return Files.writeString(in.resolve(name), content);
    }

    @Test
    void builtInLocalhostLoadsWithDefaults() {
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        ResourceConfig c = registry.get("local.localhost");

        assertThat(registry.labels()).containsExactly("local.localhost");
        assertThat(c.isLocal()).isTrue();
        assertThat(c.defaultSchema()).isEqualTo("local");
        assertThat(c.jobManagerEndpoint().type()).isEqualTo(JobManagerType.FORK);
        assertThat(c.jobManagerEndpoint().access()).isEqualTo(Access.LOCAL);
        assertThat(c.filesystemEndpoint().scheme()).isEqualTo("file");
        assertThat(c.coresPerNodeAuto()).isTrue();
        assertThat(c.coresPerNode()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.gpusPerNode()).isZero();
        String home = Path.of(System.getProperty("user.home")).normalize().toString();
        String tmp = Path.of(System.getProperty("java.io.tmpdir")).normalize().toString();
        assertThat(c.validRoots()).containsExactly(home, tmp);
        assertThat(c.defaultRemoteWorkdir()).isEqualTo(home + "/.pilotflow/sandboxes");
        assertThat(c.launchMethods().order()).containsExactly(LaunchMethod.FORK);
        assertThat(c.agentJava()).isEqualTo("java");
        assertThat(c.mandatoryArgs()).isEmpty();
        assertThat(c.channelMode()).isEqualTo(ChannelMode.DIRECT);
        assertThat(c.hostKeyChecking()).isTrue();
        assertThat(c.heartbeatInterval()).isEmpty();
        assertThat(c.defaultQueue()).isEmpty();
        assertThat(c.jobManagerEnvironment()).isEmpty();
        assertThat(c.batchSystemKey(org.pilotflow.resource.sge.GridEngine.PARALLEL_ENVIRONMENT)).isEqualTo("smp");
    }

    @Test
    void userFileAddsAnEntryWithAllKeys() throws IOException {
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        write(dir, "resource_mysite.json", CLUSTER);
        write(dir, "not_a_resource.json", "{ broken");

        assertThat(registry.loadDirectory(dir)).containsExactly("mysite.cluster");
        assertThat(registry.labels()).containsExactly("local.localhost", "mysite.cluster");

        ResourceConfig c = registry.get("mysite.cluster");
        assertThat(c.description()).isEqualTo("a SLURM cluster");
        assertThat(c.schemas()).containsOnlyKeys("ssh", "local", "sge");
        assertThat(c.defaultSchema()).isEqualTo("ssh"); // the first
        assertThat(c.isLocal()).isFalse();
        JobManagerEndpoint jm = c.jobManagerEndpoint();
        assertThat(jm.scheme()).isEqualTo("slurm+ssh");
        assertThat(jm.access()).isEqualTo(Access.SSH);
        assertThat(jm.type()).isEqualTo(JobManagerType.batch("slurm"));
        assertThat(jm.host()).isEqualTo("login.example.org");
        assertThat(c.schema("local").jobManagerEndpoint().access()).isEqualTo(Access.LOCAL);
        assertThat(c.defaultQueue()).contains("normal");
        assertThat(c.coresPerNode()).isEqualTo(48);
        assertThat(c.gpusPerNode()).isEqualTo(4);
        assertThat(c.validRoots()).containsExactly("/scratch", "$WORK"); // remote: as written
        assertThat(c.defaultRemoteWorkdir()).isEqualTo("$WORK/pilotflow");
        assertThat(c.mandatoryArgs()).containsExactly("project");
        assertThat(c.launchMethods().order()).containsExactly(LaunchMethod.SRUN, LaunchMethod.FORK);
        assertThat(c.launchMethods().optionsOf(LaunchMethod.SRUN))
                .containsEntry("pre_exec_cached", List.of("module load x"));
        assertThat(c.launchMethods().optionsOf(LaunchMethod.FORK)).isEmpty();
        assertThat(c.agentJava()).isEqualTo("/opt/jdk17/bin/java");
        assertThat(c.agentJvmArgs()).containsExactly("-Xmx1g");
        assertThat(c.preBootstrap()).containsExactly("module load jdk");
        assertThat(c.heartbeatInterval()).contains(Duration.ofMillis(2500));
        assertThat(c.heartbeatTimeout()).contains(Duration.ofSeconds(30));
        assertThat(c.channelMode()).isEqualTo(ChannelMode.SSH_TUNNEL);
        assertThat(c.hostKeyChecking()).isFalse();
        assertThat(c.jobManagerEnvironment()).containsExactly(Map.entry("SLURM_CONF", "/opt/slurm/etc/slurm.conf"),
                Map.entry("_X", "1")); // "_X" is a variable name here, not a comment key
        assertThat(c.batchSystemKey(org.pilotflow.resource.sge.GridEngine.PARALLEL_ENVIRONMENT)).isEqualTo("mpi-fill.up");
        assertThat(c.toBuilder().build().jobManagerEnvironment()).isEqualTo(c.jobManagerEnvironment());
        assertThatThrownBy(() -> c.jobManagerEnvironment().put("X", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.launchMethods().order().add(LaunchMethod.SSH))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void userEntryForABuiltInIsMergedKeyByKey() throws IOException {
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        ResourceConfig builtIn = registry.get("local.localhost");
        write(dir, "resource_local.json", """
                {"localhost": {"cores_per_node": 3, "default_queue": "debug", "agent_java": "/opt/java"},
                 "other": {"schemas": {"local": {"job_manager_endpoint": "fork://localhost/",
                                                 "filesystem_endpoint": "file://localhost/"}},
                           "cores_per_node": 2, "valid_roots": ["/tmp"], "default_remote_workdir": "/tmp/pf"}}
                """);

        assertThat(registry.loadDirectory(dir)).containsExactly("local.localhost", "local.other");

        ResourceConfig c = registry.get("local.localhost");
        assertThat(c.coresPerNode()).isEqualTo(3);
        assertThat(c.coresPerNodeAuto()).isFalse();
        assertThat(c.defaultQueue()).contains("debug");
        assertThat(c.agentJava()).isEqualTo("/opt/java");
        assertThat(c.schemas()).isEqualTo(builtIn.schemas());
        assertThat(c.validRoots()).isEqualTo(builtIn.validRoots());
        assertThat(c.defaultRemoteWorkdir()).isEqualTo(builtIn.defaultRemoteWorkdir());
        assertThat(registry.get("local.other").coresPerNode()).isEqualTo(2);
    }

    @Test
    void reloadingAChangedFileStartsFromTheBuiltInNotFromTheEarlierLoad() throws IOException {
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        Path f = write(dir, "resource_local.json", "{\"localhost\": {\"cores_per_node\": 3, \"default_queue\": \"q\"}}");
        registry.loadFile(f);
        write(dir, "resource_local.json", "{\"localhost\": {\"cores_per_node\": 5}}");
        registry.loadFile(f);

        assertThat(registry.get("local.localhost").coresPerNode()).isEqualTo(5);
        assertThat(registry.get("local.localhost").defaultQueue()).isEmpty();
    }

    @Test
    void aBadFileLeavesTheRegistryExactlyAsItWas() throws IOException {
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        write(dir.resolve("first"), "resource_mysite.json", CLUSTER);
        registry.loadDirectory(dir.resolve("first"));
        List<String> labelsBefore = registry.labels();
        ResourceConfig localBefore = registry.get("local.localhost");
        ResourceConfig clusterBefore = registry.get("mysite.cluster");

        Path second = dir.resolve("second");
        // sorted first: a good file that would override and add entries ...
        write(second, "resource_a.json", "{\"m\": {\"schemas\": {\"l\": {\"job_manager_endpoint\": \"fork://localhost/\","
                + " \"filesystem_endpoint\": \"file://localhost/\"}}, \"cores_per_node\": 1,"
                + " \"valid_roots\": [\"/tmp\"], \"default_remote_workdir\": \"/tmp/x\"}}");
        write(second, "resource_local.json", "{\"localhost\": {\"cores_per_node\": 7}}");
        // ... and a bad one
        write(second, "resource_mysite.json", CLUSTER.replace("\"cores_per_node\": 48", "\"cores_per_node\": -4"));

        assertThatThrownBy(() -> registry.loadDirectory(second))
                .isInstanceOf(ResourceConfigException.class)
                .hasMessageContaining("resource_mysite.json")
                .hasMessageContaining("mysite.cluster/cores_per_node");

        assertThat(registry.labels()).isEqualTo(labelsBefore);
        assertThat(registry.get("local.localhost")).isSameAs(localBefore);
        assertThat(registry.get("mysite.cluster")).isSameAs(clusterBefore);
        assertThat(registry.find("a.m")).isEmpty();
    }

    @Test
    void unknownLabelIsAnErrorListingTheKnownLabels() {
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        assertThatThrownBy(() -> registry.get("tacc.frontera"))
                .isInstanceOfSatisfying(UnknownResourceException.class, e -> {
                    assertThat(e.field()).isEqualTo("resource");
                    assertThat(e.label()).isEqualTo("tacc.frontera");
                    assertThat(e.knownLabels()).containsExactly("local.localhost");
                })
                .hasMessageContaining("\"tacc.frontera\"")
                .hasMessageContaining("[local.localhost]");
        assertThat(registry.find("tacc.frontera")).isEmpty();
    }

    @Test
    void addByApiAddsAndRelabels() {
        ResourceRegistry registry = ResourceRegistry.empty();
        ResourceConfig c = ResourceConfig.builder("api.box")
                .schema("ssh", "ssh://box.example.org:2222/", "sftp://box.example.org:2222/")
                .coresPerNode(8)
                .validRoots(List.of("$HOME"))
                .defaultRemoteWorkdir("$HOME/pf")
                .build();
        registry.add(c);
        ResourceConfig copy = registry.add("api.box2", c);

        assertThat(registry.labels()).containsExactly("api.box", "api.box2");
        assertThat(registry.get("api.box")).isSameAs(c);
        assertThat(copy.label()).isEqualTo("api.box2");
        assertThat(copy.coresPerNode()).isEqualTo(8);
        assertThat(copy.jobManagerEndpoint().port()).isEqualTo(2222);
        assertThatThrownBy(() -> registry.add("no-dot", c))
                .isInstanceOfSatisfying(ResourceConfigException.class, e -> {
                    assertThat(e.file()).isNull();
                    assertThat(e.key()).isEqualTo("label");
                    assertThat(e.value()).isEqualTo("\"no-dot\"");
                });
    }

    @Test
    void loadDirectoryOfAMissingDirectoryIsAnError() {
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        assertThatThrownBy(() -> registry.loadDirectory(dir.resolve("nope")))
                .isInstanceOf(ResourceConfigException.class)
                .hasMessageContaining("nope")
                .hasMessageContaining("not a directory");
        assertThat(registry.labels()).containsExactly("local.localhost");
    }

    @Test
    void builtInsAreNotShared() throws IOException {
        ResourceRegistry a = ResourceRegistry.withBuiltIns();
        ResourceRegistry b = ResourceRegistry.withBuiltIns();
        a.loadFile(write(dir, "resource_local.json", "{\"localhost\": {\"cores_per_node\": 9}}"));
        assertThat(b.get("local.localhost").coresPerNodeAuto()).isTrue();
        assertThat(Map.of("a", a.get("local.localhost").coresPerNode())).containsEntry("a", 9);
    }
}
