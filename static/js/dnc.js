// The do-not-call list (/api/dnc, coldcaller's dialect): the numbers the dialer refuses.
// Anyone adds a number (with a reason, and an expiry or none) and checks one; managers and
// admins remove entries. The list pages on the server and searches reasons and digits.
import { api } from './api.js';
import {
  WRITERS, alertBox, button, coldList, dialog, field, fieldErrors, markFields, pager,
  placeholderRow, query, showAlert, showPager, table, when,
} from './outbound-kit.js';
import { $, el, pageAlert, startPage } from './shell.js';

const LIMIT = 25;
const COLUMNS = ['Number', 'Reason', 'Blocks', 'Expires', 'State', 'Added', ''];
const DIRECTIONS = { outbound: 'Outbound calls', both: 'Inbound and outbound', inbound: 'Inbound calls' };
const FIELDS = { phoneNumber: ['dnc-phone', 'Phone number'], reason: ['dnc-reason', 'Reason'], expiresAt: ['dnc-expires', 'Expires'] };

const state = { page: 1, canRemove: false, removing: null };

function notice(text) {
  $('page-notice').textContent = text || '';
  $('page-notice').hidden = !text;
}

function drawPage() {
  const head = el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: 'Do-not-call list' }),
      el('p', { className: 'muted', text: 'Numbers the dialer refuses to call, and leads import skips.' })]),
    el('a', { className: 'btn', text: 'Leads', attrs: { href: 'leads.html' } }),
  ]);
  const add = el('section', { className: 'panel', attrs: { 'aria-labelledby': 'add-title' } }, [
    el('h2', { text: 'Add a number', attrs: { id: 'add-title' } }),
    alertBox('dnc-alert'),
    el('form', { attrs: { id: 'dnc-form', novalidate: '' } }, [
      el('div', { className: 'form-grid' }, [
        field({ id: 'dnc-phone', label: 'Phone number', type: 'tel', required: true, attrs: { autocomplete: 'off', placeholder: '+1 555 010 9999' } }),
        field({ id: 'dnc-reason', label: 'Reason', attrs: { maxlength: '255', placeholder: 'optional' } }),
        field({ id: 'dnc-expires', label: 'Expires', type: 'datetime-local', hint: 'Blank: for ever.' }),
      ]),
      el('button', { className: 'btn btn--primary', text: 'Add to the list', attrs: { id: 'dnc-add', type: 'submit' } }),
    ]),
  ]);
  const check = el('section', { className: 'panel', attrs: { 'aria-labelledby': 'check-title' } }, [
    el('h2', { text: 'Check a number', attrs: { id: 'check-title' } }),
    el('form', { className: 'inline-form', attrs: { id: 'check-form' } }, [
      el('label', { text: 'Phone number', attrs: { for: 'check-phone' } }),
      el('input', { attrs: { id: 'check-phone', type: 'tel', required: '', autocomplete: 'off' } }),
      el('button', { className: 'btn', text: 'Check', attrs: { type: 'submit', id: 'check-submit' } }),
    ]),
    el('p', { attrs: { id: 'check-result', role: 'status', 'aria-live': 'polite' } }),
  ]);
  const filters = el('form', { className: 'filters', attrs: { id: 'dnc-filters', role: 'search', 'aria-label': 'Search the list' } }, [
    field({ id: 'filter-search', label: 'Search', type: 'search', attrs: { placeholder: 'Reason, or 3+ digits of the number' } }),
    el('button', { className: 'btn', text: 'Search', attrs: { type: 'submit' } }),
  ]);
  $('main').replaceChildren(head, alertBox('page-alert'),
    el('div', { className: 'alert alert--success', attrs: { id: 'page-notice', role: 'status', hidden: '' } }),
    el('div', { className: 'columns' }, [add, check]),
    el('section', { className: 'section-gap', attrs: { 'aria-labelledby': 'list-title' } }, [
      el('h2', { text: 'On the list', attrs: { id: 'list-title' } }), filters,
      table('rows', 'The do-not-call list', COLUMNS),
      pager('dnc', 'Pages of the list', (d) => { state.page += d; load(); })]));
  dialog('remove-dialog', 'Remove from the list', [el('p', {}, ['Remove ', el('strong', { attrs: { id: 'remove-number' } }),
    ' from the do-not-call list? The dialer may call it again.'])],
  [button('Cancel', { attrs: { 'data-close': '' } }), button('Remove', { id: 'remove-confirm', className: 'btn--danger' })]);
}

