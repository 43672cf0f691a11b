// IVR flows page (issue 12): the tenant's flows (name, live version, versions, the numbers
// routed to each) with create and delete; `#flow=<id>` opens one in the editor: its nodes
// as a form (ivr-form.js) with the graph drawn beside it (ivr-graph.js), save (a new
// version: PUT /api/ivr/flows/:id {graph}; the API's 422 naming a node is shown on that
// node in the form and in the graph), the versions (live one marked; view an older one
// read-only, or start a new version from it) and activate. Reads: any staff role; writes:
// admin (docs/api.md "IVR flows").
import { api } from './api.js';
import { drawGraph, selectInGraph } from './ivr-graph.js';
import { NodeForm, variablesList } from './ivr-form.js';
import { errorTarget } from './ivr-model.js';
import { $, el, pageAlert, startPage } from './shell.js';

const WRITE_ROLES = ['super_admin', 'admin'];
const PAGE_SIZE = 25;
const enc = encodeURIComponent;

const state = {
  canWrite: false,
  page: 1,
  flows: new Map(),
  flow: null, // the flow open in the editor
  version: null, // the version shown (null: none saved yet)
  mode: 'edit', // 'edit': a new version from `version`; 'view': `version` read-only
  dirty: false,
  form: null,
  names: {},
  selected: null, // the index of the node being edited, marked in the graph
  deleting: null,
};

function button(text, className, attrs = {}) {
  return el('button', { className: `btn ${className}`, text, attrs: { type: 'button', ...attrs } });
}

function alertIn(id, err) {
  const box = $(id);
  if (!box || (err && err.redirected)) return;
  const text = err ? err.message || String(err) : '';
  box.textContent = text;
  box.hidden = !text;
}

function announce(text) {
  $('editor-note').textContent = text;
}

/* ---------- drawing ---------- */

