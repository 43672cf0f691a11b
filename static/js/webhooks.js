// Webhooks page: the declaration of /api/webhooks for resource-page.js, and what is a
// webhook's own: its signing secret (shown once, after create or rotate), a test delivery,
// and its deliveries (attempts, the ones given up, replayed one by one).
import { api } from './api.js';
import { dialog, table, when } from './dialog.js';
import { resourcePage } from './resource-page.js';
import { $, el, pageAlert, startPage } from './shell.js';

const enc = encodeURIComponent;
const data = (res) => (res && res.data !== undefined ? res.data : res);

function showSecret(hook, what) {
  const d = dialog('secret-dialog');
  const input = el('input', { className: 'secret', attrs: { id: 'webhook-secret', readonly: '', value: hook.secret || '', 'aria-label': 'Signing secret' } });
  d.body.replaceChildren(
    el('p', { text: `${what} Copy it now: it is not shown again. Receivers check X-Switchboard-Signature with it.` }), input);
  d.open(`Signing secret of ${hook.name || hook.url}`);
  input.select();
}

async function sendTest(hook) {
  try {
    await api('POST', `/webhooks/${enc(hook.id)}/test`);
    pageAlert(null);
    $('page-note').textContent = `A test delivery to ${hook.url} is queued.`;
  } catch (err) {
    pageAlert(err);
  }
}

async function rotate(hook) {
  try {
    showSecret(data(await api('POST', `/webhooks/${enc(hook.id)}/rotate-secret`)), 'A new secret signs every delivery from now on.');
  } catch (err) {
    pageAlert(err);
  }
}

function replayButton(d, f, hook) {
  const b = el('button', { className: 'btn btn--small', text: 'Replay', attrs: { type: 'button', 'data-replay': f.id } });
  b.addEventListener('click', async () => {
    try {
      await api('POST', `/webhooks/deliveries/${enc(f.id)}/replay`);
      await showDeliveries(hook);
    } catch (err) {
      d.alert(err);
    }
  });
  return b;
}

async function showDeliveries(hook) {
  const d = dialog('deliveries-dialog', { wide: true });
  d.open(`Deliveries to ${hook.name || hook.url}`);
  d.body.replaceChildren(el('p', { className: 'muted', text: 'Loading…' }));
  try {
    const [stats, logs, failed] = await Promise.all([
      api('GET', `/webhooks/${enc(hook.id)}/stats`),
      api('GET', `/webhooks/${enc(hook.id)}/logs?page_size=50`),
      api('GET', `/webhooks/failed?webhook_id=${enc(hook.id)}&page_size=50`),
    ]).then((all) => all.map(data));
    const fig = (label, v) => el('span', {}, [`${label} `, el('strong', { text: v ?? 0 })]);
    d.body.replaceChildren(
      el('div', { className: 'stat-line', attrs: { id: 'delivery-stats' } }, [fig('Pending', stats.pending), fig('Delivered', stats.delivered),
        fig('Given up', stats.given_up), fig('Attempts', stats.attempts), fig('Average', `${stats.avg_latency_ms} ms`)]),
      el('h3', { text: 'Given up' }),
      table(['Event', 'Type', 'Attempts', 'Last answer', 'Error', 'Given up at', ''],
        failed.map((f) => [String(f.event_id), f.event_type, String(f.attempts), f.last_status ? String(f.last_status) : '—',
          f.last_error || '', when(f.finished_at), replayButton(d, f, hook)]), 'No delivery was given up.', { id: 'failed-deliveries' }),
      el('h3', { text: 'Recent attempts' }),
      table(['When', 'Event', 'Attempt', 'Answer', 'Time', 'Result'],
        logs.map((l) => [when(l.created_at), l.event, String(l.attempt), l.status_code ? String(l.status_code) : '—',
          `${l.response_time_ms} ms`, l.success ? 'Delivered' : l.error || 'Failed']), 'Nothing sent yet.', { id: 'delivery-logs' }),
    );
  } catch (err) {
    d.body.replaceChildren();
    d.alert(err);
  }
}

const STAFF = ['super_admin', 'admin', 'manager'];
const WEBHOOKS = {
  title: 'Webhooks',
  subtitle: 'Signed HTTP POSTs of your events to your systems, retried until they are taken.',
  deleteNote: 'Its deliveries and their logs go with it.',
  path: '/webhooks',
  noun: 'webhook',
  writeRoles: STAFF,
  sizeParam: 'page_size',
  filters: [{ name: 'is_active', label: 'Active', type: 'select', options: [['', 'All'], ['true', 'Active'], ['false', 'Inactive']] }],
  columns: [
    { key: 'name', label: 'Name', format: (v, w) => v || w.url },
    { key: 'url', label: 'URL' },
    { key: 'events', label: 'Events', format: (v) => (Array.isArray(v) ? v.join(', ') : v) },
    { key: 'is_active', label: 'State', format: (v, w) => (v ? 'Active' : w.disabled_reason ? `Disabled: ${w.disabled_reason}` : 'Off') },
    { key: 'last_success_at', label: 'Last delivered', format: (v) => when(v) || 'Never' },
  ],
  fields: [
    { name: 'name', label: 'Name', type: 'text', maxlength: 255 },
    { name: 'url', label: 'URL', type: 'url', required: true, maxlength: 2048, hint: 'http:// or https://; private and loopback addresses are refused.' },
    { name: 'events', label: 'Events (JSON: "*" or a list)', type: 'json', default: '"*"', hint: 'For example ["call.ended", "ticket.created"].' },
    { name: 'description', label: 'Description', type: 'textarea', maxlength: 1024 },
    { name: 'timeout_ms', label: 'Timeout (ms)', type: 'number', min: 100, max: 60000, default: 5000 },
    { name: 'is_active', label: 'Active', type: 'checkbox' },
  ],
  rowActions: [
    { label: 'Deliveries', run: showDeliveries },
    { label: 'Send test', run: sendTest, roles: STAFF },
    { label: 'Rotate secret', run: rotate, roles: STAFF },
  ],
  onSaved: (res, created) => { if (created) showSecret(data(res), 'The webhook is created.'); },
};

const user = startPage('webhooks.html');
if (user) {
  resourcePage(WEBHOOKS, user);
  $('page-alert').after(el('p', { className: 'muted', attrs: { id: 'page-note', role: 'status', 'aria-live': 'polite' } }));
}
