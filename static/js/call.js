// One call (call.html?id=…): a call record (cdr_…, from the call logs), a call of the
// transfer service or the dialler (call_…) or a queued call (qc_…, from the live calls).
// What is linked to it is found through the API: a CDR's metadata names its call or queued
// call; a call that ended has its CDR looked up by caller and start. Shown: the record's
// fields; the timeline (the call's own event stream from its first event, live; a queued
// call without a call of its own gets one from its legs' times); transfers; quality samples
// as a chart; the recording in a seekable player; tags (on the CDR); notes (dialled calls).
import { api } from './api.js';
import { fetchBlob, saveBlob } from './call-download.js';
import { liveStream, showLiveState } from './live.js';
import { attachRecording } from './call-recording.js';
import { drawCallPage } from './call-view.js';
import { $, el, pageAlert, startPage } from './shell.js';

const IN_PROGRESS = new Set(['ringing', 'active', 'on_hold', 'transferring', 'connected', 'connecting']);
const QC_LIVE = new Set(['waiting', 'offered', 'answered']);
const enc = encodeURIComponent;
const one = (res, key) => res[key] || res.data || null;

const ctx = { id: '', cdr: null, call: null, qcall: null, legs: [], queues: new Map(), departments: new Map(), seen: new Set() };
let chart = null;
let refreshTimer = null;

function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'medium' }) : '';
}
function timeOf(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '';
}
function secs(n) {
  if (n === null || n === undefined || n === '') return '';
  const v = Math.max(0, Math.round(Number(n) || 0));
  return v >= 60 ? `${Math.floor(v / 60)}m ${String(v % 60).padStart(2, '0')}s` : `${v}s`;
}
function alertIn(id, err) {
  $(id).textContent = err ? err.message || String(err) : '';
  $(id).hidden = !err;
}

