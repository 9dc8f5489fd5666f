package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.assertThat;
import static org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests.calledProcessInstance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.pilotflow.delegates.PilotFlowBackend;
import org.pilotflow.delegates.BpmnContract;
import org.pilotflow.delegates.ReleasePilotDelegate;
import org.pilotflow.delegates.StageDataDelegate;
import org.pilotflow.delegates.SubmitPilotDelegate;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.Process;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Camunda Modeler element templates: pointing at the shipped unit process with the variable names the Java side
 * reads, and - applied by the Modeler's own library (bpmn-js-element-templates, in headless Chromium, by
 * {@code src/test/js/check.mjs}, which also validates them against Camunda's JSON schema) with optional fields left
 * empty and with each one filled - saved as XML that deploys and runs a unit.
 */
@ExtendWith(ProcessEngineExtension.class)
class ElementTemplatesTest {

  static final String TEMPLATES = "element-templates/pilotflow-templates.json";
  /** Where check.mjs saves the call activities it made with the Modeler's library (Maven runs it before the tests). */
  static final Path SAVED_BY_THE_MODELER = Path.of("target", "modeler-check", "templates");

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
  void runUnit_callsTheShippedUnitProcess() throws IOException {
    JsonNode runUnit = runUnitTemplate();
    assertThat(runUnit.path("elementType").path("value").asText()).isEqualTo("bpmn:CallActivity");
    JsonNode calledElement = properties(runUnit).stream()
        .filter(p -> p.path("binding").path("type").asText().equals("property")
            && p.path("binding").path("name").asText().equals("calledElement"))
        .findFirst().orElseThrow();
    assertThat(calledElement.path("type").asText()).isEqualTo("Hidden");

    BpmnModelInstance unitModel = DiagramLayoutTest.read(UnitLifecycleTest.UNIT_BPMN);
    String unitProcessId = unitModel.getModelElementsByType(Process.class).iterator().next().getId();
    assertThat(calledElement.path("value").asText()).isEqualTo(unitProcessId).isEqualTo(UnitLifecycleTest.PROCESS_ID);
  }

  /**
   * The names UnitFromVariables (engine-plugin) reads. Each is an input parameter of the call activity (an empty
   * field is a parameter without value: null), all passed on by one camunda:in variables="all" local="true"; a
   * camunda:in without source, which the Modeler writes for an empty camunda:in field, does not deploy.
   */
  @Test
  void runUnit_passesTheUnitDescriptionAsInputParameters_andReturnsItsResult() throws IOException {
    JsonNode runUnit = runUnitTemplate();
    // engine-plugin's UnitVariablesDocTest checks these are exactly the variables UnitFromVariables reads
    assertThat(bindings(runUnit, "camunda:inputParameter", "name")).containsExactlyInAnyOrder("executable",
        "arguments", "environment", "cores", "gpus", "pilot", "name", "timeoutSeconds", "restartable", "preExec",
        "postExec", "stdout", "stderr", "sandbox", "metadata", "mpi", "cpuProcesses", "cpuThreads", "memoryMb",
        "tags", "unitManager", "priority", "inputStaging", "outputStaging", "stageOnError");
    assertThat(bindings(runUnit, "camunda:out", "source")).containsExactlyInAnyOrder("unitState", "exitCode",
        "failureReason", "pilotflowUnit", "errorCode", "unitPilot", "stdoutTail", "stderrTail");
    assertThat(properties(runUnit).stream().filter(p -> p.path("binding").path("type").asText().equals("camunda:in"))
        .map(p -> p.path("type").asText() + " " + p.path("binding")))
        .containsExactlyInAnyOrder(
            "Hidden {\"type\":\"camunda:in\",\"target\":\"pilotflowSession\",\"expression\":true}",
            "Hidden {\"type\":\"camunda:in\",\"variables\":\"local\"}");
  }

  static Stream<Path> savedByTheModeler() throws IOException {
    return saved("org.pilotflow.RunUnit-");
  }

  static Stream<Path> pilotTasksSavedByTheModeler() throws IOException {
    return Stream.concat(saved("org.pilotflow.SubmitPilot-"), saved("org.pilotflow.ReleasePilot-"));
  }

  /** The diagrams check.mjs saved for one template (file names start with its id). */
  static Stream<Path> saved(String prefix) throws IOException {
    assertThat(SAVED_BY_THE_MODELER).as("run by Maven before the tests (or: cd bpmn/src/test/js && npm ci && npm test)")
        .isDirectory();
    try (Stream<Path> files = Files.list(SAVED_BY_THE_MODELER)) {
      List<Path> saved = files.filter(f -> f.getFileName().toString().startsWith(prefix))
          .filter(f -> f.toString().endsWith(".bpmn")).sorted().toList();
      assertThat(saved).as(prefix + "* saved in " + SAVED_BY_THE_MODELER).isNotEmpty();
      return saved.stream();
    }
  }