function drawPage() {
  const head = el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: 'IVR flows' }),
      el('p', { className: 'muted', text: 'What callers hear and press before they reach a queue, an agent or a mailbox.' })]),
    button('New flow', 'btn--primary', { id: 'new-item', hidden: '' }),
  ]);
  const cols = ['Name', 'Status', 'Live version', 'Versions', 'Numbers'];
  const table = el('table', { className: 'table' }, [
    el('caption', { className: 'visually-hidden', text: 'IVR flows' }),
    el('thead', {}, [el('tr', {}, [...cols.map((c) => el('th', { text: c, attrs: { scope: 'col' } })),
      el('th', { className: 'col-actions', attrs: { scope: 'col' } }, [el('span', { className: 'visually-hidden', text: 'Actions' })])])]),
    el('tbody', { attrs: { id: 'rows' } }, [el('tr', { className: 'table__placeholder' }, [el('td', { text: 'Loading…', attrs: { colspan: '6' } })])]),
  ]);
  const pager = el('nav', { className: 'pager', attrs: { id: 'pager', 'aria-label': 'Pages of IVR flows', hidden: '' } }, [
    button('Previous', 'btn--small', { id: 'page-prev' }), el('span', { className: 'pager__info', attrs: { id: 'page-info' } }),
    button('Next', 'btn--small', { id: 'page-next' }),
  ]);
  const list = el('section', { attrs: { id: 'flow-list', 'aria-label': 'Flows' } }, [el('div', { className: 'table-wrap' }, [table]), pager]);

  const editor = el('section', { className: 'ivr-editor', attrs: { id: 'flow-editor', 'aria-labelledby': 'editor-title', hidden: '' } }, [
    el('div', { className: 'ivr-editor__head' }, [
      el('div', {}, [
        el('a', { text: '← All flows', attrs: { href: '#', id: 'back-to-list' } }),
        el('h2', { attrs: { id: 'editor-title' } }),
        el('p', { className: 'muted', attrs: { id: 'editor-status' } }),
      ]),
      el('div', { className: 'ivr-editor__actions' }, [
        button('Save as a new version', 'btn--primary', { id: 'flow-save' }),
      ]),
    ]),
    el('p', { className: 'visually-hidden', attrs: { id: 'editor-note', role: 'status', 'aria-live': 'polite' } }),
    el('div', { className: 'alert alert--error', attrs: { id: 'editor-alert', role: 'alert', hidden: '' } }),
    el('div', { className: 'alert alert--success', attrs: { id: 'editor-saved', hidden: '' } }),
    el('div', { className: 'ivr-editor__body' }, [
      el('form', { className: 'ivr-editor__form', attrs: { id: 'node-form', novalidate: '', 'aria-label': 'Nodes' } }),
      el('div', { className: 'ivr-editor__side' }, [
        el('section', { className: 'panel ivr-graph', attrs: { 'aria-labelledby': 'graph-title' } }, [
          el('h3', { text: 'Graph', attrs: { id: 'graph-title' } }),
          el('p', { className: 'muted small', text: 'A box per node, from the start down; choose a box to edit its node.' }),
          el('div', { className: 'ivr-graph__scroll' }, [document.createElementNS('http://www.w3.org/2000/svg', 'svg')]),
        ]),
        el('section', { className: 'panel', attrs: { 'aria-labelledby': 'versions-title' } }, [
          el('h3', { text: 'Versions', attrs: { id: 'versions-title' } }),
          el('ol', { className: 'versions', attrs: { id: 'version-list', reversed: '' } }),
        ]),
      ]),
    ]),
  ]);
  const svg = editor.querySelector('svg');
  svg.id = 'flow-graph';
  svg.setAttribute('role', 'group');
  svg.setAttribute('aria-labelledby', 'graph-title');

  $('main').classList.add('page--wide');
  $('main').replaceChildren(head, el('div', { className: 'alert alert--error', attrs: { id: 'page-alert', role: 'alert', hidden: '' } }), list, editor);

  const close = () => el('button', { className: 'btn btn--icon', text: '×', attrs: { type: 'button', 'data-close': '', 'aria-label': 'Close' } });
  const footer = (...b) => el('footer', { className: 'dialog__footer' }, b);
  const fld = (name, label, input) => el('div', { className: 'field' }, [el('label', { text: label, attrs: { for: `f-${name}` } }), input,
    el('p', { className: 'field__error', attrs: { id: `f-${name}-error`, hidden: '' } })]);
  const create = el('form', { className: 'dialog__body', attrs: { id: 'item-form', novalidate: '' } }, [
    el('header', { className: 'dialog__header' }, [el('h2', { text: 'New IVR flow', attrs: { id: 'item-dialog-title' } }), close()]),
    el('div', { className: 'alert alert--error', attrs: { id: 'item-form-alert', role: 'alert', hidden: '' } }),
    fld('name', 'Name', el('input', { attrs: { id: 'f-name', name: 'name', type: 'text', maxlength: '255', required: '', 'aria-describedby': 'f-name-error' } })),
    fld('description', 'Description', el('textarea', { attrs: { id: 'f-description', name: 'description', rows: '2', 'aria-describedby': 'f-description-error' } })),
    el('p', { className: 'muted', text: 'The flow opens in the editor, where you add its nodes; its first save is version 1.' }),
    footer(el('button', { className: 'btn', text: 'Cancel', attrs: { type: 'button', 'data-close': '' } }),
      el('button', { className: 'btn btn--primary', text: 'Create', attrs: { id: 'item-save', type: 'submit' } })),
  ]);
  const del = el('div', { className: 'dialog__body' }, [
    el('h2', { text: 'Delete IVR flow', attrs: { id: 'delete-title' } }),
    el('p', {}, ['Delete ', el('strong', { attrs: { id: 'delete-name' } }), '? Its versions go with it. A flow a number, a menu or another live flow routes to cannot be deleted.']),
    footer(el('button', { className: 'btn', text: 'Cancel', attrs: { type: 'button', 'data-close': '' } }),
      button('Delete', 'btn--danger', { id: 'delete-confirm' })),
  ]);
  const discard = el('div', { className: 'dialog__body' }, [
    el('h2', { text: 'Discard your changes?', attrs: { id: 'discard-title' } }),
    el('p', { text: 'The nodes you changed since the last save will be lost.' }),
    footer(button('Keep editing', '', { id: 'discard-cancel' }), button('Discard', 'btn--danger', { id: 'discard-confirm' })),
  ]);
  document.body.append(
    el('dialog', { className: 'dialog', attrs: { id: 'item-dialog', 'aria-labelledby': 'item-dialog-title' } }, [create]),
    el('dialog', { className: 'dialog', attrs: { id: 'delete-dialog', 'aria-labelledby': 'delete-title' } }, [del]),
    el('dialog', { className: 'dialog', attrs: { id: 'discard-dialog', 'aria-labelledby': 'discard-title' } }, [discard]),
  );
  for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => b.closest('dialog').close());
}

