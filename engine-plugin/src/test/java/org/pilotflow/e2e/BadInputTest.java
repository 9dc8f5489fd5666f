package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilotDescription;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.PilotManager;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;

/** Behaviour 8: invalid descriptions and resource configs give a BadParameter naming the field; nothing starts. */
class BadInputTest {

    @TempDir
    static Path work;
    static Session session;
    static PilotManager pmgr;
    static UnitManager umgr;

    @BeforeAll
    static void open() {
        session = LocalFixture.session(work);
        pmgr = session.createPilotManager();
        umgr = session.createUnitManager();
    }

    @AfterAll
    static void close() {
        session.close();
    }

    static void assertBad(Runnable r, String field, String expectedPart) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(BadParameter.class, e -> {
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.getMessage()).startsWith(field + " is ").contains(expectedPart);
        });
    }

    void assertNothingStarted() throws Exception {
        assertThat(pmgr.listPilots()).isEmpty();
        assertThat(umgr.listUnits()).isEmpty();
        assertThat(session.processEngine().getRuntimeService().createProcessInstanceQuery().count()).isZero();
        Path sandboxes = work.resolve("sandboxes");
        if (Files.exists(sandboxes)) {
            try (Stream<Path> s = Files.list(sandboxes)) {
                assertThat(s.toList()).isEmpty();
            }
        }
    }

    @Test
    void descriptionsCheckTheirOwnFields() {
        assertBad(() -> ComputePilotDescription.builder().runtime(Duration.ofMinutes(1)).cores(1).build(),
                "resource", "resource label");
        assertBad(() -> ComputePilotDescription.builder().resource("local.localhost").cores(1).build(),
                "runtime", "positive duration");
        assertBad(() -> ComputePilotDescription.builder().resource("local.localhost").runtime(Duration.ofMinutes(1))
                .cores(0).build(), "cores", "> 0");
        assertBad(() -> ComputeUnitDescription.builder().build(), "executable", "program");
        assertBad(() -> ComputeUnitDescription.builder().executable("/bin/true").cores(-1).build(), "cores", "> 0");
        assertBad(() -> ComputeUnitDescription.builder().executable("/bin/true").stdout("../escape").build(),
                "stdout", "plain file name");
        assertBad(() -> ComputeUnitDescription.builder().executable("/bin/true").timeout(Duration.ZERO).build(),
                "timeout", "positive duration");
        ComputeUnitDescription.Builder b = ComputeUnitDescription.builder().executable("/bin/true");
        assertBad(() -> b.cpuProcesses(4).build(), "cpuProcesses", "set mpi");
        assertBad(() -> b.mpi(true).cpuThreads(2).build(), "cpuThreads", "not supported yet");
        assertBad(() -> b.cpuThreads(0).cores(3).build(), "cores", "4 (cpuProcesses x cpuThreads)");
        assertThat(b.cores(4).build().cores()).isEqualTo(4);
        assertBad(() -> ComputeUnitDescription.builder().executable("/bin/true").cpuThreads(-1).build(),
                "cpuThreads", ">= 1");
        ComputeUnitDescription.Builder c = ComputeUnitDescription.builder().executable("/bin/true");
        assertBad(() -> c.tags(java.util.Map.of("partition", "x")).build(), "tags", "[colocate]");
        assertBad(() -> c.tags(java.util.Map.of()).sandbox("../up").build(), "sandbox", "relative path");
        assertBad(() -> c.sandbox("/abs").build(), "sandbox", "relative path");
        assertBad(() -> c.sandbox("a//b").build(), "sandbox", "relative path");
        assertBad(() -> c.sandbox("a/b").metadata(java.util.Map.of("k", "v\0")).build(), "metadata[k]", "NUL");
    }

    @Test
    void pilotDescriptionsAreCheckedAgainstTheResourceAndNothingStarts() throws Exception {
        ComputePilotDescription good = LocalFixture.localPilot(work, 1).build();
        assertBad(() -> pmgr.submitPilots(List.of(good, good.toBuilder().resource("nowhere.cluster").build())),
                "pilots[1].resource", "local.localhost");
        assertBad(() -> pmgr.submitPilots(List.of(good.toBuilder().sandbox("/etc/pilotflow").build())),
                "pilots[0].sandbox", "valid_roots");
        assertBad(() -> pmgr.submitPilots(List.of(good.toBuilder()
                .sandbox(work.resolve("sandboxes/../../../../etc/x").toString()).build())),
                "pilots[0].sandbox", "valid_roots");
        assertBad(() -> pmgr.submitPilots(List.of(good.toBuilder().accessSchema("gsissh").build())),
                "pilots[0].accessSchema", "local");
        assertNothingStarted();
    }

    @Test
    void mandatoryArgsOfAUserResourceAreEnforced() throws Exception {
        Path dir = Files.createDirectories(work.resolve("resources-ok"));
        Files.writeString(dir.resolve("resource_mysite.json"), """
                { "login": {
                    "schemas": { "local": { "job_manager_endpoint": "fork://localhost/",
                                            "filesystem_endpoint": "file://localhost/" } },
                    "cores_per_node": 2,
                    "valid_roots": ["$TMPDIR"],
                    "default_remote_workdir": "$TMPDIR",
                    "mandatory_args": ["project"] } }
                """);
        assertThat(session.loadResourceConfigs(dir)).containsExactly("mysite.login");
        ComputePilotDescription d = LocalFixture.localPilot(work, 1).resource("mysite.login").build();
        assertBad(() -> pmgr.submitPilots(List.of(d)), "pilots[0].project", "requires [project]");
        assertNothingStarted();
    }

    @Test
    void anInvalidResourceFileNamesFileKeyAndExpectationAndChangesNothing() throws Exception {
        Path dir = Files.createDirectories(work.resolve("resources-bad"));
        Files.writeString(dir.resolve("resource_broken.json"), """
                { "cluster": {
                    "schemas": { "local": { "job_manager_endpoint": "fork://localhost/",
                                            "filesystem_endpoint": "file://localhost/" } },
                    "cores_per_node": -4 } }
                """);
        assertThatThrownBy(() -> session.loadResourceConfigs(dir)).isInstanceOfSatisfying(BadParameter.class, e -> {
            assertThat(e.field()).isEqualTo("resource_broken.json: broken.cluster/cores_per_node");
            assertThat(e.getMessage()).contains("-4").contains("> 0");
        });
        assertThat(session.resources().labels()).doesNotContain("broken.cluster");
        assertNothingStarted();
    }

    @Test
    void unitsPinnedToAPilotOfAnotherManagerAreRefusedAndNothingIsSubmitted() throws Exception {
        assertBad(() -> umgr.submitUnits(List.of(ComputeUnitDescription.builder().executable("/bin/true").build(),
                ComputeUnitDescription.builder().executable("/bin/true").pilot("pilot.0042").build())),
                "units[1].pilot", "one of this unit manager's pilots");
        assertNothingStarted();
    }

    @Test
    void nulCharactersAreRefusedWhereverTheyCouldCutAStringShort() {
        ComputeUnitDescription.Builder ok = ComputeUnitDescription.builder().executable("/bin/echo");
        assertBad(() -> ComputeUnitDescription.builder().executable("/bin/ec\0ho").build(), "executable", "NUL");
        assertBad(() -> ok.arguments("a", "b\0c").build(), "arguments[1]", "NUL");
        assertBad(() -> ok.arguments(List.of()).environment(java.util.Map.of("A", "x\0y")).build(), "environment[A]",
                "NUL");
        assertThatThrownBy(() -> ok.environment(java.util.Map.of("TOKEN", "s3cr3t\0x")).build())
                .isInstanceOf(BadParameter.class).hasMessageContaining("environment[TOKEN]")
                .hasMessageNotContaining("s3cr3t"); // a value may be a secret: named, never shown
        assertBad(() -> ok.environment(java.util.Map.of()).stdout("out\0.txt").build(), "stdout", "NUL");
        assertBad(() -> ok.stdout(null).preExec(List.of("echo \0")).build(), "preExec[0]", "NUL");
        assertBad(() -> LocalFixture.localPilot(work, 1).queue("de\0bug").build(), "queue", "NUL");
        // the message shows the NUL, not a string cut short by it
        assertThatThrownBy(() -> ok.preExec(List.of()).arguments("b\0c").build())
                .hasMessageContaining("'b\\0c'");
    }

    @Test
    void nullEntriesAreBadParametersNotNullPointerExceptions() {
        java.util.List<String> withNull = new java.util.ArrayList<>(List.of("a"));
        withNull.add(null);
        java.util.Map<String, String> nullValue = new java.util.HashMap<>();
        nullValue.put("A", null);
        java.util.Map<String, String> nullName = new java.util.HashMap<>();
        nullName.put(null, "x");
        ComputeUnitDescription.Builder ok = ComputeUnitDescription.builder().executable("/bin/echo");
        assertBad(() -> ok.arguments(withNull).build(), "arguments[1]", "a string");
        assertBad(() -> ok.arguments(List.of()).preExec(withNull).build(), "preExec[1]", "a string");
        assertBad(() -> ok.preExec(List.of()).postExec(withNull).build(), "postExec[1]", "a string");
        assertBad(() -> ok.postExec(List.of()).environment(nullValue).build(), "environment[A]", "a string value");
        assertBad(() -> ok.environment(nullName).build(), "environment", "not null");
        assertBad(() -> session.loadResourceConfigs(null), "directory", "directory");
        assertBad(() -> session.resources().loadFile(null), "file", "resource_<site>.json");
        assertBad(() -> umgr.removePilots(null), "pilotUids", "pilot uid");
        assertBad(() -> umgr.removePilots(withNull), "pilotUids[1]", "pilot uid");
        assertBad(() -> umgr.waitUnits(withNull, List.of(), Duration.ofSeconds(1)), "uids[1]", "unit uid");
        assertBad(() -> pmgr.cancelPilots(withNull), "uids[1]", "pilot uid");
        assertBad(() -> umgr.registerCallback((org.pilotflow.api.UnitCallback) null), "callback", "UnitCallback");
        assertBad(() -> Session.reconnect(session.processEngine(), null), "sessionId", "an existing session");
        assertBad(() -> Session.builder().workDirectory(work).reconnect(" "), "sessionId", "an existing session");
        assertBad(() -> Session.attach(null), "engine", "PilotFlowPlugin");
        assertBad(() -> session.createUnitManager(null), "policy", "ROUND_ROBIN");
    }

    @Test
    void aDescriptionTooLargeForTheDatabaseIsRefusedUpFront() throws Exception {
        String big = "x".repeat(ComputeUnitDescription.MAX_TEXT_CHARS);
        assertThatThrownBy(() -> ComputeUnitDescription.builder().executable("/bin/echo").arguments(big).build())
                .isInstanceOfSatisfying(BadParameter.class, e -> {
                    assertThat(e.field()).isEqualTo("arguments[0]"); // the largest string: the one to move out
                    assertThat(e.getMessage()).contains("at most " + ComputeUnitDescription.MAX_TEXT_CHARS)
                            .hasSizeLessThan(400); // the value is shortened, not repeated
                });
        assertBad(() -> LocalFixture.localPilot(work, 1).sandbox("/" + "s".repeat(2000)).build(), "sandbox",
                "at most 1000 characters");
        // just under the limit is stored and read back whole
        ComputeUnitDescription largest = ComputeUnitDescription.builder().executable("/bin/echo")
                .arguments("y".repeat(ComputeUnitDescription.MAX_TEXT_CHARS - 100)).build();
        try (UnitManager other = session.createUnitManager()) {
            ComputeUnit u = other.submitUnit(largest);
            assertThat(other.getUnits(List.of(u.uid())).get(0).description()).isEqualTo(largest);
            other.cancelUnits(List.of(u.uid()), Duration.ofSeconds(60));
        }
        // the canceled unit's process instance ends in a job of its own: the other tests count instances
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (session.processEngine().getRuntimeService().createProcessInstanceQuery().count() > 0) {
            assertThat(System.nanoTime()).as("the canceled unit's process instance ended").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void aPilotLargerThanItsResourceIsRefusedAndNothingStarts() throws Exception {
        int cores = session.resources().get("local.localhost").coresPerNode();
        assertBad(() -> pmgr.submitPilot(LocalFixture.localPilot(work, 100_000).build()), "pilots[0].cores",
                "at most " + cores + ": local.localhost gives a pilot one node of " + cores + " cores");
        assertBad(() -> pmgr.submitPilot(LocalFixture.localPilot(work, 1).gpus(4).build()), "pilots[0].gpus",
                "local.localhost has no GPUs");
        assertThat(pmgr.submitPilots(List.of())).isEmpty();

        Path dir = Files.createDirectories(work.resolve("resources-limits"));
        Files.writeString(dir.resolve("resource_limited.json"), """
                { "cluster": {
                    "schemas": { "local": { "job_manager_endpoint": "slurm://localhost/",
                                            "filesystem_endpoint": "file://localhost/" } },
                    "cores_per_node": 8, "gpus_per_node": 2, "max_nodes": 4, "max_runtime": 3600,
                    "queues": { "debug": { "max_nodes": 1, "max_runtime": 600 }, "batch": {} },
                    "valid_roots": ["$TMPDIR"], "default_remote_workdir": "$TMPDIR" } }
                """);
        session.resources().loadDirectory(dir);
        ComputePilotDescription.Builder b = LocalFixture.localPilot(work, 32).resource("limited.cluster");
        assertBad(() -> pmgr.submitPilot(b.cores(33).build()), "pilots[0].cores",
                "at most 32: limited.cluster gives a pilot at most 4 nodes of 8 cores");
        assertBad(() -> pmgr.submitPilot(b.cores(8).gpus(9).build()), "pilots[0].gpus", "at most 8");
        assertBad(() -> pmgr.submitPilot(b.gpus(0).runtime(Duration.ofHours(2)).build()), "pilots[0].runtime",
                "at most PT1H (max_runtime of limited.cluster)");
        assertBad(() -> pmgr.submitPilot(b.queue("batch").build()), "pilots[0].runtime",
                "at most PT1H (max_runtime of limited.cluster in queue batch)");
        assertBad(() -> pmgr.submitPilot(b.queue("debug").runtime(Duration.ofMinutes(11)).build()),
                "pilots[0].runtime", "at most PT10M (max_runtime of limited.cluster in queue debug)");
        assertBad(() -> pmgr.submitPilot(b.runtime(Duration.ofMinutes(5)).cores(9).build()), "pilots[0].cores",
                "at most 8: limited.cluster gives a pilot in queue debug one node of 8 cores");
        assertBad(() -> pmgr.submitPilot(b.queue("gpu").cores(8).build()), "pilots[0].queue",
                "one of the queues of limited.cluster [debug, batch]");

        // what only the batch system knows it cannot ask for is refused at submit too, not after staging
        Files.writeString(dir.resolve("resource_pbs.json"), """
                { "cluster": {
                    "schemas": { "local": { "job_manager_endpoint": "pbs://localhost/",
                                            "filesystem_endpoint": "file://localhost/" } },
                    "cores_per_node": 8, "gpus_per_node": 2,
                    "valid_roots": ["$TMPDIR"], "default_remote_workdir": "$TMPDIR" } }
                """);
        session.resources().loadFile(dir.resolve("resource_pbs.json"));
        ComputePilotDescription.Builder pbs = LocalFixture.localPilot(work, 16).resource("pbs.cluster");
        assertBad(() -> pmgr.submitPilot(pbs.gpus(1).build()), "pilots[0].gpus",
                "0 on a pilot of 2 nodes (16 cores, cores_per_node 8): PBS GPUs are requested for one-node pilots only");
        assertNothingStarted();
    }

    @Test
    void resourceErrorsThroughTheApiArePilotExceptionsNamingFileAndPlace() throws Exception {
        Path dir = Files.createDirectories(work.resolve("resources-syntax"));
        Path f = Files.writeString(dir.resolve("resource_typo.json"), """
                { "cluster": {
                    "cores_per_node": 4,
                  }
                }
                """);
        assertBad(() -> session.resources().loadFile(f), "resource_typo.json: line 3, column 3", "valid JSON");
        assertBad(() -> session.loadResourceConfigs(dir), "resource_typo.json: line 3, column 3", "valid JSON");
        Files.writeString(f, """
                { "cluster": {
                    "schemas": { "l": { "job_manager_endpoint": "fork://compute17.example.org/",
                                        "filesystem_endpoint": "file://localhost/" } },
                    "cores_per_node": 4 } }
                """);
        assertBad(() -> session.resources().loadFile(f),
                "resource_typo.json: typo.cluster/schemas/l/job_manager_endpoint", "ssh://compute17.example.org/");
        assertBad(() -> session.resources().get("typo.cluster"), "resource", "local.localhost");
        assertBad(() -> session.resources().loadFile(work.resolve("resource_missing.json")),
                "resource_missing.json: (file)", "readable");
        assertThat(session.resources().labels()).doesNotContain("typo.cluster");
        assertBad(() -> org.pilotflow.plugin.PilotFlowConfig.builder().syncThreads(0).build(), "syncThreads",
                "1..256");
        assertBad(() -> org.pilotflow.plugin.PilotFlowConfig.builder().finishedUnitCache(-1).build(),
                "finishedUnitCache", "0..1000000 finished units kept in memory per session");
        assertBad(() -> org.pilotflow.plugin.PilotFlowConfig.builder().heartbeatTimeout(Duration.ofMillis(1))
                .build(), "heartbeatTimeout", "at least twice heartbeatInterval");
        assertBad(() -> org.pilotflow.plugin.PilotFlowConfig.builder().workDirectory(null).build(), "workDirectory",
                "a directory path");
        assertNothingStarted();
    }
}
