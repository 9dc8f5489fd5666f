// The Modeler-side check of PilotFlow's shipped BPMN artifacts, with Camunda Modeler's own libraries:
//  1. every element-template file validates against @camunda/element-templates-json-schema;
//  2. bpmnlint (the repository's .bpmnlintrc) reports nothing (no error, no warning) on any shipped model;
//  3. in headless Chromium, bpmn-js-element-templates applies each template to a call activity, the fields typed
//     into the real properties panel: optional fields left empty, then each field filled, then all of them; the
//     saved XML goes to target/modeler-check/templates/ with what the called process should receive
//     (ElementTemplatesTest deploys and runs every one);
//  4. every shipped diagram renders in bpmn-js without overlapping shapes or labels; screenshots in
//     target/modeler-check/screenshots/.
// Any problem fails the run (exit code 1). Run by Maven (bpmn module, phase process-test-classes) or alone:
//   cd bpmn/src/test/js && npm ci && npm test
import { readFileSync, writeFileSync, mkdirSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import ajvErrors from 'ajv-errors';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
const { BpmnModdle } = require('bpmn-moddle');
const camundaModdle = require('camunda-bpmn-moddle/resources/camunda.json');

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULE = resolve(HERE, '../../..');
const ROOT = resolve(MODULE, '..');
const OUT = join(MODULE, 'target', 'modeler-check');
const TEMPLATE_DIR = join(MODULE, 'src/main/resources/element-templates');
const MODEL_DIRS = [join(MODULE, 'src/main/resources'), join(ROOT, 'examples/src/main/resources')];
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const problems = [];
const started = Date.now();

function files(dir, suffix) {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(dir, f));
}

const templateFiles = files(TEMPLATE_DIR, '.json');
const modelFiles = MODEL_DIRS.flatMap((d) => files(d, '.bpmn'));
if (templateFiles.length === 0 || modelFiles.length === 0) {
  problems.push(`nothing to check: ${templateFiles.length} template files in ${TEMPLATE_DIR}, `
    + `${modelFiles.length} models in ${MODEL_DIRS.join(', ')}`);
}

// --- 1. the templates against the JSON schema ------------------------------------------------------------
const schema = require('@camunda/element-templates-json-schema/resources/schema.json');
const ajv = new Ajv({ allErrors: true, strict: false });
ajvErrors(ajv);
const validate = ajv.compile(schema);
const templates = [];
for (const file of templateFiles) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  for (const template of Array.isArray(json) ? json : [json]) {
    if (!validate(template)) {
      for (const e of validate.errors) {
        problems.push(`${relative(ROOT, file)}: template ${template.id} v${template.version}: `
          + `${e.instancePath || '/'} ${e.message}`);
      }
    }
    templates.push(template);
  }
}
console.log(`schema: ${templates.length} templates in ${templateFiles.length} files checked against `
  + `@camunda/element-templates-json-schema ${require('@camunda/element-templates-json-schema/package.json').version}`);

// --- 2. bpmnlint with the repository's .bpmnlintrc ---------------------------------------------------------
const lintConfig = JSON.parse(readFileSync(join(ROOT, '.bpmnlintrc'), 'utf8'));
const linter = new Linter({ config: lintConfig, resolver: new NodeResolver() });
const moddle = new BpmnModdle({ camunda: camundaModdle });
for (const file of modelFiles) {
  const { rootElement, warnings } = await moddle.fromXML(readFileSync(file, 'utf8'));
  for (const w of warnings) {
    problems.push(`${relative(ROOT, file)}: does not parse cleanly: ${w.message}`);
  }
  const reports = await linter.lint(rootElement);
  for (const [rule, list] of Object.entries(reports)) {
    for (const r of list) {
      // warnings fail the check too (bpmnlint's own exit code ignores them): the shipped models pass every rule
      problems.push(`${relative(ROOT, file)}: bpmnlint ${r.category} ${rule} on ${r.id}: ${r.message}`);
    }
  }
}
console.log(`bpmnlint: ${modelFiles.length} models, config ${JSON.stringify(lintConfig)}`);

