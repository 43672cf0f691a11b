// SIP trunk page (/api/sip/*, coldcaller's dialect): the tenant's trunk (one per tenant)
// with its registration and last check; admins configure it (a provider's preset fills the
// server, port and transport), and Test (SIP OPTIONS), Register and Unregister speak SIP to
// it for real, the outcome (status code, reason, round trip, or the error) shown in the
// result panel. The password is write-only: never shown, and a blank one keeps the stored
// one. Managers read; agents are refused by the API.
import { api } from './api.js';
import {
  ADMINS, alertBox, button, dialog, field, fieldErrors, markFields, placeholderRow, showAlert,
  table, when,
} from './outbound-kit.js';
import { $, el, pageAlert, startPage } from './shell.js';

const COLUMNS = ['Provider', 'Server', 'Username', 'Password', 'Registration', 'Last check', ''];
const TRANSPORTS = [['UDP', 'UDP'], ['TCP', 'TCP'], ['TLS', 'TLS']];
const STATES = { registered: 'Registered', unregistered: 'Not registered', failed: 'Registration failed', unconfigured: 'Not configured' };
const FIELDS = {
  provider: ['t-provider', 'Provider'], server: ['t-server', 'Server'], port: ['t-port', 'Port'],
  transport: ['t-transport', 'Transport'], username: ['t-username', 'Username'], password: ['t-password', 'Password'],
  domain: ['t-domain', 'Domain'], registerExpires: ['t-expires', 'Registration expiry'], enableRecording: ['t-recording', 'Record calls'],
};
const ACTIONS = [
  { key: 'test', label: 'Test', busy: 'Testing…', title: 'Test (SIP OPTIONS)' },
  { key: 'register', label: 'Register', busy: 'Registering…', title: 'Registration' },
  { key: 'unregister', label: 'Unregister', busy: 'Unregistering…', title: 'Unregistration' },
];

const state = { trunk: null, providers: [], isAdmin: false, busy: false };

function notice(text) {
  $('page-notice').textContent = text || '';
  $('page-notice').hidden = !text;
}

function drawPage() {
  const head = el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: 'SIP trunk' }),
      el('p', { className: 'muted', text: 'The SIP account outbound calls go through: one per tenant.' })]),
    button('Configure trunk', { id: 'trunk-edit', className: 'btn--primary', attrs: { hidden: '' } }),
  ]);
  const result = el('section', { className: 'panel result', attrs: { id: 'sip-result', 'aria-labelledby': 'sip-result-title', hidden: '' } }, [
    el('h2', { attrs: { id: 'sip-result-title' } }),
    el('div', { attrs: { id: 'sip-result-body', role: 'status', 'aria-live': 'polite' } }),
  ]);
  $('main').replaceChildren(head, alertBox('page-alert'),
    el('div', { className: 'alert alert--success', attrs: { id: 'page-notice', role: 'status', hidden: '' } }),
    table('rows', 'SIP trunk', COLUMNS), result);
  drawForm();
}

function drawForm() {
  const content = [
    alertBox('trunk-alert'),
    field({ id: 't-preset', label: 'Preset', type: 'select', options: [['', 'Custom']], hint: 'Fills the server, port and transport of a known provider.' }),
    el('div', { className: 'form-grid' }, [
      field({ id: 't-provider', label: 'Provider', required: true, attrs: { maxlength: '50' } }),
      field({ id: 't-server', label: 'Server', required: true, attrs: { maxlength: '255', placeholder: 'sip.example.com' } }),
    ]),
    el('div', { className: 'form-grid' }, [
      field({ id: 't-port', label: 'Port', type: 'number', attrs: { min: '1', max: '65535', placeholder: '5060 (TLS: 5061)' } }),
      field({ id: 't-transport', label: 'Transport', type: 'select', options: TRANSPORTS }),
    ]),
    el('div', { className: 'form-grid' }, [
      field({ id: 't-username', label: 'Username', attrs: { maxlength: '128', autocomplete: 'off' } }),
      field({ id: 't-password', label: 'Password', type: 'password', attrs: { maxlength: '128', autocomplete: 'new-password' }, hint: 'Write-only: it is never shown.' }),
    ]),
    el('div', { className: 'form-grid' }, [
      field({ id: 't-domain', label: 'Domain', attrs: { maxlength: '255', placeholder: 'The server, if blank' } }),
      field({ id: 't-expires', label: 'Registration expiry (seconds)', type: 'number', attrs: { min: '5', max: '86400' } }),
    ]),
    field({ id: 't-recording', label: 'Record calls', type: 'checkbox' }),
  ];
  dialog('trunk-dialog', 'SIP trunk', content,
    [button('Cancel', { attrs: { 'data-close': '' } }), el('button', { className: 'btn btn--primary', text: 'Save', attrs: { id: 'trunk-save', type: 'submit' } })],
    { form: true });
}

