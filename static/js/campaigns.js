// Campaigns page (/api/campaigns, coldcaller's dialect): the list paged on the server with
// its status and search filters; each campaign's calling window, the schedule it follows
// and whether that schedule is open now (/api/schedules/:id/status), and its progress (its
// leads still to call: status new or callback, counted by /api/leads); a form to create and
// edit one; Start, Pause and Stop set its status (active, paused, completed: the dialer
// calls only an active campaign's leads), and any refusal is shown as the API's message.
import { api } from './api.js';
import {
  WRITERS, alertBox, button, coldList, dialog, field, fieldErrors, markFields, pager,
  placeholderRow, query, showAlert, showPager, table,
} from './outbound-kit.js';
import { $, el, pageAlert, startPage } from './shell.js';

const LIMIT = 20;
const DAYS = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']];
const STATUSES = [['draft', 'Draft'], ['active', 'Active'], ['paused', 'Paused'], ['completed', 'Completed']];
const STATUS_LABEL = Object.fromEntries(STATUSES);
const ACTIONS = [
  { label: 'Start', status: 'active', done: 'started', shown: (s) => s !== 'active' },
  { label: 'Pause', status: 'paused', done: 'paused', shown: (s) => s === 'active' },
  { label: 'Stop', status: 'completed', done: 'stopped (completed)', shown: (s) => s !== 'completed' },
];
// API field -> [input id, label], for the errors the API names.
const FIELDS = {
  name: ['c-name', 'Name'], description: ['c-description', 'Description'], status: ['c-status', 'Status'],
  callingHoursStart: ['c-start', 'Calling from'], callingHoursEnd: ['c-end', 'Calling until'],
  callingDays: ['c-days', 'Calling days'], timeZone: ['c-zone', 'Time zone'],
  scheduleId: ['c-schedule', 'Schedule'], maxAttempts: ['c-attempts', 'Attempts per lead'],
  retryDelayMinutes: ['c-retry', 'Retry after (minutes)'], dispositions: ['c-dispositions', 'Dispositions'],
};

const state = { page: 1, items: new Map(), schedules: new Map(), editing: null, deleting: null, canWrite: false };

function notice(text) {
  $('page-notice').textContent = text || '';
  $('page-notice').hidden = !text;
}

function drawPage() {
  const head = el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: 'Campaigns' }),
      el('p', { className: 'muted', text: 'Dialing lists: when their leads may be called, how often, and how far along they are.' })]),
    button('New campaign', { id: 'new-campaign', className: 'btn--primary', attrs: { hidden: '' } }),
  ]);
  const filters = el('form', { className: 'filters', attrs: { id: 'campaign-filters', role: 'search', 'aria-label': 'Filter campaigns' } }, [
    field({ id: 'filter-search', label: 'Search', type: 'search', attrs: { placeholder: 'Name or description' } }),
    field({ id: 'filter-status', label: 'Status', type: 'select', options: [['', 'Any status'], ...STATUSES] }),
    el('button', { className: 'btn', text: 'Filter', attrs: { type: 'submit' } }),
  ]);
  $('main').replaceChildren(head, alertBox('page-alert'),
    el('div', { className: 'alert alert--success', attrs: { id: 'page-notice', role: 'status', hidden: '' } }),
    filters,
    table('rows', 'Campaigns', ['Name', 'Status', 'Calling window', 'Schedule', 'Attempts', 'Progress', '']),
    pager('campaigns', 'Pages of campaigns', (d) => { state.page += d; load(); }));
  drawForm();
  dialog('delete-dialog', 'Delete campaign', [el('p', {}, ['Delete ', el('strong', { attrs: { id: 'delete-name' } }),
    '? A campaign that still has leads is not deleted: move or delete them first.'])],
  [button('Cancel', { attrs: { 'data-close': '' } }), button('Delete', { id: 'delete-confirm', className: 'btn--danger' })]);
}

