// The page frame every dashboard page shares: the sign-in guard, the top bar it draws
// (skip link, brand, the pages the user's role may open, the live-stream badge on live
// pages, the user, sign-out) and the page-level alert. A page's HTML is its <main> only.
import { getUser, isSignedIn, logout, redirectToLogin } from './api.js';

const STAFF = ['super_admin', 'admin', 'manager', 'supervisor'];
// The menu: groups of pages; a group with one page the user may open is a plain link.
const PAGES = [
  { href: 'wallboard.html', label: 'Wallboard', roles: STAFF, group: 'Live' },
  { href: 'calls.html', label: 'Calls', roles: null, group: 'Live' }, // an agent's call logs are their own calls
  { href: 'agent.html', label: 'My desk', roles: null, group: 'Live' },
  { href: 'chat.html', label: 'Chat', roles: null, group: 'Live' },
  { href: 'queues.html', label: 'Queues', roles: STAFF, group: 'Routing' },
  { href: 'dids.html', label: 'Numbers', roles: ['super_admin', 'admin'], group: 'Routing' },
  { href: 'ivr.html', label: 'IVR flows', roles: ['super_admin', 'admin', 'manager'], group: 'Routing' },
  { href: 'schedules.html', label: 'Schedules', roles: STAFF, group: 'Routing' },
  { href: 'departments.html', label: 'Departments', roles: null, group: 'Routing' },
  { href: 'tickets.html', label: 'Tickets', roles: null, group: 'Customers' },
  { href: 'contacts.html', label: 'Contacts', roles: null, group: 'Customers' },
  { href: 'surveys.html', label: 'Surveys', roles: null, group: 'Customers' },
  { href: 'campaigns.html', label: 'Campaigns', roles: null, group: 'Outbound' },
  { href: 'leads.html', label: 'Leads', roles: null, group: 'Outbound' },
  { href: 'dnc.html', label: 'Do not call', roles: null, group: 'Outbound' },
  { href: 'trunks.html', label: 'SIP trunk', roles: ['super_admin', 'admin', 'manager'], group: 'Outbound' },
  { href: 'users.html', label: 'Users', roles: ['super_admin', 'admin'], group: 'Admin' },
  { href: 'webhooks.html', label: 'Webhooks', roles: ['super_admin', 'admin', 'manager'], group: 'Admin' },
  { href: 'audit.html', label: 'Audit log', roles: ['super_admin', 'admin'], group: 'Admin' },
  { href: 'settings.html', label: 'Settings', roles: null, group: 'Admin' },
  { href: 'tenants.html', label: 'Tenants', roles: ['super_admin'], group: 'Platform' },
  { href: 'registrations.html', label: 'Registrations', roles: ['super_admin'], group: 'Platform' },
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

function navLink(p, current) {
  const a = el('a', { text: p.label, attrs: { href: p.href } });
  if (p.href === current) a.setAttribute('aria-current', 'page');
  return a;
}

// A group's disclosure menu: its button opens the list of links; Escape or a click
// elsewhere closes it, and opening one closes the others.
function navGroup(name, pages, current) {
  const id = `nav-${name.toLowerCase()}`;
  const toggle = el('button', { className: 'navgroup__toggle', text: name, attrs: { type: 'button', 'aria-expanded': 'false', 'aria-controls': id } });
  const menu = el('ul', { className: 'navgroup__menu', attrs: { id, hidden: '' } }, pages.map((p) => el('li', {}, [navLink(p, current)])));
  if (pages.some((p) => p.href === current)) toggle.setAttribute('data-current', '');
  const box = el('div', { className: 'navgroup' }, [toggle, menu]);
  const show = (open) => {
    toggle.setAttribute('aria-expanded', String(open));
    menu.hidden = !open;
  };
  toggle.addEventListener('click', () => {
    const open = menu.hidden;
    for (const other of document.querySelectorAll('.navgroup__toggle[aria-expanded="true"]')) other.click();
    show(open);
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !menu.hidden) { show(false); toggle.focus(); }
  });
  document.addEventListener('click', (e) => { if (!box.contains(e.target)) show(false); });
  return box;
}

/** A page's action: its error shown as the page's alert (cleared first), then reload()
 *  redraws what it may have changed, whatever the outcome. */
export async function pageAction(fn, reload) {
  try {
    pageAlert(null);
    await fn();
  } catch (err) {
    pageAlert(err);
  }
  await reload().catch(pageAlert);
}

function topbar(user, current, live) {
  const nav = el('nav', { className: 'topbar__nav', attrs: { id: 'main-nav', 'aria-label': 'Main' } });
  const groups = new Map();
  for (const p of PAGES) {
    if (p.roles && !p.roles.includes(user.role)) continue;
    if (!groups.has(p.group)) groups.set(p.group, []);
    groups.get(p.group).push(p);
  }
  for (const [name, pages] of groups) nav.append(pages.length === 1 ? navLink(pages[0], current) : navGroup(name, pages, current));
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
