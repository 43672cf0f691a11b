// The Transfer dialog of a live call, with the targets the API's transfer routes accept:
// - a call of the transfer service goes to a department (POST /api/calls/transfer: warm,
//   cold or blind, an urgency, a reason and a summary; the API picks the department's agent
//   or lets the transfer wait when nobody is free) — managers and admins;
// - an answered queued call goes to another queue (POST /api/queue-calls/:id/transfer) —
//   staff, or the agent who answered it.
// No route transfers to a named agent. A refusal shows the API's own message in the dialog.
import { api } from './api.js';
import { $, el } from './shell.js';

let current = null; // { row, kinds }
let onDone = () => {};

function alertIn(text) {
  $('transfer-alert').textContent = text || '';
  $('transfer-alert').hidden = !text;
}

function notice(text) {
  const box = $('page-notice');
  box.textContent = text;
  box.hidden = !text;
}

function selectedKind() {
  const r = document.querySelector('#transfer-form input[name="kind"]:checked');
  return r ? r.value : '';
}

function showKind() {
  const kind = selectedKind();
  $('transfer-department-fields').hidden = kind !== 'department';
  $('transfer-queue-fields').hidden = kind !== 'queue';
}

function options(select, items, empty) {
  select.replaceChildren(...items.map(([value, label]) => el('option', { text: label, attrs: { value } })));
  if (!items.length) select.append(el('option', { text: empty, attrs: { value: '' } }));
}

async function loadTargets(row, kinds) {
  const jobs = [];
  if (kinds.includes('department')) {
    jobs.push(api('GET', '/departments?limit=500').then((res) => {
      const depts = res.departments || res.data || [];
      const now = row.call && row.call.department_id;
      options($('transfer-department'), depts.map((d) => [d.id, d.id === now ? `${d.name} (current)` : d.name]), 'No department');
    }));
  }
  if (kinds.includes('queue')) {
    jobs.push(api('GET', '/queues?limit=200&is_active=true').then((res) => {
      const here = row.qcall.queue_id;
      options($('transfer-queue'), (res.data || res.queues || []).filter((q) => q.id !== here).map((q) => [q.id, q.name]), 'No other queue');
    }));
  }
  await Promise.all(jobs);
}

/** Opens the dialog for a live row (calls.js), offering the kinds of target it allows. */
export async function openTransfer(row, kinds) {
  current = { row, kinds };
  alertIn('');
  $('transfer-who').textContent = `From ${row.caller}${row.called ? ` to ${row.called}` : ''}${row.qcall ? `, in queue ${row.qcall.queue_name}` : ''}.`;
  for (const k of ['department', 'queue']) {
    $(`kind-${k}-choice`).hidden = !kinds.includes(k);
    $(`kind-${k}`).checked = k === kinds[0];
  }
  $('transfer-kinds').hidden = kinds.length < 2;
  for (const id of ['transfer-reason', 'transfer-summary']) $(id).value = '';
  $('transfer-type').value = 'warm';
  $('transfer-urgency').value = '';
  showKind();
  $('transfer-submit').disabled = true;
  $('transfer-dialog').showModal();
  try {
    await loadTargets(row, kinds);
    $('transfer-submit').disabled = false;
  } catch (err) {
    alertIn(err.message);
  }
}

async function submit(e) {
  e.preventDefault();
  const { row } = current;
  const kind = selectedKind();
  const button = $('transfer-submit');
  button.disabled = true;
  alertIn('');
  try {
    if (kind === 'department') {
      const target = $('transfer-department');
      const body = { call_id: row.call.id, target_department: target.value, transfer_type: $('transfer-type').value };
      if ($('transfer-urgency').value) body.urgency_level = $('transfer-urgency').value;
      if ($('transfer-reason').value.trim()) body.transfer_reason = $('transfer-reason').value.trim();
      if ($('transfer-summary').value.trim()) body.context_summary = $('transfer-summary').value.trim();
      const res = await api('POST', '/calls/transfer', body);
      const t = res.transfer || res.data || {};
      const dept = target.selectedOptions[0] ? target.selectedOptions[0].textContent : '';
      notice(t.status === 'waiting'
        ? `Transfer to ${dept} is waiting: no agent there has room yet.`
        : `Transferred to ${dept} (${t.transfer_type || body.transfer_type}); an agent was chosen and the transfer is ${t.status}.`);
    } else {
      const target = $('transfer-queue');
      await api('POST', `/queue-calls/${encodeURIComponent(row.qcall.id)}/transfer`, { queue_id: target.value });
      notice(`The caller ${row.caller} is now in queue ${target.selectedOptions[0].textContent}.`);
    }
    $('transfer-dialog').close();
    onDone();
  } catch (err) {
    if (err.redirected) return;
    // A 422's reasons, where the message does not already say them.
    const more = Object.entries(err.fields || {}).filter(([, v]) => typeof v === 'string' && !err.message.includes(v))
      .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`);
    alertIn(more.length ? `${err.message}: ${more.join('; ')}` : err.message);
  } finally {
    button.disabled = false;
  }
}

export function initTransfer(hooks = {}) {
  onDone = hooks.onDone || onDone;
  $('transfer-form').addEventListener('submit', submit);
  for (const r of document.querySelectorAll('#transfer-form input[name="kind"]')) r.addEventListener('change', showKind);
  for (const b of document.querySelectorAll('#transfer-dialog [data-close]')) b.addEventListener('click', () => $('transfer-dialog').close());
}