function drawForm() {
  const zones = el('datalist', { attrs: { id: 'zones' } });
  for (const z of (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : [])) zones.append(el('option', { attrs: { value: z } }));
  const days = el('fieldset', { className: 'days', attrs: { id: 'c-days', 'aria-describedby': 'c-days-error' } }, [
    el('legend', { text: 'Calling days' }),
    el('div', { className: 'days__list' }, DAYS.map(([v, label]) => el('label', {}, [
      el('input', { attrs: { type: 'checkbox', name: 'callingDays', value: v, id: `c-day-${v}` } }), label]))),
    el('p', { className: 'field__error', attrs: { id: 'c-days-error', hidden: '' } }),
  ]);
  const content = [
    alertBox('campaign-alert'),
    field({ id: 'c-name', label: 'Name', required: true, attrs: { maxlength: '255' } }),
    field({ id: 'c-description', label: 'Description', type: 'textarea', attrs: { rows: '2' } }),
    field({ id: 'c-status', label: 'Status', type: 'select', options: STATUSES, hint: 'Only an active campaign is dialled.' }),
    el('div', { className: 'form-grid' }, [
      field({ id: 'c-start', label: 'Calling from', type: 'time', hint: 'Local time in the zone below.' }),
      field({ id: 'c-end', label: 'Calling until', type: 'time' }),
    ]),
    days,
    field({ id: 'c-zone', label: 'Time zone', attrs: { list: 'zones', placeholder: "The tenant's zone", autocomplete: 'off' },
      hint: "An IANA name, e.g. Europe/Paris; a lead's own zone goes first." }),
    zones,
    field({ id: 'c-schedule', label: 'Schedule', type: 'select', options: [['', 'None: calling hours only']],
      hint: 'When set, a lead is called only while both the calling hours and this schedule are open.' }),
    el('div', { className: 'form-grid' }, [
      field({ id: 'c-attempts', label: 'Attempts per lead', type: 'number', attrs: { min: '1', max: '100' } }),
      field({ id: 'c-retry', label: 'Retry after (minutes)', type: 'number', attrs: { min: '0', max: '43200' } }),
    ]),
    field({ id: 'c-dispositions', label: 'Dispositions (JSON, optional)', type: 'textarea',
      attrs: { class: 'mono', spellcheck: 'false' },
      hint: 'Blank: the default set. Else a list of {"code", "label", "outcome", "callbackMinutes"?, "final"?}.' }),
  ];
  dialog('campaign-dialog', 'New campaign', content,
    [button('Cancel', { attrs: { 'data-close': '' } }), el('button', { className: 'btn btn--primary', text: 'Save', attrs: { id: 'campaign-save', type: 'submit' } })],
    { form: true });
}

function windowText(c) {
  const days = Array.isArray(c.callingDays) ? c.callingDays : [];
  const names = days.map((d) => (DAYS.find(([v]) => v === d) || [d, d])[1]).join(', ');
  return `${names || 'No days'} · ${c.callingHoursStart || '09:00'}–${c.callingHoursEnd || '21:00'}`;
}

function actionCell(c) {
  const cell = el('td', { className: 'col-actions' });
  if (!state.canWrite) return cell;
  const box = el('div', { className: 'row-buttons' });
  for (const a of ACTIONS.filter((x) => x.shown(c.status))) {
    const b = button(a.label, { className: 'btn--small', attrs: { 'data-action': a.status, 'aria-label': `${a.label} ${c.name}` } });
    b.addEventListener('click', () => setStatus(c, a));
    box.append(b);
  }
  const edit = button('Edit', { className: 'btn--small', attrs: { 'data-edit': '', 'aria-label': `Edit ${c.name}` } });
  const del = button('Delete', { className: 'btn--small btn--danger-ghost', attrs: { 'data-delete': '', 'aria-label': `Delete ${c.name}` } });
  edit.addEventListener('click', () => openForm(c));
  del.addEventListener('click', () => askDelete(c));
  box.append(edit, del);
  cell.append(box);
  return cell;
}

function row(c) {
  const sched = c.scheduleId ? state.schedules.get(c.scheduleId) : null;
  const name = el('td', {}, [el('strong', { text: c.name })]);
  if (c.description) name.append(el('div', { className: 'muted clamp', text: c.description }));
  const schedCell = el('td', {}, [el('div', { text: c.scheduleId ? (sched ? sched.name : c.scheduleId) : 'None' })]);
  if (c.scheduleId) {
    schedCell.append(el('span', { className: 'status', text: '…', attrs: { 'data-schedule-state': c.scheduleId } }),
      el('div', { className: 'muted', attrs: { 'data-schedule-next': c.scheduleId } }));
  }
  const zone = el('div', { className: 'muted', text: c.timeZone || "Tenant's time zone" });
  return el('tr', { attrs: { 'data-id': c.id } }, [
    name,
    el('td', {}, [el('span', { className: `status status--${c.status}`, text: STATUS_LABEL[c.status] || c.status, attrs: { 'data-status': c.status } })]),
    el('td', {}, [el('div', { text: windowText(c) }), zone]),
    schedCell,
    el('td', { text: `${c.maxAttempts} max · retry after ${c.retryDelayMinutes} min` }),
    el('td', { attrs: { 'data-progress': c.id } }, [el('span', { className: 'muted', text: c.leadCount ? 'Counting…' : 'No leads yet' })]),
    actionCell(c),
  ]);
}