/** GET that answers null for a record gone (404) rather than failing the page. */
async function maybe(path, key) {
  try {
    return one(await api('GET', path), key);
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

/* ---------- what the id names, and what is linked to it ---------- */

async function findCdr() {
  const c = ctx.call;
  const q = ctx.qcall;
  const ended = q ? !QC_LIVE.has(q.status) : c && c.end_time;
  if (!ended) return null;
  const t = Date.parse(q ? q.entered_at : c.start_time);
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const qs = new URLSearchParams({ caller: q ? q.caller_number : c.caller_number, start: iso(t - 120000), end: iso(t + 120000), page_size: '50' });
  const res = await api('GET', `/cdr?${qs}`);
  return (res.data || []).find((r) => {
    const m = r.metadata || {};
    return q ? m.queue_call_id === q.id : m.call_id === c.id;
  }) || null;
}

async function loadLegs() {
  ctx.legs = [];
  let leg = ctx.qcall;
  for (let hops = 0; leg && hops < 6; hops += 1) {
    ctx.legs.unshift(leg);
    leg = leg.from_queue_call_id ? await maybe(`/queue-calls/${enc(leg.from_queue_call_id)}`, 'queue_call') : null;
  }
}

async function resolve() {
  const id = ctx.id;
  if (id.startsWith('cdr_')) {
    ctx.cdr = (await api('GET', `/cdr/${enc(id)}`)).data;
    const m = ctx.cdr.metadata || {};
    if (m.queue_call_id) ctx.qcall = await maybe(`/queue-calls/${enc(m.queue_call_id)}`, 'queue_call');
    const callId = m.call_id || (ctx.qcall && ctx.qcall.call_id);
    if (callId) ctx.call = await maybe(`/calls/${enc(callId)}`, 'call');
  } else if (id.startsWith('qc_')) {
    ctx.qcall = one(await api('GET', `/queue-calls/${enc(id)}`), 'queue_call');
    if (ctx.qcall.call_id) ctx.call = await maybe(`/calls/${enc(ctx.qcall.call_id)}`, 'call');
  } else {
    ctx.call = one(await api('GET', `/calls/${enc(id)}`), 'call');
  }
  if (ctx.qcall) await loadLegs();
  if (!ctx.cdr) ctx.cdr = await findCdr();
}

/* ---------- the record ---------- */

/** A transfer-service agent's name, from the call's transfers (the call has its id only). */
function agentName(id) {
  const t = ((ctx.call && ctx.call.transfers) || []).find((x) => x.agent_id === id && x.agent_name);
  return t ? t.agent_name : id;
}

function group(title, pairs, prefix) {
  const shown = pairs.filter(([, , v]) => v !== undefined && v !== null && v !== '');
  if (!shown.length) return [];
  const out = [el('div', { className: 'fields-grid__head', text: title })];
  for (const [key, label, value] of shown) {
    out.push(el('dt', { text: label }), el('dd', { text: typeof value === 'object' ? JSON.stringify(value) : value, attrs: { 'data-field': `${prefix}.${key}` } }));
  }
  return out;
}

function drawFields() {
  const d = ctx.cdr;
  const c = ctx.call;
  const q = ctx.qcall;
  const caller = (d && d.caller_number) || (c && c.caller_number) || (q && q.caller_number) || '';
  const called = (d && d.called_number) || (c && c.called_number) || (q && q.called_number) || '';
  $('call-title').textContent = called ? `${caller} → ${called}` : caller;
  document.title = `Call ${caller} · Switchboard`;
  const status = c ? c.status : q ? q.status : d.disposition;
  const start = (c && c.start_time) || (q && q.entered_at) || (d && d.start_time);
  $('call-sub').textContent = [status && status.replace(/_/g, ' '), (c && c.direction) || (d && d.direction), when(start)].filter(Boolean).join(' · ');
  const items = [];
  if (d) {
    items.push(...group('Call detail record', [
      ['id', 'Record', d.id], ['direction', 'Direction', d.direction], ['caller_name', 'Caller name', d.caller_name],
      ['did_id', 'DID', d.did_id], ['queue_name', 'Queue', d.queue_name], ['agent_name', 'Agent', d.agent_name || d.user_id],
      ['start_time', 'Start', when(d.start_time)], ['answer_time', 'Answered', when(d.answer_time)], ['end_time', 'Ended', when(d.end_time)],
      ['duration', 'Duration', secs(d.duration)], ['billsec', 'Talk time', secs(d.billsec)], ['wait_time', 'Wait', secs(d.wait_time)],
      ['hold_time', 'Hold', secs(d.hold_time)], ['wrapup_time', 'Wrap-up', secs(d.wrapup_time)], ['disposition', 'Outcome', d.disposition],
      ['hangup_side', 'Hung up by', d.hangup_side], ['hangup_cause', 'Hangup cause', d.hangup_cause], ['call_sid', 'Call SID', d.call_sid],
      ['uniqueid', 'Unique id', d.uniqueid], ['linkedid', 'Linked id', d.linkedid], ['contact_id', 'Contact', d.contact_id],
      ['recording_id', 'Recording', d.recording_id], ['metadata', 'Metadata', d.metadata && Object.keys(d.metadata).length ? d.metadata : ''],
    ], 'cdr'));
  }
  if (c) {
    items.push(...group('Call', [
      ['id', 'Call', c.id], ['status', 'Status', c.status], ['call_sid', 'Call SID', c.call_sid], ['current_flow', 'Flow', c.current_flow],
      ['department_id', 'Department', ctx.departments.get(c.department_id) || c.department_id],
      ['agent_id', 'Agent', agentName(c.agent_id)], ['ai_minutes', 'AI minutes', c.ai_minutes],
      ['transfer_minutes', 'Transfer minutes', c.transfer_minutes], ['total_duration', 'Total', secs(c.total_duration)],
      ['outcome', 'Dial outcome', c.outcome], ['disposition', 'Dial disposition', c.disposition], ['lead_id', 'Lead', c.lead_id],
      ['campaign_id', 'Campaign', c.campaign_id], ['context', 'Context', c.context],
    ], 'call'));
  }
  if (q) {
    items.push(...group('In the queue', [
      ['id', 'Queued call', q.id], ['queue_name', 'Queue', q.queue_name], ['status', 'Status', q.status],
      ['position', 'Position', q.position], ['priority', 'Priority', q.priority], ['tries', 'Offers', q.tries],
      ['entered_at', 'Entered', when(q.entered_at)], ['answered_at', 'Answered', when(q.answered_at)], ['ended_at', 'Left', when(q.ended_at)],
      ['wait_time', 'Wait', secs(q.wait_time)], ['hold_seconds', 'On hold', secs(q.hold_seconds)], ['hangup_side', 'Hung up by', q.hangup_side],
      ['overflow_to', 'Went to', q.overflow_to],
    ], 'qcall'));
  }
  $('call-fields').replaceChildren(...items);
  const note = !d ? (c && !c.end_time) || (q && QC_LIVE.has(q.status)) ? 'The call is in progress: its detail record is written when it ends.' : 'No detail record was found for this call.' : '';
  $('fields-note').textContent = note;
  $('fields-note').hidden = !note;
}

/* ---------- timeline ---------- */

function who(ev) {
  return ev.agent_name || ev.agent_id || '';
}

function describe(ev) {
  const s = (v) => (v || '').replace(/_/g, ' ');
  switch (ev.type) {
    case 'call_started': return `Call started (${s(ev.status)}) from ${ev.caller_number || ''}`;
    case 'call.initiated': return 'Dialling';
    case 'call_status_update': return `Status ${s(ev.previous_status)} → ${s(ev.status)}`;
    case 'call.connected': return 'Connected';
    case 'call_update': return ev.current_flow ? `Flow: ${ev.current_flow}` : ev.context_changed ? 'Context updated' : 'Updated';
    case 'ai_response': return `AI: ${ev.text || ''}`;
    case 'transfer_initiated': return `Transfer to ${ev.department_name || ev.department_id} (${ev.transfer_type || 'warm'})${ev.agent_name ? `: ${ev.agent_name}` : ', waiting for an agent'}`;
    case 'transfer_connecting': case 'transfer_connected': case 'transfer_completed': case 'transfer_failed':
      return `Transfer ${s(ev.status)}`;
    case 'call_ended': case 'call.ended': return `Call ended (${s(ev.status || ev.outcome)}${ev.total_duration !== undefined ? `, ${secs(ev.total_duration)}` : ''})`;
    case 'call.quality': return `Quality: MOS ${ev.mos ?? '–'}, jitter ${ev.jitter ?? '–'} ms, latency ${ev.latency ?? '–'} ms, loss ${ev.packet_loss ?? '–'}%`;
    case 'recording.started': return 'Recording started';
    case 'recording.stopped': return `Recording stopped${ev.duration ? ` (${secs(ev.duration)})` : ''}`;
    case 'queue.joined': return `Entered queue ${ev.queue_name || ''}`;
    case 'call.incoming': return `Offered to ${who(ev)}`;
    case 'call.answered': return `Answered by ${who(ev)}`;
    case 'call.hold': return 'On hold';
    case 'call.unhold': return 'Off hold';
    case 'call.transferred': return `Transferred${ev.transferred_to ? ` (${ev.transferred_to.replace(/^transfer:/, '')})` : ''}`;
    case 'queue.left': return `Left queue ${ev.queue_name || ''} (${s(ev.reason)})`;
    default: return s(ev.type.replace(/[._]/g, ' ')) + (ev.status ? `: ${s(ev.status)}` : '');
  }
}

function addEntry(type, at, text) {
  const li = el('li', { attrs: { 'data-type': type } }, [
    el('time', { text: timeOf(at), attrs: { datetime: at || '' } }), el('span', { text }),
  ]);
  $('timeline').append(li);
  $('timeline-note').textContent = '';
}

function addEvent(ev) {
  if (ev.id && ctx.seen.has(ev.id)) return;
  if (ev.id) ctx.seen.add(ev.id);
  addEntry(ev.type, ev.timestamp, describe(ev));
}

/** A queued call with no call of its own: its legs' times, and the CDR's when that is all. */
function derivedTimeline() {
  const entries = [];
  for (const l of ctx.legs) {
    entries.push(['queue.joined', l.entered_at, `Entered queue ${l.queue_name || l.queue_id}`]);
    if (l.answered_at) entries.push(['call.answered', l.answered_at, 'Answered by an agent']);
    if (l.ended_at) {
      const to = l.overflow_to || '';
      const q = to.startsWith('transfer:queue:') ? ctx.queues.get(to.slice(15)) || to.slice(15) : '';
      entries.push(['queue.left', l.ended_at, q ? `Transferred to queue ${q}` : `Left the queue (${l.status.replace(/_/g, ' ')})`]);
    }
  }
  if (!entries.length && ctx.cdr) {
    const d = ctx.cdr;
    entries.push(['start', d.start_time, 'Call started']);
    if (d.answer_time) entries.push(['answer', d.answer_time, 'Answered']);
    if (d.end_time) entries.push(['end', d.end_time, `Ended (${d.disposition.replace(/_/g, ' ')})`]);
  }
  entries.sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
  $('timeline').replaceChildren();
  for (const [type, at, text] of entries) addEntry(type, at, text);
}

/* ---------- transfers ---------- */

function drawTransfers() {
  const rows = [];
  for (const t of (ctx.call && ctx.call.transfers) || []) {
    rows.push([t.id, when(t.transfer_time), t.target_department || t.department_id, t.agent_name || (t.status === 'waiting' ? 'waiting' : ''),
      t.transfer_type, t.status, t.transfer_reason, when(t.connection_time), when(t.completion_time)]);
  }
  for (const l of ctx.legs) {
    const to = l.overflow_to || '';
    if (!to.startsWith('transfer:queue:')) continue;
    const qid = to.slice(15);
    rows.push([l.id, when(l.ended_at), `Queue ${ctx.queues.get(qid) || qid}`, '', 'queue', 'done', '', '', '']);
  }
  const tbody = $('transfer-rows');
  tbody.replaceChildren(...rows.map(([id, ...cells]) => el('tr', { attrs: { 'data-id': id } }, cells.map((v) => el('td', { text: v || '' })))));
  if (!rows.length) tbody.append(el('tr', { className: 'table__placeholder' }, [el('td', { text: 'No transfers.', attrs: { colspan: '8' } })]));
}

/* ---------- quality ---------- */

async function loadQuality() {
  if (!ctx.call) {
    $('quality-note').textContent = 'No quality reports: only calls of the dialler report them.';
    return;
  }
  const res = await api('GET', `/calls/${enc(ctx.call.id)}/quality`);
  const series = (res.data && res.data.series) || [];
  $('quality-box').hidden = !series.length;
  if (!series.length) {
    const qs = ctx.call.quality;
    $('quality-note').textContent = qs
      ? `No samples; the last report: MOS ${qs.mos ?? '–'}, jitter ${qs.jitter ?? '–'} ms, latency ${qs.latency ?? '–'} ms, loss ${qs.packet_loss ?? '–'}%.`
      : 'No quality reports for this call.';
    return;
  }
  $('quality-note').textContent = `${series.length} report${series.length === 1 ? '' : 's'} over the call.`;
  drawChart(series);
}

function drawChart(series) {
  if (typeof window.Chart !== 'function') {
    $('quality-note').textContent += ' (The chart library did not load.)';
    return;
  }
  const labels = series.map((p) => timeOf(p.at));
  const line = (label, key, color, axis) => ({ label, data: series.map((p) => p[key]), borderColor: color, backgroundColor: color, yAxisID: axis, spanGaps: true, tension: 0.2 });
  const data = {
    labels,
    datasets: [line('MOS', 'mos', '#16a34a', 'mos'), line('Jitter (ms)', 'jitter', '#2563eb', 'ms'),
      line('Latency (ms)', 'latency', '#7c3aed', 'ms'), line('Packet loss (%)', 'packetLoss', '#dc2626', 'loss')],
  };
  if (chart) {
    chart.data = data;
    chart.update('none');
    return;
  }
  chart = new window.Chart($('quality-chart'), {
    type: 'line',
    data,
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { mos: { position: 'left', min: 1, max: 5, title: { display: true, text: 'MOS' } },
        ms: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'ms' } },
        loss: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'loss %' } } } },
  });
}

