// The page frame every dashboard page shares: the sign-in guard, the top bar (brand, the
// pages the user's role may open, the user, sign-out) and the page-level alert.
import { getUser, isSignedIn, logout, redirectToLogin } from './api.js';

const STAFF = ['super_admin', 'admin', 'manager', 'supervisor'];
const PAGES = [
  { href: 'wallboard.html', label: 'Wallboard', roles: STAFF },
  { href: 'queues.html', label: 'Queues', roles: STAFF },
  { href: 'dids.html', label: 'Numbers', roles: ['super_admin', 'admin'] },
  { href: 'departments.html', label: 'Departments', roles: null },
  { href: 'users.html', label: 'Users', roles: ['super_admin', 'admin'] },
  { href: 'agent.html', label: 'My desk', roles: null },
];
const ROLE_LABELS = { super_admin: 'Super admin', admin: 'Admin', manager: 'Manager', agent: 'Agent' };

export const $ = (id) => document.getElementById(id);

export function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

/** Shows (or hides, with no text) the page's alert; an error the API layer already handled
 *  by leaving for the sign-in page shows nothing. */
export function pageAlert(err) {
  const box = $('page-alert');
  if (!box || (err && err.redirected)) return;
  const text = err ? err.message || String(err) : '';
  box.textContent = text;
  box.hidden = !text;
}

/** The signed-in user, the top bar drawn; null (and off to sign-in) when signed out. */
export function startPage(current) {
  if (!isSignedIn()) {
    redirectToLogin();
    return null;
  }
  const user = getUser() || {};
  const nav = $('main-nav');
  if (nav) {
    nav.replaceChildren();
    for (const p of PAGES) {
      if (p.roles && !p.roles.includes(user.role)) continue;
      const a = el('a', { text: p.label, attrs: { href: p.href } });
      if (p.href === current) a.setAttribute('aria-current', 'page');
      nav.append(a);
    }
  }
  $('user-email').textContent = user.email || '';
  $('user-role').textContent = ROLE_LABELS[user.role] || user.role || '';
  $('signout').addEventListener('click', () => logout());
  return user;
}