async function leadCount(c, status) {
  const res = await api('GET', `/leads${query({ campaignId: c.id, status, limit: 1 })}`);
  return coldList(res).total;
}

// Leads still to call: new ones and callbacks; the others have been worked to an outcome.
async function fillProgress(c) {
  const cell = document.querySelector(`[data-progress="${c.id}"]`);
  if (!cell || !c.leadCount) return;
  try {
    const [fresh, callbacks] = await Promise.all([leadCount(c, 'new'), leadCount(c, 'callback')]);
    const toCall = Math.min(c.leadCount, fresh + callbacks);
    const done = c.leadCount - toCall;
    const bar = el('progress', { attrs: { max: String(c.leadCount), value: String(done), 'aria-label': `Progress of ${c.name}` } });
    cell.replaceChildren(el('div', { className: 'progress' }, [bar,
      el('span', { text: `${done} of ${c.leadCount} leads done · ${toCall} to call`, attrs: { 'data-done': String(done), 'data-to-call': String(toCall) } }),
      el('span', { className: 'muted', text: `${fresh} new, ${callbacks} callbacks` })]));
  } catch (err) {
    cell.replaceChildren(el('span', { className: 'muted', text: `${c.leadCount} leads (progress unavailable: ${err.message})` }));
  }
}

async function fillSchedule(id) {
  const spans = document.querySelectorAll(`[data-schedule-state="${id}"]`);
  try {
    const s = (await api('GET', `/schedules/${encodeURIComponent(id)}/status`)).data || {};
    let text = s.state === 'holiday' ? 'Holiday: closed' : s.open ? 'Open now' : 'Closed now';
    let cls = s.state || (s.open ? 'open' : 'closed');
    if (s.is_active === false) { text = 'Switched off: open'; cls = 'open'; }
    const next = s.next_change && s.is_active !== false ? `until ${new Date(s.next_change).toLocaleString()}` : '';
    for (const sp of spans) {
      sp.textContent = text;
      sp.className = `status status--${cls}`;
    }
    for (const n of document.querySelectorAll(`[data-schedule-next="${id}"]`)) n.textContent = next;
  } catch (err) {
    for (const sp of spans) sp.textContent = err.message;
  }
}

async function loadSchedules() {
  try {
    const res = await api('GET', '/schedules?page_size=100');
    const list = Array.isArray(res.data) ? res.data : [];
    state.schedules = new Map(list.map((s) => [s.id, s]));
    const sel = $('c-schedule');
    sel.replaceChildren(el('option', { text: 'None: calling hours only', attrs: { value: '' } }),
      ...list.map((s) => el('option', { text: `${s.name} (${s.timezone})${s.is_active ? '' : ' – switched off'}`, attrs: { value: s.id } })));
  } catch (err) {
    pageAlert(err);
  }
}

async function load() {
  const tbody = $('rows');
  try {
    const q = query({ page: state.page, limit: LIMIT, search: $('filter-search').value.trim(), status: $('filter-status').value });
    const list = coldList(await api('GET', `/campaigns${q}`));
    if (!list.items.length && state.page > 1) {
      state.page -= 1;
      return load();
    }
    state.items = new Map(list.items.map((c) => [c.id, c]));
    tbody.replaceChildren(...list.items.map(row));
    if (!list.items.length) tbody.append(placeholderRow($('filter-search').value || $('filter-status').value ? 'No campaign matches these filters.' : 'No campaigns yet.', 7));
    showPager('campaigns', list);
    pageAlert(null);
    list.items.forEach(fillProgress);
    new Set(list.items.map((c) => c.scheduleId).filter(Boolean)).forEach(fillSchedule);
  } catch (err) {
    tbody.replaceChildren(placeholderRow('The campaigns could not be loaded.', 7));
    pageAlert(err);
  }
  return undefined;
}

// Started while its schedule is closed: the dialer refuses its calls (409) until it opens.
async function closedNote(c) {
  if (!c.scheduleId) return '';
  try {
    const s = (await api('GET', `/schedules/${encodeURIComponent(c.scheduleId)}/status`)).data || {};
    if (s.open || s.is_active === false) return '';
    const until = s.next_change ? ` until ${new Date(s.next_change).toLocaleString()}` : '';
    return ` Its schedule is ${s.state === 'holiday' ? 'on a holiday' : 'closed'} now: its calls are refused${until}.`;
  } catch {
    return '';
  }
}

