// Users page: the declaration of /api/users for resource-page.js (the role has a route of
// its own, PUT /api/users/:id/role; a password is set when creating, or to change it).
import { resourcePage } from './resource-page.js';
import { startPage } from './shell.js';

const ROLES = [['agent', 'Agent'], ['manager', 'Manager'], ['admin', 'Admin']];
const when = (v) => (v ? new Date(v).toLocaleString() : 'Never');

const USERS = {
  title: 'Users',
  subtitle: 'Who signs in, and with which role.',
  deleteNote: 'Their sessions end; their calls and records stay.',
  path: '/users',
  noun: 'user',
  writeRoles: ['super_admin', 'admin'],
  filters: [
    { name: 'search', label: 'Search email or name', type: 'search' },
    { name: 'role', label: 'Role', type: 'select', options: [['', 'Any role'], ...ROLES] },
    { name: 'is_active', label: 'Active', type: 'select', options: [['', 'All'], ['true', 'Active'], ['false', 'Inactive']] },
  ],
  sort: { by: 'sortBy', order: 'sortOrder', keys: { email: 'email', last_name: 'last_name', role: 'role' } },
  columns: [
    { key: 'email', label: 'Email' },
    { key: 'last_name', label: 'Name', format: (v, u) => [u.first_name, u.last_name].filter(Boolean).join(' ') },
    { key: 'role', label: 'Role', format: (v) => (ROLES.find(([k]) => k === v) || [v, v])[1] },
    { key: 'phone', label: 'Phone' },
    { key: 'is_active', label: 'Active', format: (v) => (v ? 'Yes' : 'No') },
    { key: 'last_login_at', label: 'Last sign-in', format: when },
  ],
  fields: [
    { name: 'email', label: 'Email', type: 'email', required: true, maxlength: 255 },
    { name: 'first_name', label: 'First name', type: 'text', maxlength: 100 },
    { name: 'last_name', label: 'Last name', type: 'text', maxlength: 100 },
    { name: 'phone', label: 'Phone', type: 'tel', omitEmpty: true },
    { name: 'role', label: 'Role', type: 'select', options: ROLES, default: 'agent', updateVia: 'role' },
    { name: 'password', label: 'Password', type: 'password', required: true, omitEmpty: true,
      hint: 'At least 8 characters. When editing, leave it empty to keep the current one.' },
  ],
};

const user = startPage('users.html');
if (user) resourcePage(USERS, user);
