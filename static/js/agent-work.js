// The agent's own work on their desk: their last calls (the CDR list answers an agent only
// the calls they took), the tickets assigned to them that are not closed, and their live
// chats; each a short list linking to its page.
import { api, getUser } from './api.js';
import { table, when } from './dialog.js';
import { $, el } from './shell.js';

const OPEN_TICKETS = new Set(['open', 'pending', 'in_progress', 'on_hold']);
const link = (href, text) => el('a', { text, attrs: { href } });
const mmss = (s) => (s ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : '');

async function calls() {
  const res = await api('GET', '/cdr?page_size=5');
  $('my-calls').replaceChildren(table(['When', 'Caller', 'Length', 'Outcome'], (res.data || []).map((c) => [
    link(`call.html?id=${encodeURIComponent(c.id)}`, when(c.start_time)), c.caller_number || '', mmss(c.duration), c.disposition || '',
  ]), 'No calls yet.', { id: 'my-calls-table' }));
}

async function tickets(me) {
  const res = await api('GET', `/tickets?assigned_to=${encodeURIComponent(me)}&sort=updated_at&order=desc&page_size=20`);
  const open = (res.data || []).filter((t) => OPEN_TICKETS.has(t.status)).slice(0, 5);
  $('my-tickets').replaceChildren(table(['Ticket', 'Subject', 'Status'], open.map((t) => [
    link(`ticket.html?id=${encodeURIComponent(t.id)}`, `#${t.number ?? ''}`), t.subject || '', t.status,
  ]), 'No open ticket is yours.', { id: 'my-tickets-table' }));
}

async function chats(me) {
  const res = await api('GET', `/chat/sessions?agent_id=${encodeURIComponent(me)}&status=active&page_size=5`);
  $('my-chats').replaceChildren(table(['Visitor', 'Since'], (res.data || []).map((s) => [
    link('chat.html', s.visitor_name || s.visitor_email || 'Visitor'), when(s.accepted_at || s.started_at),
  ]), 'No chat open.', { id: 'my-chats-table' }));
}

/** Draws the three lists; a list that fails says so in its place. */
export function loadMyWork() {
  const me = (getUser() || {}).id;
  const jobs = [[calls, 'my-calls'], [tickets, 'my-tickets'], [chats, 'my-chats']];
  return Promise.all(jobs.map(([fn, id]) => fn(me).catch((err) => {
    if (!err.redirected) $(id).replaceChildren(el('p', { className: 'alert alert--error', text: err.message, attrs: { role: 'alert' } }));
  })));
}
