// The tickets list: paged by the server (/api/tickets, page and page_size), filtered by
// status, priority and assignee, searched (/api/tickets/search: whole words), "me and my
// queues" (/api/tickets/my); the filters live in the page's address, so going back from a
// ticket finds the same list. A ticket opens on its own page (ticket.html?id=). Ticket
// events on the stream reload the page shown; a dialog creates a ticket.
import { api } from './api.js';
import { liveStream, showLiveState } from './live.js';
import { $, el, pageAlert, startPage } from './shell.js';
import { drawList } from './tickets-view.js';
import {
  LIST_KEY, PRIORITY_LABEL, STATUS_LABEL, dataOf, isOverdue, loadUsers, userName, when,
} from './tickets-common.js';

const PAGE_SIZE = 25;
const FILTERS = ['q', 'status', 'priority', 'assignee', 'sort'];
const NEW_FIELDS = { subject: 'Subject', description: 'Description', priority: 'Priority',
  requester_name: 'The name', requester_email: 'The e-mail' };

let me = {};
let users = new Map();
const state = { page: 1, q: '', status: '', priority: '', assignee: '', sort: '' };
let reloadTimer = null;
let loadSeq = 0; // the last list asked for wins

function fromAddress() {
  const p = new URLSearchParams(location.search);
  for (const k of FILTERS) state[k] = p.get(k) || '';
  state.page = Math.max(1, parseInt(p.get('page') || '1', 10) || 1);
}

function toAddress() {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (state[k]) p.set(k, state[k]);
  if (state.page > 1) p.set('page', String(state.page));
  const qs = p.toString();
  history.replaceState(null, '', `tickets.html${qs ? `?${qs}` : ''}`);
  sessionStorage.setItem(LIST_KEY, `tickets.html${qs ? `?${qs}` : ''}`);
}

function request() {
  const p = new URLSearchParams({ page: String(state.page), page_size: String(PAGE_SIZE) });
  if (state.status) p.set('status', state.status);
  if (state.priority) p.set('priority', state.priority);
  if (state.sort) {
    p.set('sort', state.sort);
    p.set('order', state.sort === 'due_at' ? 'asc' : 'desc');
  }
  let path = '/tickets';
  if (state.q) {
    path = '/tickets/search';
    p.set('q', state.q);
  }
  // "Me and my queues" is a route of its own; a search narrows to mine instead.
  if (state.assignee === 'my' && !state.q) path = '/tickets/my';
  else if (state.assignee === 'me' || state.assignee === 'my') p.set('assigned_to', me.id);
  else if (state.assignee) p.set('assigned_to', state.assignee);
  return `${path}?${p}`;
}

function badge(text, className) {
  return el('span', { className: `badge ${className}`, text });
}

function row(t) {
  const subject = el('td', { className: 'cell-name', attrs: { 'data-label': 'Subject' } }, [
    el('a', { text: t.subject, attrs: { href: `ticket.html?id=${encodeURIComponent(t.id)}` } })]);
  if (isOverdue(t)) subject.append(' ', badge('Overdue', 'badge--danger'));
  const assignee = t.assigned_to ? userName(users, t.assigned_to) : t.queue_id ? 'Queue team' : '—';
  return el('tr', { attrs: { 'data-id': t.id } }, [
    el('td', { className: 'nowrap', text: `#${t.number}`, attrs: { 'data-label': '#' } }),
    subject,
    el('td', { attrs: { 'data-label': 'Status' } }, [badge(STATUS_LABEL[t.status] || t.status, `status--${t.status}`)]),
    el('td', { attrs: { 'data-label': 'Priority' } }, [badge(PRIORITY_LABEL[t.priority] || t.priority, `priority--${t.priority}`)]),
    el('td', { text: assignee, attrs: { 'data-label': 'Assignee' } }),
    el('td', { text: t.requester_name || t.requester_email || '', attrs: { 'data-label': 'Requester' } }),
    el('td', { text: when(t.updated_at, 'short'), attrs: { 'data-label': 'Updated' } }),
  ]);
}

