// Leads page (/api/leads, coldcaller's dialect): the tenant's leads paged on the server,
// filtered by the API's filters (search, status, campaign, callback due); staff import a
// CSV file (POST /api/leads/import, text/csv): a progress bar follows the upload
// (XMLHttpRequest's upload events), then the API's work on it (it answers when every row
// is checked and the good ones are in), then the report of the rows it rejected (the
// file's line, the column, the API's reason). The do-not-call list is dnc.html.
import { api } from './api.js';
import {
  WRITERS, alertBox, coldList, field, pager, placeholderRow, query, showPager, table,
  upload, when,
} from './outbound-kit.js';
import { $, el, pageAlert, startPage } from './shell.js';

const LIMIT = 25;
const STATUSES = [['new', 'New'], ['contacted', 'Contacted'], ['callback', 'Callback'], ['qualified', 'Qualified'],
  ['converted', 'Converted'], ['not_interested', 'Not interested'], ['bad_number', 'Bad number'], ['do_not_call', 'Do not call']];
const STATUS_LABEL = Object.fromEntries(STATUSES);
const COLUMNS = ['#', 'Name', 'Company', 'Phone', 'Campaign', 'Status', 'Attempts', 'Last called', 'Next callback'];

const state = { page: 1, campaigns: new Map() };

function drawImport() {
  const progress = el('div', { className: 'import-state', attrs: { id: 'import-state', hidden: '' } }, [
    el('p', { attrs: { id: 'import-phase', role: 'status', 'aria-live': 'polite' } }),
    el('progress', { attrs: { id: 'import-progress', max: '100', value: '0', 'aria-labelledby': 'import-phase' } }),
  ]);
  const report = el('div', { attrs: { id: 'import-report', hidden: '' } }, [
    el('p', { attrs: { id: 'import-summary' } }),
    el('div', { attrs: { id: 'import-rejected', hidden: '' } }, [
      el('h3', { text: 'Rejected rows' }),
      table('import-errors', 'Rows the import rejected', ['Row', 'Column', 'Reason']),
    ]),
  ]);
  return el('section', { className: 'panel', attrs: { id: 'import-panel', 'aria-labelledby': 'import-title', hidden: '' } }, [
    el('h2', { text: 'Import leads from a CSV file', attrs: { id: 'import-title' } }),
    el('p', { className: 'muted', text: 'A header row, then one lead a row. Columns: firstName, lastName, phone (required), email, company, campaignId, timeZone, notes (snake_case names too; other columns are ignored). Rows that fail a check are reported and left out; the others are imported together. Up to about 10 000 rows (1 MiB) a file.' }),
    el('form', { className: 'inline-form', attrs: { id: 'import-form' } }, [
      el('label', { text: 'CSV file', attrs: { for: 'import-file' } }),
      el('input', { attrs: { id: 'import-file', type: 'file', accept: '.csv,text/csv', required: '' } }),
      el('button', { className: 'btn btn--primary', text: 'Import', attrs: { id: 'import-submit', type: 'submit' } }),
    ]),
    alertBox('import-alert'),
    progress, report,
  ]);
}

function drawPage() {
  const head = el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: 'Leads' }), el('p', { className: 'muted', text: 'The people your campaigns call, and how far each one got.' })]),
    el('a', { className: 'btn', text: 'Do-not-call list', attrs: { href: 'dnc.html' } }),
  ]);
  const filters = el('form', { className: 'filters', attrs: { id: 'lead-filters', role: 'search', 'aria-label': 'Filter leads' } }, [
    field({ id: 'filter-search', label: 'Search', type: 'search', attrs: { placeholder: 'Name, company, e-mail or 4+ digits' } }),
    field({ id: 'filter-status', label: 'Status', type: 'select', options: [['', 'Any status'], ...STATUSES] }),
    field({ id: 'filter-campaign', label: 'Campaign', type: 'select', options: [['', 'Any campaign']] }),
    field({ id: 'filter-callback', label: 'Callback', type: 'select', options: [['', 'Any'], ['true', 'Due now'], ['false', 'Not due']] }),
    el('button', { className: 'btn', text: 'Filter', attrs: { type: 'submit' } }),
  ]);
  $('main').replaceChildren(head, alertBox('page-alert'), drawImport(),
    el('section', { attrs: { 'aria-labelledby': 'list-title' } }, [
      el('h2', { className: 'visually-hidden', text: 'Leads', attrs: { id: 'list-title' } }),
      filters, table('rows', 'Leads', COLUMNS),
      pager('leads', 'Pages of leads', (d) => { state.page += d; load(); }),
    ]));
}

