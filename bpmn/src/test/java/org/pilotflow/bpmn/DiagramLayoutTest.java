package org.pilotflow.bpmn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.instance.BaseElement;
import org.camunda.bpm.model.bpmn.instance.BoundaryEvent;
import org.camunda.bpm.model.bpmn.instance.FlowNode;
import org.camunda.bpm.model.bpmn.instance.Process;
import org.camunda.bpm.model.bpmn.instance.SequenceFlow;
import org.camunda.bpm.model.bpmn.instance.SubProcess;
import org.camunda.bpm.model.bpmn.instance.bpmndi.BpmnEdge;
import org.camunda.bpm.model.bpmn.instance.bpmndi.BpmnShape;
import org.camunda.bpm.model.bpmn.instance.dc.Bounds;
import org.camunda.bpm.model.bpmn.instance.di.Waypoint;
import org.camunda.bpm.model.xml.instance.ModelElementInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped models must open in Camunda Modeler and render in Cockpit: every flow node has a shape, every
 * sequence flow an edge that starts at its source and ends at its target, and no two shapes overlap
 * (except a boundary event on its host, and elements inside their expanded subprocess).
 */
class DiagramLayoutTest {

  private static final double TOLERANCE = 1.0;

  @ParameterizedTest
  @ValueSource(strings = {PilotLifecycleTest.PILOT_BPMN, UnitLifecycleTest.UNIT_BPMN})
  void everyFlowNodeHasAShape(String resource) {
    BpmnModelInstance model = read(resource);
    for (FlowNode node : model.getModelElementsByType(FlowNode.class)) {
      BpmnShape shape = (BpmnShape) node.getDiagramElement();
      assertThat(shape).as("shape of %s", node.getId()).isNotNull();
      assertThat(shape.getBounds().getWidth()).as("width of %s", node.getId()).isPositive();
      assertThat(shape.getBounds().getHeight()).as("height of %s", node.getId()).isPositive();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {PilotLifecycleTest.PILOT_BPMN, UnitLifecycleTest.UNIT_BPMN})
  void everySequenceFlowHasAnEdgeFromItsSourceToItsTarget(String resource) {
    BpmnModelInstance model = read(resource);
    for (SequenceFlow flow : model.getModelElementsByType(SequenceFlow.class)) {
      BpmnEdge edge = flow.getDiagramElement();
      assertThat(edge).as("edge of %s", flow.getId()).isNotNull();
      List<Waypoint> waypoints = new ArrayList<>(edge.getWaypoints());
      assertThat(waypoints).as("waypoints of %s", flow.getId()).hasSizeGreaterThanOrEqualTo(2);
      assertThat(touches(bounds(flow.getSource()), waypoints.get(0)))
          .as("%s starts at its source %s", flow.getId(), flow.getSource().getId()).isTrue();
      assertThat(touches(bounds(flow.getTarget()), waypoints.get(waypoints.size() - 1)))
          .as("%s ends at its target %s", flow.getId(), flow.getTarget().getId()).isTrue();
      for (int i = 1; i < waypoints.size(); i++) {
        Waypoint a = waypoints.get(i - 1);
        Waypoint b = waypoints.get(i);
        assertThat(near(a.getX(), b.getX()) || near(a.getY(), b.getY()))
            .as("%s segment %d is horizontal or vertical", flow.getId(), i).isTrue();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {PilotLifecycleTest.PILOT_BPMN, UnitLifecycleTest.UNIT_BPMN})
  void shapesDoNotOverlap(String resource) {
    BpmnModelInstance model = read(resource);
    List<FlowNode> nodes = new ArrayList<>(model.getModelElementsByType(FlowNode.class));
    for (int i = 0; i < nodes.size(); i++) {
      for (int j = i + 1; j < nodes.size(); j++) {
        FlowNode a = nodes.get(i);
        FlowNode b = nodes.get(j);
        if (attachedTo(a, b) || attachedTo(b, a) || contains(a, b) || contains(b, a)) {
          continue;
        }
        assertThat(overlap(bounds(a), bounds(b))).as("%s overlaps %s", a.getId(), b.getId()).isFalse();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {PilotLifecycleTest.PILOT_BPMN, UnitLifecycleTest.UNIT_BPMN})
  void boundaryEventsSitOnTheirHostsBorder_andSubprocessesHoldTheirChildren(String resource) {
    BpmnModelInstance model = read(resource);
    for (BoundaryEvent event : model.getModelElementsByType(BoundaryEvent.class)) {
      Bounds host = bounds(event.getAttachedTo());
      Bounds own = bounds(event);
      double cx = own.getX() + own.getWidth() / 2;
      double cy = own.getY() + own.getHeight() / 2;
      boolean onVerticalBorder = (near(cx, host.getX()) || near(cx, host.getX() + host.getWidth()))
          && cy >= host.getY() && cy <= host.getY() + host.getHeight();
      boolean onHorizontalBorder = (near(cy, host.getY()) || near(cy, host.getY() + host.getHeight()))
          && cx >= host.getX() && cx <= host.getX() + host.getWidth();
      assertThat(onVerticalBorder || onHorizontalBorder).as("%s centred on the border of its host", event.getId()).isTrue();
    }
    for (SubProcess sub : model.getModelElementsByType(SubProcess.class)) {
      Bounds outer = bounds(sub);
      for (FlowNode child : sub.getChildElementsByType(FlowNode.class)) {
        Bounds inner = bounds(child);
        assertThat(inner.getX() >= outer.getX() && inner.getY() >= outer.getY()
            && inner.getX() + inner.getWidth() <= outer.getX() + outer.getWidth()
            && inner.getY() + inner.getHeight() <= outer.getY() + outer.getHeight())
            .as("%s lies inside %s", child.getId(), sub.getId()).isTrue();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {PilotLifecycleTest.PILOT_BPMN, UnitLifecycleTest.UNIT_BPMN})
  void diagramPointsAtTheProcess_andEveryDiagramElementAtAnElement(String resource) {
    BpmnModelInstance model = read(resource);
    Process process = model.getModelElementsByType(Process.class).iterator().next();
    assertThat(model.getDefinitions().getBpmDiagrams()).hasSize(1);
    assertThat(model.getDefinitions().getBpmDiagrams().iterator().next().getBpmnPlane().getBpmnElement())
        .isEqualTo(process);
    for (BpmnShape shape : model.getModelElementsByType(BpmnShape.class)) {
      assertThat(shape.getBpmnElement()).as("element of %s", shape.getId()).isNotNull();
    }
    for (BpmnEdge edge : model.getModelElementsByType(BpmnEdge.class)) {
      assertThat(edge.getBpmnElement()).as("element of %s", edge.getId()).isNotNull();
    }
  }

  // ---------------------------------------------------------------------------------------------------

  static BpmnModelInstance read(String resource) {
    try (InputStream in = DiagramLayoutTest.class.getClassLoader().getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      return Bpmn.readModelFromStream(in);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Bounds bounds(BaseElement element) {
    BpmnShape shape = (BpmnShape) element.getDiagramElement();
    assertThat(shape).as("shape of %s", element.getId()).isNotNull();
    return shape.getBounds();
  }

  private static boolean attachedTo(FlowNode event, FlowNode host) {
    return event instanceof BoundaryEvent boundary && boundary.getAttachedTo() == host;
  }

  private static boolean contains(FlowNode outer, FlowNode inner) {
    if (!(outer instanceof SubProcess)) {
      return false;
    }
    for (ModelElementInstance parent = inner.getParentElement(); parent != null; parent = parent.getParentElement()) {
      if (parent == outer) {
        return true;
      }
    }
    return false;
  }

  private static boolean overlap(Bounds a, Bounds b) {
    return a.getX() < b.getX() + b.getWidth() && b.getX() < a.getX() + a.getWidth()
        && a.getY() < b.getY() + b.getHeight() && b.getY() < a.getY() + a.getHeight();
  }

  private static boolean touches(Bounds b, Waypoint p) {
    return p.getX() >= b.getX() - TOLERANCE && p.getX() <= b.getX() + b.getWidth() + TOLERANCE
        && p.getY() >= b.getY() - TOLERANCE && p.getY() <= b.getY() + b.getHeight() + TOLERANCE;
  }

  private static boolean near(double a, double b) {
    return Math.abs(a - b) <= TOLERANCE;
  }
}
