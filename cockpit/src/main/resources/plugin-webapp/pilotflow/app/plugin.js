// PilotFlow's view in Camunda Cockpit (7.14+ plugin style, plain DOM, no build step): a "PilotFlow" page at
// #/pilotflow listing sessions, pilots and units from PilotFlow's tables, each linked to its process instance, and a
// summary on the dashboard. Data: <cockpitApi>/plugin/pilotflow/<engine>/{sessions,pilots,units,summary}.
// Every value from the database goes in as text (textContent), never as HTML: tails are what programs printed.

const PILOT_STATES = ['NEW', 'PENDING_LAUNCH', 'LAUNCHING', 'PENDING_ACTIVE', 'ACTIVE', 'CANCELING', 'DONE',
  'CANCELED', 'FAILED'];
const UNIT_STATES = ['NEW', 'UNSCHEDULED', 'SCHEDULING', 'PENDING_INPUT_STAGING', 'STAGING_INPUT',
  'PENDING_EXECUTION', 'ALLOCATING', 'EXECUTING', 'PENDING_OUTPUT_STAGING', 'STAGING_OUTPUT', 'DONE', 'CANCELED',
  'FAILED'];
const FINAL = ['DONE', 'CANCELED', 'FAILED']; // a unit's exit code means something only then
const PAGE = 50;
const SHOWN_TAIL = 240; // characters of a tail in the table; the whole (server-capped) tail is one click away

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'onclick' || k === 'onchange') e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function base(api) {
  return `${api.cockpitApi}/plugin/pilotflow/${encodeURIComponent(api.engine)}`;
}

async function get(api, path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  }
  const r = await fetch(`${base(api)}/${path}${q.toString() ? '?' + q : ''}`, {
    credentials: 'same-origin',
    headers: {Accept: 'application/json'}
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`${r.status}: ${body.message || r.statusText}`);
  return body;
}

function stateLabel(state) {
  const cls = state === 'FAILED' ? 'pf-failed' : state === 'DONE' ? 'pf-done'
    : state === 'CANCELED' ? 'pf-canceled' : 'pf-live';
  return el('span', {class: `pf-state ${cls}`, text: state});
}

/** The uid, linked to its process instance while that runs (Cockpit shows running instances only). */
function instanceLink(uid, row) {
  if (row.processInstanceId && row.instanceRunning) {
    return el('a', {href: `#/process-instance/${encodeURIComponent(row.processInstanceId)}/runtime`,
      title: `process instance ${row.processInstanceId}`, text: uid, 'data-pf-link': uid});
  }
  return el('span', {title: row.processInstanceId ? `process instance ${row.processInstanceId} has ended`
      : 'no process instance', text: uid},
  el('small', {class: 'text-muted', text: row.processInstanceId ? ' (ended)' : ''}));
}

function textCell(value) {
  if (!value) return el('td', {});
  if (value.length <= SHOWN_TAIL) return el('td', {}, el('pre', {class: 'pf-text', text: value}));
  return el('td', {}, el('details', {},
    el('summary', {}, el('pre', {class: 'pf-text', text: '...' + value.slice(-SHOWN_TAIL)})),
    el('pre', {class: 'pf-text', text: value})));
}

function select(id, label, values, onchange) {
  const s = el('select', {id, class: 'form-control input-sm', onchange});
  s.append(el('option', {value: '', text: `any ${label}`}));
  for (const v of values) s.append(el('option', {value: v.value ?? v, text: v.label ?? v}));
  return s;
}

function pager(page, onpage) {
  const last = Math.min(page.offset + page.items.length, page.total);
  return el('div', {class: 'pf-pager'},
    el('span', {text: page.total ? `${page.offset + 1}-${last} of ${page.total}` : 'none'}), ' ',
    el('button', {class: 'btn btn-default btn-xs', text: 'newer', disabled: page.offset > 0 ? null : 'disabled',
      onclick: () => onpage(Math.max(0, page.offset - page.limit))}), ' ',
    el('button', {class: 'btn btn-default btn-xs', text: 'older', disabled: last < page.total ? null : 'disabled',
      onclick: () => onpage(page.offset + page.limit)}));
}