  /**
   * A "submit pilot" or "release pilot" task as the Modeler saved it deploys, runs asynchronously (its job), hands
   * the real delegate what was typed (null for an empty field: the default then applies) with the session, and puts
   * the submitted pilot's uid into the chosen variable.
   */
  @ParameterizedTest
  @MethodSource("pilotTasksSavedByTheModeler")
  void pilotTaskSavedByTheModeler_deploysAndHandsTheDelegateWhatWasTyped(Path saved) throws IOException {
    JsonNode expected = new ObjectMapper().readTree(
        Path.of(saved.toString().replaceAll("\\.bpmn$", ".expected.json")).toFile());
    List<Map<String, Object>> seen = new java.util.ArrayList<>();
    PilotFlowBackend backend = (PilotFlowBackend) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {PilotFlowBackend.class}, (proxy, method, args) -> {
          DelegateExecution execution = (DelegateExecution) args[0];
          Map<String, Object> variables = new HashMap<>(execution.getVariables());
          variables.put("called", method.getName());
          seen.add(variables);
          return method.getName().equals("submitPilot") ? "pilot.0042" : null;
        });
    Mocks.register("pilotflowSubmitPilot", new SubmitPilotDelegate(backend));
    Mocks.register("pilotflowReleasePilot", new ReleasePilotDelegate(backend));
    deploymentId = engine.getRepositoryService().createDeployment()
        .addString(saved.getFileName().toString(), Files.readString(saved)).deploy().getId();
    String key = engine.getRepositoryService().createProcessDefinitionQuery().deploymentId(deploymentId)
        .singleResult().getKey();
    boolean submits = saved.getFileName().toString().startsWith("org.pilotflow.SubmitPilot-");

    Map<String, Object> start = Map.of("pilotflowSession", "session.0099", "pilot", "pilot.0007");
    ProcessInstance pi = engine.getRuntimeService().startProcessInstanceByKey(key, start);
    assertThat(seen).as("%s: the task is asynchronous", saved.getFileName()).isEmpty();
    Job job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
    assertThat(job).as("%s: the task's job", saved.getFileName()).isNotNull();
    engine.getManagementService().executeJob(job.getId());