/* ---------- the list ---------- */

async function numbersByFlow() {
  const map = new Map();
  try {
    const res = await api('GET', '/ivr/routing-rules');
    for (const r of res.data || []) {
      const add = (id, text) => {
        if (!id) return;
        if (!map.has(id)) map.set(id, []);
        map.get(id).push(text);
      };
      if (r.route_type === 'ivr') add(r.route_target, r.number);
      if (r.after_hours_route_type === 'ivr') add(r.after_hours_route_target, `${r.number} (after hours)`);
    }
  } catch (err) {
    if (err.redirected) throw err;
    return null; // not available to this role: the column stays empty
  }
  return map;
}

async function loadList() {
  try {
    const [res, numbers] = await Promise.all([api('GET', `/ivr/flows?page=${state.page}&limit=${PAGE_SIZE}&sortBy=name`), numbersByFlow()]);
    const items = Array.isArray(res.data) ? res.data : [];
    const pages = Number((res.pagination || {}).pages || 1) || 1;
    if (!items.length && state.page > 1) {
      state.page -= 1;
      return loadList();
    }
    state.flows = new Map(items.map((f) => [f.id, f]));
    const tbody = $('rows');
    tbody.replaceChildren();
    if (!items.length) tbody.append(el('tr', { className: 'table__placeholder' }, [el('td', { text: 'No IVR flows yet.', attrs: { colspan: '6' } })]));
    for (const f of items) tbody.append(flowRow(f, numbers));
    $('pager').hidden = pages <= 1;
    $('page-info').textContent = `Page ${state.page} of ${pages}`;
    $('page-prev').disabled = state.page <= 1;
    $('page-next').disabled = state.page >= Math.max(1, pages);
    pageAlert(null);
  } catch (err) {
    pageAlert(err);
  }
  return undefined;
}

function flowRow(f, numbers) {
  const nums = numbers ? numbers.get(f.id) || [] : null;
  const name = el('td', {}, [el('a', { text: f.name, attrs: { href: `#flow=${enc(f.id)}` } })]);
  const cells = [
    name,
    el('td', { text: f.status }),
    el('td', { text: f.active_version ? `Version ${f.active_version}` : 'None' }),
    el('td', { text: f.versions ?? f.latest_version ?? 0 }),
    el('td', { text: nums === null ? '' : nums.join(', ') || '—' }),
  ];
  const actions = el('td', { className: 'col-actions' });
  const open = button(state.canWrite ? 'Edit' : 'View', 'btn--small', { 'data-edit': f.id, 'aria-label': `${state.canWrite ? 'Edit' : 'View'} ${f.name}` });
  open.addEventListener('click', () => { window.location.hash = `flow=${enc(f.id)}`; });
  actions.append(open);
  if (state.canWrite) {
    const del = button('Delete', 'btn--small btn--danger-ghost', { 'data-delete': f.id, 'aria-label': `Delete ${f.name}` });
    del.addEventListener('click', () => {
      state.deleting = f;
      $('delete-name').textContent = f.name;
      $('delete-dialog').showModal();
    });
    actions.append(' ', del);
  }
  return el('tr', { attrs: { 'data-id': f.id } }, [...cells, actions]);
}