// --- 3. and 4. in headless Chromium -----------------------------------------------------------------------
rmSync(join(OUT, 'templates'), { recursive: true, force: true });
rmSync(join(OUT, 'screenshots'), { recursive: true, force: true });
mkdirSync(join(OUT, 'templates'), { recursive: true });
mkdirSync(join(OUT, 'screenshots'), { recursive: true });
mkdirSync(join(OUT, 'page'), { recursive: true });
const css = ['bpmn-js/dist/assets/diagram-js.css', 'bpmn-js/dist/assets/bpmn-js.css',
  'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css', '@bpmn-io/properties-panel/dist/assets/properties-panel.css',
  'bpmn-js-element-templates/dist/assets/element-templates.css']
  .map((f) => `<link rel="stylesheet" href="${pathToFileURL(require.resolve(f))}">`).join('\n');
writeFileSync(join(OUT, 'page', 'index.html'), `<!DOCTYPE html>
<html><head><meta charset="utf-8">${css}
<style>body{margin:0;display:flex;font-family:sans-serif}#canvas{width:1200px;height:100vh}#panel{width:400px;height:100vh;overflow:auto}</style>
</head><body><div id="canvas"></div><div id="panel"></div><script src="modeler-page.js"></script></body></html>`);

const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox' /* root in CI */, '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run',
    '--disable-extensions', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--force-device-scale-factor=1', '--hide-scrollbars']
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000 });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') {
      problems.push(`browser console: ${m.text()}`);
    }
  });
  await page.goto(pathToFileURL(join(OUT, 'page', 'index.html')).href);
  await page.waitForFunction(() => window.pilotflowCheck !== undefined, { timeout: 30000 });

  let saved = 0;
  for (const template of templates) {
    saved += await applyEveryWay(page, template);
  }
  console.log(`templates: ${saved} call activities applied with bpmn-js-element-templates and saved to `
    + `${relative(ROOT, join(OUT, 'templates'))}`);

  for (const file of modelFiles) {
    const result = await page.evaluate((xml) => window.pilotflowCheck.render(xml), readFileSync(file, 'utf8'));
    for (const w of result.importWarnings) {
      problems.push(`${relative(ROOT, file)}: bpmn-js import warning: ${w}`);
    }
    for (const o of result.overlaps) {
      problems.push(`${relative(ROOT, file)}: overlap in bpmn-js: ${o}`);
    }
    const png = join(OUT, 'screenshots', file.replace(/^.*\//, '').replace(/\.bpmn$/, '.png'));
    await (await page.$('#canvas')).screenshot({ path: png });
    console.log(`render: ${relative(ROOT, file)}: ${result.shapes} shapes and labels, `
      + `${result.overlaps.length} overlaps, ${relative(ROOT, png)}`);
  }
} catch (e) {
  // what the page looked like when the check gave up, for the person reading the failure
  const png = join(OUT, 'screenshots', 'aborted.png');
  const pages = await browser.pages();
  await pages[pages.length - 1].screenshot({ path: png, fullPage: true }).catch(() => {});
  problems.push(`browser check aborted (page at ${relative(ROOT, png)}): ${e.stack}`);
} finally {
  await browser.close();
}

if (problems.length > 0) {
  console.error(`\nmodeler check FAILED (${problems.length} problems):`);
  problems.forEach((p) => console.error('  ' + p));
  process.exit(1);
}
console.log(`modeler check passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------------------------------------------------

/**
 * The variants of one template: optional fields empty (required ones at their default or filled), each field
 * filled alone, all filled. Fields are set in the properties panel, as a person does: keyboard for text, the select for dropdowns.
 */
async function applyEveryWay(page, template) {
  const fields = editableFields(template);
  const elementType = (template.elementType && template.elementType.value) || template.appliesTo[0];
  const variants = [['optional-empty', [], elementType]];
  for (const f of fields) {
    variants.push([`filled-${f.key}`, [f], elementType]);
  }
  variants.push(['all-filled', fields, elementType]);
  // chosen on another element it applies to (a plain task): the Modeler replaces it by the template's element type
  for (const other of template.appliesTo.filter((t) => t !== elementType)) {
    variants.push([`on-${other.replace(/^bpmn:/, '')}-optional-empty`, [], other]);
  }
  for (const [variant, filled, startingAs] of variants) {
    const name = `${template.id}-v${template.version}-${variant}`;
    const base = baseDiagram(name.replace(/[^A-Za-z0-9]/g, '_'), startingAs);
    const opened = await page.evaluate((xml, t) => window.pilotflowCheck.openModeler(xml, t), base, templates);
    opened.importWarnings.concat(opened.templateProblems).forEach((w) => problems.push(`${name}: ${w}`));
    const elementId = await page.evaluate((id, v) => window.pilotflowCheck.applyTemplate('work', id, v),
      template.id, template.version);
    if (fields.length > 0) {
      await page.waitForFunction((id, group) => window.pilotflowCheck.panelShows(id, group), { timeout: 30000,
        polling: 200 }, elementId, `[data-group-id="group-${fields[0].group}"]`);
    }
    const expected = { templateId: template.id, templateVersion: template.version, variant, inputs: {}, outputs: {} };
    // type what differs from what the template put there, then wait for the panel's debounced writes
    const wanted = fields.map((f) => (filled.includes(f) ? f.sample : f.untouched));
    const bindings = fields.map((f) => f.property.binding);
    const held = () => page.evaluate((id, bs) => bs.map((b) => window.pilotflowCheck.boundValue(id, b) ?? ''),
      elementId, bindings);
    const before = await held();
    for (let i = 0; i < fields.length; i++) {
      if (before[i] !== wanted[i]) {
        await setField(page, fields[i], wanted[i]);
      }
    }
    const settled = () => page.waitForFunction((id, bs, want) => bs.every((b, i) =>
      (window.pilotflowCheck.boundValue(id, b) ?? '') === want[i]), { timeout: 30000 }, elementId, bindings, wanted)
      .then(() => true, () => false);
    if (!(await settled())) {
      // a keystroke sent while the panel re-rendered is lost on a loaded machine (seen once at load 9: a cleared
      // default came back): type the fields that differ once more; a value the Modeler really refuses stays wrong
      const now = await held();
      for (let i = 0; i < fields.length; i++) {
        if (now[i] !== wanted[i]) {
          await setField(page, fields[i], wanted[i]);
        }
      }
      if (!(await settled())) {
        const after = await held();
        fields.forEach((f, i) => after[i] === wanted[i] || problems.push(`${name}: field "${f.property.label}" `
          + `typed as ${JSON.stringify(wanted[i])}, the model holds ${JSON.stringify(after[i])}`));
      }
    }
    for (const [i, f] of fields.entries()) {
      const value = wanted[i];
      const binding = f.property.binding;
      if (binding.type === 'camunda:inputParameter' || binding.type === 'camunda:in') {
        expected.inputs[binding.name || binding.target] = value === '' ? null : value;
      } else if (binding.type === 'camunda:out') {
        expected.outputs[binding.source] = value;
      } else if (binding.type === 'camunda:outputParameter') {
        expected.outputs[binding.source.replace(/^\$\{(.*)\}$/, '$1')] = value;
      } else {
        problems.push(`${name}: field "${f.property.label}": binding ${binding.type} has no expectation in the check`);
      }
    }
    writeFileSync(join(OUT, 'templates', `${name}.bpmn`),
      await page.evaluate(() => window.pilotflowCheck.saveXML()));
    writeFileSync(join(OUT, 'templates', `${name}.expected.json`), JSON.stringify(expected, null, 2) + '\n');
  }
  return variants.length;
}

/** The template's fields a modeler edits, with the DOM id the properties panel gives each and a sample value. */
function editableFields(template) {
  const groupIds = (template.groups || []).map((g) => g.id);
  const indexInGroup = {};
  const fields = [];
  for (const property of template.properties) {
    const group = groupIds.includes(property.group) ? property.group : null;
    const key = group || '';
    const index = indexInGroup[key] = (indexInGroup[key] ?? -1) + 1;
    if (property.type === 'Hidden') {
      continue;
    }
    // the entry id scheme of bpmn-js-element-templates' Camunda 7 CustomProperties
    const entryId = group ? `custom-entry-${template.id}-${group}-${index}` : `custom-entry-${template.id}-${index}`;
    const b = property.binding;
    fields.push({
      property,
      key: (b.name || b.target || b.source).replace(/^\$\{(.*)\}$/, '$1'),
      group: group ? `ElementTemplates__CustomProperties-${group}` : 'ElementTemplates__CustomProperties',
      inputId: `bio-properties-panel-${entryId}`,
      sample: sample(property),
      // a field not under test: a required one keeps its default (or gets the sample), an optional one is
      // cleared; a dropdown cannot be empty
      untouched: property.type === 'Dropdown' || (property.constraints && property.constraints.notEmpty)
        ? (property.value ?? sample(property)) : ''
    });
  }
  return fields;
}

/** A value a modeler could type: what the unit process accepts, unlike the template's default. */
function sample(property) {
  const known = {
    executable: '/bin/echo', arguments: '["-n","hi"]', environment: '{"OMP_NUM_THREADS":"4"}', name: 'greeting',
    cores: '2', gpus: '1', pilot: 'pilot.0007', timeoutSeconds: '60', resource: 'local.localhost',
    runtime: 'PT45M', memoryMb: '512', files: '["/data/in.dat > pilot:///in/"]'
  };
  const b = property.binding;
  if (property.type === 'Dropdown') {
    return property.choices.map((c) => c.value).find((v) => v !== property.value) ?? property.value;
  }
  if (b.type === 'camunda:out') {
    return 'my' + b.source.charAt(0).toUpperCase() + b.source.slice(1);
  }
  if (b.type === 'camunda:outputParameter') {
    return b.source === '${pilotflowStagedFiles}' ? 'myFiles' : 'myPilot';
  }
  if (known[b.name] !== undefined) {
    return known[b.name];
  }
  const pattern = property.constraints && property.constraints.pattern;
  return pattern ? '3' : `sample ${b.name}`;
}

async function setField(page, field, value) {
  const header = `[data-group-id="group-${field.group}"] .bio-properties-panel-group-header`;
  const selector = `[id="${field.inputId}"]`;
  await page.waitForSelector(header, { timeout: 30000 });
  const present = await page.$(selector);
  if (!present || !(await present.isVisible())) {
    await page.$eval(header, (h) => h.click()); // a closed group
  }
  const input = await page.waitForSelector(selector, { visible: true, timeout: 30000 });
  if (field.property.type === 'Dropdown') {
    await input.select(value === '' ? field.property.value : value);
    return;
  }
  await input.click({ clickCount: 3 });
  await page.keyboard.down('Control');
  await page.keyboard.press('KeyA');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  if (value !== '') {
    await input.type(value);
  }
}

function baseDiagram(processId, elementType) {
  const tag = elementType.replace(/^bpmn:/, '');
  const tagName = tag.charAt(0).toLowerCase() + tag.slice(1);
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="Definitions_${processId}" targetNamespace="http://pilotflow.org/modeler-check">
  <bpmn:process id="${processId}" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start"><bpmn:outgoing>toWork</bpmn:outgoing></bpmn:startEvent>
    <bpmn:${tagName} id="work" name="Work"><bpmn:incoming>toWork</bpmn:incoming><bpmn:outgoing>toEnd</bpmn:outgoing></bpmn:${tagName}>
    <bpmn:endEvent id="end"><bpmn:incoming>toEnd</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="toWork" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="toEnd" sourceRef="work" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_${processId}">
    <bpmndi:BPMNPlane id="Plane_${processId}" bpmnElement="${processId}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="work_di" bpmnElement="work"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="392" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="toWork_di" bpmnElement="toWork"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="toEnd_di" bpmnElement="toEnd"><di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
}
