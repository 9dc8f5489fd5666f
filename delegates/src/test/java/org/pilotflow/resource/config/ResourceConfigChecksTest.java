package org.pilotflow.resource.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pilotflow.resource.sge.GridEngine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checks the API calls when validating a pilot description against its resource. */
class ResourceConfigChecksTest {

    @TempDir
    Path dir;

    private static ResourceConfig local(List<String> roots, String workdir) {
        return ResourceConfig.builder("test.local")
                .schema("local", "fork://localhost/", "file://localhost/")
                .coresPerNode(2)
                .validRoots(roots)
                .defaultRemoteWorkdir(workdir)
                .mandatoryArgs(List.of("project", "queue"))
                .build();
    }

    private static ResourceConfig remote() {
        return ResourceConfig.builder("test.remote")
                .schema("ssh", "slurm+ssh://login.example.org/", "sftp://login.example.org/")
                .coresPerNode(48)
                .validRoots(List.of("/scratch", "$WORK"))
                .defaultRemoteWorkdir("$WORK/pf")
                .build();
    }

    @Test
    @SuppressWarnings("deprecation") // the API kept for callers written before the key was Grid Engine's
    void theDeprecatedSgeParallelEnvironmentMethodsReadAndWriteGridEnginesKey() throws Exception {
        ResourceConfig plain = ResourceConfig.builder("test.sge").schema("sge", "sge://localhost/", "file://localhost/")
                .coresPerNode(4).build();
        assertThat(plain.sgeParallelEnvironment()).isEqualTo(ResourceConfig.DEFAULT_SGE_PARALLEL_ENVIRONMENT)
                .isEqualTo(plain.batchSystemKey(GridEngine.PARALLEL_ENVIRONMENT));

        ResourceConfig mpi = plain.toBuilder().sgeParallelEnvironment("mpi").build();
        assertThat(mpi.batchSystemKey(GridEngine.PARALLEL_ENVIRONMENT)).isEqualTo("mpi");
        assertThat(mpi.sgeParallelEnvironment()).isEqualTo("mpi");
        assertThatThrownBy(() -> plain.toBuilder().sgeParallelEnvironment("bad pe").build())
                .isInstanceOf(ResourceConfigException.class).hasMessageContaining("sge_parallel_environment");
    }

