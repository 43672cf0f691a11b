// The page frame every dashboard page shares: the sign-in guard, the top bar it draws
// (skip link, brand, the pages the user's role may open, the live-stream badge on live
// pages, the user, sign-out) and the page-level alert. A page's HTML is its <main> only.
import { getUser, isSignedIn, logout, redirectToLogin } from './api.js';

const STAFF = ['super_admin', 'admin', 'manager', 'supervisor'];
const PAGES = [
  { href: 'wallboard.html', label: 'Wallboard', roles: STAFF },
  { href: 'queues.html', label: 'Queues', roles: STAFF },
  { href: 'dids.html', label: 'Numbers', roles: ['super_admin', 'admin'] },
  { href: 'schedules.html', label: 'Schedules', roles: STAFF },
  { href: 'ivr.html', label: 'IVR', roles: ['super_admin', 'admin', 'manager'] },
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

function topbar(user, current, live) {
  const nav = el('nav', { className: 'topbar__nav', attrs: { id: 'main-nav', 'aria-label': 'Main' } });
  for (const p of PAGES) {
    if (p.roles && !p.roles.includes(user.role)) continue;
    const a = el('a', { text: p.label, attrs: { href: p.href } });
    if (p.href === current) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  const side = el('div', { className: 'topbar__user' });
  if (live) {
    side.append(el('span', { className: 'live-state', text: 'Connecting…',
      attrs: { id: 'live-state', role: 'status', 'aria-live': 'polite', 'data-state': 'connecting' } }));
  }
  const signout = el('button', { className: 'btn btn--ghost btn--small', text: 'Sign out', attrs: { id: 'signout', type: 'button' } });
  signout.addEventListener('click', () => logout());
  side.append(el('span', { className: 'user-chip' }, [
    el('span', { className: 'user-chip__email', text: user.email || '', attrs: { id: 'user-email' } }),
    el('span', { className: 'badge', text: ROLE_LABELS[user.role] || user.role || '', attrs: { id: 'user-role' } }),
  ]), signout);
  const brand = el('a', { className: 'brand', text: 'Switchboard', attrs: { href: current } });
  brand.prepend(el('span', { className: 'brand__mark', attrs: { 'aria-hidden': 'true' } }));
  return el('header', { className: 'topbar' }, [el('div', { className: 'topbar__inner' }, [brand, nav, side])]);
}

/** The signed-in user, the frame drawn; null (and off to sign-in) when signed out.
 *  live: the page follows the event stream (a badge shows its state). */
export function startPage(current, { live = false } = {}) {
  if (!isSignedIn()) {
    redirectToLogin();
    return null;
  }
  const user = getUser() || {};
  const skip = el('a', { className: 'skip-link', text: 'Skip to content', attrs: { href: '#main' } });
  document.body.prepend(skip, topbar(user, current, live));
  return user;
}
