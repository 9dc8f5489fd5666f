package org.pilotflow.internal.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.pilotflow.model.wire.StagingDirective;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pilotflow.api.BadParameter;
import org.pilotflow.api.ComputeUnitDescription;
import org.pilotflow.internal.lifecycle.UnitFromVariables.Field;
import org.pilotflow.internal.lifecycle.UnitFromVariables.Kind;

/**
 * Variables to description: the same description as the Java builder, the same checks, and a bad value of each
 * kind in each variable rejected naming the variable, the value and what was expected.
 */
class UnitFromVariablesTest {

    private static ComputeUnitDescription describe(Map<String, Object> vars) {
        return UnitFromVariables.describe(vars::get);
    }

    @Test
    void everyField_asTheModelerWritesIt_givesTheBuildersDescription() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("executable", "/bin/sh");
        vars.put("arguments", "[\"-c\", \"echo hi\"]");
        vars.put("environment", "{\"A\": \"1\"}");
        vars.put("name", "n");
        vars.put("cores", "4");
        vars.put("gpus", "1");
        vars.put("mpi", "true");
        vars.put("cpuProcesses", "4");
        vars.put("cpuThreads", "1");
        vars.put("preExec", "[\"module load x\"]");
        vars.put("postExec", "[\"rm -f tmp\"]");
        vars.put("stdout", "o.txt");
        vars.put("stderr", "e.txt");
        vars.put("sandbox", "shared/a");
        vars.put("timeoutSeconds", "90");
        vars.put("restartable", "true");
        vars.put("priority", "7");
        vars.put("memoryMb", "512");
        vars.put("inputStaging", "[\"pilot:///in.dat > in.dat\", \"b.dat < resource:///b.dat\"]");
        vars.put("outputStaging", "[\"out.dat > pilot:///results/\"]");
        vars.put("stageOnError", "true");
        vars.put("tags", "{\"colocate\": \"g\"}");
        vars.put("metadata", "{\"k\": \"v\"}");
        vars.put("pilot", "pilot.0001");
        vars.put("unitManager", "umgr.0001");
        ComputeUnitDescription expected = ComputeUnitDescription.builder().executable("/bin/sh")
                .arguments("-c", "echo hi").environment(Map.of("A", "1")).name("n").cores(4).gpus(1).mpi(true)
                .cpuProcesses(4).cpuThreads(1).preExec(List.of("module load x")).postExec(List.of("rm -f tmp"))
                .stdout("o.txt").stderr("e.txt").sandbox("shared/a").timeout(Duration.ofSeconds(90))
                .restartable(true).priority(7).memoryMb(512).tags(Map.of("colocate", "g"))
                .inputStaging("pilot:///in.dat > in.dat", "b.dat < resource:///b.dat")
                .outputStaging("out.dat > pilot:///results/").stageOnError(true)
                .metadata(Map.of("k", "v")).pilot("pilot.0001").build();
        assertThat(describe(vars)).isEqualTo(expected);
        assertThat(Arrays.stream(Field.values()).map(Field::variable)).containsExactlyInAnyOrderElementsOf(
                vars.keySet());
    }

    @Test
    void aBadStagingDirectiveIsRefusedNamingTheVariableEntry() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("executable", "/bin/true");
        vars.put("inputStaging", "[\"pilot:///a > a\", \"unit:///x > client:///x\"]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> describe(vars))
                .isInstanceOfSatisfying(org.pilotflow.api.BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("inputStaging[1].target"))
                .hasMessageContaining("input staging moves files to the resource");
    }

    /** RP's dictionary form beside the shorthand: the only way to LINK (or MOVE) from a BPMN field. */
    @Test
    void stagingDirectivesInRpsDictionaryForm_asJsonOrAsAList() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("executable", "/bin/true");
        vars.put("inputStaging", "[{\"source\": \"pilot:///in.dat\", \"target\": \"in.dat\", \"action\": \"LINK\"},"
                + " \"pilot:///b.dat > b.dat\"]");
        vars.put("outputStaging", List.of(Map.of("source", "out.dat", "target", "pilot:///results/",
                "action", "copy", "flags", List.of("CREATE_PARENTS", "NON_FATAL"))));
        ComputeUnitDescription d = describe(vars);
        assertThat(d.inputStaging().get(0).action()).isEqualTo(StagingDirective.Action.LINK);
        assertThat(d.inputStaging().get(1).action()).isEqualTo(StagingDirective.Action.TRANSFER);
        assertThat(d.outputStaging().get(0).action()).isEqualTo(StagingDirective.Action.COPY);
        assertThat(d.outputStaging().get(0).has(StagingDirective.Flag.NON_FATAL)).isTrue();

        vars.put("inputStaging", "[{\"source\": \"pilot:///in.dat\", \"acton\": \"LINK\"}]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> describe(vars))
                .isInstanceOfSatisfying(org.pilotflow.api.BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("inputStaging[0].acton"));
        vars.put("inputStaging", "[3]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> describe(vars))
                .isInstanceOfSatisfying(org.pilotflow.api.BadParameter.class, e -> assertThat(e.field())
                        .isEqualTo("inputStaging[0]"));
    }

    @Test
    void typedValues_andEmptyOnes_asTheJavaApiWouldTakeThem() {
        Map<String, Object> vars = new HashMap<>();
        vars.put("executable", "/bin/true");
        vars.put("arguments", List.of("a", "b"));
        vars.put("environment", Map.of("X", "y"));
        vars.put("cores", 2);
        vars.put("restartable", Boolean.TRUE);
        vars.put("pilot", "  "); // the Modeler's empty field: the scheduler chooses
        vars.put("stdout", "");
        vars.put("timeoutSeconds", "0");
        ComputeUnitDescription d = describe(vars);
        assertThat(d).isEqualTo(ComputeUnitDescription.builder().executable("/bin/true").arguments("a", "b")
                .environment(Map.of("X", "y")).cores(2).restartable(true).build());
        assertThat(d.pilot()).isNull();
        assertThat(d.timeout()).isNull();
    }

    /** A value of the wrong kind for every variable. */
    static Stream<Arguments> wrongKinds() {
        return Arrays.stream(Field.values()).map(f -> Arguments.of(f, switch (f.kind()) {
            case TEXT -> Boolean.TRUE;
            case INTEGER -> "two";
            case BOOLEAN -> "yes";
            case LIST -> "not json";
            case MAP -> "[\"a\"]";
            case DIRECTIVES -> "{\"source\": \"a\"}";
        }));
    }

    @ParameterizedTest
    @MethodSource("wrongKinds")
    void aValueOfTheWrongKind_namesTheVariable_theValue_andTheKind(Field field, Object value) {
        Map<String, Object> vars = new HashMap<>(Map.of("executable", "/bin/true"));
        vars.put(field.variable(), value);
        assertThatThrownBy(() -> describe(vars)).isInstanceOf(BadParameter.class)
                .hasMessageStartingWith(field.variable() + " is ")
                .hasMessageContaining(String.valueOf(value))
                .hasMessageEndingWith("expected " + field.kind().expected());
    }

    /** Values of the right kind that the description's own checks reject: the Java API's message, by variable. */
    static Stream<Arguments> badValues() {
        List<Object> withNull = Arrays.asList("a", null);
        return Stream.of(
                Arguments.of("executable", " ", "executable is null, expected a program path or name"),
                Arguments.of("cores", "0", "cores is 0, expected an integer > 0"),
                Arguments.of("gpus", -1, "gpus is -1, expected an integer >= 0"),
                Arguments.of("timeoutSeconds", "-5", "timeoutSeconds is -5, expected whole seconds > 0, or 0 for no "
                        + "limit"),
                Arguments.of("memoryMb", "-1", "memoryMb is -1, expected MiB between 1 and"),
                Arguments.of("cpuProcesses", "2", "cpuProcesses is 2, expected 1 for a non-MPI unit"),
                Arguments.of("cpuThreads", "-1", "cpuThreads is -1, expected an integer >= 1"),
                Arguments.of("tags", "{\"x\": \"1\"}", "tags is 'x', expected one of [colocate]"),
                Arguments.of("sandbox", "../up", "sandbox is '../up', expected a relative path"),
                Arguments.of("stdout", "a/b", "stdout is 'a/b', expected a plain file name"),
                Arguments.of("stderr", "..", "stderr is '..', expected a plain file name"),
                Arguments.of("environment", "{\"A=B\": \"1\"}", "environment is 'A=B', expected variable names"),
                Arguments.of("arguments", withNull, "arguments[1] is null, expected a string"),
                Arguments.of("preExec", "[\"ok\", null]", "preExec[1] is null, expected a string"),
                Arguments.of("postExec", withNull, "postExec[1] is null, expected a string"),
                Arguments.of("metadata", "{\"k\": null}", "metadata[k] is null, expected names and values"),
                Arguments.of("pilot", "p\u0000", "pilot is 'p\\0', expected text without NUL characters"),
                Arguments.of("name", "n\u0000", "name is 'n\\0', expected text without NUL characters"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void aValueTheDescriptionRejects_givesTheJavaApisMessage(String variable, Object value, String message) {
        Map<String, Object> vars = new HashMap<>(Map.of("executable", "/bin/true"));
        vars.put(variable, value);
        assertThatThrownBy(() -> describe(vars)).isInstanceOf(BadParameter.class).hasMessageStartingWith(message);
    }

    @Test
    void everyKindHasAWrongValueCase() {
        assertThat(wrongKinds().map(a -> ((Field) a.get()[0]).kind()).distinct())
                .containsExactlyInAnyOrder(Kind.values());
    }
}