async function createFlow(e) {
  e.preventDefault();
  const name = $('f-name').value.trim();
  const body = { name };
  const description = $('f-description').value.trim();
  if (description) body.description = description;
  const show = (fields, msg) => {
    for (const f of ['name', 'description']) {
      const m = fields[f];
      $(`f-${f}-error`).textContent = m ? String(m) : '';
      $(`f-${f}-error`).hidden = !m;
      $(`f-${f}`).setAttribute('aria-invalid', m ? 'true' : 'false');
    }
    alertIn('item-form-alert', msg ? { message: msg } : null);
  };
  if (!name) {
    show({ name: 'A name is required.' }, 'Check the fields marked below.');
    $('f-name').focus();
    return;
  }
  try {
    const res = await api('POST', '/ivr/flows', body);
    $('item-dialog').close();
    window.location.hash = `flow=${enc(res.data.id)}`;
  } catch (err) {
    if (err.redirected) return;
    const fields = err.fields || {};
    if (err.status === 409) fields.name = err.message;
    show(fields, Object.keys(fields).length ? 'Check the fields marked below.' : err.message);
    if (fields.name) $('f-name').focus();
  }
}

async function confirmDelete() {
  const f = state.deleting;
  $('delete-dialog').close();
  try {
    await api('DELETE', `/ivr/flows/${enc(f.id)}`);
  } catch (err) {
    pageAlert(err);
    return;
  }
  await loadList();
}

/* ---------- the editor ---------- */

const pairs = (list, label = (x) => x.name) => (Array.isArray(list) ? list : []).map((x) => [x.id, label(x)]);

async function lookups(flowId) {
  const get = (path) => api('GET', path).catch((err) => {
    if (err.redirected) throw err;
    return {};
  });
  const [queues, depts, agents, users, boxes, schedules, flows, content] = await Promise.all([
    get('/queues?page_size=200'), get('/departments?limit=500'), get('/agents?limit=200'), get('/users?limit=200'),
    get('/voicemail/boxes?page_size=200'), get('/schedules?page_size=200'), get('/ivr/flows?limit=200&sortBy=name'),
    get('/ivr/content?limit=200'),
  ]);
  const userName = (u) => [u.first_name, u.last_name].filter(Boolean).join(' ') || u.email;
  const userList = users.users || users.data || [];
  const out = {
    queue: pairs(queues.data),
    department: pairs(depts.departments || depts.data),
    agent: [...pairs(agents.agents || agents.data, (a) => `${a.name} (agent record)`),
      ...pairs(userList.filter((u) => u.role === 'agent'), (u) => `${userName(u)} (user)`)],
    voicemail: [...pairs(boxes.data, (b) => `${b.name} (box)`), ...pairs(userList, (u) => `${userName(u)}'s mailbox`)],
    schedule: pairs(schedules.data),
    flow: pairs((flows.data || []).filter((f) => f.id !== flowId)),
    content: pairs(content.data, (c) => `${c.name} (${c.type})`),
  };
  const names = {};
  for (const list of Object.values(out)) for (const [id, label] of list) names[id] = label;
  return { lookups: out, names };
}

function redrawGraph() {
  const f = state.form;
  drawGraph($('flow-graph'), f.graph, { errors: f.errorsByIndex(), names: state.names, onPick: (i) => f.focusNode(i) });
  selectInGraph($('flow-graph'), state.selected);
  const dl = variablesList(f.graph);
  const old = $('ivr-variables');
  if (old) old.replaceWith(dl);
  else $('node-form').append(dl);
}

function drawStatus() {
  const f = state.flow;
  const live = f.active_version ? `Live: version ${f.active_version}.` : 'No live version yet.';
  let what;
  if (state.mode === 'view') what = state.version ? `Showing version ${state.version}, read-only.` : 'No version saved yet.';
  else if (!state.canWrite) what = 'Read-only: only an admin changes flows.';
  else if (state.version) what = `Editing a new version from version ${state.version}.`;
  else what = 'A new flow: saving makes version 1.';
  $('editor-status').textContent = `${live} ${what}${state.dirty ? ' Unsaved changes.' : ''}`;
  $('flow-save').hidden = !state.canWrite || state.mode === 'view';
  drawVersions();
}