function row(l) {
  const name = l.name || [l.firstName, l.lastName].filter(Boolean).join(' ');
  const camp = l.campaignId ? (state.campaigns.get(l.campaignId) || { name: l.campaignId }).name : '';
  const status = el('span', { className: `status status--${l.status}`, text: STATUS_LABEL[l.status] || l.status });
  const phone = el('td', { className: 'nowrap', text: l.phone || l.phoneNumber || '' });
  if (l.doNotCall) phone.append(' ', el('span', { className: 'status status--do_not_call', text: 'DNC' }));
  return el('tr', { attrs: { 'data-id': String(l.id) } }, [
    el('td', { text: l.id }), el('td', { text: name || '—' }), el('td', { text: l.company || '' }), phone,
    el('td', { text: camp }), el('td', {}, [status]), el('td', { text: l.attempts ?? 0 }),
    el('td', { text: when(l.lastCalledAt) }), el('td', { text: when(l.nextCallbackAt) }),
  ]);
}

function filtered() {
  return ['filter-search', 'filter-status', 'filter-campaign', 'filter-callback'].some((id) => $(id).value);
}

async function load() {
  const tbody = $('rows');
  try {
    const q = query({ page: state.page, limit: LIMIT, search: $('filter-search').value.trim(), status: $('filter-status').value,
      campaignId: $('filter-campaign').value, callbackDue: $('filter-callback').value });
    const list = coldList(await api('GET', `/leads${q}`));
    if (!list.items.length && state.page > 1) {
      state.page -= 1;
      return load();
    }
    tbody.replaceChildren(...list.items.map(row));
    if (!list.items.length) tbody.append(placeholderRow(filtered() ? 'No lead matches these filters.' : 'No leads yet.', COLUMNS.length));
    showPager('leads', list);
    pageAlert(null);
  } catch (err) {
    tbody.replaceChildren(placeholderRow('The leads could not be loaded.', COLUMNS.length));
    pageAlert(err);
  }
  return undefined;
}

async function loadCampaigns() {
  try {
    const list = coldList(await api('GET', '/campaigns?limit=100')).items;
    state.campaigns = new Map(list.map((c) => [c.id, c]));
    $('filter-campaign').append(...list.map((c) => el('option', { text: c.name, attrs: { value: c.id } })));
  } catch (err) {
    pageAlert(err);
  }
}

/* ---- the import ---- */

function phase(kind, text, value) {
  $('import-state').hidden = false;
  $('import-state').dataset.state = kind;
  $('import-phase').textContent = text;
  const bar = $('import-progress');
  if (value === null) bar.removeAttribute('value'); // indeterminate: the API is working
  else bar.value = value;
}

function report(d) {
  const errors = Array.isArray(d.errors) ? d.errors : [];
  const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
  $('import-summary').textContent = `${n(d.imported || 0, 'lead', 'leads')} imported, ${n(d.rejected || 0, 'row', 'rows')} rejected.`;
  const tbody = $('import-errors');
  tbody.replaceChildren(...errors.map((e) => el('tr', { attrs: { 'data-row': String(e.row) } }, [
    el('td', { text: e.row }), el('td', { text: e.field }), el('td', { text: e.message })])));
  $('import-rejected').hidden = !errors.length;
  $('import-report').hidden = false;
}

async function runImport(e) {
  e.preventDefault();
  const file = $('import-file').files[0];
  $('import-report').hidden = true;
  $('import-alert').hidden = true;
  if (!file) {
    $('import-alert').textContent = 'Choose a CSV file first.';
    $('import-alert').hidden = false;
    return;
  }
  $('import-submit').disabled = true;
  $('import-state').dataset.sent = '0';
  phase('uploading', `Uploading ${file.name}… 0%`, 0);
  try {
    const res = await upload('/leads/import', file, 'text/csv', {
      onProgress: (f) => {
        if (f === null) return;
        $('import-state').dataset.sent = String(Math.round(f * 100)); // the share of the file sent
        if (f < 1) phase('uploading', `Uploading ${file.name}… ${Math.round(f * 100)}%`, Math.round(f * 90));
      },
      onSent: () => phase('processing', 'Uploaded; checking and importing the rows…', null),
    });
    phase('done', `Done: ${file.name} imported.`, 100);
    report(res.data || {});
    $('import-form').reset();
    state.page = 1;
    await load();
  } catch (err) {
    if (err.redirected) return;
    phase('failed', 'The import failed: nothing was imported.', 0);
    $('import-alert').textContent = err.message;
    $('import-alert').hidden = false;
  } finally {
    $('import-submit').disabled = false;
  }
}

const user = startPage('leads.html');
if (user) {
  drawPage();
  $('import-panel').hidden = !WRITERS.includes(user.role);
  $('import-form').addEventListener('submit', runImport);
  $('lead-filters').addEventListener('submit', (e) => { e.preventDefault(); state.page = 1; load(); });
  for (const id of ['filter-status', 'filter-campaign', 'filter-callback']) $(id).addEventListener('change', () => { state.page = 1; load(); });
  loadCampaigns().then(load);
}
