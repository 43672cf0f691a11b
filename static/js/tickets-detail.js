// One ticket (ticket.html?id=): the request, the conversation (public replies and internal
// notes, the notes marked and tinted), a reply or a note, the status (only the moves the
// status machine allows are offered), the assignee (any user of the tenant) and the
// priority. Ticket events on the stream about this ticket reload it, so a colleague's reply
// or change shows up without a reload.
import { api } from './api.js';
import { liveStream, showLiveState } from './live.js';
import { $, el, pageAction, pageAlert, startPage } from './shell.js';
import { drawDetail } from './tickets-view.js';
import {
  LIST_KEY, PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, dataOf, isOverdue, loadUsers, nextStatuses, userName, when,
} from './tickets-common.js';

const id = new URLSearchParams(location.search).get('id') || '';
const base = `/tickets/${encodeURIComponent(id)}`;
let ticket = null;
let users = new Map();
const queueNames = new Map();
let reloadTimer = null;
let ticketSeq = 0;
let messagesSeq = 0;
let rendered = null; // the values the side forms last showed: a choice not yet applied survives a reload

// A select's options are replaced only when they change (a reload with the same ones
// leaves an open list, and the reader's choice, alone).
function setOptions(id, pairs, value) {
  const sel = $(id);
  const same = sel.options.length === pairs.length
    && pairs.every(([v, l], i) => sel.options[i].value === v && sel.options[i].text === l);
  if (!same) sel.replaceChildren(...pairs.map(([v, l]) => el('option', { text: l, attrs: { value: v } })));
  sel.value = value;
}

function fact(dl, term, value, extra) {
  if (value === '' || value === null || value === undefined) return;
  const dd = el('dd', { text: value });
  if (extra) dd.append(' ', extra);
  dl.append(el('dt', { text: term }), dd);
}

async function queueName(qid) {
  if (!qid) return '';
  if (!queueNames.has(qid)) {
    const res = await api('GET', `/queues/${encodeURIComponent(qid)}`).catch(() => null);
    queueNames.set(qid, res ? dataOf(res).name : qid);
  }
  return queueNames.get(qid);
}

async function renderTicket() {
  const t = ticket;
  document.title = `#${t.number} ${t.subject} · Switchboard`;
  $('ticket-title').textContent = `#${t.number} · ${t.subject}`;
  const who = t.requester_name && t.requester_email ? `${t.requester_name} <${t.requester_email}>`
    : t.requester_name || t.requester_email || '';
  $('ticket-sub').textContent = [`Opened ${when(t.created_at)}`, who && `by ${who}`, `via ${t.channel}`]
    .filter(Boolean).join(' · ');
  $('ticket-description').textContent = t.description || 'No description.';
  $('ticket-description').classList.toggle('muted', !t.description);

  const pending = {};
  for (const [key, sel] of [['status', 'ticket-status'], ['assigned_to', 'ticket-assignee'], ['priority', 'ticket-priority']]) {
    if (rendered && $(sel).value !== rendered[key]) pending[sel] = $(sel).value;
  }
  const reopen = ['resolved', 'closed'].includes(t.status);
  setOptions('ticket-status', [[t.status, `${STATUS_LABEL[t.status] || t.status} (now)`],
    ...nextStatuses(t.status).map((s) => [s, s === 'open' && reopen ? 'Reopen' : STATUS_LABEL[s] || s])], t.status);
  const people = [['', 'Nobody'], ...[...users.values()].map((u) => [u.id, u.name])];
  if (t.assigned_to && !users.has(t.assigned_to)) people.push([t.assigned_to, t.assigned_to]);
  setOptions('ticket-assignee', people, t.assigned_to || '');
  const levels = [...PRIORITIES];
  if (t.priority && !PRIORITY_LABEL[t.priority]) levels.push([t.priority, t.priority]);
  setOptions('ticket-priority', levels, t.priority);
  for (const [sel, value] of Object.entries(pending)) {
    if ([...$(sel).options].some((o) => o.value === value)) $(sel).value = value;
  }
  rendered = { status: t.status, assigned_to: t.assigned_to || '', priority: t.priority };
  syncButtons();

  const dl = $('ticket-facts');
  const facts = el('dl', { className: 'facts', attrs: { id: 'ticket-facts' } });
  fact(facts, 'Status', STATUS_LABEL[t.status] || t.status,
    isOverdue(t) ? el('span', { className: 'badge badge--danger', text: 'Overdue' }) : null);
  fact(facts, 'Assignee', t.assigned_to ? userName(users, t.assigned_to) : 'Nobody');
  fact(facts, 'Team (queue)', await queueName(t.queue_id));
  fact(facts, 'Category', t.category);
  fact(facts, 'Tags', Array.isArray(t.tags) && t.tags.length ? t.tags.join(', ') : '');
  fact(facts, 'First response due', t.first_response_at ? '' : when(t.first_response_due_at));
  fact(facts, 'First response', when(t.first_response_at));
  fact(facts, 'Due', ['resolved', 'closed'].includes(t.status) ? '' : when(t.due_at));
  fact(facts, 'Resolved', when(t.resolved_at));
  fact(facts, 'Closed', when(t.closed_at));
  fact(facts, 'Created by', userName(users, t.created_by));
  fact(facts, 'Updated', when(t.updated_at));
  dl.replaceWith(facts);
}

