// Company registrations page (super_admin): sign-ups waiting for review, approved (one
// transaction provisions the company, its admin, default departments and a chat widget)
// or rejected with a reason the applicant is given.
import { api } from './api.js';
import { dialog, when } from './dialog.js';
import { resourcePage } from './resource-page.js';
import { $, el, pageAlert, startPage } from './shell.js';

const STATUSES = [['pending', 'Pending'], ['approved', 'Approved'], ['rejected', 'Rejected']];
const enc = encodeURIComponent;
const reload = () => $('filters').dispatchEvent(new Event('change'));

async function approve(reg) {
  try {
    await api('PUT', `/company-registrations/${enc(reg.id)}/approve`);
    $('page-note').textContent = `${reg.company_name} is approved: its admin ${reg.email} can sign in.`;
    pageAlert(null);
    reload();
  } catch (err) {
    pageAlert(err);
  }
}

function reject(reg) {
  const d = dialog('reject-dialog');
  const reason = el('textarea', { attrs: { id: 'reject-reason', rows: '3', maxlength: '1000', required: '', 'aria-describedby': 'reject-hint' } });
  const send = el('button', { className: 'btn btn--danger', text: 'Reject', attrs: { id: 'reject-confirm', type: 'submit' } });
  const form = el('form', {}, [
    el('div', { className: 'field' }, [el('label', { text: 'Reason', attrs: { for: 'reject-reason' } }), reason,
      el('p', { className: 'field__hint', text: 'The applicant is told this.', attrs: { id: 'reject-hint' } })]),
    el('footer', { className: 'dialog__footer' }, [send])]);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('PUT', `/company-registrations/${enc(reg.id)}/reject`, { reason: reason.value.trim() });
      d.node.close();
      reload();
    } catch (err) {
      d.alert(err);
    }
  });
  d.body.replaceChildren(form);
  d.open(`Reject ${reg.company_name}`);
  reason.focus();
}

const pending = (r) => r.status === 'pending';
const REGISTRATIONS = {
  title: 'Company registrations',
  subtitle: 'Companies that signed up, waiting for your review.',
  path: '/company-registrations',
  noun: 'registration',
  nameOf: (r) => r.company_name,
  writeRoles: [],
  filters: [
    { name: 'status', label: 'Status', type: 'select', options: [['', 'Any status'], ...STATUSES] },
    { name: 'search', label: 'Search company or email', type: 'search' },
  ],
  columns: [
    { key: 'company_name', label: 'Company' },
    { key: 'domain', label: 'Domain' },
    { key: 'email', label: 'Admin', format: (v, r) => `${[r.first_name, r.last_name].filter(Boolean).join(' ')} <${v}>` },
    { key: 'phone', label: 'Phone' },
    { key: 'status', label: 'Status', format: (v, r) => (v === 'rejected' && r.rejection_reason ? `Rejected: ${r.rejection_reason}` : (STATUSES.find(([k]) => k === v) || [v, v])[1]) },
    { key: 'created_at', label: 'Signed up', format: when },
  ],
  fields: [],
  rowActions: [
    { label: 'Approve', run: approve, when: pending },
    { label: 'Reject', run: reject, when: pending },
  ],
};

const user = startPage('registrations.html');
if (user) {
  resourcePage(REGISTRATIONS, user);
  $('page-alert').after(el('p', { className: 'muted', attrs: { id: 'page-note', role: 'status', 'aria-live': 'polite' } }));
}