    assertThat(seen).hasSize(1);
    Map<String, Object> variables = seen.get(0);
    assertThat(variables).containsEntry("called", submits ? "submitPilot" : "releasePilot")
        .containsEntry("pilotflowSession", "session.0099");
    expected.path("inputs").fields().forEachRemaining(input -> {
      // a field left at an expression such as ${pilot} (Release's default) holds what it evaluates to
      String typed = input.getValue().isNull() ? null : input.getValue().asText();
      java.util.regex.Matcher expression = java.util.regex.Pattern.compile("^\\$\\{(\\w+)\\}$")
          .matcher(typed == null ? "" : typed);
      assertThat(variables).as("%s: task variable %s", saved.getFileName(), input.getKey())
          .containsEntry(input.getKey(), expression.matches() ? start.get(expression.group(1)) : typed);
    });
    assertThat(pi).isEnded();
    Map<String, Object> after = new HashMap<>();
    engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId()).list()
        .forEach(v -> after.put(v.getName(), v.getValue()));
    expected.path("outputs").fields().forEachRemaining(output -> assertThat(after)
        .as("%s: variable %s", saved.getFileName(), output.getValue().asText())
        .containsEntry(output.getValue().asText(), "pilot.0042"));
    assertThat(expected.path("outputs").size()).isEqualTo(submits ? 1 : 0);
  }

  static Stream<Path> stageDataSavedByTheModeler() throws IOException {
    return saved("org.pilotflow.StageData-");
  }

  /**
   * A "Stage data" task as the Modeler saved it deploys, runs asynchronously with PilotFlow's retry cycle left to
   * the plugin (the template cannot set one, so it sets none), hands the real delegate what was typed with the
   * session, and puts the files after the transfer into the chosen variable.
   */
  @ParameterizedTest
  @MethodSource("stageDataSavedByTheModeler")
  void stageDataSavedByTheModeler_deploysAndHandsTheDelegateWhatWasTyped(Path saved) throws IOException {
    JsonNode expected = new ObjectMapper().readTree(
        Path.of(saved.toString().replaceAll("\\.bpmn$", ".expected.json")).toFile());
    List<Map<String, Object>> seen = new ArrayList<>();
    List<Map<String, Object>> moved = List.of(Map.of("source", "a.dat", "status", "TRANSFERRED"));
    PilotFlowBackend backend = (PilotFlowBackend) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {PilotFlowBackend.class}, (proxy, method, args) -> {
          DelegateExecution execution = (DelegateExecution) args[0];
          Map<String, Object> variables = new HashMap<>(execution.getVariablesLocal());
          variables.put("called", method.getName());
          variables.put("pilotflowSession", execution.getVariable("pilotflowSession"));
          seen.add(variables);
          return moved;
        });
    Mocks.register(BpmnContract.BEAN_STAGE_DATA, new StageDataDelegate(backend));
    String xml = Files.readString(saved);
    assertThat(xml).as("the template sets no retry cycle (the plugin gives one)").doesNotContain("RetryTimeCycle");
    deploymentId = engine.getRepositoryService().createDeployment()
        .addString(saved.getFileName().toString(), xml).deploy().getId();
    String key = engine.getRepositoryService().createProcessDefinitionQuery().deploymentId(deploymentId)
        .singleResult().getKey();

    Map<String, Object> start = Map.of("pilotflowSession", "session.0099", "pilot", "pilot.0007");
    ProcessInstance pi = engine.getRuntimeService().startProcessInstanceByKey(key, start);
    assertThat(seen).as("%s: the task is asynchronous", saved.getFileName()).isEmpty();
    Job job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult();
    assertThat(job).as("%s: the task's job", saved.getFileName()).isNotNull();
    engine.getManagementService().executeJob(job.getId());

    assertThat(seen).hasSize(1);
    Map<String, Object> variables = seen.get(0);
    assertThat(variables).containsEntry("called", "stageData").containsEntry("pilotflowSession", "session.0099");
    expected.path("inputs").fields().forEachRemaining(input -> {
      String typed = input.getValue().isNull() ? null : input.getValue().asText();
      java.util.regex.Matcher expression = java.util.regex.Pattern.compile("^\\$\\{(\\w+)\\}$")
          .matcher(typed == null ? "" : typed);
      assertThat(variables).as("%s: task variable %s", saved.getFileName(), input.getKey())
          .containsEntry(input.getKey(), expression.matches() ? start.get(expression.group(1)) : typed);
    });
    assertThat(variables.keySet()).as("the fields are the variables the plugin reads (FilesFromVariables)")
        .contains("pilot", "direction", "files", "tolerateFailedFiles");
    assertThat(pi).isEnded();
    Map<String, Object> after = new HashMap<>();
    engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId()).list()
        .forEach(v -> after.put(v.getName(), v.getValue()));
    assertThat(expected.path("outputs").size()).isEqualTo(1);
    expected.path("outputs").fields().forEachRemaining(output -> assertThat(after)
        .as("%s: variable %s", saved.getFileName(), output.getValue().asText())
        .containsEntry(output.getValue().asText(), moved));
  }

  /**
   * A call activity as the Modeler saved it deploys, hands the unit process what was typed (null for an empty
   * field, the default then applies) and the session, and returns the unit's result into the chosen variables.
   */
  @ParameterizedTest
  @MethodSource("savedByTheModeler")
  void savedByTheModeler_deploysAndRunsAUnit(Path saved) throws IOException {
    JsonNode expected = new ObjectMapper().readTree(
        Path.of(saved.toString().replaceAll("\\.bpmn$", ".expected.json")).toFile());
    deploymentId = engine.getRepositoryService().createDeployment()
        .addClasspathResource(UnitLifecycleTest.UNIT_BPMN)
        .addString(saved.getFileName().toString(), Files.readString(saved))
        .deploy().getId();
    String callerKey = engine.getRepositoryService().createProcessDefinitionQuery().deploymentId(deploymentId)
        .list().stream().map(d -> d.getKey()).filter(k -> !k.equals(UnitLifecycleTest.PROCESS_ID))
        .findFirst().orElseThrow();

    ProcessInstance caller = engine.getRuntimeService().startProcessInstanceByKey(callerKey,
        Map.of("pilotflowSession", "session.0099"));
    ProcessInstance unit = calledProcessInstance(caller);
    assertThat(unit).isWaitingAt("runUnit");
    Map<String, Object> unitVariables = engine.getRuntimeService().getVariables(unit.getId());
    assertThat(unitVariables).containsEntry("pilotflowSession", "session.0099");
    expected.path("inputs").fields().forEachRemaining(input -> assertThat(unitVariables)
        .as("%s: unit variable %s", saved.getFileName(), input.getKey())
        .containsEntry(input.getKey(), input.getValue().isNull() ? null : input.getValue().asText()));

    Map<String, Object> ended = new HashMap<>();
    ended.put("unitState", "DONE");
    ended.put("exitCode", 0);
    ended.put("failureReason", null);
    engine.getRuntimeService().createMessageCorrelation(UnitLifecycleTest.ENDED)
        .processInstanceId(unit.getId()).setVariables(ended).correlate();
    Job continuation = engine.getManagementService().createJobQuery().processInstanceId(unit.getId())
        .activityId("handBack").singleResult();
    engine.getManagementService().executeJob(continuation.getId());

    assertThat(caller).isEnded();
    Map<String, Object> callerVariables = new HashMap<>();
    engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(caller.getId()).list()
        .forEach(v -> callerVariables.put(v.getName(), v.getValue()));
    Map<String, Object> unitResult = Map.of("unitState", "DONE", "exitCode", 0, "pilotflowUnit", "unit." + unit.getId());
    expected.path("outputs").fields().forEachRemaining(output -> {
      String target = output.getValue().asText();
      assertThat(callerVariables).as("%s: caller variable %s", saved.getFileName(), target).containsKey(target);
      assertThat(callerVariables.get(target)).isEqualTo(unitResult.get(output.getKey()));
    });
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

  private static List<String> bindings(JsonNode template, String type, String attribute) {
    return properties(template).stream()
        .filter(p -> p.path("binding").path("type").asText().equals(type))
        .map(p -> p.path("binding").path(attribute).asText())
        .toList();
  }
}
