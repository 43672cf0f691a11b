// Call logs: the call detail records (GET /api/cdr, one per call that ended, newest first)
// with every filter the list takes (days, direction, outcome, queue, agent, DID, caller and
// called numbers, tag, sort), paged through the API's keyset cursor (next_cursor → after;
// the cursors seen are kept, so Previous steps back) or, sorted otherwise, by page number;
// and the CSV export of the same filters (GET /api/cdr?format=csv: every matching record),
// fetched with the token and saved from a Blob. The filters live in the page's query string.
// Managers and admins see the tenant's records; the API shows an agent only the calls they
// took, so the agent filter is not offered to them. A record's call tags are not in the
// list's rows (their `tags` are the dialler's own), so the table has no tag column; the tag
// filter finds them.
import { api } from './api.js';
import { fetchBlob, saveBlob, sizeText } from './call-download.js';
import { $, el } from './shell.js';

const FILTERS = ['start', 'end', 'direction', 'disposition', 'queue_id', 'user_id', 'did_id', 'caller', 'called', 'tag', 'sort', 'order', 'page_size'];
const DISPOSITIONS = [
  ['answered', 'Answered'], ['no_answer', 'No answer'], ['busy', 'Busy'], ['failed', 'Failed'],
  ['congestion', 'Congestion'], ['canceled', 'Canceled'], ['abandoned', 'Abandoned'], ['timeout', 'Timed out'],
  ['overflow', 'Overflowed'], ['no_agent', 'No agent'],
];
const DISPOSITION_LABEL = Object.fromEntries(DISPOSITIONS);
const DEFAULTS = { order: 'desc', page_size: '20' };

// cursor: the default order pages by cursor (cursors[i] opens page i+1; null: the first);
// any other sort pages by number.
const state = { filters: {}, cursors: [null], index: 0, page: 1, total: null, pages: 1, hasNext: false };

function alertIn(err) {
  $('log-alert').textContent = err ? err.message || String(err) : '';
  $('log-alert').hidden = !err;
}

function secs(n) {
  const v = Math.max(0, Math.round(Number(n) || 0));
  return v >= 60 ? `${Math.floor(v / 60)}m ${String(v % 60).padStart(2, '0')}s` : `${v}s`;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: 'short', timeStyle: 'medium' }) : '';
}

function fillSelect(id, items) {
  const select = $(id);
  for (const [value, label] of items) select.append(el('option', { text: label, attrs: { value } }));
}

async function loadChoices(user) {
  fillSelect('f-disposition', DISPOSITIONS);
  const staff = user.role !== 'agent';
  $('field-user').hidden = !staff;
  $('field-did').hidden = !['super_admin', 'admin', 'manager'].includes(user.role);
  const quiet = (p) => p.catch(() => ({})); // a choice list the role may not read stays empty
  const [queues, people, dids, tags] = await Promise.all([
    quiet(api('GET', '/queues?limit=200')),
    staff ? quiet(api('GET', '/agent-state?limit=200')) : {},
    $('field-did').hidden ? {} : quiet(api('GET', '/dids?limit=200')),
    quiet(api('GET', '/tags')),
  ]);
  fillSelect('f-queue_id', (queues.data || queues.queues || []).map((q) => [q.id, q.name]));
  fillSelect('f-user_id', (people.agent_states || people.data || []).filter((a) => a.role !== 'super_admin')
    .map((a) => [a.user_id, [a.first_name, a.last_name].filter(Boolean).join(' ') || a.email]));
  fillSelect('f-did_id', (dids.dids || dids.data || []).map((d) => [d.id, d.friendly_name ? `${d.phone_number} (${d.friendly_name})` : d.phone_number]));
  $('tag-options').replaceChildren(...(tags.data || []).map((t) => el('option', { attrs: { value: t.tag } })));
}

function readForm() {
  const f = {};
  for (const k of FILTERS) {
    const v = $(`f-${k}`).value.trim();
    if (v !== '' && v !== DEFAULTS[k]) f[k] = v;
  }
  if (f.order && !f.sort) f.sort = 'start_time'; // the API orders by a sort it is given
  return f;
}

function writeForm(f) {
  for (const k of FILTERS) {
    const input = $(`f-${k}`);
    const v = f[k] ?? DEFAULTS[k] ?? '';
    // A value the lists do not hold (a queue since deleted…) is kept, not dropped.
    if (input.tagName === 'SELECT' && v && ![...input.options].some((o) => o.value === v)) {
      input.append(el('option', { text: v, attrs: { value: v } }));
    }
    input.value = v;
  }
}

function query(f, extra = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  return p.toString();
}

