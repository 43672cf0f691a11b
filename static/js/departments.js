// Departments page: list, create, edit, delete (GET/POST/PUT/DELETE /api/departments).
// Every string that comes from the API is rendered with textContent (never innerHTML).
import { api, getUser, isSignedIn, logout } from './api.js';

const PAGE_SIZE = 100; // the API's default; at most 500
const COLORS = ['default', 'blue', 'green', 'red', 'orange', 'purple', 'gray'];
const WRITE_ROLES = ['super_admin', 'admin', 'manager'];
const FORM_FIELDS = ['name', 'phone_number', 'description', 'color', 'business_hours'];
const ROLE_LABELS = { super_admin: 'Super admin', admin: 'Admin', manager: 'Manager', agent: 'Agent' };

const $ = (id) => document.getElementById(id);

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const state = {
  page: 1,
  totalPages: 1,
  departments: new Map(), // id -> department, for the rows on screen
  editing: null, // department being edited, null when creating
  deleting: null, // department awaiting the delete confirmation
  canWrite: false,
};

/* ---------------- helpers ---------------- */

function el(tag, { className, text, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}

function show(box, text) {
  box.textContent = text || '';
  box.hidden = !text;
}

function colorLabel(color) {
  const c = color || 'default';
  return c.charAt(0).toUpperCase() + c.slice(1);
}

function swatchClass(color) {
  return COLORS.includes(color) ? `swatch swatch--${color}` : 'swatch swatch--default';
}

function formatDate(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : dateFormat.format(d);
}

function businessHoursOf(dept) {
  let bh = dept.business_hours;
  if (typeof bh === 'string' && bh.trim()) {
    try {
      bh = JSON.parse(bh);
    } catch {
      /* shown as is */
    }
  }
  return bh ?? null;
}

function fieldMessage(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/* ---------------- header ---------------- */

function renderUser() {
  const user = getUser() || {};
  $('user-email').textContent = user.email || '';
  const role = user.role || '';
  $('user-role').textContent = ROLE_LABELS[role] || role;
  $('user-role').hidden = !role;
  state.canWrite = WRITE_ROLES.includes(role);
  $('new-dept').hidden = !state.canWrite;

  $('signout').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    button.textContent = 'Signing out…';
    await logout();
  });
}

/* ---------------- list ---------------- */

async function load({ focusId } = {}) {
  const table = $('dept-table');
  table.setAttribute('aria-busy', 'true');
  show($('page-alert'), '');
  try {
    const query = new URLSearchParams({ page: String(state.page), limit: String(PAGE_SIZE) });
    const data = await api('GET', `/departments?${query}`);
    const list = Array.isArray(data.departments) ? data.departments : [];
    const pagination = data.pagination || {};
    const total = Number(pagination.total ?? data.total ?? list.length) || 0;
    state.totalPages = Math.max(1, Number(pagination.total_pages) || 1);

    // The last row of the last page was deleted: step back one page.
    if (list.length === 0 && state.page > 1 && state.page > state.totalPages) {
      state.page = state.totalPages;
      return load({ focusId });
    }

    renderRows(list);
    renderSummary(total, list.length);
    renderPager();
    if (focusId) focusRow(focusId);
  } catch (err) {
    if (err.redirected) return;
    show($('page-alert'), `Could not load the departments: ${err.message}`);
    if (state.departments.size === 0) renderPlaceholder('The departments could not be loaded.');
  } finally {
    table.removeAttribute('aria-busy');
  }
}

function renderPlaceholder(text) {
  const row = el('tr', { className: 'table__placeholder' }, [
    el('td', { text, attrs: { colspan: '6' } }),
  ]);
  $('dept-rows').replaceChildren(row);
}

function renderRows(list) {
  state.departments.clear();
  if (list.length === 0) {
    renderPlaceholder(
      state.canWrite
        ? 'No departments yet. Create the first one with “New department”.'
        : 'No departments yet.',
    );
    return;
  }
  const rows = list.map((dept) => {
    state.departments.set(dept.id, dept);
    return renderRow(dept);
  });
  $('dept-rows').replaceChildren(...rows);
}

