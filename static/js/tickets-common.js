// What the tickets list (tickets.js) and one ticket's page (ticket.js) share: the words for
// statuses and priorities, the status machine's moves, the tenant's users by id (from
// /api/agent-state, which every role may read), dates as the reader's local time.
import { api } from './api.js';

export const STATUSES = [['open', 'Open'], ['pending', 'Pending'], ['in_progress', 'In progress'],
  ['on_hold', 'On hold'], ['resolved', 'Resolved'], ['closed', 'Closed']];
export const PRIORITIES = [['low', 'Low'], ['normal', 'Normal'], ['high', 'High'], ['urgent', 'Urgent']];
export const STATUS_LABEL = Object.fromEntries(STATUSES);
export const PRIORITY_LABEL = Object.fromEntries(PRIORITIES);
export const LIST_KEY = 'tickets.list'; // the list's last address: a ticket's way back
const WORKING = ['open', 'pending', 'in_progress', 'on_hold'];
const DONE = new Set(['resolved', 'closed']);

/** The statuses a ticket in `from` may move to (docs/api.md, "Status machine"). */
export function nextStatuses(from) {
  if (WORKING.includes(from)) return [...WORKING.filter((s) => s !== from), 'resolved'];
  if (from === 'resolved') return ['closed', 'open'];
  if (from === 'closed') return ['open'];
  return [];
}

export function isOverdue(t) {
  if (DONE.has(t.status)) return false;
  const now = Date.now();
  const past = (v) => Boolean(v) && new Date(v).getTime() < now;
  return past(t.due_at) || (!t.first_response_at && past(t.first_response_due_at));
}

export function when(iso, dateStyle = 'medium') {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString([], { dateStyle, timeStyle: 'short' });
}

export const dataOf = (res) => (res && res.data !== undefined ? res.data : res);

/** Every user of the tenant, by id: {id, name, email, role}, sorted by name. */
export async function loadUsers() {
  const users = new Map();
  for (let page = 1, pages = 1; page <= pages && page <= 20; page += 1) {
    const res = await api('GET', `/agent-state?page=${page}&page_size=200`);
    const list = res.data || res.agent_states || [];
    for (const u of list) users.set(u.user_id, { id: u.user_id, name: u.username || u.email, email: u.email, role: u.role });
    const meta = res.meta || res.pagination || {};
    pages = Number(meta.total_pages || meta.pages || 1) || 1;
  }
  return new Map([...users].sort((a, b) => a[1].name.localeCompare(b[1].name)));
}

export function userName(users, id) {
  if (!id) return '';
  const u = users.get(id);
  return u ? u.name : id;
}
