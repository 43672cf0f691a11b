// Phone numbers page: the declaration of /api/dids for resource-page.js. A number routes
// to a queue, an IVR flow or menu, a department, an agent, a voicemail box or an external
// number; the API checks the target is the tenant's (422 under "Target").
import { resourcePage } from './resource-page.js';
import { startPage } from './shell.js';

const ROUTES = [
  ['queue', 'Queue'], ['ivr', 'IVR flow or menu'], ['department', 'Department'],
  ['agent', 'Agent'], ['voicemail', 'Voicemail'], ['external', 'External number'],
];
const yes = (v) => (v ? 'Yes' : 'No');

const DIDS = {
  title: 'Phone numbers',
  subtitle: 'Your numbers (DIDs) and where their calls go.',
  deleteNote: 'A number with call records cannot be deleted; switch it off instead.',
  path: '/dids',
  noun: 'number',
  writeRoles: ['super_admin', 'admin'],
  columns: [
    { key: 'number', label: 'Number' },
    { key: 'friendly_name', label: 'Name' },
    { key: 'route_type', label: 'Routes to', format: (v) => (ROUTES.find(([k]) => k === v) || [v, v || ''])[1] },
    { key: 'route_target', label: 'Target' },
    { key: 'sms_enabled', label: 'SMS', format: yes },
    { key: 'is_active', label: 'Active', format: yes },
  ],
  fields: [
    { name: 'number', label: 'Number', type: 'tel', required: true, hint: 'E.164, e.g. +15550100' },
    { name: 'friendly_name', label: 'Name', type: 'text', maxlength: 255 },
    { name: 'route_type', label: 'Routes to', type: 'select', options: ROUTES, default: 'queue' },
    { name: 'route_target', label: 'Target', type: 'text', omitEmpty: true, maxlength: 64,
      hint: 'The id of the queue, flow, department, agent or box; a phone number for an external route.' },
    { name: 'sms_enabled', label: 'Sends SMS', type: 'checkbox', default: false },
    { name: 'is_active', label: 'Active', type: 'checkbox' },
  ],
};

const user = startPage('dids.html');
if (user) resourcePage(DIDS, user);