/* ---------- recording ---------- */

async function loadRecording() {
  const note = $('recording-note');
  if (!ctx.call) {
    note.textContent = 'No recording.';
    return;
  }
  const res = await api('GET', `/calls/recordings?call_id=${enc(ctx.call.id)}&limit=1`);
  const rec = (res.data || [])[0];
  $('recording-box').hidden = true;
  if (!rec) {
    note.textContent = 'No recording.';
    return;
  }
  if (rec.status === 'recording' || rec.status === 'processing') {
    note.textContent = rec.status === 'recording' ? 'Recording in progress.' : 'Recording stopped; its audio is not uploaded yet.';
    return;
  }
  if (rec.status !== 'available' || !rec.url) {
    note.textContent = rec.remoteUrl ? `Kept at Twilio (${rec.remoteUrl}); not served here.` : `The recording ${rec.status === 'failed' ? 'failed' : 'is not available'}.`;
    return;
  }
  note.textContent = '';
  $('recording-meta').textContent = [rec.format && rec.format.toUpperCase(), rec.duration ? secs(rec.duration) : '',
    rec.sizeBytes ? `${Math.round(rec.sizeBytes / 1024)} KB` : '', rec.sampleRate ? `${rec.sampleRate} Hz` : ''].filter(Boolean).join(' · ');
  $('recording-box').hidden = false;
  const audio = $('recording-audio');
  if (audio.dataset.recording !== rec.id) { // a new upload replaces the file (a new id)
    audio.dataset.recording = rec.id;
    audio.dataset.src = '';
    await attachRecording(audio, rec.url, (text) => { note.textContent = text; });
  }
  $('recording-download').onclick = async () => {
    try {
      note.textContent = 'Preparing the download…';
      const blob = await fetchBlob(`${rec.url.replace(/^\/api/, '')}?download=true`);
      saveBlob($('recording-link'), blob, `${rec.id}.${rec.format || 'wav'}`);
      note.textContent = '';
    } catch (err) {
      note.textContent = err.message;
    }
  };
}