    @Test
    void aBatchTypeIsNeverForkOrSsh() {
        assertThatThrownBy(() -> JobManagerType.batch("fork")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("batch system scheme is 'fork', expected a batch system's scheme");
        assertThatThrownBy(() -> JobManagerType.batch("ssh")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ssh'");
        assertThat(JobManagerType.batch("pbs").name()).isEqualTo("pbs");
    }

    @Test
    void maxNodesDefaultsToOneHostForForkAndSshAndToNoLimitForBatchSystems() throws Exception {
        assertThat(local(List.of("/tmp"), "/tmp/pf").maxNodes()).hasValue(1);
        assertThat(ResourceConfig.builder("test.ssh").schema("ssh", "ssh://h/", "sftp://h/").coresPerNode(4)
                .build().maxNodes()).hasValue(1);
        assertThat(remote().maxNodes()).isEmpty();
        assertThat(remote().maxRuntime()).isEmpty();
        Path f = java.nio.file.Files.writeString(dir.resolve("resource_site.json"), """
                {"cluster": {"schemas": {"ssh": {"job_manager_endpoint": "slurm+ssh://login.example.org/",
                                                 "filesystem_endpoint": "sftp://login.example.org/"}},
                             "cores_per_node": 48, "max_nodes": 16, "max_runtime": 86400,
                             "valid_roots": ["/scratch"], "default_remote_workdir": "/scratch/pf"}}
                """);
        ResourceRegistry r = ResourceRegistry.empty();
        r.loadFile(f);
        ResourceConfig c = r.get("site.cluster");
        assertThat(c.maxNodes()).hasValue(16);
        assertThat(c.maxRuntime()).contains(java.time.Duration.ofDays(1));
        assertThat(c.toBuilder().build().maxNodes()).hasValue(16); // kept by toBuilder
    }

    @Test
    void sandboxUnderARootPasses() {
        ResourceConfig c = local(List.of("/tmp"), "/tmp/pf");
        assertThat(c.checkSandbox(Path.of("/tmp/pf/pilot.1"))).isEqualTo(Path.of("/tmp/pf/pilot.1"));
        assertThat(c.checkSandbox(Path.of("/tmp/a/../b"))).isEqualTo(Path.of("/tmp/b"));
    }

    @Test
    void sandboxEscapingWithDotDotIsRefused() {
        ResourceConfig c = local(List.of("/tmp"), "/tmp/pf");
        assertThatThrownBy(() -> c.checkSandbox(Path.of("/tmp/../etc")))
                .isInstanceOfSatisfying(InvalidDescriptionException.class, e -> {
                    assertThat(e.field()).isEqualTo("sandbox");
                    assertThat(e.value()).isEqualTo("/tmp/../etc");
                    assertThat(e.expected()).contains("[/tmp]");
                })
                .hasMessageContaining("field \"sandbox\" is \"/tmp/../etc\"")
                .hasMessageContaining("valid_roots of test.local [/tmp]");
    }

    @Test
    void sandboxOutsideRelativeSiblingPrefixOrRootItselfIsRefused() {
        ResourceConfig c = local(List.of("/tmp"), "/tmp/pf");
        for (String bad : new String[] {"/etc/x", "tmp/x", "/tmpfoo/x", "/tmp", "/tmp/.", "/"}) {
            assertThatThrownBy(() -> c.checkSandbox(Path.of(bad)))
                    .as(bad)
                    .isInstanceOf(InvalidDescriptionException.class)
                    .hasMessageContaining("\"" + bad + "\"");
        }
        assertThatThrownBy(() -> c.checkSandbox(null))
                .isInstanceOf(InvalidDescriptionException.class)
                .hasMessageContaining("field \"sandbox\" is missing");
    }

    @Test
    void symlinkOutOfARootIsRefusedForLocalResources() throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.createSymbolicLink(root.resolve("link"), outside);
        ResourceConfig c = local(List.of(root.toString()), root.resolve("pf").toString());

        assertThat(c.checkSandbox(root.resolve("real/pilot.1"))).isEqualTo(root.resolve("real/pilot.1"));
        assertThatThrownBy(() -> c.checkSandbox(root.resolve("link/pilot.1")))
                .isInstanceOf(InvalidDescriptionException.class);
    }

    @Test
    void builtInLocalhostAcceptsHomeAndTmp() {
        ResourceConfig c = ResourceRegistry.withBuiltIns().get("local.localhost");
        Path home = Path.of(System.getProperty("user.home"));
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        assertThat(c.checkSandbox(home.resolve("work/p1"))).isEqualTo(home.resolve("work/p1").normalize());
        assertThat(c.checkSandbox(tmp.resolve("p1"))).isEqualTo(tmp.resolve("p1").normalize());
        assertThatThrownBy(() -> c.checkSandbox(tmp.resolve("../../etc/passwd")))
                .isInstanceOf(InvalidDescriptionException.class);
        assertThat(c.resolvedValidRoots()).containsExactly(home.normalize(), tmp.normalize());
    }

    @Test
    void remoteRootsWithVariablesNeedTheRemoteEnvironment() {
        ResourceConfig c = remote();
        assertThat(c.checkSandbox(Path.of("/scratch/u/p1"))).isEqualTo(Path.of("/scratch/u/p1"));
        // cannot tell whether /work/u/p1 is under $WORK without knowing $WORK
        assertThatThrownBy(() -> c.checkSandbox(Path.of("/work/u/p1")))
                .isInstanceOfSatisfying(ResourceConfigException.class, e -> {
                    assertThat(e.key()).isEqualTo("test.remote/valid_roots/1");
                    assertThat(e.value()).isEqualTo("\"$WORK\"");
                });
        assertThat(c.checkSandbox(Path.of("/work/u/p1"), Map.of("WORK", "/work/u"))).isEqualTo(Path.of("/work/u/p1"));
        assertThatThrownBy(() -> c.checkSandbox(Path.of("/home/u/p1"), Map.of("WORK", "/work/u")))
                .isInstanceOf(InvalidDescriptionException.class)
                .hasMessageContaining("[/scratch, /work/u]");
        assertThat(c.resolvedValidRoots(Map.of("WORK", "/work/u")))
                .containsExactly(Path.of("/scratch"), Path.of("/work/u"));
    }

    @Test
    void defaultSandboxIsWorkdirSlashPilotId() {
        ResourceConfig builtIn = ResourceRegistry.withBuiltIns().get("local.localhost");
        Path home = Path.of(System.getProperty("user.home")).normalize();
        assertThat(builtIn.defaultSandbox("pilot.0001")).isEqualTo(home.resolve(".pilotflow/sandboxes/pilot.0001"));
        assertThat(builtIn.checkSandbox(builtIn.defaultSandbox("pilot.0001"))).isNotNull();

        ResourceConfig c = remote();
        assertThat(c.defaultSandbox("pilot.1", Map.of("WORK", "/work/u"))).isEqualTo(Path.of("/work/u/pf/pilot.1"));
        assertThatThrownBy(() -> c.defaultSandbox("pilot.1"))
                .isInstanceOfSatisfying(ResourceConfigException.class,
                        e -> assertThat(e.key()).isEqualTo("test.remote/default_remote_workdir"));
        for (String bad : new String[] {"..", "../x", "a/b", ".hidden", ""}) {
            assertThatThrownBy(() -> builtIn.defaultSandbox(bad))
                    .as(bad)
                    .isInstanceOfSatisfying(InvalidDescriptionException.class,
                            e -> assertThat(e.field()).isEqualTo("pilot_id"));
        }
    }

    @Test
    void mandatoryArgs() {
        ResourceConfig c = local(List.of("/tmp"), "/tmp/pf");
        assertThat(c.missingMandatoryArgs(Map.of())).containsExactly("project", "queue");
        Map<String, Object> present = new HashMap<>();
        present.put("project", "abc123");
        present.put("queue", " ");
        present.put("memory", null);
        assertThat(c.missingMandatoryArgs(present)).containsExactly("queue");
        assertThatThrownBy(() -> c.checkMandatoryArgs(present))
                .isInstanceOfSatisfying(InvalidDescriptionException.class, e -> {
                    assertThat(e.field()).isEqualTo("queue");
                    assertThat(e.value()).isNull();
                })
                .hasMessageContaining("field \"queue\" is missing")
                .hasMessageContaining("test.local requires [project, queue]");
        present.put("queue", "normal");
        c.checkMandatoryArgs(present);
        assertThat(ResourceRegistry.withBuiltIns().get("local.localhost").missingMandatoryArgs(Map.of())).isEmpty();
    }

    @Test
    void unknownAccessSchemaIsADescriptionError() {
        ResourceConfig c = remote();
        assertThat(c.schema(null).name()).isEqualTo("ssh");
        assertThatThrownBy(() -> c.schema("gsissh"))
                .isInstanceOfSatisfying(InvalidDescriptionException.class,
                        e -> assertThat(e.field()).isEqualTo("access_schema"))
                .hasMessageContaining("[ssh]");
    }

    @Test
    void endpointsParse() {
        JobManagerEndpoint ssh = JobManagerEndpoint.parse("ssh://alice@host.example.org:2222/");
        assertThat(ssh.access()).isEqualTo(Access.SSH);
        assertThat(ssh.type()).isEqualTo(JobManagerType.FORK);
        assertThat(ssh.user()).isEqualTo("alice");
        assertThat(ssh.host()).isEqualTo("host.example.org");
        assertThat(ssh.port()).isEqualTo(2222);
        assertThat(JobManagerEndpoint.parse("sge+ssh://h").type()).isEqualTo(JobManagerType.batch("sge"));
        assertThat(JobManagerEndpoint.parse("sge://localhost/").access()).isEqualTo(Access.LOCAL);
        assertThat(JobManagerEndpoint.parse("slurm://localhost/").type()).isEqualTo(JobManagerType.batch("slurm"));
        assertThat(FilesystemEndpoint.parse("sftp://h:22/").access()).isEqualTo(Access.SSH);
        for (String bad : new String[] {"pbz://localhost/", "fork://localhost/x", "fork://u@localhost/", "localhost",
                "fork://localhost/?q"}) {
            assertThatThrownBy(() -> JobManagerEndpoint.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void toBuilderRoundTripsAndKeepsAuto() {
        ResourceConfig builtIn = ResourceRegistry.withBuiltIns().get("local.localhost");
        ResourceConfig copy = builtIn.toBuilder().build();
        assertThat(copy.coresPerNodeAuto()).isTrue();
        assertThat(copy.validRoots()).isEqualTo(builtIn.validRoots());
        assertThat(copy.schemas()).isEqualTo(builtIn.schemas());
        assertThat(copy.defaultRemoteWorkdir()).isEqualTo(builtIn.defaultRemoteWorkdir());
        ResourceConfig remoteCopy = remote().toBuilder().defaultRemoteWorkdir("/scratch/pf").build();
        assertThat(remoteCopy.validRoots()).containsExactly("/scratch", "$WORK");
    }
}
