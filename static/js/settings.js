// Settings page: the company (admins: name, domain, settings; its usage against its
// limits), the signed-in user's preferences (everyone), and the service's health (staff).
// Each form shows a 422's field errors under their fields and any other error as its message.
import { api } from './api.js';
import { table } from './dialog.js';
import { $, el, pageAlert, startPage } from './shell.js';

const ADMINS = ['super_admin', 'admin'];
const STAFF = ['super_admin', 'admin', 'manager', 'supervisor'];
const CHANNELS = [['email', 'Email'], ['push', 'Push'], ['desktop', 'Desktop'], ['sound', 'Sound'], ['sms', 'SMS']];
const data = (res) => (res && res.data !== undefined ? res.data : res);

function formErrors(form, names, err) {
  let first = null;
  for (const n of names) {
    const p = $(`${form}-${n}-error`);
    const msg = err && err.fields ? err.fields[n] : null;
    p.textContent = msg ? String(msg) : '';
    p.hidden = !msg;
    $(`${form}-${n}`).setAttribute('aria-invalid', msg ? 'true' : 'false');
    if (msg && !first) first = $(`${form}-${n}`);
  }
  const alert = $(`${form}-form-alert`);
  alert.textContent = err && !first ? err.message : first ? 'Check the fields marked below.' : '';
  alert.hidden = !err;
  if (first) first.focus();
}

async function saveForm(form, names, send) {
  $(`${form}-saved`).textContent = '';
  try {
    await send();
    formErrors(form, names, null);
    $(`${form}-saved`).textContent = 'Saved.';
  } catch (err) {
    if (!err.redirected) formErrors(form, names, err);
  }
}

function usageTile(label, value, max) {
  return el('div', { className: 'tile' }, [el('dt', { text: label }),
    el('dd', { text: max ? `${value} / ${max}` : String(value ?? 0) })]);
}

async function loadCompany(tenantId) {
  const [company, usage] = await Promise.all([api('GET', `/companies/${tenantId}`), api('GET', `/tenants/${tenantId}/resource-usage`)]);
  const c = data(company);
  const u = usage.usage || data(usage);
  $('company-name').value = c.name || '';
  $('company-domain').value = c.domain || '';
  $('company-settings').value = c.settings ? JSON.stringify(c.settings, null, 2) : '';
  $('company-plan').textContent = `Plan ${c.plan || '–'}, up to ${c.max_agents ?? '–'} agents. Your provider changes these.`;
  $('usage').replaceChildren(usageTile('Agents', u.agents_count, u.max_agents), usageTile('Users', u.users_count),
    usageTile('Queues', u.queues_count), usageTile('Numbers', u.dids_count), usageTile('Live calls', u.active_calls_count),
    usageTile('Recordings', u.recordings_count));
  $('company-panel').hidden = false;
  $('company-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { name: $('company-name').value.trim(), domain: $('company-domain').value.trim() || null };
    const t = $('company-settings').value.trim();
    try {
      body.settings = t === '' ? null : JSON.parse(t);
    } catch {
      formErrors('company', ['name', 'domain', 'settings'], { fields: { settings: 'must be valid JSON' } });
      return;
    }
    saveForm('company', ['name', 'domain', 'settings'], () => api('PUT', `/companies/${tenantId}`, body));
  });
}

async function loadPrefs() {
  const [prefs, themes, languages] = await Promise.all(['/settings/user/preferences', '/settings/themes', '/settings/languages'].map((p) => api('GET', p)));
  const p = data(prefs);
  $('prefs-theme').replaceChildren(...data(themes).map((t) => el('option', { text: t.name, attrs: { value: t.id } })));
  $('prefs-language').replaceChildren(...data(languages).map((l) => el('option', { text: `${l.native_name} (${l.name})`, attrs: { value: l.code } })));
  $('prefs-theme').value = p.theme;
  $('prefs-language').value = p.language;
  $('prefs-timezone').value = p.timezone || '';
  $('prefs-notifications').replaceChildren(...CHANNELS.flatMap(([k, label]) => {
    const box = el('input', { attrs: { type: 'checkbox', id: `notify-${k}`, name: k } });
    box.checked = Boolean((p.notifications || {})[k]);
    return [box, el('label', { text: label, attrs: { for: `notify-${k}` } })];
  }));
  $('prefs-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const notifications = Object.fromEntries(CHANNELS.map(([k]) => [k, $(`notify-${k}`).checked]));
    const body = { theme: $('prefs-theme').value, language: $('prefs-language').value,
      timezone: $('prefs-timezone').value.trim() || null, notifications };
    saveForm('prefs', ['theme', 'language', 'timezone'], () => api('PUT', '/settings/user/preferences', body));
  });
}

async function loadStatus() {
  let s;
  try {
    s = data(await api('GET', '/settings/system/status'));
  } catch (err) {
    if (err.status !== 503) throw err;
    s = { status: 'down', checks: {} };
  }
  $('status-overall').textContent = s.status;
  const checks = Object.entries(s.checks || {});
  $('status-checks').replaceChildren(table(['Part', 'State', 'Latency'], checks.map(([name, c]) =>
    [name.replace('_', ' '), c.status || (c.ok ? 'ok' : 'down'), c.latency_ms === undefined ? '' : `${c.latency_ms} ms`]), 'No checks.', { id: 'status-table' }));
  $('status-panel').hidden = false;
}

const user = startPage('settings.html');
if (user) {
  const jobs = [loadPrefs()];
  if (ADMINS.includes(user.role) && user.tenant_id) jobs.push(loadCompany(encodeURIComponent(user.tenant_id)));
  if (STAFF.includes(user.role)) jobs.push(loadStatus());
  Promise.all(jobs).then(() => pageAlert(null), pageAlert);
}
