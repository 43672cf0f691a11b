// Wallboard: the tenant's queues, service figures, agents and live calls. Loaded once,
// then kept current from the event stream (/api/events over SSE, a single-use ticket per
// connection): a queue, call or agent event refetches the live figures (debounced); a
// dropped stream shows "Reconnecting…" and resumes after the last event it saw.
import { api } from './api.js';
import { liveStream, showLiveState } from './live.js';
import { $, el, pageAlert, startPage } from './shell.js';

const REFRESH_DEBOUNCE_MS = 150;
const KPI_EVERY_MS = 30000;
const LIVE_TYPES = /^(queue|call|agent|offer)\./;

let chart = null;
let refreshTimer = null;

function text(el, value) {
  el.textContent = value === undefined || value === null || value === '' ? '–' : String(value);
}

function seconds(s) {
  const n = Math.max(0, Math.round(Number(s) || 0));
  const m = Math.floor(n / 60);
  return m ? `${m}m ${String(n % 60).padStart(2, '0')}s` : `${n}s`;
}

function percent(x) {
  return `${Math.round((Number(x) || 0) * 1000) / 10}%`;
}

const showError = pageAlert;

function rows(tbody, items, cells, empty) {
  tbody.replaceChildren();
  if (!items.length) {
    const tr = tbody.insertRow();
    tr.className = 'table__placeholder';
    const td = tr.insertCell();
    td.colSpan = tbody.closest('table').tHead.rows[0].cells.length;
    td.textContent = empty;
    return;
  }
  for (const item of items) {
    const tr = tbody.insertRow();
    if (item.id) tr.dataset.id = item.id;
    for (const value of cells(item)) text(tr.insertCell(), value);
  }
}

async function loadLive() {
  const res = await api('GET', '/queues/live');
  const t = res.tenant || {};
  text($('t-waiting'), t.calls_waiting);
  text($('t-longest'), seconds(t.longest_wait_time));
  text($('t-available'), t.available_agents);
  text($('t-talking'), t.talking_agents);
  text($('t-wrapup'), t.wrapup_agents);
  text($('t-paused'), t.paused_agents);
  const queues = res.queue_stats || res.data || [];
  rows($('queue-rows'), queues.map((q) => ({ ...q, id: q.queue_id })), (q) => [
    q.queue_name, q.calls_waiting, seconds(q.longest_wait_time), q.calls_in_progress,
    q.available_agents, q.wrapup_agents, q.paused_agents, q.completed_calls, q.abandoned_calls,
  ], 'No queues yet.');
  $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

const STATES = [['available', 'Available'], ['away', 'Away'], ['break', 'Break'], ['offline', 'Offline']];

// A supervisor sets an agent's state (PUT /api/agent-state/:userId); the row follows from
// the event the change emits.
function stateControl(a) {
  const name = [a.first_name, a.last_name].filter(Boolean).join(' ') || a.email;
  const select = el('select', { attrs: { 'aria-label': `New state for ${name}`, 'data-agent': a.user_id } });
  select.append(el('option', { text: 'Set…', attrs: { value: '' } }));
  for (const [value, label] of STATES) select.append(el('option', { text: label, attrs: { value } }));
  select.addEventListener('change', () => {
    if (!select.value) return;
    api('PUT', `/agent-state/${encodeURIComponent(a.user_id)}`, { state: select.value })
      .then(refreshSoon, showError);
  });
  return select;
}

async function loadAgents() {
  const res = await api('GET', '/agent-state?limit=100');
  const agents = (res.agent_states || res.data || []).filter((a) => a.role !== 'super_admin');
  const tbody = $('agent-rows');
  rows(tbody, agents.map((a) => ({ ...a, id: a.user_id })), (a) => [
    [a.first_name, a.last_name].filter(Boolean).join(' ') || a.email,
    a.state,
    a.presence_since ? new Date(a.presence_since).toLocaleTimeString() : '',
  ], 'No agents.');
  agents.forEach((a, i) => tbody.rows[i].insertCell().append(stateControl(a)));
}

async function loadCalls() {
  const res = await api('GET', '/calls/active');
  const calls = res.active_calls || res.calls || [];
  rows($('call-rows'), calls, (c) => [
    c.caller_number, c.status, c.assigned_agent || '', seconds(c.duration),
  ], 'No calls in progress.');
}

async function loadKpis() {
  const [today, recent] = await Promise.all([api('GET', '/cdr/stats'), api('GET', '/cdr/stats?last=30m')]);
  const windows = [['Today', today.data || {}], ['Last 30 minutes', recent.data || {}]];
  rows($('kpi-rows'), windows, ([name, k]) => [
    name, k.offered, k.answered, k.abandoned, percent(k.service_level), seconds(k.asa),
    percent(k.abandonment_rate),
  ], '');
}

async function loadChart() {
  if (typeof window.Chart !== 'function') return; // the vendor script did not load
  const res = await api('GET', '/cdr/call-volume?interval=15m');
  const quarters = res.data || [];
  const labels = quarters.map((q) => new Date(q.start).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  const series = (key) => quarters.map((q) => Number(q[key]) || 0);
  const sl = quarters.map((q) => (q.service_level === null ? null : Math.round(q.service_level * 1000) / 10));
  const data = {
    labels,
    datasets: [
      { label: 'Offered', data: series('offered'), borderColor: '#2563eb', backgroundColor: '#2563eb' },
      { label: 'Answered', data: series('answered'), borderColor: '#16a34a', backgroundColor: '#16a34a' },
      { label: 'Abandoned', data: series('abandoned'), borderColor: '#dc2626', backgroundColor: '#dc2626' },
      { label: 'Service level %', data: sl, type: 'line', yAxisID: 'sl', borderColor: '#7c3aed',
        backgroundColor: '#7c3aed', spanGaps: true },
    ],
  };
  if (chart) {
    chart.data = data;
    chart.update('none');
    return;
  }
  chart = new window.Chart($('volume-chart'), {
    type: 'bar',
    data,
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'Calls' } },
        sl: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false },
          title: { display: true, text: 'Service level %' } } } },
  });
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    Promise.all([loadLive(), loadAgents(), loadCalls()]).catch(showError);
  }, REFRESH_DEBOUNCE_MS);
}

async function main() {
  if (!startPage('wallboard.html', { live: true })) return;
  try {
    await Promise.all([loadLive(), loadAgents(), loadCalls(), loadKpis()]);
  } catch (err) {
    showError(err);
  }
  const chartReady = () => loadChart().catch(showError);
  if (document.readyState === 'complete') chartReady();
  else window.addEventListener('load', chartReady);
  setInterval(() => { loadKpis().catch(showError); loadChart().catch(showError); }, KPI_EVERY_MS);
  liveStream({
    onEvent: (ev) => { if (LIVE_TYPES.test(ev.type)) refreshSoon(); },
    onState: showLiveState,
    onResume: refreshSoon,
  });
}

main();