function drawVersions() {
  const f = state.flow;
  const list = $('version-list');
  list.replaceChildren();
  const latest = Number(f.latest_version || 0);
  if (!latest) list.append(el('li', { className: 'muted', text: 'None saved yet.' }));
  for (let v = latest; v >= 1; v -= 1) {
    const li = el('li', { className: 'versions__item', attrs: { 'data-version': String(v) } }, [el('span', { className: 'versions__name', text: `Version ${v}` })]);
    if (v === f.active_version) li.append(' ', el('span', { className: 'badge badge--live', text: 'Live' }));
    if (v === state.version) {
      li.setAttribute('aria-current', 'true');
      li.append(' ', el('span', { className: 'badge', text: state.mode === 'view' ? 'Shown' : 'Base of the edit' }));
    }
    const acts = el('span', { className: 'versions__actions' });
    const view = button('View', 'btn--small', { 'data-view': String(v), 'aria-label': `View version ${v}, read-only` });
    view.addEventListener('click', () => openVersion(v, 'view'));
    acts.append(view);
    if (state.canWrite) {
      const base = button('Edit from', 'btn--small', { 'data-base': String(v), 'aria-label': `Start a new version from version ${v}` });
      base.addEventListener('click', () => openVersion(v, 'edit'));
      acts.append(' ', base);
      if (v !== f.active_version) {
        const act = button('Activate', 'btn--small', { 'data-activate': String(v), 'aria-label': `Activate version ${v}` });
        act.addEventListener('click', () => activate(v));
        acts.append(' ', act);
      }
    }
    li.append(acts);
    list.append(li);
  }
}

function discardOk() {
  if (!state.dirty) return Promise.resolve(true);
  const dlg = $('discard-dialog');
  return new Promise((resolve) => {
    const done = (ok) => {
      $('discard-confirm').onclick = null;
      $('discard-cancel').onclick = null;
      dlg.onclose = null;
      if (dlg.open) dlg.close();
      resolve(ok);
    };
    $('discard-confirm').onclick = () => done(true);
    $('discard-cancel').onclick = () => done(false);
    dlg.onclose = () => done(false);
    dlg.showModal();
    $('discard-cancel').focus();
  });
}

async function openVersion(v, mode) {
  if (!(await discardOk())) return;
  try {
    const res = await api('GET', `/ivr/flows/${enc(state.flow.id)}?version=${v}`);
    showFlow(res.data, mode);
    announce(mode === 'view' ? `Showing version ${v}, read-only.` : `Editing a new version from version ${v}.`);
  } catch (err) {
    alertIn('editor-alert', err);
  }
}

function showFlow(flow, mode) {
  state.flow = flow;
  state.version = flow.version || null;
  state.mode = state.canWrite ? mode : 'view';
  state.dirty = false;
  state.selected = null;
  $('editor-title').textContent = flow.name;
  alertIn('editor-alert', null);
  $('editor-saved').hidden = true;
  state.form.load(flow.graph || { start: '', nodes: [] }, state.mode === 'view' || !state.canWrite);
  redrawGraph();
  drawStatus();
}

async function openEditor(id) {
  $('flow-list').hidden = true;
  $('new-item').hidden = true;
  $('flow-editor').hidden = false;
  $('editor-title').textContent = 'Loading…';
  $('editor-status').textContent = '';
  $('node-form').replaceChildren();
  $('version-list').replaceChildren();
  alertIn('editor-alert', null);
  $('editor-saved').hidden = true;
  try {
    const [res, lk] = await Promise.all([api('GET', `/ivr/flows/${enc(id)}`), lookups(id)]);
    state.names = lk.names;
    state.form = new NodeForm($('node-form'), {
      lookups: lk.lookups,
      onFocusNode: (i) => {
        state.selected = i;
        selectInGraph($('flow-graph'), i);
      },
      onChange: () => {
        state.dirty = true;
        $('editor-saved').hidden = true;
        redrawGraph();
        drawStatus();
      },
    });
    showFlow(res.data, 'edit');
    $('editor-title').setAttribute('tabindex', '-1');
    $('editor-title').focus();
  } catch (err) {
    $('editor-title').textContent = 'IVR flow';
    alertIn('editor-alert', err);
  }
}

