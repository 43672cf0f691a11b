// Tenants page (super_admin): the declaration of /api/tenants for resource-page.js; a
// tenant's status has a route of its own (suspending one stops its tokens at once), and
// its usage against its limits opens in a dialog.
import { api } from './api.js';
import { dialog, table, when } from './dialog.js';
import { resourcePage } from './resource-page.js';
import { startPage } from './shell.js';

const STATUSES = [['active', 'Active'], ['suspended', 'Suspended']];

async function showUsage(t) {
  const d = dialog('usage-dialog');
  d.open(`Usage of ${t.name}`);
  try {
    const res = await api('GET', `/tenants/${encodeURIComponent(t.id)}/resource-usage`);
    const u = res.usage || res.data || {};
    d.body.replaceChildren(table(['What', 'Now', 'Limit'], [
      ['Agents', String(u.agents_count), u.max_agents ?? 'None'], ['Users', String(u.users_count), u.max_users ?? 'None'],
      ['Queues', String(u.queues_count), u.max_queues ?? 'None'], ['Numbers', String(u.dids_count), u.max_dids ?? 'None'],
      ['Live calls', String(u.active_calls_count), u.max_concurrent_calls ?? 'None'],
      ['Recordings', `${u.recordings_count} (${Math.round((u.storage_bytes || 0) / 1048576)} MiB)`, u.max_storage_bytes ?? 'None'],
    ].map((r) => r.map(String)), 'No figures.', { id: 'usage-rows' }));
  } catch (err) {
    d.alert(err);
  }
}

const TENANTS = {
  title: 'Tenants',
  subtitle: 'Every contact center on this platform.',
  deleteNote: 'Its users can no longer sign in; its records stay (a soft delete).',
  path: '/tenants',
  noun: 'tenant',
  listKey: 'tenants',
  writeRoles: ['super_admin'],
  filters: [
    { name: 'search', label: 'Search name or domain', type: 'search' },
    { name: 'status', label: 'Status', type: 'select', options: [['', 'Any status'], ...STATUSES, ['deleted', 'Deleted']] },
  ],
  sort: { by: 'sort', order: 'order', keys: { name: 'name', status: 'status', created_at: 'created_at' } },
  columns: [
    { key: 'name', label: 'Name' },
    { key: 'domain', label: 'Domain' },
    { key: 'plan', label: 'Plan' },
    { key: 'max_agents', label: 'Max agents' },
    { key: 'status', label: 'Status', format: (v) => (STATUSES.find(([k]) => k === v) || [v, v])[1] },
    { key: 'created_at', label: 'Created', format: when },
  ],
  fields: [
    { name: 'name', label: 'Name', type: 'text', required: true, maxlength: 255 },
    { name: 'domain', label: 'Domain', type: 'text', maxlength: 255, omitEmpty: true },
    { name: 'plan', label: 'Plan', type: 'text', maxlength: 50, default: 'standard' },
    { name: 'max_agents', label: 'Max agents', type: 'number', min: 1, max: 100000, default: 10 },
    { name: 'status', label: 'Status', type: 'select', options: STATUSES, default: 'active', updateVia: 'status' },
    { name: 'settings', label: 'Settings (JSON object)', type: 'json', omitEmpty: true },
  ],
  rowActions: [{ label: 'Usage', run: showUsage }],
};

const user = startPage('tenants.html');
if (user) resourcePage(TENANTS, user);
