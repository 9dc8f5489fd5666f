package org.pilotflow.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputePilot;
import org.pilotflow.api.ComputeUnit;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.api.Session;
import org.pilotflow.api.UnitManager;
import org.pilotflow.model.ErrorCode;
import org.pilotflow.model.UnitState;
import org.pilotflow.testing.FunctionJar;

/**
 * Function units on a real local pilot: Java classes from a jar the test compiles, run inside the agent's JVM with
 * the lifecycle, states, cancel, timeout and failure reasons of process units.
 */
class FunctionUnitTest {

    private static final Duration WITHIN = Duration.ofMinutes(2);

    static final Map<String, String> SOURCES = Map.of(
            "demo.Square", """
                    package demo;
                    import org.pilotflow.function.*;
                    public class Square implements PilotFunction {
                        public Object call(FunctionContext c) {
                            long n = Long.parseLong(c.arguments().get(0));
                            c.out().println("squaring " + n + " with " + c.environment().get("PILOTFLOW_CORES")
                                    + " core(s), GREETING=" + c.environment().get("GREETING"));
                            return n * n;
                        }
                    }""",
            "demo.Fail", """
                    package demo;
                    public class Fail implements org.pilotflow.function.PilotFunction {
                        public Object call(org.pilotflow.function.FunctionContext c) throws Exception {
                            throw new java.io.FileNotFoundException("input.dat");
                        }
                    }""",
            "demo.Sleep", """
                    package demo;
                    public class Sleep implements org.pilotflow.function.PilotFunction {
                        public Object call(org.pilotflow.function.FunctionContext c) throws Exception {
                            Thread.sleep(600_000);
                            return null;
                        }
                    }""",
            "demo.NoOp", """
                    package demo;
                    public class NoOp implements org.pilotflow.function.PilotFunction {
                        public Object call(org.pilotflow.function.FunctionContext c) {
                            return null;
                        }
                    }""");

    @TempDir
    Path work;

    /** The jar on the resource: under the pilots' sandbox root, where function jars (as staging sources) may lie. */
    private Path jar() throws Exception {
        return FunctionJar.build(Files.createDirectories(work.resolve("sandboxes/jars")), "demo.jar", SOURCES);
    }

    private static ComputeUnitDescription.Builder function(String cls, Path jar) {
        return ComputeUnitDescription.builder().function(cls).functionJars(jar.toString());
    }