function showList() {
  state.flow = null;
  state.dirty = false;
  $('flow-editor').hidden = true;
  $('flow-list').hidden = false;
  $('new-item').hidden = !state.canWrite;
  return loadList();
}

async function save() {
  const form = state.form;
  const graph = form.document();
  const btn = $('flow-save');
  btn.disabled = true;
  alertIn('editor-alert', null);
  $('editor-saved').hidden = true;
  try {
    const res = await api('PUT', `/ivr/flows/${enc(state.flow.id)}`, { graph });
    const f = res.data;
    showFlow(f, 'edit');
    const msg = `Saved as version ${f.latest_version}.${f.active_version === f.latest_version ? '' : ' Activate it to make it live.'}`;
    $('editor-saved').textContent = msg;
    $('editor-saved').hidden = false;
    announce(msg);
  } catch (err) {
    if (err.redirected) return;
    const byIndex = new Map();
    let start = '';
    const other = [];
    for (const [field, message] of Object.entries(err.status === 422 ? err.fields || {} : {})) {
      const t = errorTarget(field);
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      if (t && t.start) start = text;
      else if (t && graph.nodes[t.node] !== undefined) byIndex.set(t.node, { message: text, member: t.member });
      else other.push(`${field}: ${text}`);
    }
    form.setErrors(byIndex, start);
    redrawGraph();
    const named = [...byIndex.values()].map((e) => e.message);
    if (start) named.unshift(`Start node: ${start}`);
    alertIn('editor-alert', { message: `Not saved. ${[...named, ...other].join(' ') || err.message}` });
    const first = [...byIndex.keys()][0];
    if (first !== undefined) form.focusNode(first);
    else if (start) $('flow-start').focus();
  } finally {
    btn.disabled = false;
  }
}

async function activate(v) {
  alertIn('editor-alert', null);
  try {
    const res = await api('POST', `/ivr/flows/${enc(state.flow.id)}/activate`, { version: v });
    state.flow = { ...state.flow, ...res.data, graph: state.flow.graph, version: state.flow.version };
    drawStatus();
    announce(`Version ${v} is live.`);
    const b = document.querySelector(`#version-list [data-version="${v}"] [data-view]`);
    if (b) b.focus();
  } catch (err) {
    alertIn('editor-alert', err);
  }
}

/* ---------- routing ---------- */

const flowInHash = () => {
  const m = /^#flow=([^&]+)/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : null;
};

let shownHash = '';

async function route() {
  const id = flowInHash();
  if (state.flow && state.dirty && id !== state.flow.id) {
    if (!(await discardOk())) {
      history.replaceState(null, '', shownHash || window.location.pathname);
      return;
    }
    state.dirty = false;
  }
  shownHash = window.location.hash;
  if (id) await openEditor(id);
  else await showList();
}

const user = startPage('ivr.html');
if (user) {
  state.canWrite = WRITE_ROLES.includes(user.role);
  drawPage();
  $('new-item').hidden = !state.canWrite;
  $('new-item').addEventListener('click', () => {
    $('item-form').reset();
    for (const f of ['name', 'description']) {
      $(`f-${f}-error`).hidden = true;
      $(`f-${f}`).setAttribute('aria-invalid', 'false');
    }
    alertIn('item-form-alert', null);
    $('item-dialog').showModal();
    $('f-name').focus();
  });
  $('item-form').addEventListener('submit', createFlow);
  $('delete-confirm').addEventListener('click', confirmDelete);
  $('page-prev').addEventListener('click', () => { state.page -= 1; loadList(); });
  $('page-next').addEventListener('click', () => { state.page += 1; loadList(); });
  $('back-to-list').addEventListener('click', (e) => {
    e.preventDefault();
    window.location.hash = '';
  });
  $('flow-save').addEventListener('click', save);
  $('node-form').addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', route);
  window.addEventListener('beforeunload', (e) => {
    if (state.dirty) e.preventDefault();
  });
  route();
}