function stateBadge(t) {
  const s = t.registrationState || (t.registered ? 'registered' : 'unregistered');
  const box = el('td', {}, [el('span', { className: `status status--${s}`, text: STATES[s] || s, attrs: { 'data-registration': s } })]);
  if (t.registered && t.expiresAt) box.append(el('div', { className: 'muted', text: `until ${when(t.expiresAt)}` }));
  return box;
}

function lastCheck(t) {
  if (!t.lastCheckedAt) return el('td', { className: 'muted', text: 'Never' });
  const parts = [];
  if (t.lastStatus !== null && t.lastStatus !== undefined) parts.push(`SIP ${t.lastStatus}`);
  if (t.lastRttMs !== null && t.lastRttMs !== undefined) parts.push(`${t.lastRttMs} ms`);
  const cell = el('td', {}, [el('div', { text: parts.join(' · ') || 'No answer' })]);
  if (t.lastError) cell.append(el('div', { className: 'field__error', text: t.lastError }));
  cell.append(el('div', { className: 'muted', text: when(t.lastCheckedAt) }));
  return cell;
}

function actions(t) {
  const cell = el('td', { className: 'col-actions' });
  if (!state.isAdmin) return cell;
  const box = el('div', { className: 'row-buttons' });
  for (const a of ACTIONS) {
    if (a.key === 'unregister' && !t.registered) continue;
    const b = button(a.label, { className: 'btn--small', attrs: { 'data-action': a.key, id: `trunk-${a.key}` } });
    b.addEventListener('click', () => run(a, b));
    box.append(b);
  }
  const edit = button('Edit', { className: 'btn--small', attrs: { 'data-edit': '' } });
  edit.addEventListener('click', openForm);
  box.append(edit);
  cell.append(box);
  return cell;
}

function row(t) {
  const server = el('td', {}, [el('div', { className: 'mono', text: `${t.server}:${t.port}` }), el('div', { className: 'muted', text: t.transport })]);
  return el('tr', { attrs: { 'data-id': t.id } }, [
    el('td', { text: t.provider }), server, el('td', { text: t.username || '—' }),
    el('td', { text: t.hasPassword ? 'Set (hidden)' : 'Not set', attrs: { 'data-password': t.hasPassword ? 'set' : 'none' } }),
    stateBadge(t), lastCheck(t), actions(t),
  ]);
}

async function load() {
  const tbody = $('rows');
  try {
    state.trunk = (await api('GET', '/sip/settings')).data || null;
  } catch (err) {
    state.trunk = null;
    if (err.status !== 404) {
      tbody.replaceChildren(placeholderRow('The trunk could not be loaded.', COLUMNS.length));
      pageAlert(err);
      return;
    }
  }
  pageAlert(null);
  $('trunk-edit').textContent = state.trunk ? 'Edit trunk' : 'Configure trunk';
  tbody.replaceChildren(state.trunk ? row(state.trunk)
    : placeholderRow(state.isAdmin ? 'No SIP trunk is configured yet: configure one.' : 'No SIP trunk is configured yet.', COLUMNS.length));
}

function showResult(a, d) {
  $('sip-result').hidden = false;
  $('sip-result').dataset.ok = String(Boolean(d.ok));
  $('sip-result-title').textContent = `${a.title}: ${d.ok ? 'OK' : 'failed'}`;
  const facts = [
    ['Result', d.ok ? 'OK' : 'Failed'],
    ['Status code', d.statusCode ?? 'No answer'],
    ['Reason', d.reason || '—'],
    ['Round trip', d.rttMs !== null && d.rttMs !== undefined ? `${d.rttMs} ms` : '—'],
  ];
  if (d.error || d.errorCode) facts.push(['Error', [d.errorCode, d.error].filter(Boolean).join(': ')]);
  if (d.registrationState) facts.push(['Registration', STATES[d.registrationState] || d.registrationState]);
  if (d.expires) facts.push(['Granted for', `${d.expires} s${d.expiresAt ? ` (until ${when(d.expiresAt)})` : ''}`]);
  facts.push(['Server', `${d.server || ''}:${d.port || ''} ${d.transport || ''}`]);
  const dl = el('dl');
  for (const [k, v] of facts) dl.append(el('dt', { text: k }), el('dd', { text: v, attrs: { 'data-fact': k } }));
  $('sip-result-body').replaceChildren(dl);
}

