package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.calledProcessInstance;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.CallActivity;
import org.camunda.bpm.model.bpmn.instance.ExtensionElements;
import org.camunda.bpm.model.bpmn.instance.Process;
import org.camunda.bpm.model.bpmn.instance.camunda.CamundaIn;
import org.camunda.bpm.model.bpmn.instance.camunda.CamundaOut;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Camunda Modeler element templates: well-formed for the C7 schema's rules, pointing at the shipped unit
 * process, and - applied the way the Modeler applies them - producing a call activity that really runs a unit.
 */
@ExtendWith(ProcessEngineExtension.class)
class ElementTemplatesTest {

  static final String TEMPLATES = "element-templates/pilotflow-templates.json";
  static final String SCHEMA = "https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json";

  /** Field types the C7 schema allows per binding type (properties.json of the schema package). */
  static final Map<String, Set<String>> ALLOWED_TYPES = Map.of(
      "property", Set.of("String", "Text", "Hidden", "Dropdown", "Boolean"),
      "camunda:in", Set.of("String", "Hidden", "Dropdown"),
      "camunda:out", Set.of("String", "Hidden", "Dropdown"),
      "camunda:in:businessKey", Set.of("String", "Hidden", "Dropdown"),
      "camunda:inputParameter", Set.of("String", "Text", "Hidden", "Dropdown"),
      "camunda:outputParameter", Set.of("String", "Hidden", "Dropdown"));

  ProcessEngine engine;

  final RecordingDelegate submit = RecordingDelegate.doing(UnitLifecycleTest::assignUidIfAbsent);
  String deploymentId;

  @BeforeEach
  void setUp() {
    BpmnAwareTests.init(engine);
    Mocks.register("pilotflowSubmitUnit", submit);
  }

  @AfterEach
  void tearDown() {
    Mocks.reset();
    if (deploymentId != null) {
      engine.getRepositoryService().deleteDeployment(deploymentId, true);
    }
  }

  @Test
  void fileIsAnArrayOfC7Templates_withUniqueIdAndVersion() throws IOException {
    JsonNode templates = readTemplates();
    assertThat(templates.isArray()).isTrue();
    assertThat(templates).isNotEmpty();
    Set<String> seen = new java.util.HashSet<>();
    for (JsonNode template : templates) {
      assertThat(template.path("$schema").asText()).isEqualTo(SCHEMA);
      for (String key : List.of("id", "name", "appliesTo", "properties")) {
        assertThat(template.has(key)).as("%s has %s", template.path("id").asText(), key).isTrue();
      }
      assertThat(template.path("version").isInt()).isTrue();
      assertThat(texts(template.path("appliesTo"))).allMatch(type -> type.matches("^[\\w\\d]+:[\\w\\d]+$"));
      assertThat(template.path("elementType").path("value").asText()).matches("^[\\w\\d]+:[\\w\\d]+$");
      template.path("groups").forEach(group -> assertThat(group.hasNonNull("id") && group.hasNonNull("label")).isTrue());
      assertThat(seen.add(template.path("id").asText() + "@" + template.path("version").asInt()))
          .as("id+version unique").isTrue();
    }
  }

  @Test
  void runUnit_callsTheShippedUnitProcess() throws IOException {
    JsonNode runUnit = runUnitTemplate();
    assertThat(runUnit.path("elementType").path("value").asText()).isEqualTo("bpmn:CallActivity");
    assertThat(texts(runUnit.path("appliesTo"))).containsExactlyInAnyOrder("bpmn:Task", "bpmn:CallActivity");

    JsonNode calledElement = properties(runUnit).stream()
        .filter(p -> p.path("binding").path("type").asText().equals("property")
            && p.path("binding").path("name").asText().equals("calledElement"))
        .findFirst().orElseThrow();
    assertThat(calledElement.path("type").asText()).isEqualTo("Hidden");

    BpmnModelInstance unitModel = DiagramLayoutTest.read(UnitLifecycleTest.UNIT_BPMN);
    String unitProcessId = unitModel.getModelElementsByType(Process.class).iterator().next().getId();
    assertThat(calledElement.path("value").asText()).isEqualTo(unitProcessId).isEqualTo(UnitLifecycleTest.PROCESS_ID);
  }