function row(e) {
  const cell = el('td', { className: 'col-actions' });
  if (state.canRemove && e.direction !== 'inbound') {
    const b = button('Remove', { className: 'btn--small btn--danger-ghost', attrs: { 'data-remove': '', 'aria-label': `Remove ${e.phoneNumber}` } });
    b.addEventListener('click', () => askRemove(e));
    cell.append(b);
  }
  return el('tr', { attrs: { 'data-id': e.id, 'data-number': e.phoneNumber } }, [
    el('td', { className: 'nowrap', text: e.phoneNumber }), el('td', { text: e.reason || '' }),
    el('td', { text: DIRECTIONS[e.direction] || e.direction }), el('td', { text: e.expiresAt ? when(e.expiresAt) : 'Never' }),
    el('td', {}, [el('span', { className: `status status--${e.active ? 'active' : 'completed'}`, text: e.active ? 'Blocking' : 'Expired' })]),
    el('td', { text: when(e.createdAt) }), cell,
  ]);
}

async function load() {
  const tbody = $('rows');
  try {
    const search = $('filter-search').value.trim();
    const list = coldList(await api('GET', `/dnc${query({ page: state.page, limit: LIMIT, search })}`));
    if (!list.items.length && state.page > 1) {
      state.page -= 1;
      return load();
    }
    tbody.replaceChildren(...list.items.map(row));
    if (!list.items.length) tbody.append(placeholderRow(search ? 'No entry matches this search.' : 'No numbers on the list.', COLUMNS.length));
    showPager('dnc', list);
    pageAlert(null);
  } catch (err) {
    tbody.replaceChildren(placeholderRow('The list could not be loaded.', COLUMNS.length));
    pageAlert(err);
  }
  return undefined;
}

async function add(e) {
  e.preventDefault();
  notice(null);
  markFields(FIELDS, {});
  showAlert('dnc-alert', null);
  const phone = $('dnc-phone').value.trim();
  if (!phone) {
    markFields(FIELDS, { phoneNumber: 'is required' }).focus();
    return;
  }
  const body = { phoneNumber: phone };
  if ($('dnc-reason').value.trim()) body.reason = $('dnc-reason').value.trim();
  if ($('dnc-expires').value) body.expiresAt = new Date($('dnc-expires').value).toISOString();
  try {
    const entry = (await api('POST', '/dnc', body)).data || {};
    $('dnc-form').reset();
    notice(`${entry.phoneNumber || phone} is on the do-not-call list.`);
    state.page = 1;
    await load();
  } catch (err) {
    if (err.redirected) return;
    const first = markFields(FIELDS, fieldErrors(err));
    if (first) first.focus();
    else showAlert('dnc-alert', err);
  }
}

async function check(e) {
  e.preventDefault();
  const out = $('check-result');
  try {
    const d = (await api('GET', `/dnc/check${query({ phoneNumber: $('check-phone').value.trim() })}`)).data || {};
    const parts = [d.blocked ? `${d.phoneNumber} is blocked${d.entry && d.entry.reason ? ` (${d.entry.reason})` : ''}.` : `${d.phoneNumber} is not on the list.`];
    if (d.leadDoNotCall) parts.push('A lead with this number is flagged do-not-call.');
    out.textContent = parts.join(' ');
    out.dataset.blocked = String(Boolean(d.blocked || d.leadDoNotCall));
  } catch (err) {
    const f = fieldErrors(err).phoneNumber;
    out.textContent = f ? `Phone number: ${f}` : err.message;
    out.dataset.blocked = '';
  }
}

function askRemove(e) {
  state.removing = e;
  $('remove-number').textContent = e.phoneNumber;
  $('remove-dialog').showModal();
}

async function confirmRemove() {
  const e = state.removing;
  $('remove-dialog').close();
  notice(null);
  let refused = null;
  try {
    await api('DELETE', `/dnc/${encodeURIComponent(e.id)}`);
    notice(`${e.phoneNumber} was removed from the list.`);
  } catch (err) {
    refused = err;
  }
  await load();
  if (refused) pageAlert(refused); // after the reload, which clears the alert
}

const user = startPage('dnc.html');
if (user) {
  state.canRemove = WRITERS.includes(user.role);
  drawPage();
  $('dnc-form').addEventListener('submit', add);
  $('check-form').addEventListener('submit', check);
  $('remove-confirm').addEventListener('click', confirmRemove);
  $('dnc-filters').addEventListener('submit', (e) => { e.preventDefault(); state.page = 1; load(); });
  load();
}