async function run(a, b) {
  if (state.busy) return;
  state.busy = true;
  b.disabled = true;
  b.textContent = a.busy;
  notice(null);
  $('sip-result').hidden = false;
  delete $('sip-result').dataset.ok;
  $('sip-result-title').textContent = `${a.title}: waiting for the server…`;
  $('sip-result-body').replaceChildren();
  let refused = null;
  try {
    showResult(a, (await api('POST', `/sip/${a.key}`, {})).data || {});
  } catch (err) {
    refused = err;
    $('sip-result').hidden = true;
  } finally {
    state.busy = false;
  }
  await load();
  if (refused) pageAlert(refused); // after the reload, which clears the alert
}

function applyPreset() {
  const p = state.providers.find((x) => x.name === $('t-preset').value);
  if (!p) return;
  $('t-provider').value = p.name;
  $('t-server').value = p.server;
  $('t-port').value = p.port;
  $('t-transport').value = p.transport;
}

function openForm() {
  const t = state.trunk;
  $('t-preset').value = '';
  $('t-provider').value = t ? t.provider : '';
  $('t-server').value = t ? t.server : '';
  $('t-port').value = t ? t.port : '';
  $('t-transport').value = t ? t.transport : 'UDP';
  $('t-username').value = t && t.username ? t.username : '';
  $('t-password').value = '';
  $('t-password').placeholder = t && t.hasPassword ? 'Leave blank to keep the stored one' : '';
  $('t-domain').value = t && t.domain ? t.domain : '';
  $('t-expires').value = t ? t.registerExpires : 3600;
  $('t-recording').checked = Boolean(t && t.enableRecording);
  markFields(FIELDS, {});
  showAlert('trunk-alert', null);
  $('trunk-dialog').showModal();
  $('t-provider').focus();
}

function readForm() {
  const v = (id) => $(id).value.trim();
  const body = {
    provider: v('t-provider'), server: v('t-server'), transport: $('t-transport').value,
    username: v('t-username') || null, domain: v('t-domain') || null, enableRecording: $('t-recording').checked,
  };
  if (v('t-port')) body.port = Number(v('t-port'));
  if (v('t-expires')) body.registerExpires = Number(v('t-expires'));
  if ($('t-password').value) body.password = $('t-password').value; // blank: the stored one stays
  return body;
}

async function submit(e) {
  e.preventDefault();
  const body = readForm();
  const bad = {};
  if (!body.provider) bad.provider = 'is required';
  if (!body.server) bad.server = 'is required';
  if (Object.keys(bad).length) {
    markFields(FIELDS, bad).focus();
    return;
  }
  try {
    await api('POST', '/sip/configure', body);
    $('t-password').value = '';
    $('trunk-dialog').close();
    notice('The trunk is saved; its registration starts over.');
    await load();
  } catch (err) {
    if (err.redirected) return;
    const first = markFields(FIELDS, fieldErrors(err));
    showAlert('trunk-alert', first ? new Error(`${err.message} – check the fields marked below.`) : err);
    if (first) first.focus();
  }
}

async function loadProviders() {
  try {
    state.providers = (await api('GET', '/sip/providers')).data || [];
    $('t-preset').append(...state.providers.map((p) => el('option', { text: `${p.name} (${p.server})`, attrs: { value: p.name } })));
  } catch {
    /* the presets are a convenience: the form works without them */
  }
}

const user = startPage('trunks.html');
if (user) {
  state.isAdmin = ADMINS.includes(user.role);
  drawPage();
  $('trunk-edit').hidden = !state.isAdmin;
  $('trunk-edit').addEventListener('click', openForm);
  $('t-preset').addEventListener('change', applyPreset);
  $('trunk-dialog-form').addEventListener('submit', submit);
  if (state.isAdmin) loadProviders();
  load();
}