function renderRow(dept) {
  const name = el('td', { className: 'cell-name', attrs: { 'data-label': 'Name' } }, [
    el('span', { text: dept.name }),
  ]);

  const phone = el('td', { attrs: { 'data-label': 'Phone number' } }, [
    el('span', { className: 'mono', text: dept.phone_number }),
  ]);

  const descText = dept.description || '';
  const desc = el('td', { className: 'cell-desc', attrs: { 'data-label': 'Description' } });
  if (descText) {
    const span = el('span', { className: 'clamp', text: descText });
    span.title = descText;
    desc.append(span);
  } else {
    desc.append(el('span', { className: 'muted', text: '—' }));
  }

  const color = el('td', { attrs: { 'data-label': 'Color' } }, [
    el('span', { className: 'color-label' }, [
      el('span', { className: swatchClass(dept.color), attrs: { 'aria-hidden': 'true' } }),
      el('span', { text: colorLabel(dept.color) }),
    ]),
  ]);

  const time = el('time', { text: formatDate(dept.created_at) });
  if (dept.created_at) {
    time.dateTime = dept.created_at;
    time.title = dept.created_at;
  }
  const created = el('td', { className: 'nowrap', attrs: { 'data-label': 'Created' } }, [time]);

  const actions = el('td', { className: 'col-actions' });
  if (state.canWrite) {
    const edit = el('button', { className: 'btn btn--small', text: 'Edit', attrs: { type: 'button' } });
    edit.dataset.action = 'edit';
    edit.dataset.id = dept.id;
    edit.setAttribute('aria-label', `Edit ${dept.name}`);
    const del = el('button', { className: 'btn btn--small btn--danger-ghost', text: 'Delete', attrs: { type: 'button' } });
    del.dataset.action = 'delete';
    del.dataset.id = dept.id;
    del.setAttribute('aria-label', `Delete ${dept.name}`);
    actions.append(el('div', { className: 'row-actions' }, [edit, del]));
  }

  const row = el('tr', {}, [name, phone, desc, color, created, actions]);
  row.dataset.id = dept.id;
  return row;
}

function renderSummary(total, shown) {
  let text;
  if (total === 0) text = '';
  else if (state.totalPages > 1) {
    const first = (state.page - 1) * PAGE_SIZE + 1;
    text = `Showing ${first}–${first + shown - 1} of ${total} active departments`;
  } else text = total === 1 ? '1 active department' : `${total} active departments`;
  $('dept-summary').textContent = text;
}

function renderPager() {
  $('pager').hidden = state.totalPages <= 1;
  $('page-info').textContent = `Page ${state.page} of ${state.totalPages}`;
  $('page-prev').disabled = state.page <= 1;
  $('page-next').disabled = state.page >= state.totalPages;
}

function focusRow(id) {
  for (const button of document.querySelectorAll('#dept-rows button[data-action="edit"]')) {
    if (button.dataset.id === id) {
      button.focus();
      return;
    }
  }
  $('main').focus();
}

/* ---------------- create / edit dialog ---------------- */

const form = () => $('dept-form');
const input = (name) => $(`f-${name}`);

function setFieldError(name, message) {
  const field = input(name);
  const box = $(`f-${name}-error`);
  if (!field || !box) return false;
  box.textContent = message || '';
  box.hidden = !message;
  if (message) field.setAttribute('aria-invalid', 'true');
  else field.removeAttribute('aria-invalid');
  return true;
}

function clearFormErrors() {
  FORM_FIELDS.forEach((name) => setFieldError(name, ''));
  show($('dept-form-alert'), '');
}

function setColor(value) {
  const select = input('color');
  select.querySelectorAll('option[data-custom]').forEach((o) => o.remove());
  const color = value || 'default';
  if (!COLORS.includes(color)) {
    // Keep a color set by another client rather than silently replacing it.
    const option = el('option', { text: `${colorLabel(color)} (custom)` });
    option.value = color;
    option.dataset.custom = 'true';
    select.append(option);
  }
  select.value = color;
  updateColorPreview();
}

