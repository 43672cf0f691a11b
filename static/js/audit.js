// Audit log page: who changed what, from where (GET /api/audit-logs, admins), newest
// first, filtered on the server; a row's details (what was sent, never a password) in a
// dialog.
import { dialog, when } from './dialog.js';
import { resourcePage } from './resource-page.js';
import { el, startPage } from './shell.js';

function showDetails(entry) {
  const d = dialog('details-dialog', { wide: true });
  d.open(`${entry.action} by ${entry.user_email || entry.user_id || 'the system'}`);
  let text = entry.details;
  if (text && typeof text === 'object') text = JSON.stringify(text, null, 2);
  else if (typeof text === 'string') {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* kept as sent */ }
  }
  d.body.replaceChildren(
    el('dl', { className: 'facts' }, [
      el('dt', { text: 'When' }), el('dd', { text: when(entry.created_at) }),
      el('dt', { text: 'Record' }), el('dd', { text: `${entry.resource_type || ''} ${entry.resource_id || ''}` }),
      el('dt', { text: 'From' }), el('dd', { text: entry.ip_address || '' }),
      el('dt', { text: 'Request' }), el('dd', { text: entry.request_id || '' }),
    ]),
    el('pre', { className: 'code', text: text || 'No details recorded.', attrs: { id: 'audit-details' } }),
  );
}

const AUDIT = {
  title: 'Audit log',
  subtitle: 'Every change made through the API: who, what, which record, from where.',
  path: '/audit-logs',
  noun: 'entry',
  plural: 'entries',
  writeRoles: [],
  sizeParam: 'page_size',
  filters: [
    { name: 'action', label: 'Action (create, contact.update…)', type: 'search' },
    { name: 'resource', label: 'Record type', type: 'search' },
    { name: 'resource_id', label: 'Record id', type: 'search' },
    { name: 'from', label: 'From', type: 'date' },
    { name: 'to', label: 'To (whole day)', type: 'date' },
  ],
  columns: [
    { key: 'created_at', label: 'When', format: when },
    { key: 'user_email', label: 'Who', format: (v, e) => v || e.user_name || e.user_id || 'System' },
    { key: 'action', label: 'Action' },
    { key: 'resource_type', label: 'Record', format: (v, e) => `${v || ''} ${e.resource_id || ''}`.trim() },
    { key: 'ip_address', label: 'From' },
  ],
  fields: [],
  rowActions: [{ label: 'Details', run: showDetails }],
};

const user = startPage('audit.html');
if (user) resourcePage(AUDIT, user);
