package org.pilotflow.resource.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Every kind of bad value gives an error naming the file, the key, the value and what was expected. */
class ResourceConfigFileErrorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A valid remote entry; each test replaces one key. */
    private static ObjectNode goodEntry() throws IOException {
        return (ObjectNode) JSON.readTree("""
                {"schemas": {"ssh": {"job_manager_endpoint": "slurm+ssh://login.example.org/",
                                     "filesystem_endpoint": "sftp://login.example.org/"}},
                 "cores_per_node": 48,
                 "valid_roots": ["/scratch"],
                 "default_remote_workdir": "/scratch/pilotflow"}
                """);
    }

    private ResourceConfigException loadExpectingError(ObjectNode entry) throws IOException {
        ObjectNode file = JSON.createObjectNode();
        file.set("cluster", entry);
        Path f = Files.writeString(dir.resolve("resource_mysite.json"), JSON.writeValueAsString(file));
        ResourceRegistry registry = ResourceRegistry.withBuiltIns();
        ResourceConfigException e = catchThrowableOfType(ResourceConfigException.class, () -> registry.loadFile(f));
        assertThat(e).as("expected a ResourceConfigException").isNotNull();
        assertThat(e.file()).isEqualTo(f.toString());
        assertThat(e.getMessage()).startsWith(f + ": ");
        assertThat(registry.labels()).containsExactly("local.localhost");
        return e;
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            cores_per_node         | '"four"'                          | cores_per_node                            | '"four"'                         | an integer > 0 or "auto"
            cores_per_node         | -4                                | cores_per_node                            | -4                               | an integer > 0 or "auto"
            cores_per_node         | 0                                 | cores_per_node                            | 0                                | an integer > 0 or "auto"
            cores_per_node         | 4.5                               | cores_per_node                            | 4.5                              | an integer > 0 or "auto"
            cores_per_node         | 99999999999                       | cores_per_node                            | 99999999999                      | an integer > 0 or "auto"
            gpus_per_node          | -1                                | gpus_per_node                             | -1                               | an integer >= 0
            gpus_per_node          | null                              | gpus_per_node                             | null                             | an integer >= 0
            default_queue          | 7                                 | default_queue                             | 7                                | a non-empty string
            default_schema         | '"gsissh"'                        | default_schema                            | '"gsissh"'                       | one of the schemas [ssh]
            schemas                | '["ssh"]'                         | schemas                                   | '["ssh"]'                        | an object of schema name
            schemas                | '{"ssh": {"job_manager_endpoint": "pbz+ssh://h/", "filesystem_endpoint": "sftp://h/"}}' | schemas/ssh/job_manager_endpoint | '"pbz+ssh://h/"' | one of fork://localhost/, ssh://<host>/, lsf://localhost/, lsf+ssh://<host>/, pbs://localhost/
            schemas                | '{"ssh": {"job_manager_endpoint": "ssh:///", "filesystem_endpoint": "sftp://h/"}}' | schemas/ssh/job_manager_endpoint | '"ssh:///"' | need <scheme>://<host>/
            schemas                | '{"ssh": {"job_manager_endpoint": "ssh://h/", "filesystem_endpoint": "ftp://h/"}}' | schemas/ssh/filesystem_endpoint | '"ftp://h/"' | one of file://localhost/, sftp://<host>/
            schemas                | '{"ssh": {"job_manager_endpoint": "ssh://h/", "filesystem_endpoint": "file://localhost/"}}' | schemas/ssh/filesystem_endpoint | '"file://localhost/"' | sftp://h/ as job_manager_endpoint
            schemas                | '{"ssh": {"job_manager_endpoint": "ssh://h/"}}' | schemas/ssh/filesystem_endpoint | | one of file://localhost/, sftp://<host>/
            schemas                | '{"ssh": {"job_manager_endpoint": "ssh://h/", "filesystem_endpoint": "sftp://h/", "job_manager_hop": "x"}}' | schemas/ssh/job_manager_hop | '"x"' | [job_manager_endpoint, filesystem_endpoint]
            valid_roots            | '["scratch"]'                     | valid_roots/0                             | '"scratch"'                      | an absolute path
            valid_roots            | '"/scratch"'                      | valid_roots                               | '"/scratch"'                     | a non-empty list of absolute paths
            valid_roots            | '[]'                              | valid_roots                               | []                               | a non-empty list of absolute paths
            valid_roots            | '["/work"]'                       | default_remote_workdir                    | '"/scratch/pilotflow"'           | a path under one of the valid_roots [/work]
            default_remote_workdir | '"pilotflow"'                     | default_remote_workdir                    | '"pilotflow"'                    | an absolute path
            mandatory_args         | '["projcet"]'                     | mandatory_args/0                          | '"projcet"'                      | one of [project, queue, memory, gpus, sandbox]
            sge_parallel_environment | '"mpi"'                       | sge_parallel_environment                  | '"mpi"'                          | no SGE key on an entry whose job managers are [slurm]: it would be ignored
            pbs_resource_syntax    | '"nodes"'                         | pbs_resource_syntax                       | '"nodes"'                        | no PBS key on an entry whose job managers are [slurm]
            launch_methods         | '{"order": ["APRUN"]}'            | launch_methods/order/0                    | '"APRUN"'                        | one of [FORK, SRUN, MPIEXEC, MPIRUN, SSH]
            launch_methods         | '{"order": []}'                   | launch_methods/order                      | []                               | a non-empty list
            launch_methods         | '{"FORK": {}}'                    | launch_methods/order                      |                                  | a non-empty list
            launch_methods         | '{"order": ["FORK"], "FROK": {}}' | launch_methods/FROK                       | '"FROK"'                         | "order" or one of
            agent_java             | '""'                              | agent_java                                | '""'                             | a non-empty string
            agent_jvm_args         | '["-Xmx1g", 2]'                   | agent_jvm_args/1                          | 2                                | a string
            heartbeat_interval     | 0                                 | heartbeat_interval                        | 0                                | a number of seconds > 0
            heartbeat_interval     | '"5s"'                            | heartbeat_interval                        | '"5s"'                           | a number of seconds > 0
            channel                | '{"mode": "tunnel"}'              | channel/mode                              | '"tunnel"'                       | one of ["direct", "ssh_tunnel"]
            channel                | '{"mode": "direct", "port": 1}'   | channel/port                              | 1                                | [mode]
            host_key_checking      | '"no"'                            | host_key_checking                         | '"no"'                           | true or false
            job_manager_environment | '["SLURM_CONF"]'                | job_manager_environment                   | '["SLURM_CONF"]'                 | an object of environment variable name -> string
            job_manager_environment | '{"SGE-ROOT": "/sge"}'          | job_manager_environment/SGE-ROOT          | '"SGE-ROOT"'                     | an environment variable name: a letter or '_'
            job_manager_environment | '{"1X": "a"}'                   | job_manager_environment/1X                | '"1X"'                           | an environment variable name
            job_manager_environment | '{"SLURM_CONF": 5}'             | job_manager_environment/SLURM_CONF        | 5                                | a string without NUL characters
            sge_parallel_environment | '"my pe"'                      | sge_parallel_environment                  | '"my pe"'                        | a parallel environment name
            sge_parallel_environment | 4                              | sge_parallel_environment                  | 4                                | a parallel environment name
            pbs_resource_syntax    | '"chunks"'                        | pbs_resource_syntax                       | '"chunks"'                       | "select" (PBS Pro, OpenPBS: -l select=...) or "nodes"
            schemas                | '{"l": {"job_manager_endpoint": "fork://compute17.example.org/", "filesystem_endpoint": "file://localhost/"}}' | schemas/l/job_manager_endpoint | '"fork://compute17.example.org/"' | would run on this machine, not on compute17.example.org: write fork://localhost/, or ssh://compute17.example.org/
            schemas                | '{"l": {"job_manager_endpoint": "slurm://login1/", "filesystem_endpoint": "file://localhost/"}}' | schemas/l/job_manager_endpoint | '"slurm://login1/"' | or slurm+ssh://login1/ to reach that host
            max_nodes              | 0                                 | max_nodes                                 | 0                                | an integer > 0
            max_nodes              | '"all"'                           | max_nodes                                 | '"all"'                          | an integer > 0
            max_runtime            | -60                               | max_runtime                               | -60                              | a number of seconds > 0
            queues                 | '["debug"]'                       | queues                                    | '["debug"]'                      | an object of queue name -> {"max_nodes": n, "max_runtime": seconds}
            queues                 | '{"debug": {"max_nodes": 0}}'     | queues/debug/max_nodes                    | 0                                | an integer > 0
            queues                 | '{"debug": {"max_runtme": 60}}'   | queues/debug/max_runtme                   | 60                               | (did you mean "max_runtime"?)
            cors_per_node          | 8                                 | cors_per_node                             | 8                                | starting with "_" (did you mean "cores_per_node"?)
            """)
    void badValueIsNamed(String key, String json, String errorKey, String errorValue, String expected)
            throws IOException {
        ObjectNode entry = goodEntry();
        entry.set(key, JSON.readTree(json));

        ResourceConfigException e = loadExpectingError(entry);

        assertThat(e.key()).isEqualTo("mysite.cluster/" + errorKey);
        assertThat(e.value()).isEqualTo(errorValue);
        assertThat(e.expected()).contains(expected);
        assertThat(e.getMessage()).contains("\"mysite.cluster/" + errorKey + "\"").contains(expected);
        if (errorValue != null) {
            assertThat(e.getMessage()).contains(errorValue);
        } else {
            assertThat(e.getMessage()).contains("is missing");
        }
    }

    @Test
    void aDefaultQueueMustBeOneOfTheListedQueues() throws IOException {
        ObjectNode entry = goodEntry();
        entry.set("queues", JSON.readTree("{\"debug\": {\"max_nodes\": 1}}"));
        entry.put("default_queue", "gpu");
        ResourceConfigException e = loadExpectingError(entry);
        assertThat(e.key()).isEqualTo("mysite.cluster/default_queue");
        assertThat(e.expected()).isEqualTo("one of the queues [debug]");
    }

    @Test
    void jobManagerEnvironmentValueWithNulIsNamed() throws IOException {
        ObjectNode entry = goodEntry();
        entry.putObject("job_manager_environment").put("SGE_CELL", "de\u0000fault"); // a NUL, escaped in the file
        ResourceConfigException e = loadExpectingError(entry);
        assertThat(e.key()).isEqualTo("mysite.cluster/job_manager_environment/SGE_CELL");
        assertThat(e.expected()).isEqualTo("a string without NUL characters");
    }

    @Test
    void negativeCoresMessageReadsAsSpecified() throws IOException {
        ObjectNode entry = goodEntry();
        entry.put("cores_per_node", -4);
        Path f = Files.writeString(dir.resolve("resource_mysite.json"),
                JSON.writeValueAsString(JSON.createObjectNode().set("cluster", entry)));
        assertThatThrownBy(() -> ResourceRegistry.empty().loadFile(f))
                .hasMessage(f + ": key \"mysite.cluster/cores_per_node\" is -4, expected an integer > 0 or \"auto\"");
    }

    @Test
    void missingRequiredKeysAreNamed() throws IOException {
        ObjectNode entry = goodEntry();
        entry.remove("cores_per_node");
        ResourceConfigException e = loadExpectingError(entry);
        assertThat(e.key()).isEqualTo("mysite.cluster/cores_per_node");
        assertThat(e.value()).isNull();
        assertThat(e.getMessage()).contains("is missing, expected an integer > 0 or \"auto\"");

        entry = goodEntry();
        entry.remove("schemas");
        e = loadExpectingError(entry);
        assertThat(e.key()).isEqualTo("mysite.cluster/schemas");
    }

    @Test
    void brokenJsonNamesFileLineAndColumn() throws IOException {
        Path f = Files.writeString(dir.resolve("resource_mysite.json"), """
                {
                  "cluster": {
                    "cores_per_node": 4,
                  }
                }
                """);
        ResourceConfigException e = catchThrowableOfType(ResourceConfigException.class,
                () -> ResourceRegistry.withBuiltIns().loadFile(f));
        assertThat(e.file()).isEqualTo(f.toString());
        assertThat(e.key()).isNull();
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.column()).isPositive();
        assertThat(e.expected()).isEqualTo("valid JSON");
        assertThat(e.getMessage()).startsWith(f + ": invalid JSON at line 4, column ");
    }

    @Test
    void duplicateKeysAndTrailingTokensAndEmptyFilesAreInvalidJson() throws IOException {
        for (String content : new String[] {"{\"a\": {}, \"a\": {}}", "{} {}", "", "   "}) {
            Path f = Files.writeString(dir.resolve("resource_mysite.json"), content);
            assertThatThrownBy(() -> ResourceRegistry.empty().loadFile(f))
                    .as(content)
                    .isInstanceOf(ResourceConfigException.class)
                    .hasMessageStartingWith(f + ": invalid JSON at line ");
        }
    }

    @Test
    void topLevelAndEntryMustBeObjects() throws IOException {
        Path f = Files.writeString(dir.resolve("resource_mysite.json"), "[1]");
        assertThatThrownBy(() -> ResourceRegistry.empty().loadFile(f))
                .hasMessageContaining("key \"mysite\" is [1], expected an object of machine name");
        Files.writeString(f, "{\"cluster\": 3}");
        assertThatThrownBy(() -> ResourceRegistry.empty().loadFile(f))
                .hasMessageContaining("key \"mysite.cluster\" is 3, expected an object");
        Files.writeString(f, "{\"my.cluster\": {}}");
        assertThatThrownBy(() -> ResourceRegistry.empty().loadFile(f))
                .hasMessageContaining("a machine name of letters");
    }

    @Test
    void badFileNameIsNamed() throws IOException {
        Path f = Files.writeString(dir.resolve("resource_my.site.json"), "{}");
        assertThatThrownBy(() -> ResourceRegistry.empty().loadDirectory(dir))
                .isInstanceOf(ResourceConfigException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("resource_<site>.json");
    }

    @Test
    void undefinedVariableInALocalEntryIsAnErrorAtLoad() throws IOException {
        ObjectNode entry = (ObjectNode) JSON.readTree("""
                {"schemas": {"local": {"job_manager_endpoint": "fork://localhost/",
                                       "filesystem_endpoint": "file://localhost/"}},
                 "cores_per_node": 2,
                 "valid_roots": ["$PILOTFLOW_SURELY_UNDEFINED_VAR/x"]}
                """);
        ResourceConfigException e = loadExpectingError(entry);
        assertThat(e.key()).isEqualTo("mysite.cluster/valid_roots/0");
        assertThat(e.getMessage()).contains("$PILOTFLOW_SURELY_UNDEFINED_VAR is defined on this machine");
    }

    @Test
    void heartbeatTimeoutMustExceedInterval() throws IOException {
        ObjectNode entry = goodEntry();
        entry.put("heartbeat_interval", 10);
        entry.put("heartbeat_timeout", 5);
        ResourceConfigException e = loadExpectingError(entry);
        assertThat(e.key()).isEqualTo("mysite.cluster/heartbeat_timeout");
        assertThat(e.value()).isEqualTo("5");
        assertThat(e.expected()).contains("> heartbeat_interval (10)");
    }

    @Test
    void apiBuiltConfigErrorsHaveNoFile() {
        assertThatThrownBy(() -> ResourceConfig.builder("x.y").schema("l", "fork://localhost/", "file://localhost/")
                .coresPerNode(-4).build())
                .isInstanceOfSatisfying(ResourceConfigException.class, e -> {
                    assertThat(e.file()).isNull();
                    assertThat(e.key()).isEqualTo("x.y/cores_per_node");
                })
                .hasMessage("key \"x.y/cores_per_node\" is -4, expected an integer > 0 or \"auto\"");
    }
}