function updateColorPreview() {
  $('f-color-preview').className = swatchClass(input('color').value);
}

function openDialog(dept) {
  state.editing = dept || null;
  clearFormErrors();
  form().reset();
  const editing = Boolean(dept);
  $('dept-dialog-title').textContent = editing ? 'Edit department' : 'New department';
  $('dept-submit').textContent = editing ? 'Save changes' : 'Create department';

  if (editing) {
    input('name').value = dept.name || '';
    input('phone_number').value = dept.phone_number || '';
    input('description').value = dept.description || '';
    const bh = businessHoursOf(dept);
    input('business_hours').value =
      bh === null ? '' : typeof bh === 'string' ? bh : JSON.stringify(bh, null, 2);
  }
  setColor(editing ? dept.color : 'default');

  $('dept-dialog').showModal();
  input('name').focus();
}

function readForm() {
  return {
    name: input('name').value.trim(),
    phone_number: input('phone_number').value.trim(),
    description: input('description').value.trim(),
    color: input('color').value,
    businessHoursText: input('business_hours').value.trim(),
  };
}

/** Client-side checks; returns {errors, businessHours}. The server stays the authority. */
function validate(values) {
  const errors = {};
  if (!values.name) errors.name = 'Enter a name.';
  else if (values.name.length > 255) errors.name = 'Use at most 255 characters.';

  if (values.description.length > 16000) errors.description = 'Use at most 16000 characters.';

  if (!values.phone_number) errors.phone_number = 'Enter a phone number.';
  else if (!values.phone_number.startsWith('+'))
    errors.phone_number = 'Start with + and the country code, e.g. +1 555 0100.';

  let businessHours = null;
  if (values.businessHoursText) {
    try {
      businessHours = JSON.parse(values.businessHoursText);
      if (businessHours === null || typeof businessHours !== 'object' || Array.isArray(businessHours)) {
        errors.business_hours = 'Enter a JSON object, e.g. {"mon": {"open": "09:00", "close": "17:00"}}, or leave it empty.';
      }
    } catch (e) {
      errors.business_hours = `This is not valid JSON (${e.message}).`;
    }
  }
  return { errors, businessHours };
}

function createBody(values, businessHours) {
  const body = { name: values.name, phone_number: values.phone_number, color: values.color };
  if (values.description) body.description = values.description;
  if (businessHours) body.business_hours = businessHours;
  return body;
}

/** PUT is a partial update: only the fields that differ from the department as loaded. */
function updateBody(dept, values, businessHours) {
  const body = {};
  if (values.name !== (dept.name || '')) body.name = values.name;
  if (values.phone_number !== (dept.phone_number || '')) body.phone_number = values.phone_number;
  if (values.description !== (dept.description || '')) body.description = values.description || null; // null clears
  if (values.color !== (dept.color || 'default')) body.color = values.color;
  const before = businessHoursOf(dept);
  if (JSON.stringify(businessHours) !== JSON.stringify(before)) body.business_hours = businessHours; // null clears
  return body;
}

function showServerErrors(err) {
  const extra = [];
  let onField = false;
  for (const [name, msg] of Object.entries(err.fields || {})) {
    if (setFieldError(name, fieldMessage(msg))) onField = true;
    else extra.push(`${name}: ${fieldMessage(msg)}`);
  }
  const parts = [];
  if (!onField || extra.length || err.status !== 422) parts.push(err.message);
  parts.push(...extra);
  show($('dept-form-alert'), parts.join(' '));
  const firstInvalid = form().querySelector('[aria-invalid="true"]');
  if (firstInvalid) firstInvalid.focus();
}

let busy = false; // a save or delete request is in flight