/* ---------- tags ---------- */

async function loadTags() {
  const form = $('tag-form');
  if (!ctx.cdr) {
    form.hidden = true;
    $('tag-note').textContent = 'Tags are kept on the call\'s detail record, written when the call ends.';
    $('tag-list').replaceChildren();
    return;
  }
  const [mine, all] = await Promise.all([api('GET', `/cdr/${enc(ctx.cdr.id)}/tags`), api('GET', '/tags').catch(() => ({}))]);
  drawTags(mine.data || []);
  $('tag-options').replaceChildren(...(all.data || []).map((t) => el('option', { attrs: { value: t.tag } })));
  form.hidden = false;
}

function drawTags(tags) {
  $('tag-note').textContent = tags.length ? '' : 'No tags yet.';
  $('tag-list').replaceChildren(...tags.map((t) => {
    const remove = el('button', { className: 'chip__remove', text: '×', attrs: { type: 'button', 'aria-label': `Remove the tag ${t.tag}`, 'data-remove-tag': t.tag } });
    remove.addEventListener('click', () => tagAction(() => api('DELETE', `/cdr/${enc(ctx.cdr.id)}/tags/${enc(t.tag)}`)));
    return el('li', { className: 'chip', attrs: { 'data-tag': t.tag, title: t.created_at ? `Added ${when(t.created_at)}` : '' } }, [el('span', { text: t.tag }), remove]);
  }));
}