  @Test
  void everyPropertyHasABindingTheSchemaAllows() throws IOException {
    for (JsonNode template : readTemplates()) {
      Set<String> groups = new java.util.HashSet<>(texts(template.path("groups").findValues("id")));
      for (JsonNode property : template.path("properties")) {
        JsonNode binding = property.path("binding");
        String what = template.path("id").asText() + " " + property.path("label").asText(binding.toString());
        assertThat(binding.isObject()).as("%s has a binding", what).isTrue();
        String type = binding.path("type").asText();
        assertThat(ALLOWED_TYPES).as("%s binding type", what).containsKey(type);
        assertThat(ALLOWED_TYPES.get(type)).as("%s field type", what).contains(property.path("type").asText());
        switch (type) {
          case "property", "camunda:inputParameter" -> assertThat(binding.hasNonNull("name")).as(what).isTrue();
          case "camunda:in" -> assertThat(binding.hasNonNull("target") || binding.hasNonNull("variables")).as(what).isTrue();
          case "camunda:out" -> assertThat(binding.hasNonNull("source")).as(what).isTrue();
          case "camunda:outputParameter" -> assertThat(binding.hasNonNull("source")).as(what).isTrue();
          default -> { }
        }
        if (property.has("group")) {
          assertThat(groups).as("%s group declared", what).contains(property.path("group").asText());
        }
        if (property.path("type").asText().equals("Dropdown")) {
          assertThat(property.path("choices").isArray()).as("%s has choices", what).isTrue();
          property.path("choices").forEach(choice -> assertThat(choice.hasNonNull("name") && choice.hasNonNull("value"))
              .as("%s choice has name and value", what).isTrue());
          assertThat(texts(property.path("choices").findValues("value"))).as(what).contains(property.path("value").asText());
        }
        if (property.has("value")) {
          assertThat(property.path("value").isTextual() || property.path("value").isBoolean()).as(what).isTrue();
        }
        String pattern = property.path("constraints").path("pattern").path("value").asText(null);
        if (pattern != null && property.has("value")) {
          assertThat(property.path("value").asText()).as("%s default matches its pattern", what).matches(pattern);
        }
      }
    }
  }

  @Test
  void runUnit_passesTheUnitDescriptionAndReturnsItsResult() throws IOException {
    JsonNode runUnit = runUnitTemplate();
    assertThat(inTargets(runUnit)).containsExactlyInAnyOrder("pilotflowSession", "executable", "arguments",
        "environment", "cores", "gpus", "pilot", "name", "timeoutSeconds", "restartable", "preExec", "postExec",
        "stdout", "stderr", "sandbox", "metadata", "mpi", "cpuProcesses", "cpuThreads", "memoryMb", "tags",
        "unitManager", "priority");
    assertThat(properties(runUnit).stream()
        .filter(p -> p.path("binding").path("type").asText().equals("camunda:out"))
        .map(p -> p.path("binding").path("source").asText()))
        .containsExactlyInAnyOrder("unitState", "exitCode", "failureReason", "pilotflowUnit", "errorCode", "unitPilot",
            "stdoutTail", "stderrTail");
    JsonNode session = properties(runUnit).stream()
        .filter(p -> "pilotflowSession".equals(p.path("binding").path("target").asText())).findFirst().orElseThrow();
    assertThat(session.path("type").asText()).isEqualTo("Hidden");
    assertThat(session.path("binding").path("expression").asBoolean()).isTrue();
    assertThat(session.path("value").asText()).isEqualTo("${pilotflowSession}");
  }