// The cursor follows the default order (newest first) only.
const byCursor = () => !state.filters.sort && !state.filters.order;
const pageSize = () => Number(state.filters.page_size || DEFAULTS.page_size);

function row(c) {
  const link = el('a', { text: when(c.start_time), attrs: { href: `call.html?id=${encodeURIComponent(c.id)}`, 'aria-label': `Call from ${c.caller_number} at ${when(c.start_time)}` } });
  return el('tr', { attrs: { 'data-id': c.id } }, [
    el('td', { className: 'nowrap' }, [link]), el('td', { text: c.caller_name ? `${c.caller_number} (${c.caller_name})` : c.caller_number }),
    el('td', { text: c.called_number }), el('td', { text: c.direction }), el('td', { text: c.queue_name || '' }),
    el('td', { text: c.agent_name || '' }), el('td', { text: DISPOSITION_LABEL[c.disposition] || c.disposition }),
    el('td', { text: secs(c.wait_time) }), el('td', { text: secs(c.billsec) }),
  ]);
}

async function load() {
  const table = $('log-table');
  table.setAttribute('aria-busy', 'true');
  try {
    const extra = byCursor() ? { after: state.cursors[state.index] } : { page: state.page };
    const res = await api('GET', `/cdr?${query(state.filters, extra)}`);
    const items = res.data || [];
    const meta = res.meta || {};
    if (byCursor()) {
      if (state.index === 0) state.total = meta.total_count ?? null;
      state.cursors[state.index + 1] = res.next_cursor || null;
      state.cursors.length = state.index + 2;
      state.hasNext = Boolean(res.next_cursor);
      state.pages = state.total === null ? null : Math.max(1, Math.ceil(state.total / pageSize()));
    } else {
      state.total = meta.total_count ?? null;
      state.pages = Math.max(1, Number(meta.total_pages) || 1);
      state.hasNext = state.page < state.pages;
    }
    const tbody = $('log-rows');
    tbody.replaceChildren(...items.map(row));
    if (!items.length) {
      tbody.append(el('tr', { className: 'table__placeholder' }, [el('td', { text: 'No call records match.', attrs: { colspan: '9' } })]));
    }
    const n = byCursor() ? state.index + 1 : state.page;
    $('log-info').textContent = state.pages ? `Page ${n} of ${state.pages}` : `Page ${n}`;
    $('log-summary').textContent = state.total === null ? '' : state.total === 1 ? '1 call record.' : `${state.total.toLocaleString()} call records.`;
    $('log-prev').disabled = $('log-first').disabled = n <= 1;
    $('log-next').disabled = !state.hasNext;
    alertIn(null);
  } catch (err) {
    if (!err.redirected) alertIn(err);
  } finally {
    table.removeAttribute('aria-busy');
  }
}

function apply(filters) {
  state.filters = filters;
  state.cursors = [null];
  state.index = 0;
  state.page = 1;
  const qs = query(filters);
  history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}#logs`);
  return load();
}

async function exportCsv() {
  const button = $('export-csv');
  const status = $('export-state');
  button.disabled = true;
  status.textContent = 'Preparing…';
  try {
    const blob = await fetchBlob(`/cdr?${query(state.filters, { format: 'csv', page_size: undefined })}`, {
      accept: 'text/csv',
      onProgress: (bytes) => { status.textContent = `Preparing… ${sizeText(bytes)}`; },
    });
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    saveBlob($('export-link'), blob, `calls-${stamp}.csv`);
    status.textContent = `Saved calls-${stamp}.csv (${sizeText(blob.size)}).`;
  } catch (err) {
    status.textContent = '';
    if (!err.redirected) alertIn(err);
  } finally {
    button.disabled = false;
  }
}

/** Starts the logs tab (once): its choices, the filters from the address, the first page. */
export async function startLogs(user) {
  $('log-filters').addEventListener('submit', (e) => { e.preventDefault(); apply(readForm()); });
  $('log-reset').addEventListener('click', () => { writeForm({}); apply({}); });
  $('export-csv').addEventListener('click', exportCsv);
  $('log-first').addEventListener('click', () => { state.index = 0; state.page = 1; load(); });
  $('log-prev').addEventListener('click', () => { if (byCursor()) state.index -= 1; else state.page -= 1; load(); });
  $('log-next').addEventListener('click', () => { if (byCursor()) state.index += 1; else state.page += 1; load(); });
  await loadChoices(user);
  const params = new URLSearchParams(location.search);
  const initial = {};
  for (const k of FILTERS) if (params.get(k)) initial[k] = params.get(k);
  writeForm(initial);
  await apply(readForm());
}