async function tagAction(fn) {
  alertIn('tag-alert', null);
  try {
    await fn();
  } catch (err) {
    alertIn('tag-alert', err);
  }
  try {
    drawTags((await api('GET', `/cdr/${enc(ctx.cdr.id)}/tags`)).data || []);
  } catch (err) {
    alertIn('tag-alert', err);
  }
}

/* ---------- notes ---------- */

function drawNotes() {
  const c = ctx.call;
  const form = $('notes-form');
  if (!c || !('notes' in c)) {
    form.hidden = true;
    $('notes-note').textContent = 'The API keeps notes on dialled (outbound) calls only; this call has none.';
    return;
  }
  form.hidden = false;
  const live = IN_PROGRESS.has(c.status) && !c.end_time;
  const text = $('notes-text');
  if (document.activeElement !== text) text.value = c.notes || '';
  text.readOnly = !live;
  $('notes-save').hidden = !live;
  $('notes-note').textContent = live ? '' : 'The call has ended: the API takes notes while a call is in progress.';
}

async function saveNotes(e) {
  e.preventDefault();
  alertIn('notes-alert', null);
  $('notes-state').textContent = 'Saving…';
  try {
    await api('PUT', `/calls/${enc(ctx.call.id)}/update`, { notes: $('notes-text').value });
    $('notes-state').textContent = 'Saved.';
  } catch (err) {
    $('notes-state').textContent = '';
    alertIn('notes-alert', err);
  }
}