  /** Applies the template as the Modeler does (camunda:in sourceExpression / source, camunda:out) and runs it. */
  @Test
  void runUnit_appliedToACallActivity_runsAUnitEndToEnd() throws IOException {
    Map<String, String> typedByTheModeler = Map.of("executable", "/bin/echo", "arguments", "[\"-n\",\"hi\"]",
        "name", "greeting");
    BpmnModelInstance caller = Bpmn.createExecutableProcess("templateCaller")
        .camundaHistoryTimeToLive(1)
        .startEvent()
        .callActivity("runUnit")
        .endEvent("callerDone")
        .done();
    CallActivity callActivity = caller.getModelElementById("runUnit");
    ExtensionElements extensions = caller.newInstance(ExtensionElements.class);
    callActivity.setExtensionElements(extensions);
    for (JsonNode property : properties(runUnitTemplate())) {
      JsonNode binding = property.path("binding");
      String value = typedByTheModeler.getOrDefault(binding.path("target").asText(),
          property.has("value") ? property.path("value").asText() : null);
      if (value == null) {
        continue; // an optional field the modeler left empty
      }
      switch (binding.path("type").asText()) {
        case "property" -> callActivity.setAttributeValue(binding.path("name").asText(), value);
        case "camunda:in" -> {
          CamundaIn in = caller.newInstance(CamundaIn.class);
          in.setCamundaTarget(binding.path("target").asText());
          if (binding.path("expression").asBoolean()) {
            in.setCamundaSourceExpression(value);
          } else {
            in.setCamundaSource(value);
          }
          extensions.addChildElement(in);
        }
        case "camunda:out" -> {
          CamundaOut out = caller.newInstance(CamundaOut.class);
          out.setCamundaSource(binding.path("source").asText());
          out.setCamundaTarget(value);
          extensions.addChildElement(out);
        }
        default -> throw new AssertionError("binding not handled by this test: " + binding);
      }
    }
    Bpmn.validateModel(caller);
    deploymentId = engine.getRepositoryService().createDeployment()
        .addClasspathResource(UnitLifecycleTest.UNIT_BPMN)
        .addModelInstance("templateCaller.bpmn", caller)
        .deploy().getId();

    ProcessInstance parent = engine.getRuntimeService().startProcessInstanceByKey("templateCaller",
        Map.of("pilotflowSession", "session.0099"));
    ProcessInstance unit = calledProcessInstance(parent);
    assertThat(unit).isWaitingAt("runUnit");
    assertThat(engine.getRuntimeService().getVariables(unit.getId()))
        .containsEntry("pilotflowSession", "session.0099")
        .containsEntry("executable", "/bin/echo")
        .containsEntry("arguments", "[\"-n\",\"hi\"]")
        .containsEntry("name", "greeting")
        .containsEntry("cores", "1")
        .containsEntry("gpus", "0")
        .containsEntry("timeoutSeconds", "0")
        .containsEntry("restartable", "false")
        .doesNotContainKeys("pilot", "environment");

    Map<String, Object> ended = new HashMap<>();
    ended.put("unitState", "DONE");
    ended.put("exitCode", 0);
    ended.put("failureReason", null);
    engine.getRuntimeService().createMessageCorrelation(UnitLifecycleTest.ENDED)
        .processInstanceId(unit.getId()).setVariables(ended).correlate();
    // runUnit is async after: the unit's end and the caller's continuation run in that job
    assertThat(parent).hasNotPassed("callerDone").isNotEnded();
    Job continuation = engine.getManagementService().createJobQuery().processInstanceId(unit.getId())
        .activityId("runUnit").singleResult();
    assertThat(continuation).isNotNull();
    engine.getManagementService().executeJob(continuation.getId());

    assertThat(parent).hasPassed("callerDone").isEnded();
    Map<String, Object> results = new HashMap<>();
    engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(parent.getId()).list()
        .forEach(v -> results.put(v.getName(), v.getValue()));
    assertThat(results)
        .containsEntry("unitState", "DONE")
        .containsEntry("unitExitCode", 0)
        .containsEntry("unitUid", "unit." + unit.getId())
        .containsKey("unitFailureReason");
  }

  // ---------------------------------------------------------------------------------------------------

  static JsonNode readTemplates() throws IOException {
    try (InputStream in = ElementTemplatesTest.class.getClassLoader().getResourceAsStream(TEMPLATES)) {
      assertThat(in).as(TEMPLATES).isNotNull();
      return new ObjectMapper().readTree(in);
    }
  }

  static JsonNode runUnitTemplate() throws IOException {
    for (JsonNode template : readTemplates()) {
      if (template.path("id").asText().equals("org.pilotflow.RunUnit")) {
        assertThat(template.path("version").asInt()).isEqualTo(2);
        return template;
      }
    }
    throw new AssertionError("no template org.pilotflow.RunUnit in " + TEMPLATES);
  }

  private static List<JsonNode> properties(JsonNode template) {
    List<JsonNode> result = new ArrayList<>();
    template.path("properties").forEach(result::add);
    return result;
  }

  private static List<String> inTargets(JsonNode template) {
    return properties(template).stream()
        .filter(p -> p.path("binding").path("type").asText().equals("camunda:in"))
        .map(p -> p.path("binding").path("target").asText())
        .toList();
  }

  private static List<String> texts(JsonNode array) {
    List<String> result = new ArrayList<>();
    array.forEach(n -> result.add(n.asText()));
    return result;
  }

  private static List<String> texts(List<JsonNode> nodes) {
    return nodes.stream().map(JsonNode::asText).toList();
  }
}
