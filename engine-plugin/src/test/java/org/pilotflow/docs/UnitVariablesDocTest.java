package org.pilotflow.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.pilotflow.internal.lifecycle.PilotFromVariables;
import org.pilotflow.internal.lifecycle.UnitFromVariables;

/**
 * The README's tables of a BPMN unit's and a "Submit pilot" task's input variables are {@link UnitFromVariables.Field}
 * and {@link PilotFromVariables.Field}, printed: on a difference the message holds the table to paste. The element
 * templates offer exactly those variables.
 */
class UnitVariablesDocTest {

    private static final Path README = Path.of("..", "README.md");

    static String table() {
        return table(UnitFromVariables.Field.values());
    }

    /** The README's table of one kind of BPMN task's input variables. */
    static String table(UnitFromVariables.Variable<?>[] fields) {
        StringBuilder t = new StringBuilder("| variable | value | when empty | meaning |\n|---|---|---|---|\n");
        for (UnitFromVariables.Variable<?> f : fields) {
            t.append("| `").append(f.variable()).append("` | ").append(f.kind().expected().replace("|", "\\|"))
                    .append(" | ").append(f.whenEmpty()).append(" | ").append(f.meaning()).append(" |\n");
        }
        return t.toString();
    }

    @Test
    void readmeShowsTheVariablesOfTheCode() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        assertThat(readme).as("README.md must contain this table (UnitFromVariables.Field):%n%s", table())
                .contains(table());
    }

    static String pilotTable() {
        return table(PilotFromVariables.Field.values());
    }

    @Test
    void readmeShowsThePilotVariablesOfTheCode() throws IOException {
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        assertThat(readme).as("README.md must contain this table (PilotFromVariables.Field):%n%s", pilotTable())
                .contains(pilotTable());
    }

    /** The "submit pilot" template offers exactly the variables a "Submit pilot" task reads. */
    @Test
    void theSubmitPilotTemplateOffersEveryVariableAndNoOther() throws IOException {
        assertThat(offered("org.pilotflow.SubmitPilot")).containsExactlyInAnyOrderElementsOf(java.util.Arrays.stream(
                PilotFromVariables.Field.values()).map(PilotFromVariables.Field::variable).toList());
    }

    private static java.util.List<String> offered(String templateId) throws IOException {
        com.fasterxml.jackson.databind.JsonNode templates;
        try (java.io.InputStream in = UnitFromVariables.class.getClassLoader()
                .getResourceAsStream("element-templates/pilotflow-templates.json")) {
            assertThat(in).as("the bpmn module's element templates on the classpath").isNotNull();
            templates = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        java.util.List<String> offered = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode t : templates) {
            if (t.path("id").asText().equals(templateId)) {
                t.path("properties").forEach(p -> {
                    if (p.path("binding").path("type").asText().equals("camunda:inputParameter")) {
                        offered.add(p.path("binding").path("name").asText());
                    }
                });
            }
        }
        return offered;
    }

    /** The Modeler's "run compute unit" template offers exactly the variables a unit from BPMN reads. */
    @Test
    void theElementTemplateOffersEveryVariableAndNoOther() throws IOException {
        com.fasterxml.jackson.databind.JsonNode templates;
        try (java.io.InputStream in = UnitFromVariables.class.getClassLoader()
                .getResourceAsStream("element-templates/pilotflow-templates.json")) {
            assertThat(in).as("the bpmn module's element templates on the classpath").isNotNull();
            templates = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        java.util.List<String> offered = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode t : templates) {
            if (t.path("id").asText().equals("org.pilotflow.RunUnit")) {
                t.path("properties").forEach(p -> {
                    if (p.path("binding").path("type").asText().equals("camunda:inputParameter")) {
                        offered.add(p.path("binding").path("name").asText());
                    }
                });
            }
        }
        assertThat(offered).containsExactlyInAnyOrderElementsOf(java.util.Arrays.stream(
                UnitFromVariables.Field.values()).map(UnitFromVariables.Field::variable).toList());
    }
}
