// Calls page: the live calls (the transfer service's calls in progress from
// /api/calls/active, and the queues' callers waiting, offered or answered from
// /api/queues/:id/calls) kept current from the event stream, each with a Transfer action
// (transfer-dialog.js); and, on the second tab, the call records (call-logs.js).
import { api } from './api.js';
import { startLogs } from './call-logs.js';
import { liveStream, showLiveState } from './live.js';
import { $, el, pageAlert, startPage } from './shell.js';
import { initTransfer, openTransfer } from './calls-transfer.js';
import { drawCallsPage } from './calls-view.js';

const REFRESH_DEBOUNCE_MS = 150;
// Events that move a call: the transfer service's (call_started, call_status_update,
// transfer_*, call_ended…), the dialler's (call.initiated, call.connected, call.ended) and
// the distributor's (queue.joined, call.incoming, call.answered, call.hold, queue.left…).
const CALL_EVENTS = /^(call[._]|transfer_|queue\.(joined|left)$)/;
const MANAGERS = ['super_admin', 'admin', 'manager'];

const state = { rows: [], names: new Map(), refresh: null };
let user = null;

export function duration(seconds) {
  const n = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(n / 3600);
  const m = Math.floor((n % 3600) / 60);
  const s = String(n % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const since = (iso) => (iso ? (Date.now() - Date.parse(iso)) / 1000 : 0);

async function loadNames() {
  try {
    const res = await api('GET', '/agent-state?limit=200');
    for (const a of res.agent_states || res.data || []) {
      state.names.set(a.user_id, [a.first_name, a.last_name].filter(Boolean).join(' ') || a.email);
    }
  } catch {
    /* names are a nicety: ids are shown instead */
  }
}

const QC_STATUS = { waiting: 'Waiting', offered: 'Ringing an agent', answered: 'Answered' };

/** The live rows: one per call of the transfer service, one per queued call; a queued call
 *  that belongs to a call of the first list is shown on that call's row. */
async function fetchLive() {
  const [active, live] = await Promise.all([api('GET', '/calls/active'), api('GET', '/queues/live')]);
  const queues = (live.data || live.queue_stats || []).filter((q) => q.calls_waiting + q.calls_in_progress > 0);
  const lines = await Promise.all(queues.map((q) => api('GET', `/queues/${encodeURIComponent(q.queue_id)}/calls`)
    .then((r) => (r.data || r.queue_calls || []).map((c) => ({ ...c, queue_name: c.queue_name || q.queue_name })))));
  const rows = (active.active_calls || active.calls || []).map((c) => ({
    id: c.id, kind: 'call', call: c, qcall: null, caller: c.caller_number, called: c.called_number,
  }));
  const byCall = new Map(rows.map((r) => [r.id, r]));
  for (const qc of lines.flat()) {
    if (!QC_STATUS[qc.status]) continue;
    const row = qc.call_id && byCall.get(qc.call_id);
    if (row) row.qcall = qc;
    else rows.push({ id: qc.id, kind: 'queue', call: null, qcall: qc, caller: qc.caller_number, called: qc.called_number });
  }
  const started = (r) => Date.parse(r.call ? r.call.start_time : r.qcall.entered_at) || 0;
  rows.sort((a, b) => started(a) - started(b));
  return rows;
}

function rowFacts(r) {
  const c = r.call;
  const q = r.qcall;
  const where = [q ? `Queue ${q.queue_name}` : '', c && c.current_department ? c.current_department : ''].filter(Boolean).join(' · ');
  let status = c ? c.status.charAt(0).toUpperCase() + c.status.slice(1).replace(/_/g, ' ') : '';
  if (q) {
    const qs = q.on_hold ? 'On hold' : QC_STATUS[q.status];
    status = [status, q.status === 'waiting' && q.position ? `${qs} (#${q.position})` : qs].filter(Boolean).join(' · ');
  }
  const agent = (c && c.assigned_agent) || (q && q.agent_id ? state.names.get(q.agent_id) || q.agent_id : '');
  const from = q && q.answered_at ? q.answered_at : c ? c.start_time : q.entered_at;
  return { where, status, agent, from };
}

/** What the reader may do with this call: the targets the transfer routes accept. */
function transferKinds(r) {
  const kinds = [];
  if (r.call && MANAGERS.includes(user.role) && r.call.can_transfer !== false) kinds.push('department');
  const q = r.qcall;
  if (q && q.status === 'answered' && (user.role !== 'agent' || q.agent_id === user.id)) kinds.push('queue');
  return kinds;
}

function detailHref(r) {
  return `call.html?id=${encodeURIComponent(r.call ? r.call.id : r.qcall.id)}`;
}

function drawLive() {
  const tbody = $('live-rows');
  // A redraw keeps the keyboard where it was: the same button of the same call.
  const focused = document.activeElement && tbody.contains(document.activeElement) ? document.activeElement : null;
  const keep = focused && { id: focused.closest('tr').dataset.id, what: focused.hasAttribute('data-transfer') ? '[data-transfer]' : 'a' };
  tbody.replaceChildren();
  $('live-count').textContent = state.rows.length === 1 ? '1 call.' : `${state.rows.length} calls.`;
  if (!state.rows.length) {
    tbody.append(el('tr', { className: 'table__placeholder' }, [el('td', { text: 'No calls in progress.', attrs: { colspan: '7' } })]));
    return;
  }
  for (const r of state.rows) {
    const f = rowFacts(r);
    const actions = el('td', { className: 'col-actions nowrap' });
    const kinds = transferKinds(r);
    if (kinds.length) {
      const b = el('button', { className: 'btn btn--small', text: 'Transfer',
        attrs: { type: 'button', 'data-transfer': '', 'aria-label': `Transfer the call from ${r.caller}` } });
      b.addEventListener('click', () => openTransfer(r, kinds));
      actions.append(b, ' ');
    }
    actions.append(el('a', { className: 'btn btn--small btn--ghost', text: 'Details',
      attrs: { href: detailHref(r), 'aria-label': `Details of the call from ${r.caller}` } }));
    const time = el('td', { className: 'mono', text: duration(since(f.from)), attrs: { 'data-since': f.from || '' } });
    tbody.append(el('tr', { attrs: { 'data-id': r.id, 'data-kind': r.kind, 'data-call': r.call ? r.call.id : '', 'data-qcall': r.qcall ? r.qcall.id : '' } }, [
      el('td', { text: r.caller }), el('td', { text: r.called || '' }), el('td', { text: f.where }),
      el('td', { text: f.status, attrs: { 'data-status': '' } }), el('td', { text: f.agent }), time, actions,
    ]));
  }
  const again = keep && tbody.querySelector(`tr[data-id="${CSS.escape(keep.id)}"] ${keep.what}`);
  if (again) again.focus();
}

function tick() {
  for (const td of document.querySelectorAll('#live-rows td[data-since]')) {
    if (td.dataset.since) td.textContent = duration(since(td.dataset.since));
  }
}

async function refreshLive() {
  try {
    const rows = await fetchLive();
    if (rows.some((r) => r.qcall && r.qcall.agent_id && !state.names.has(r.qcall.agent_id))) await loadNames();
    state.rows = rows;
    drawLive();
    pageAlert(null);
  } catch (err) {
    pageAlert(err);
  }
}

function refreshSoon() {
  clearTimeout(state.refresh);
  state.refresh = setTimeout(refreshLive, REFRESH_DEBOUNCE_MS);
}

/* ---------- tabs ---------- */

let logsStarted = false;

function showTab(name, focus) {
  for (const t of ['live', 'logs']) {
    const on = t === name;
    $(`tab-${t}`).setAttribute('aria-selected', String(on));
    $(`tab-${t}`).tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
  }
  if (focus) $(`tab-${name}`).focus();
  if (name === 'logs' && !logsStarted) {
    logsStarted = true;
    startLogs(user);
  }
}

function initTabs() {
  for (const t of ['live', 'logs']) {
    $(`tab-${t}`).addEventListener('click', () => {
      showTab(t);
      history.replaceState(null, '', `${location.pathname}${location.search}${t === 'logs' ? '#logs' : ''}`);
    });
    $(`tab-${t}`).addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') showTab(t === 'live' ? 'logs' : 'live', true);
    });
  }
  showTab(location.hash === '#logs' ? 'logs' : 'live');
  window.addEventListener('hashchange', () => showTab(location.hash === '#logs' ? 'logs' : 'live'));
}

async function main() {
  user = startPage('calls.html', { live: true });
  if (!user) return;
  drawCallsPage();
  initTabs();
  initTransfer({ onDone: refreshSoon });
  await loadNames();
  await refreshLive();
  setInterval(tick, 1000);
  liveStream({
    onEvent: (ev) => { if (CALL_EVENTS.test(ev.type)) refreshSoon(); },
    onState: showLiveState,
    onResume: refreshSoon,
  });
}

main();