/* ---------- live ---------- */

const RELOAD_ON = /^(call_status_update|call_update|call_ended|transfer_|call\.(connected|ended|answered|hold|unhold|transferred)|queue\.left|recording\.)/;

async function reload() {
  try {
    if (ctx.call) ctx.call = (await maybe(`/calls/${enc(ctx.call.id)}`, 'call')) || ctx.call;
    if (ctx.qcall) {
      ctx.qcall = (await maybe(`/queue-calls/${enc(ctx.qcall.id)}`, 'queue_call')) || ctx.qcall;
      await loadLegs();
    }
    const hadCdr = Boolean(ctx.cdr);
    if (!ctx.cdr) ctx.cdr = await findCdr();
    drawFields();
    drawTransfers();
    drawNotes();
    if (!ctx.call) derivedTimeline();
    if (!hadCdr && ctx.cdr) await loadTags();
    await loadRecording();
  } catch (err) {
    pageAlert(err);
  }
}

function reloadSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(reload, 200);
}

function noStream() {
  const badge = $('live-state');
  if (badge) badge.hidden = true; // nothing of this call can change any more
}

function follow() {
  if (ctx.call) {
    $('timeline-note').textContent = 'No events yet.';
    liveStream({
      path: `/api/calls/${enc(ctx.call.id)}/events`,
      from: '0', // the call's events from its first
      onEvent: (ev) => {
        if (ev.type === 'connected' || ev.type === 'reset') return;
        addEvent(ev);
        if (ev.type === 'call.quality') loadQuality().catch(pageAlert);
        if (RELOAD_ON.test(ev.type)) reloadSoon();
      },
      onState: showLiveState,
    });
  } else if (ctx.qcall) {
    derivedTimeline();
    $('timeline-note').textContent = 'From the queued call\'s record (it has no call of its own, so no event history).';
    if (QC_LIVE.has(ctx.qcall.status)) {
      liveStream({
        onEvent: (ev) => { if (ctx.legs.some((l) => l.id === ev.queue_call_id || l.id === ev.unique_id) || ev.from_queue_call_id === ctx.qcall.id) reloadSoon(); },
        onState: showLiveState,
        onResume: reloadSoon,
      });
    } else {
      noStream();
    }
  } else {
    noStream();
    derivedTimeline();
    $('timeline-note').textContent = 'From the detail record\'s times: this record has no call of the API behind it (an import).';
  }
}

/** Nothing to show: the message alone, not empty panels. */
function fail(err) {
  pageAlert(err);
  for (const node of document.querySelectorAll('#main .panel, #main .columns')) node.hidden = true;
  noStream();
}

async function main() {
  if (!startPage('calls.html', { live: true })) return;
  drawCallPage();
  ctx.id = new URLSearchParams(location.search).get('id') || '';
  if (!ctx.id) {
    fail(new Error('No call was given: open a call from the Calls page.'));
    return;
  }
  try {
    await resolve();
    const [qs, ds] = await Promise.all([api('GET', '/queues?limit=200').catch(() => ({})),
      api('GET', '/departments?limit=500').catch(() => ({}))]);
    for (const q of qs.data || qs.queues || []) ctx.queues.set(q.id, q.name);
    for (const d of ds.departments || ds.data || []) ctx.departments.set(d.id, d.name);
  } catch (err) {
    fail(err.status === 404 ? new Error('No such call in your tenant (or not one of yours).') : err);
    return;
  }
  drawFields();
  drawTransfers();
  drawNotes();
  $('notes-form').addEventListener('submit', saveNotes);
  $('tag-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const tag = $('tag-input').value.trim();
    if (!tag) return;
    tagAction(async () => {
      await api('POST', `/cdr/${enc(ctx.cdr.id)}/tags`, { tag });
      $('tag-input').value = '';
    });
  });
  follow();
  const settle = (p) => p.catch((err) => { if (!err.redirected) pageAlert(err); });
  settle(loadTags());
  settle(loadRecording());
  const quality = () => settle(loadQuality());
  if (document.readyState === 'complete') quality();
  else window.addEventListener('load', quality);
}

main();