function syncButtons() {
  if (!ticket) return;
  $('status-apply').disabled = $('ticket-status').value === ticket.status;
  $('assign-apply').disabled = $('ticket-assignee').value === (ticket.assigned_to || '');
  $('priority-apply').disabled = $('ticket-priority').value === ticket.priority;
}

function messageItem(m) {
  const internal = Boolean(m.is_internal);
  const author = m.author_name || m.author_email || (m.author_type === 'contact' ? 'Requester' : 'System');
  const head = el('p', { className: 'ticket-msg__head' }, [
    el('strong', { text: author }), ' ',
    el('time', { className: 'muted', text: when(m.created_at), attrs: { datetime: m.created_at || '' } })]);
  head.append(' ', internal ? el('span', { className: 'badge badge--note', text: 'Internal note' })
    : el('span', { className: 'badge', text: m.author_type === 'contact' ? 'From the requester' : 'Reply' }));
  return el('li', {
    className: `ticket-msg${internal ? ' ticket-msg--internal' : ''}`,
    attrs: { 'data-id': String(m.id), 'data-internal': internal ? 'true' : 'false' },
  }, [head, el('p', { className: 'ticket-text', text: m.body })]);
}

async function loadMessages() {
  const seq = ++messagesSeq;
  const all = [];
  for (let page = 1, pages = 1; page <= pages && page <= 50; page += 1) {
    const res = await api('GET', `${base}/messages?page=${page}&page_size=200`);
    all.push(...(dataOf(res) || []));
    pages = Number((res.meta || {}).total_pages || 1) || 1;
  }
  if (seq !== messagesSeq) return;
  const list = $('ticket-messages');
  list.replaceChildren(...all.map(messageItem));
  if (!all.length) list.append(el('li', { className: 'muted', text: 'No reply or note yet.' }));
}

// Each load is numbered: an answer older than one already drawn is dropped.
async function loadTicket() {
  const seq = ++ticketSeq;
  const t = dataOf(await api('GET', base));
  if (seq !== ticketSeq) return;
  ticket = t;
  await renderTicket();
}

function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => Promise.all([loadTicket(), loadMessages()]).catch(pageAlert), 300);
}

const act = (fn) => pageAction(fn, () => Promise.all([loadTicket(), loadMessages()]));

function composeKind() {
  const note = $('kind-note').checked;
  $('compose').classList.toggle('compose--note', note);
  $('compose-submit').textContent = note ? 'Add internal note' : 'Send reply';
  $('compose-hint').textContent = note
    ? 'Only your colleagues see an internal note. Mention one with @ and their e-mail to tell them.'
    : 'The requester sees this reply.';
}

function wire() {
  for (const s of ['ticket-status', 'ticket-assignee', 'ticket-priority']) $(s).addEventListener('change', syncButtons);
  $('status-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act(async () => {
      ticket = dataOf(await api('PUT', `${base}/status`, { status: $('ticket-status').value }));
    });
  });
  $('assign-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act(async () => {
      ticket = dataOf(await api('POST', `${base}/assign`, { assigned_to: $('ticket-assignee').value || null }));
    });
  });
  $('priority-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act(async () => {
      ticket = dataOf(await api('PUT', base, { priority: $('ticket-priority').value }));
    });
  });
  for (const r of document.querySelectorAll('input[name="kind"]')) r.addEventListener('change', composeKind);
  $('compose').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = $('compose-body').value.trim();
    if (!body) {
      $('compose-body').focus();
      return;
    }
    $('compose-submit').disabled = true;
    act(async () => {
      await api('POST', `${base}/messages`, { body, is_internal: $('kind-note').checked });
      $('compose-body').value = '';
    }).finally(() => {
      $('compose-submit').disabled = false;
    });
  });
  composeKind();
}

async function main() {
  if (!startPage('tickets.html', { live: true })) return;
  drawDetail();
  $('back').href = sessionStorage.getItem(LIST_KEY) || 'tickets.html';
  if (!id) {
    $('ticket-title').textContent = 'No ticket';
    pageAlert(new Error('No ticket was named: open one from the list.'));
    return;
  }
  wire();
  liveStream({
    onEvent: (ev) => {
      if (ev.type === 'ticket.deleted' && ev.ticket_id === id) {
        $('ticket').hidden = true;
        pageAlert(new Error('This ticket was deleted.'));
      } else if (ev.type.startsWith('ticket.') && ev.ticket_id === id) reloadSoon();
    },
    onState: showLiveState,
    onResume: reloadSoon,
  });
  try {
    users = await loadUsers();
  } catch (err) {
    pageAlert(err);
  }
  try {
    await Promise.all([loadTicket(), loadMessages()]);
    $('ticket').hidden = false;
  } catch (err) {
    $('ticket-title').textContent = err.status === 404 ? 'No such ticket' : 'Ticket';
    pageAlert(err.status === 404 ? new Error('No such ticket: it may have been deleted.') : err);
  }
}

main();
