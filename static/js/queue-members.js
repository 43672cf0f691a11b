// A queue's members in a dialog: who takes its calls, in which tier (penalty: lower is
// offered first), paused or not; staff add, pause and remove them
// (/api/queues/:id/members, PUT /api/queues/members/:memberId).
import { api } from './api.js';
import { $, el } from './shell.js';

let queue = null;
let canWrite = false;

function alertIn(err) {
  const box = $('members-alert');
  box.textContent = err ? err.message || String(err) : '';
  box.hidden = !err;
}

function draw() {
  const dialog = el('dialog', { className: 'dialog', attrs: { id: 'members-dialog', 'aria-labelledby': 'members-title' } });
  const add = el('form', { className: 'inline-form', attrs: { id: 'member-add' } }, [
    el('label', { text: 'User', attrs: { for: 'member-user' } }), el('select', { attrs: { id: 'member-user' } }),
    el('label', { text: 'Tier', attrs: { for: 'member-tier' } }),
    el('input', { attrs: { id: 'member-tier', type: 'number', min: '0', max: '100', value: '0' } }),
    el('button', { className: 'btn btn--primary btn--small', text: 'Add', attrs: { type: 'submit', id: 'member-add-submit' } }),
  ]);
  const table = el('table', { className: 'table' }, [
    el('thead', {}, [el('tr', {}, ['Member', 'Tier', 'Paused', ''].map((t) => el('th', { text: t, attrs: { scope: 'col' } })))]),
    el('tbody', { attrs: { id: 'member-rows' } }),
  ]);
  const close = el('button', { className: 'btn btn--icon', text: '×', attrs: { type: 'button', 'aria-label': 'Close' } });
  close.addEventListener('click', () => dialog.close());
  dialog.append(el('div', { className: 'dialog__body' }, [
    el('header', { className: 'dialog__header' }, [el('h2', { attrs: { id: 'members-title' } }), close]),
    el('div', { className: 'alert alert--error', attrs: { id: 'members-alert', role: 'alert', hidden: '' } }),
    table, add,
  ]));
  add.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { user_id: $('member-user').value, penalty: Number($('member-tier').value || 0) };
    act(() => api('POST', `/queues/${encodeURIComponent(queue.id)}/members`, body));
  });
  document.body.append(dialog);
}

async function act(fn) {
  try {
    alertIn(null);
    await fn();
  } catch (err) {
    alertIn(err);
  }
  await load().catch(alertIn);
}

function memberRow(m) {
  const name = [m.first_name, m.last_name].filter(Boolean).join(' ') || m.email || m.username;
  const tr = el('tr', { attrs: { 'data-user': m.user_id } }, [
    el('td', { text: name }), el('td', { text: m.penalty }), el('td', { text: m.paused ? 'Paused' : 'No' })]);
  const cell = el('td', { className: 'col-actions' });
  if (canWrite) {
    const pause = el('button', { className: 'btn btn--small', text: m.paused ? 'Unpause' : 'Pause', attrs: { type: 'button', 'data-pause': '' } });
    pause.addEventListener('click', () => act(() => api('PUT', `/queues/members/${encodeURIComponent(m.id)}`, { paused: !m.paused })));
    const remove = el('button', { className: 'btn btn--small btn--danger-ghost', text: 'Remove', attrs: { type: 'button', 'data-remove': '' } });
    remove.addEventListener('click', () => act(() => api('DELETE', `/queues/${encodeURIComponent(queue.id)}/members/${encodeURIComponent(m.user_id)}`)));
    cell.append(pause, ' ', remove);
  }
  tr.append(cell);
  return tr;
}

async function load() {
  const [members, users] = await Promise.all([
    api('GET', `/queues/${encodeURIComponent(queue.id)}/members`),
    canWrite ? api('GET', '/users?limit=100') : Promise.resolve({}),
  ]);
  const list = members.data || members.members || [];
  const rows = $('member-rows');
  rows.replaceChildren(...list.map(memberRow));
  if (!list.length) rows.append(el('tr', { className: 'table__placeholder' }, [el('td', { text: 'No members yet.', attrs: { colspan: '4' } })]));
  const taken = new Set(list.map((m) => m.user_id));
  const free = (users.data || users.users || []).filter((u) => !taken.has(u.id));
  $('member-user').replaceChildren(...free.map((u) => el('option', { text: u.email, attrs: { value: u.id } })));
  $('member-add').hidden = !canWrite || !free.length;
}

/** Opens the members dialog of queue q; writeAllowed: the user may change them. */
export function openMembers(q, writeAllowed) {
  if (!$('members-dialog')) draw();
  queue = q;
  canWrite = writeAllowed;
  $('members-title').textContent = `Members of ${q.name}`;
  alertIn(null);
  $('members-dialog').showModal();
  load().catch(alertIn);
}
