package org.pilotflow.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.Collection;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.CallActivity;
import org.camunda.bpm.model.bpmn.instance.FlowNode;
import org.camunda.bpm.model.bpmn.instance.Process;
import org.camunda.bpm.model.bpmn.instance.SequenceFlow;
import org.camunda.bpm.model.bpmn.instance.bpmndi.BpmnEdge;
import org.camunda.bpm.model.bpmn.instance.bpmndi.BpmnShape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The examples' models are complete for Camunda Modeler: every node has a shape, every flow an edge with waypoints.
 */
class DagModelTest {

    @ParameterizedTest
    @CsvSource({DagExample.RESOURCE + "," + DagExample.PROCESS_KEY,
        StageDataExample.RESOURCE + "," + StageDataExample.PROCESS_KEY})
    void fullDiagramLayout(String resource, String processKey) throws Exception {
        BpmnModelInstance model;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).isNotNull();
            model = Bpmn.readModelFromStream(in);
        }
        Bpmn.validateModel(model);
        Process p = model.getModelElementById(processKey);
        assertThat(p.isExecutable()).isTrue();
        assertThat(p.getCamundaHistoryTimeToLiveString()).isEqualTo("P30D");

        Collection<BpmnShape> shapes = model.getModelElementsByType(BpmnShape.class);
        Collection<BpmnEdge> edges = model.getModelElementsByType(BpmnEdge.class);
        for (FlowNode n : model.getModelElementsByType(FlowNode.class)) {
            assertThat(shapes).as("shape of " + n.getId()).anyMatch(s -> s.getBpmnElement() == n);
        }
        for (SequenceFlow f : model.getModelElementsByType(SequenceFlow.class)) {
            assertThat(edges).as("edge of " + f.getId())
                    .anyMatch(e -> e.getBpmnElement() == f && e.getWaypoints().size() >= 2);
        }
        for (CallActivity c : model.getModelElementsByType(CallActivity.class)) {
            assertThat(c.getCalledElement()).isEqualTo("pilotflow-unit");
        }
    }
}
