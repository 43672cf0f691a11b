// Queues page: the declaration of /api/queues for resource-page.js.
import { openMembers } from './queue-members.js';
import { resourcePage } from './resource-page.js';
import { startPage } from './shell.js';

const STRATEGIES = [
  ['ringall', 'Ring all'], ['roundrobin', 'Round robin'], ['leastrecent', 'Least recent'],
  ['fewestcalls', 'Fewest calls'], ['random', 'Random'], ['linear', 'Linear (in order)'],
];
const secs = (v) => (v === undefined || v === null || v === '' ? '' : `${v} s`);

const QUEUES = {
  title: 'Queues',
  subtitle: 'Where callers wait, and how they are offered to agents.',
  deleteNote: 'Calls waiting in it must be gone first.',
  path: '/queues',
  noun: 'queue',
  writeRoles: ['super_admin', 'admin', 'manager'],
  filters: [
    { name: 'search', label: 'Search names', type: 'search' },
    { name: 'strategy', label: 'Strategy', type: 'select', options: [['', 'Any strategy'], ...STRATEGIES] },
    { name: 'is_active', label: 'Active', type: 'select', options: [['', 'All'], ['true', 'Active'], ['false', 'Inactive']] },
  ],
  sort: { by: 'sort', order: 'order', keys: { name: 'name' }, initial: ['name', 'asc'] },
  columns: [
    { key: 'name', label: 'Name' },
    { key: 'strategy', label: 'Strategy', format: (v) => (STRATEGIES.find(([k]) => k === v) || [v, v])[1] },
    { key: 'timeout', label: 'Ring timeout', format: secs },
    { key: 'max_wait_time', label: 'Max wait', format: (v) => (Number(v) === 0 ? 'No limit' : secs(v)) },
    { key: 'service_level', label: 'Service level', format: secs },
    { key: 'member_count', label: 'Members' },
    { key: 'is_active', label: 'Active', format: (v) => (v ? 'Yes' : 'No') },
  ],
  fields: [
    { name: 'name', label: 'Name', type: 'text', required: true, maxlength: 255 },
    { name: 'description', label: 'Description', type: 'textarea' },
    { name: 'strategy', label: 'Strategy', type: 'select', options: STRATEGIES, default: 'ringall' },
    { name: 'timeout', label: 'Ring timeout (seconds)', type: 'number', min: 1, max: 600, default: 30 },
    { name: 'wrapup_time', label: 'Wrap-up (seconds)', type: 'number', min: 0, max: 3600, default: 0 },
    { name: 'max_wait_time', label: 'Max wait (seconds, 0: no limit)', type: 'number', min: 0, max: 86400, default: 300 },
    { name: 'service_level', label: 'Service-level threshold (seconds)', type: 'number', min: 0, max: 3600, default: 20,
      hint: 'A call answered within this wait counts as in service level.' },
    { name: 'is_active', label: 'Active', type: 'checkbox' },
  ],
};

const user = startPage('queues.html');
if (user) {
  QUEUES.rowActions = [{ label: 'Members', run: (q) => openMembers(q, QUEUES.writeRoles.includes(user.role)) }];
  resourcePage(QUEUES, user);
}
