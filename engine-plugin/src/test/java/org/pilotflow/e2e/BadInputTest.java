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
}