async function load() {
  toAddress();
  const seq = ++loadSeq;
  try {
    const res = await api('GET', request());
    if (seq !== loadSeq) return undefined;
    const items = dataOf(res) || [];
    const meta = res.meta || {};
    const pages = Math.max(1, Number(meta.total_pages) || 1);
    if (!items.length && state.page > 1) { // the page emptied under us: a step back
      state.page = Math.min(state.page - 1, pages);
      return load();
    }
    const tbody = $('rows');
    tbody.replaceChildren(...items.map(row));
    if (!items.length) {
      const filtered = FILTERS.some((k) => k !== 'sort' && state[k]);
      tbody.append(el('tr', { className: 'table__placeholder' }, [el('td', {
        text: !filtered ? 'No tickets yet.' : state.q
          ? 'No ticket matches. The search finds whole words of three letters or more.'
          : 'No ticket matches these filters.',
        attrs: { colspan: '7' } })]));
    }
    const total = Number(meta.total_count ?? items.length);
    $('page-info').textContent = `Page ${state.page} of ${pages} · ${total} ticket${total === 1 ? '' : 's'}`;
    $('page-prev').disabled = state.page <= 1;
    $('page-next').disabled = state.page >= pages;
    pageAlert(null);
  } catch (err) {
    pageAlert(err);
  }
  return undefined;
}

function scheduleLoad() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(load, 300);
}

function readFilters() {
  for (const k of FILTERS) state[k] = $(`filter-${k}`).value.trim();
  state.page = 1;
}

function showFilters() {
  for (const k of FILTERS) {
    const input = $(`filter-${k}`);
    if (input.tagName === 'SELECT' && state[k] && ![...input.options].some((o) => o.value === state[k])) {
      input.append(el('option', { text: state[k], attrs: { value: state[k] } }));
    }
    input.value = state[k];
  }
}

/* ---------- a new ticket ---------- */

function newFieldErrors(fields) {
  let first = null;
  for (const [name, label] of Object.entries(NEW_FIELDS)) {
    const p = $(`new-${name}-error`);
    const msg = fields && fields[name];
    p.textContent = msg ? `${label} ${msg}` : '';
    p.hidden = !msg;
    $(`new-${name}`).setAttribute('aria-invalid', msg ? 'true' : 'false');
    if (msg && !first) first = $(`new-${name}`);
  }
  return first;
}

function newAlert(text) {
  $('new-alert').textContent = text || '';
  $('new-alert').hidden = !text;
}

function openNew() {
  $('new-form').reset();
  $('new-priority').value = 'normal';
  newFieldErrors(null);
  newAlert('');
  $('new-dialog').showModal();
  $('new-subject').focus();
}

async function createTicket(e) {
  e.preventDefault();
  const body = {};
  for (const name of Object.keys(NEW_FIELDS)) {
    const v = $(`new-${name}`).value.trim();
    if (v) body[name] = v;
  }
  if (!body.subject) {
    newFieldErrors({ subject: 'is required' }).focus();
    return;
  }
  try {
    const res = await api('POST', '/tickets', body);
    location.assign(`ticket.html?id=${encodeURIComponent(dataOf(res).id)}`);
  } catch (err) {
    if (err.redirected) return;
    const first = newFieldErrors(err.fields);
    newAlert(first ? 'Check the fields marked below.' : err.message);
    if (first) first.focus();
  }
}

/* ---------- wiring ---------- */

function wire() {
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    readFilters();
    load();
  });
  for (const k of ['status', 'priority', 'assignee', 'sort']) {
    $(`filter-${k}`).addEventListener('change', () => {
      readFilters();
      load();
    });
  }
  $('filter-clear').addEventListener('click', () => {
    for (const k of FILTERS) state[k] = '';
    state.page = 1;
    showFilters();
    load();
  });
  $('page-prev').addEventListener('click', () => { state.page -= 1; load(); });
  $('page-next').addEventListener('click', () => { state.page += 1; load(); });
  $('new-ticket').addEventListener('click', openNew);
  $('new-form').addEventListener('submit', createTicket);
  for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => b.closest('dialog').close());
}

async function main() {
  me = startPage('tickets.html', { live: true });
  if (!me) return;
  drawList();
  fromAddress();
  wire();
  showFilters();
  liveStream({
    onEvent: (ev) => { if (ev.type.startsWith('ticket.')) scheduleLoad(); },
    onState: showLiveState,
    onResume: scheduleLoad,
  });
  try {
    users = await loadUsers();
    const sel = $('filter-assignee');
    for (const u of users.values()) {
      if (u.id === me.id) continue;
      const existing = [...sel.options].find((o) => o.value === u.id);
      if (existing) existing.textContent = u.name;
      else sel.append(el('option', { text: u.name, attrs: { value: u.id } }));
    }
    showFilters();
  } catch (err) {
    pageAlert(err);
  }
  await load();
}

main();
