// Runs in headless Chromium (driven by ../check.mjs): Camunda Modeler's libraries for Camunda 7 - bpmn-js with
// the properties panel and bpmn-js-element-templates - and a viewer that renders a diagram and measures it.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import { ElementTemplatesPropertiesProviderModule } from 'bpmn-js-element-templates';
import CamundaPlatformBehaviors from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';

let modeler;
let viewer;
let templateProblems = [];

/** A Camunda 7 modeler as Camunda Modeler sets it up, with the given templates loaded (and validated). */
async function openModeler(xml, templates) {
  if (modeler) {
    modeler.destroy();
  }
  templateProblems = [];
  modeler = new BpmnModeler({
    container: '#canvas',
    propertiesPanel: { parent: '#panel' },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      ElementTemplatesPropertiesProviderModule,
      CamundaPlatformBehaviors
    ],
    moddleExtensions: { camunda: camundaModdle }
  });
  for (const kind of ['errors', 'warnings']) {
    modeler.get('eventBus').on('elementTemplates.' + kind, (event) => {
      for (const e of event[kind] || []) {
        templateProblems.push(kind + ': ' + (e.message || String(e)));
      }
    });
  }
  const { warnings } = await modeler.importXML(xml);
  // the loader validates the templates as the Modeler does (its errors and warnings are collected above)
  modeler.get('elementTemplatesLoader').setTemplates(templates);
  return { importWarnings: warnings.map((w) => w.message), templateProblems };
}

/** Applies a template the way the Modeler's template chooser does, then selects the element (opens the panel). */
function applyTemplate(elementId, templateId, version) {
  const elementTemplates = modeler.get('elementTemplates');
  const template = elementTemplates.get(templateId, version);
  if (!template) {
    throw new Error('template ' + templateId + ' v' + version + ' not loaded: ' + templateProblems.join('; '));
  }
  const element = modeler.get('elementRegistry').get(elementId);
  const applied = elementTemplates.applyTemplate(element, template);
  modeler.get('selection').select(applied);
  return applied.id;
}

/**
 * Whether the properties panel shows the element's template groups; selects the element again if not (a new
 * panel may mount after the first selection). Polled by the driver.
 */
function panelShows(elementId, groupSelector) {
  if (document.querySelector(groupSelector)) {
    return true;
  }
  const selection = modeler.get('selection');
  selection.select(null);
  selection.select(modeler.get('elementRegistry').get(elementId));
  return false;
}

/** What the model holds for a template property's binding now (null when nothing is stored). */
function boundValue(elementId, binding) {
  const bo = modeler.get('elementRegistry').get(elementId).businessObject;
  const extensions = (bo.extensionElements && bo.extensionElements.values) || [];
  switch (binding.type) {
    case 'property':
      return bo.get(binding.name) ?? null;
    case 'camunda:inputParameter': {
      const io = extensions.find((e) => e.$type === 'camunda:InputOutput');
      const parameter = io && (io.inputParameters || []).find((p) => p.name === binding.name);
      return parameter ? (parameter.value ?? null) : null;
    }
    case 'camunda:in': {
      const found = extensions.find((e) => e.$type === 'camunda:In' && e.target === binding.target);
      return found ? ((binding.expression ? found.sourceExpression : found.source) ?? null) : null;
    }
    case 'camunda:out': {
      const found = extensions.find((e) => e.$type === 'camunda:Out' && e.source === binding.source);
      return found ? (found.target ?? null) : null;
    }
    case 'camunda:outputParameter': {
      // the field holds the output's name (the variable set), its content is the binding's source expression
      const io = extensions.find((e) => e.$type === 'camunda:InputOutput');
      const parameter = io && (io.outputParameters || []).find((p) => p.value === binding.source);
      return parameter ? (parameter.name ?? null) : null;
    }
    default:
      throw new Error('binding type not handled by the check: ' + binding.type);
  }
}

async function saveXML() {
  // leave the field last typed in, as a person does before saving
  if (document.activeElement) {
    document.activeElement.blur();
  }
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

/**
 * Renders a diagram in bpmn-js (Cockpit and the Modeler draw with it) and returns what overlaps: two shapes, a
 * label and anything, or a boundary event and a marker (multi-instance, loop, ...) of its host.
 */
async function render(xml) {
  if (modeler) {
    modeler.destroy();
    modeler = null;
  }
  if (viewer) {
    viewer.destroy();
  }
  document.querySelector('#panel').innerHTML = '';
  viewer = new NavigatedViewer({ container: '#canvas', moddleExtensions: { camunda: camundaModdle } });
  const { warnings } = await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport', 'auto');
  const registry = viewer.get('elementRegistry');
  const root = viewer.get('canvas').getRootElement();
  const boxes = [];
  const markers = [];
  registry.forEach((element) => {
    if (element === root || element.waypoints || element.type === 'bpmn:Process'
        || element.type === 'bpmn:Collaboration') {
      return;
    }
    const gfx = registry.getGraphics(element);
    if (element.type === 'label') {
      // the text as drawn, not the label's DI bounds: what a reader sees
      const box = gfx.querySelector('.djs-visual').getBBox();
      if (box.width > 0 && box.height > 0) {
        boxes.push({ id: element.id, owner: element.labelTarget, x: element.x + box.x, y: element.y + box.y,
          width: box.width, height: box.height });
      }
      return;
    }
    boxes.push({ id: element.id, owner: element, x: element.x, y: element.y, width: element.width,
      height: element.height });
    gfx.querySelectorAll('.djs-visual [data-marker]').forEach((path) => {
      const box = path.getBBox();
      markers.push({ id: element.id + ' marker ' + path.getAttribute('data-marker'), host: element,
        x: element.x + box.x, y: element.y + box.y, width: box.width, height: box.height });
    });
  });

  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (related(a, b) || !intersect(a, b)) {
        continue;
      }
      overlaps.push(a.id + ' and ' + b.id);
    }
  }
  for (const marker of markers) {
    for (const attached of marker.host.attachers || []) {
      if (intersect(marker, attached)) {
        overlaps.push(marker.id + ' hidden under boundary event ' + attached.id);
      }
    }
  }
  return { importWarnings: warnings.map((w) => w.message), overlaps, shapes: boxes.length };
}

/** Allowed to overlap: an element inside its (sub)process or lane, a boundary event (not its label) on its host. */
function related(a, b) {
  if (a.owner === b.owner) {
    return false;
  }
  if (contains(a.owner, b.owner) || contains(b.owner, a.owner)) {
    return true;
  }
  const shapes = a.id === a.owner.id && b.id === b.owner.id;
  return shapes && (a.owner.host === b.owner || b.owner.host === a.owner);
}

function contains(outer, inner) {
  for (let e = inner.parent; e; e = e.parent) {
    if (e === outer) {
      return true;
    }
  }
  return false;
}

/** Overlap by more than a pixel each way: touching borders (a flow's label on a shape's edge) is not overlap. */
function intersect(a, b) {
  const dx = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const dy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return dx > 1 && dy > 1;
}

window.pilotflowCheck = { openModeler, applyTemplate, panelShows, boundValue, saveXML, render };