function renderPage(node, api) {
  const state = {session: '', pilotState: '', unitState: '', pilot: '', pilotOffset: 0, unitOffset: 0};
  const error = el('div', {class: 'alert alert-danger', style: 'display:none', id: 'pilotflow-error'});
  const sessions = select('pilotflow-session', 'session', [], e => {
    state.session = e.target.value; state.pilotOffset = 0; state.unitOffset = 0; refresh();
  });
  const pilotStates = select('pilotflow-pilot-state', 'state', PILOT_STATES, e => {
    state.pilotState = e.target.value; state.pilotOffset = 0; refresh();
  });
  const unitStates = select('pilotflow-unit-state', 'state', UNIT_STATES, e => {
    state.unitState = e.target.value; state.unitOffset = 0; refresh();
  });
  const pilotFilter = el('input', {id: 'pilotflow-unit-pilot', class: 'form-control input-sm',
    placeholder: 'pilot uid', onchange: e => {
      state.pilot = e.target.value.trim(); state.unitOffset = 0; refresh();
    }});
  const pilots = el('div', {id: 'pilotflow-pilots'});
  const units = el('div', {id: 'pilotflow-units'});

  node.append(el('div', {class: 'pilotflow'},
    el('h1', {text: 'PilotFlow'}),
    el('p', {class: 'text-muted', text: 'Pilots and units of PilotFlow sessions, newest first. A uid links to its '
      + 'process instance while that runs.'}),
    error,
    el('div', {class: 'form-inline pf-filters'}, el('label', {text: 'Session '}), sessions, ' ',
      el('button', {class: 'btn btn-default btn-sm', id: 'pilotflow-refresh', text: 'Refresh',
        onclick: () => refresh()})),
    el('h2', {text: 'Pilots'}),
    el('div', {class: 'form-inline pf-filters'}, pilotStates),
    pilots,
    el('h2', {text: 'Units'}),
    el('div', {class: 'form-inline pf-filters'}, unitStates, ' ', pilotFilter),
    units));

  function table(headers, rows) {
    return el('table', {class: 'table table-striped table-condensed'},
      el('thead', {}, el('tr', {}, ...headers.map(h => el('th', {text: h})))),
      el('tbody', {}, ...rows));
  }

  async function loadSessions() {
    const list = await get(api, 'sessions', {limit: 100});
    const keep = state.session;
    sessions.replaceChildren(el('option', {value: '', text: 'all sessions'}),
      ...list.map(s => el('option', {value: s.id,
        text: `${s.id}${s.closed ? ' (closed)' : ''}: ${s.pilots} pilots, ${s.units} units`})));
    sessions.value = keep;
  }

  async function loadPilots() {
    const page = await get(api, 'pilots', {session: state.session, state: state.pilotState, limit: PAGE,
      offset: state.pilotOffset});
    pilots.replaceChildren(table(['Pilot', 'Session', 'Resource', 'State', 'Job', 'Reason'],
      page.items.map(p => el('tr', {'data-uid': p.uid, 'data-session': p.session},
        el('td', {}, instanceLink(p.uid, p)),
        el('td', {text: p.session}),
        el('td', {text: p.resource || ''}),
        el('td', {}, stateLabel(p.state)),
        el('td', {text: p.job || ''}),
        textCell(p.reason)))),
    pager(page, o => { state.pilotOffset = o; refresh(); }));
  }

  async function loadUnits() {
    const page = await get(api, 'units', {session: state.session, state: state.unitState, pilot: state.pilot,
      limit: PAGE, offset: state.unitOffset});
    units.replaceChildren(table(['Unit', 'Name', 'Pilot', 'State', 'Exit code', 'Failure reason', 'stdout (tail)',
      'stderr (tail)'],
    page.items.map(u => el('tr', {'data-uid': u.uid, 'data-session': u.session},
      el('td', {}, instanceLink(u.uid, u)),
      el('td', {text: u.name || ''}),
      el('td', {text: u.pilot || ''}),
      el('td', {}, stateLabel(u.state)),
      el('td', {text: FINAL.includes(u.state) && u.exitCode !== null && u.exitCode !== undefined
        ? String(u.exitCode) : ''}),
      textCell(u.reason),
      textCell(u.stdoutTail),
      textCell(u.stderrTail)))),
    pager(page, o => { state.unitOffset = o; refresh(); }));
  }

  async function refresh() {
    try {
      await Promise.all([loadSessions(), loadPilots(), loadUnits()]);
      error.style.display = 'none';
    } catch (e) {
      error.textContent = `PilotFlow: ${e.message}`;
      error.style.display = '';
    }
  }

  refresh();
}

function renderSummary(node, api) {
  const box = el('div', {class: 'pilotflow-summary', id: 'pilotflow-summary'}, 'loading PilotFlow ...');
  node.append(box);
  get(api, 'summary').then(s => {
    const line = counts => Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
    box.replaceChildren(el('h3', {}, el('a', {href: '#/pilotflow', text: 'PilotFlow'})),
      el('p', {text: `Pilots: ${line(s.pilots)}`}),
      el('p', {text: `Units: ${line(s.units)}`}));
  }).catch(e => box.replaceChildren(el('p', {class: 'text-danger', text: `PilotFlow: ${e.message}`})));
}

export default [
  {
    id: 'pilotflow.navigation',
    pluginPoint: 'cockpit.navigation',
    priority: 10,
    properties: {path: '/pilotflow', label: 'PilotFlow'},
    render: node => node.append(el('a', {href: '#/pilotflow', id: 'pilotflow-nav', text: 'PilotFlow'}))
  },
  {
    id: 'pilotflow.page',
    pluginPoint: 'cockpit.route',
    properties: {path: '/pilotflow', label: 'PilotFlow'},
    render: (node, {api}) => renderPage(node, api)
  },
  {
    id: 'pilotflow.dashboard',
    pluginPoint: 'cockpit.dashboard',
    priority: 0,
    render: (node, {api}) => renderSummary(node, api)
  }
];