async function setStatus(c, a) {
  notice(null);
  let refused = null;
  try {
    await api('PUT', `/campaigns/${encodeURIComponent(c.id)}`, { status: a.status });
    notice(`${c.name} ${a.done}.${a.status === 'active' ? await closedNote(c) : ''}`);
  } catch (err) {
    refused = err;
  }
  await load();
  if (refused) pageAlert(refused); // after the reload, which clears the alert
}

function openForm(c) {
  state.editing = c;
  $('campaign-dialog-title').textContent = c ? `Edit ${c.name}` : 'New campaign';
  $('c-name').value = c ? c.name : '';
  $('c-description').value = c && c.description ? c.description : '';
  $('c-status').value = c ? c.status : 'draft';
  $('c-start').value = c ? c.callingHoursStart : '09:00';
  $('c-end').value = c ? c.callingHoursEnd : '21:00';
  const days = c ? c.callingDays || [] : ['mon', 'tue', 'wed', 'thu', 'fri'];
  for (const [v] of DAYS) $(`c-day-${v}`).checked = days.includes(v);
  $('c-zone').value = c && c.timeZone ? c.timeZone : '';
  const sel = $('c-schedule');
  if (c && c.scheduleId && ![...sel.options].some((o) => o.value === c.scheduleId)) sel.append(el('option', { text: c.scheduleId, attrs: { value: c.scheduleId } }));
  sel.value = c && c.scheduleId ? c.scheduleId : '';
  $('c-attempts').value = c ? c.maxAttempts : 3;
  $('c-retry').value = c ? c.retryDelayMinutes : 60;
  $('c-dispositions').value = c && c.dispositions ? JSON.stringify(c.dispositions, null, 2) : '';
  markFields(FIELDS, {});
  showAlert('campaign-alert', null);
  $('campaign-dialog').showModal();
  $('c-name').focus();
}

function readForm(bad) {
  const num = (id) => ($(id).value === '' ? undefined : Number($(id).value));
  const body = {
    name: $('c-name').value.trim(),
    description: $('c-description').value.trim() || null,
    status: $('c-status').value,
    callingHoursStart: $('c-start').value || undefined,
    callingHoursEnd: $('c-end').value || undefined,
    callingDays: DAYS.map(([v]) => v).filter((v) => $(`c-day-${v}`).checked),
    timeZone: $('c-zone').value.trim() || null,
    scheduleId: $('c-schedule').value || null,
    maxAttempts: num('c-attempts'),
    retryDelayMinutes: num('c-retry'),
    dispositions: null,
  };
  const disp = $('c-dispositions').value.trim();
  if (disp) {
    try { body.dispositions = JSON.parse(disp); } catch { bad.dispositions = 'must be valid JSON'; }
  }
  if (!body.name) bad.name = 'is required';
  if (!body.callingDays.length) bad.callingDays = 'pick at least one day';
  return body;
}

async function submit(e) {
  e.preventDefault();
  const bad = {};
  const body = readForm(bad);
  if (Object.keys(bad).length) {
    markFields(FIELDS, bad).focus();
    showAlert('campaign-alert', new Error('Check the fields marked below.'));
    return;
  }
  const c = state.editing;
  try {
    if (c) await api('PUT', `/campaigns/${encodeURIComponent(c.id)}`, body);
    else await api('POST', '/campaigns', body);
    $('campaign-dialog').close();
    notice(c ? `${body.name} saved.` : `${body.name} created.`);
    await load();
  } catch (err) {
    if (err.redirected) return;
    const first = markFields(FIELDS, fieldErrors(err));
    showAlert('campaign-alert', first ? new Error(`${err.message} – check the fields marked below.`) : err);
    if (first) first.focus();
  }
}

function askDelete(c) {
  state.deleting = c;
  $('delete-name').textContent = c.name;
  $('delete-dialog').showModal();
}

async function confirmDelete() {
  const c = state.deleting;
  $('delete-dialog').close();
  notice(null);
  let refused = null;
  try {
    await api('DELETE', `/campaigns/${encodeURIComponent(c.id)}`);
    notice(`${c.name} deleted.`);
  } catch (err) {
    refused = err;
  }
  await load();
  if (refused) pageAlert(refused);
}

const user = startPage('campaigns.html');
if (user) {
  state.canWrite = WRITERS.includes(user.role);
  drawPage();
  $('new-campaign').hidden = !state.canWrite;
  $('new-campaign').addEventListener('click', () => openForm(null));
  $('campaign-dialog-form').addEventListener('submit', submit);
  $('delete-confirm').addEventListener('click', confirmDelete);
  $('campaign-filters').addEventListener('submit', (e) => { e.preventDefault(); state.page = 1; load(); });
  $('filter-status').addEventListener('change', () => { state.page = 1; load(); });
  loadSchedules().then(load);
}