    @Test
    void functionUnitsRunInsideTheAgentWithTheLifecycleOfProcessUnits() throws Exception {
        Path jar = jar();
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnit> units = umgr.submitUnits(List.of(
                    function("demo.Square", jar).arguments("7").environment(Map.of("GREETING", "hi")).build(),
                    function("demo.Fail", jar).build(),
                    function("demo.Nope", jar).build(),
                    function("demo.Square", work.resolve("sandboxes/jars/missing.jar")).arguments("1").build(),
                    function("demo.Sleep", jar).timeout(Duration.ofSeconds(1)).build(),
                    function("demo.Sleep", jar).build()));
            ComputeUnit square = units.get(0);
            ComputeUnit fail = units.get(1);
            ComputeUnit nope = units.get(2);
            ComputeUnit missing = units.get(3);
            ComputeUnit timeout = units.get(4);
            ComputeUnit sleeper = units.get(5);

            assertThat(square.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            assertThat(square.stdout()).isEqualTo("squaring 7 with 1 core(s), GREETING=hi\n49\n");
            assertThat(square.exitCode()).contains(0);
            assertThat(square.stateHistory()).extracting(e -> e.state())
                    .containsExactly(UnitState.NEW, UnitState.UNSCHEDULED, UnitState.SCHEDULING,
                            UnitState.PENDING_INPUT_STAGING, UnitState.STAGING_INPUT,
                            UnitState.PENDING_EXECUTION, UnitState.ALLOCATING, UnitState.EXECUTING,
                            UnitState.PENDING_OUTPUT_STAGING, UnitState.STAGING_OUTPUT, UnitState.DONE);
            assertThat(square.slots()).hasSize(1);

            assertThat(fail.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(fail.errorCode()).contains(ErrorCode.FUNCTION_EXCEPTION);
            assertThat(fail.failureReason()).contains("function demo.Fail threw java.io.FileNotFoundException: "
                    + "input.dat");
            assertThat(fail.stderr()).contains("demo.Fail.call(Fail.java:4)").doesNotContain("ThreadPoolExecutor");

            assertThat(nope.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(nope.errorCode()).contains(ErrorCode.LAUNCH_FAILED);
            assertThat(nope.failureReason()).get().asString().contains("function class demo.Nope not found in",
                    "check the class name");

            assertThat(missing.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(missing.errorCode()).contains(ErrorCode.LAUNCH_FAILED);
            assertThat(missing.failureReason()).get().asString().contains("missing.jar does not exist");

            assertThat(timeout.waitFor(WITHIN)).isEqualTo(UnitState.FAILED);
            assertThat(timeout.errorCode()).contains(ErrorCode.TIMEOUT);
            assertThat(timeout.failureReason()).contains("timed out after 1 s");

            sleeper.waitFor(WITHIN, UnitState.EXECUTING);
            umgr.cancelUnits(List.of(sleeper.uid()));
            assertThat(sleeper.waitFor(WITHIN)).isEqualTo(UnitState.CANCELED);
            assertThat(sleeper.errorCode()).contains(ErrorCode.CANCELED);

            // the canceled and timed-out functions gave their cores back: two more run on the 2-core pilot
            List<ComputeUnit> after = umgr.submitUnits(List.of(function("demo.Square", jar).arguments("3").build(),
                    function("demo.Square", jar).arguments("4").cores(2).build()));
            for (ComputeUnit u : after) {
                assertThat(u.waitFor(WITHIN)).isEqualTo(UnitState.DONE);
            }
            assertThat(after.get(1).stdout()).isEqualTo("squaring 4 with 2 core(s), GREETING=null\n16\n");
            LocalFixture.awaitNoInstances(session.processEngine(), "pilotflow-unit");
        }
    }

    @Test
    void twoThousandNoOpFunctionUnitsAllEndDone() throws Exception {
        Path jar = jar();
        try (Session session = LocalFixture.session(work)) {
            ComputePilot pilot = LocalFixture.activePilot(session.createPilotManager(), work, 2);
            UnitManager umgr = session.createUnitManager();
            umgr.addPilot(pilot);
            List<ComputeUnitDescription> ds = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                ds.add(function("demo.NoOp", jar).build());
            }
            umgr.submitUnits(ds);
            List<UnitState> states = umgr.waitUnits(List.of(), List.of(), Duration.ofMinutes(5));
            assertThat(states).hasSize(2000).containsOnly(UnitState.DONE);
        }
    }

    @Test
    void badFunctionDescriptionsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> ComputeUnitDescription.builder().executable("/bin/true").function("a.B")
                .functionJars("/x.jar").build()).isInstanceOfSatisfying(BadParameter.class, e -> assertThat(
                e.getMessage()).contains("executable", "/bin/true", "mutually exclusive"));
        assertThatThrownBy(() -> ComputeUnitDescription.builder().function("a.1B").functionJars("/x.jar").build())
                .isInstanceOf(BadParameter.class).hasMessageContaining("function").hasMessageContaining("a.1B")
                .hasMessageContaining("fully qualified Java class name");
        assertThatThrownBy(() -> ComputeUnitDescription.builder().function("a.B").build())
                .isInstanceOf(BadParameter.class).hasMessageContaining("functionJars");
        assertThatThrownBy(() -> ComputeUnitDescription.builder().function("a.B").functionJars("../up.jar").build())
                .isInstanceOf(BadParameter.class).hasMessageContaining("functionJars[0]")
                .hasMessageContaining("../up.jar");
        assertThatThrownBy(() -> ComputeUnitDescription.builder().function("a.B").functionJars("a.jar")
                .memoryMb(100).build()).isInstanceOf(BadParameter.class).hasMessageContaining("memoryMb")
                .hasMessageContaining("cannot be enforced");
        assertThatThrownBy(() -> ComputeUnitDescription.builder().function("a.B").functionJars("a.jar")
                .preExec(List.of("echo")).build()).isInstanceOf(BadParameter.class).hasMessageContaining("preExec");
        assertThatThrownBy(() -> ComputeUnitDescription.builder().function("a.B").functionJars("a.jar").mpi(true)
                .build()).isInstanceOf(BadParameter.class).hasMessageContaining("mpi");
        assertThat(ComputeUnitDescription.builder().function("a.b.Outer$Inner").functionJars("lib/a.jar", "/opt/b.jar")
                .build().functionJars()).containsExactly("lib/a.jar", "/opt/b.jar");
    }
}
