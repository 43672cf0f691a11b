// Schedules page: the declaration of /api/v1/schedules for resource-page.js: weekly hours
// in the schedule's IANA zone drawn by week-hours.js, holidays as dates (a value the API
// cannot read is a 422 under its field).
import { resourcePage } from './resource-page.js';
import { weekHours } from './week-hours.js';
import { startPage } from './shell.js';

const days = (h) => (h && typeof h === 'object' ? Object.keys(h).filter((d) => (h[d] || []).length).join(', ') : '');

const SCHEDULES = {
  title: 'Schedules',
  subtitle: 'Opening hours and holidays that numbers, queues, the IVR and campaigns follow.',
  deleteNote: 'A schedule a number, queue, widget or campaign follows cannot be deleted.',
  path: '/v1/schedules',
  noun: 'schedule',
  writeRoles: ['super_admin', 'admin', 'manager'],
  sizeParam: 'page_size',
  filters: [
    { name: 'search', label: 'Search names', type: 'search' },
    { name: 'is_active', label: 'Active', type: 'select', options: [['', 'All'], ['true', 'Active'], ['false', 'Inactive']] },
  ],
  sort: { by: 'sort', order: 'order', keys: { name: 'name' }, initial: ['name', 'asc'] },
  columns: [
    { key: 'name', label: 'Name' },
    { key: 'timezone', label: 'Time zone' },
    { key: 'hours', label: 'Open on', format: days },
    { key: 'holidays', label: 'Holidays', format: (v) => (Array.isArray(v) ? String(v.length) : '0') },
    { key: 'is_active', label: 'Active', format: (v) => (v ? 'Yes' : 'No') },
  ],
  fields: [
    { name: 'name', label: 'Name', type: 'text', required: true, maxlength: 255 },
    { name: 'description', label: 'Description', type: 'textarea' },
    { name: 'timezone', label: 'Time zone', type: 'text', default: 'UTC', hint: 'An IANA name, e.g. Europe/Paris.' },
    { name: 'hours', label: 'Weekly hours', widget: weekHours,
      default: { mon: [{ open: '09:00', close: '17:00' }], tue: [{ open: '09:00', close: '17:00' }],
        wed: [{ open: '09:00', close: '17:00' }], thu: [{ open: '09:00', close: '17:00' }],
        fri: [{ open: '09:00', close: '17:00' }] } },
    { name: 'holidays', label: 'Holidays', type: 'list', hint: 'Dates closed all day, comma-separated: 2026-12-25, 2027-01-01.' },
    { name: 'is_active', label: 'Active', type: 'checkbox' },
  ],
};

const user = startPage('schedules.html');
if (user) resourcePage(SCHEDULES, user);
