// Contacts page: the declaration of /api/contacts for resource-page.js, and a contact's
// timeline (its calls, tickets and chats in one list, newest first, paged on the server).
import { api } from './api.js';
import { dialog, table, when } from './dialog.js';
import { resourcePage } from './resource-page.js';
import { el, startPage } from './shell.js';

const KINDS = [['', 'Everything'], ['call', 'Calls'], ['ticket', 'Tickets'], ['chat', 'Chats']];
const KIND_LABELS = { call: 'Call', ticket: 'Ticket', chat: 'Chat' };
const duration = (s) => (s === null || s === undefined || s === '' ? '' : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`);

async function showTimeline(contact, page = 1) {
  const d = dialog('timeline-dialog', { wide: true });
  d.open(`Timeline of ${contact.name || contact.company || contact.email || contact.phone}`);
  let kind = document.getElementById('timeline-kind');
  if (!kind) {
    kind = el('select', { attrs: { id: 'timeline-kind' } }, KINDS.map(([v, t]) => el('option', { text: t, attrs: { value: v } })));
    kind.addEventListener('change', () => showTimeline(d.current, 1));
  }
  d.current = contact;
  const q = new URLSearchParams({ page: String(page), page_size: '20' });
  if (kind.value) q.set('type', kind.value);
  try {
    const res = await api('GET', `/contacts/${encodeURIComponent(contact.id)}/timeline?${q}`);
    const items = res.data || [];
    const pages = Number((res.meta || {}).total_pages || 1);
    const pager = el('nav', { className: 'pager', attrs: { 'aria-label': 'Pages of the timeline' } });
    if (pages > 1) {
      const prev = el('button', { className: 'btn btn--small', text: 'Newer', attrs: { type: 'button' } });
      const next = el('button', { className: 'btn btn--small', text: 'Older', attrs: { type: 'button' } });
      prev.disabled = page <= 1;
      next.disabled = page >= pages;
      prev.addEventListener('click', () => showTimeline(contact, page - 1));
      next.addEventListener('click', () => showTimeline(contact, page + 1));
      pager.append(prev, el('span', { className: 'pager__info', text: `Page ${page} of ${pages}` }), next);
    }
    d.body.replaceChildren(
      el('div', { className: 'filter' }, [el('label', { text: 'Show', attrs: { for: 'timeline-kind' } }), kind]),
      table(['When', 'What', 'Subject', 'Status', 'Length'], items.map((t) => [when(t.occurred_at), KIND_LABELS[t.type] || t.type,
        t.title || '', t.status || '', t.type === 'call' ? duration(t.duration) : '']), 'Nothing with this contact yet.', { id: 'timeline-rows' }),
      pager,
    );
  } catch (err) {
    d.alert(err);
  }
}

const CONTACTS = {
  title: 'Contacts',
  subtitle: 'The people who call and write, with everything they did.',
  deleteNote: 'Their calls and chats stay; their tickets go with them.',
  path: '/contacts',
  noun: 'contact',
  writeRoles: ['super_admin', 'admin', 'manager', 'supervisor', 'agent'],
  deleteRoles: ['super_admin', 'admin', 'manager'],
  sizeParam: 'page_size',
  filters: [
    { name: 'search', label: 'Search name, company, email or number', type: 'search' },
    { name: 'company', label: 'Company', type: 'search' },
    { name: 'tag', label: 'Tag', type: 'search' },
  ],
  sort: { by: 'sort', order: 'order', keys: { name: 'name', email: 'email', company: 'company' }, initial: ['name', 'asc'] },
  columns: [
    { key: 'name', label: 'Name' },
    { key: 'company', label: 'Company' },
    { key: 'email', label: 'Email' },
    { key: 'phone', label: 'Phone', format: (v, c) => v || c.mobile || '' },
    { key: 'tags', label: 'Tags', format: (v) => (Array.isArray(v) ? v.join(', ') : '') },
  ],
  fields: [
    { name: 'first_name', label: 'First name', type: 'text', maxlength: 100 },
    { name: 'last_name', label: 'Last name', type: 'text', maxlength: 100 },
    { name: 'company', label: 'Company', type: 'text', maxlength: 255 },
    { name: 'email', label: 'Email', type: 'email', omitEmpty: true },
    { name: 'phone', label: 'Phone', type: 'tel', omitEmpty: true, hint: 'E.164, for example +15551234567.' },
    { name: 'mobile', label: 'Mobile', type: 'tel', omitEmpty: true },
    { name: 'tags', label: 'Tags (comma-separated)', type: 'list' },
    { name: 'notes', label: 'Notes', type: 'textarea' },
  ],
  rowActions: [{ label: 'Timeline', run: (c) => showTimeline(c) }],
};

const user = startPage('contacts.html');
if (user) resourcePage(CONTACTS, user);