async function onSubmit(event) {
  event.preventDefault();
  if (busy) return;
  clearFormErrors();

  const values = readForm();
  const { errors, businessHours } = validate(values);
  if (Object.keys(errors).length) {
    Object.entries(errors).forEach(([name, msg]) => setFieldError(name, msg));
    form().querySelector('[aria-invalid="true"]').focus();
    return;
  }

  const dept = state.editing;
  const body = dept ? updateBody(dept, values, businessHours) : createBody(values, businessHours);
  if (dept && Object.keys(body).length === 0) {
    $('dept-dialog').close();
    show($('page-status'), 'No changes to save.');
    return;
  }

  const submit = $('dept-submit');
  const label = submit.textContent;
  busy = true;
  submit.disabled = true;
  submit.textContent = dept ? 'Saving…' : 'Creating…';
  form().setAttribute('aria-busy', 'true');
  try {
    const data = dept
      ? await api('PUT', `/departments/${encodeURIComponent(dept.id)}`, body)
      : await api('POST', '/departments', body);
    const saved = data.department || {};
    const name = saved.name || values.name;
    $('dept-dialog').close();
    show($('page-status'), dept ? `Department “${name}” saved.` : `Department “${name}” created.`);
    await load({ focusId: saved.id || (dept && dept.id) });
  } catch (err) {
    if (err.redirected) return;
    showServerErrors(err);
    if (err.status === 404) load(); // it was deleted meanwhile
  } finally {
    busy = false;
    submit.disabled = false;
    submit.textContent = label;
    form().removeAttribute('aria-busy');
  }
}

/* ---------------- delete ---------------- */

function openDelete(dept) {
  state.deleting = dept;
  $('delete-name').textContent = dept.name;
  show($('delete-alert'), '');
  $('delete-submit').disabled = false;
  $('delete-dialog').showModal();
  $('delete-dialog').querySelector('[data-close]').focus(); // the safe choice first
}

async function onDelete(event) {
  event.preventDefault();
  const dept = state.deleting;
  if (!dept || busy) return;
  const submit = $('delete-submit');
  busy = true;
  submit.disabled = true;
  submit.textContent = 'Deleting…';
  try {
    await api('DELETE', `/departments/${encodeURIComponent(dept.id)}`);
    $('delete-dialog').close();
    show($('page-status'), `Department “${dept.name}” deleted.`);
    await load();
    $('main').focus();
  } catch (err) {
    if (err.redirected) return;
    show($('delete-alert'), err.message);
    if (err.status === 404) load();
  } finally {
    busy = false;
    submit.disabled = false;
    submit.textContent = 'Delete';
  }
}

/* ---------------- wiring ---------------- */

function init() {
  renderUser();

  $('new-dept').addEventListener('click', () => {
    show($('page-status'), '');
    openDialog(null);
  });

  $('dept-rows').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const dept = state.departments.get(button.dataset.id);
    if (!dept) return;
    show($('page-status'), '');
    if (button.dataset.action === 'edit') openDialog(dept);
    else if (button.dataset.action === 'delete') openDelete(dept);
  });

  form().addEventListener('submit', onSubmit);
  input('color').addEventListener('change', updateColorPreview);
  $('delete-form').addEventListener('submit', onDelete);

  for (const dialog of [$('dept-dialog'), $('delete-dialog')]) {
    dialog.addEventListener('click', (event) => {
      if (event.target.closest('[data-close]') && !busy) dialog.close();
    });
    // Escape: keep the dialog open while its request is in flight, so its answer is seen.
    dialog.addEventListener('cancel', (event) => {
      if (busy) event.preventDefault();
    });
  }
  $('dept-dialog').addEventListener('close', () => {
    state.editing = null;
  });
  $('delete-dialog').addEventListener('close', () => {
    state.deleting = null;
  });

  $('page-prev').addEventListener('click', () => {
    if (state.page > 1) {
      state.page -= 1;
      load();
    }
  });
  $('page-next').addEventListener('click', () => {
    if (state.page < state.totalPages) {
      state.page += 1;
      load();
    }
  });

  load();
}

/* ---------------- start ---------------- */

if (!isSignedIn()) {
  window.location.replace('index.html');
} else {
  init();
}
