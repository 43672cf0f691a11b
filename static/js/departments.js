// Departments page: the declaration of /api/departments (the transfer dialect: the list
// under `departments`) for resource-page.js. business_hours is free JSON the portal sends;
// a color another client set is kept.
import { resourcePage } from './resource-page.js';
import { startPage } from './shell.js';

const COLORS = [['default', 'Default'], ['blue', 'Blue'], ['green', 'Green'], ['red', 'Red'],
  ['orange', 'Orange'], ['purple', 'Purple'], ['gray', 'Gray']];
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const DEPARTMENTS = {
  title: 'Departments',
  subtitle: 'The teams calls are transferred to.',
  deleteNote: 'Its calls and transfers keep its name.',
  path: '/departments',
  listKey: 'departments',
  noun: 'department',
  writeRoles: ['super_admin', 'admin', 'manager'],
  columns: [
    { key: 'name', label: 'Name' },
    { key: 'phone_number', label: 'Phone number' },
    { key: 'description', label: 'Description' },
    { key: 'color', label: 'Color', format: (v) => (COLORS.find(([k]) => k === v) || [v, v || 'Default'])[1] },
    { key: 'created_at', label: 'Created', format: (v) => (v ? dateFormat.format(new Date(v)) : '') },
  ],
  fields: [
    { name: 'name', label: 'Name', type: 'text', required: true, maxlength: 255 },
    { name: 'phone_number', label: 'Phone number', type: 'tel', required: true,
      hint: 'International format starting with +; stored as E.164 (e.g. +15550100).' },
    { name: 'description', label: 'Description', type: 'textarea', maxlength: 16000 },
    { name: 'color', label: 'Color', type: 'select', options: COLORS, default: 'default' },
    { name: 'business_hours', label: 'Business hours (JSON)', type: 'json',
      hint: 'Optional, e.g. {"mon": [{"open": "09:00", "close": "17:00"}]}' },
  ],
};

const user = startPage('departments.html');
if (user) resourcePage(DEPARTMENTS, user);
