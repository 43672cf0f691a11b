// A list-and-form page from a declaration: the table pages on the server (page, limit),
// a dialog creates and edits a record, a delete asks first. A 422's field errors are
// shown under their fields; every other error as its message. Strings from the API are
// rendered as text, never as HTML.
//
//   resourcePage({
//     title, subtitle, deleteNote, path: '/queues', noun: 'queue', writeRoles: [...],
//     deleteRoles? (who may delete, when fewer than writeRoles), plural? (noun + 's'),
//     nameOf?(item) (what buttons and the delete dialog call a record; its name or id),
//     listKey? (else `data`),
//     columns: [{ key, label, format? }],
//     fields: [{ name, label, type: 'text'|'number'|'select'|'checkbox'|'textarea'|'json'|'list'
//                (comma-separated texts sent as an array)|…,
//                required?, min?, max?, maxlength?, options?: [[value, label]], hint?,
//                createOnly? (not shown when editing), omitEmpty? (blank: not sent),
//                updateVia? (on edit, a change is PUT to path/:id/<updateVia> alone),
//                widget? ({ draw(id), fill(node, value), read(node) }: a field drawn by
//                its own module, e.g. week-hours.js) }],
//     rowActions?: [{ label, run(item), roles? (who sees it; any reader when absent),
//                   when?(item) (shown on the rows it is true for) }],
//     onSaved?(answer, created) (after a save: e.g. to show a secret the answer holds once),
//     sizeParam? ('limit', or 'page_size'),
//     filters?: [{ name (the query parameter), label, type: 'search'|'select'|'date', options? }],
//     sort?: { by: 'sort'|'sortBy', order: 'order'|'sortOrder', keys: { <column key>: <API key> },
//              initial?: [<column key>, 'asc'|'desc'] },
//   })
//
// Filters and sorting are the server's: a change asks for page 1 again with the query
// parameters the declaration names; the sorted column's header carries aria-sort.
//
// The page's HTML is an empty <main id="main">: the head, the table (#rows), the pager and
// the two dialogs (#item-dialog with #item-form, #delete-dialog) are drawn here.
import { api } from './api.js';
import { $, el, pageAlert } from './shell.js';

const PAGE_SIZE = 25;

function listOf(res, key) {
  const list = res[key || 'data'];
  const items = Array.isArray(list) ? list : [];
  const meta = res.meta || res.pagination || {};
  return { items, pages: Number(meta.total_pages || meta.totalPages || meta.pages || 1) || 1 };
}

function selectInput(id, f) {
  const input = el('select', { attrs: { id, name: f.name } });
  for (const [value, label] of f.options) input.append(el('option', { text: label, attrs: { value } }));
  return input;
}

function fieldInput(f) {
  const id = `f-${f.name}`;
  let input;
  if (f.widget) {
    input = f.widget.draw(id);
    input.setAttribute('aria-labelledby', `${id}-label`);
  } else if (f.type === 'select') {
    input = selectInput(id, f);
  } else if (f.type === 'textarea' || f.type === 'json') {
    input = el('textarea', { attrs: { id, name: f.name, rows: f.type === 'json' ? '5' : '3' } });
  } else {
    const type = f.type === 'list' ? 'text' : f.type || 'text';
    input = el('input', { attrs: { id, name: f.name, type } });
  }
  for (const a of ['min', 'max', 'maxlength']) if (f[a] !== undefined) input.setAttribute(a, String(f[a]));
  if (f.required) input.required = true;
  input.setAttribute('aria-describedby', `${id}-error${f.hint ? ` ${id}-hint` : ''}`);
  const label = f.widget ? el('span', { className: 'field__label', text: f.label, attrs: { id: `${id}-label` } })
    : el('label', { text: f.label, attrs: { for: id } });
  const box = el('div', { className: 'field' }, [label, input]);
  if (f.hint) box.append(el('p', { className: 'field__hint', text: f.hint, attrs: { id: `${id}-hint` } }));
  box.append(el('p', { className: 'field__error', attrs: { id: `${id}-error`, hidden: '' } }));
  return box;
}

// The body to send; a JSON field that does not parse is put in bad (name -> message).
function readForm(fields, editing, bad) {
  const body = {};
  for (const f of fields) {
    if (editing && f.createOnly) continue;
    const input = $(`f-${f.name}`);
    if (f.widget) body[f.name] = f.widget.read(input);
    else if (f.type === 'json') {
      const t = input.value.trim();
      if (t === '') body[f.name] = f.omitEmpty ? undefined : null;
      else try { body[f.name] = JSON.parse(t); } catch { bad[f.name] = 'must be valid JSON'; }
    } else if (f.type === 'checkbox') body[f.name] = input.checked;
    else if (f.type === 'number') body[f.name] = input.value === '' ? undefined : Number(input.value);
    else if (f.type === 'list') body[f.name] = input.value.split(',').map((t) => t.trim()).filter(Boolean);
    else if (!(f.omitEmpty && input.value === '')) body[f.name] = input.value;
  }
  return body;
}

function fillForm(fields, item) {
  for (const f of fields) {
    const input = $(`f-${f.name}`);
    input.closest('.field').hidden = Boolean(item && f.createOnly);
    if (!f.widget) input.required = Boolean(f.required && !(item && f.omitEmpty));
    const v = item ? item[f.name] : f.default;
    if (f.widget) f.widget.fill(input, v === undefined ? null : v);
    else if (f.type === 'checkbox') input.checked = v === undefined ? true : Boolean(v);
    else if (f.type === 'list') input.value = Array.isArray(v) ? v.join(', ') : '';
    else if (f.type === 'json') input.value = v === undefined || v === null || v === '' ? '' : typeof v === 'string' ? v : JSON.stringify(v, null, 2);
    else {
      // A value another client set that the options do not name is kept, not replaced.
      if (f.type === 'select' && v && ![...input.options].some((o) => o.value === String(v))) {
        input.append(el('option', { text: `${v} (custom)`, attrs: { value: String(v) } }));
      }
      input.value = v === undefined || v === null ? '' : String(v);
    }
  }
}

// A field's errors: under its own name, or a member of it (`questions[1].type`).
function errorsOf(f, errors) {
  const out = [];
  const pairs = Array.isArray(errors) ? errors.map((e) => [e && e.field, e && e.message]) : Object.entries(errors || {});
  for (const [key, msg] of pairs) {
    if (typeof key !== 'string') continue;
    if (key !== f.name && !key.startsWith(`${f.name}[`) && !key.startsWith(`${f.name}.`)) continue;
    const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
    out.push(key === f.name ? `${f.label} ${text}` : `${key.slice(f.name.length).replace(/^\./, '')} ${text}`);
  }
  return out.join('; ');
}

function showFieldErrors(fields, errors) {
  let first = null;
  for (const f of fields) {
    const p = $(`f-${f.name}-error`);
    const msg = errorsOf(f, errors);
    p.textContent = msg;
    p.hidden = !msg;
    $(`f-${f.name}`).setAttribute('aria-invalid', msg ? 'true' : 'false');
    if (msg && !first) first = $(`f-${f.name}`);
  }
  return first;
}

function button(id, text, className, attrs = {}) {
  return el('button', { className: `btn ${className}`, text, attrs: { id, type: 'button', ...attrs } });
}

function filterInput(f) {
  const id = `filter-${f.name}`;
  const input = f.type === 'select' ? selectInput(id, f)
    : el('input', { attrs: { id, name: f.name, type: f.type || 'search', autocomplete: 'off' } });
  return el('div', { className: 'filter' }, [el('label', { text: f.label, attrs: { for: id } }), input]);
}

function headerCell(decl, c) {
  const key = decl.sort && decl.sort.keys[c.key];
  if (!key) return el('th', { text: c.label, attrs: { scope: 'col' } });
  const b = el('button', { className: 'th-sort', text: c.label, attrs: { type: 'button', 'data-sort': c.key } });
  return el('th', { attrs: { scope: 'col', 'aria-sort': 'none' } }, [b]);
}

function drawPage(decl) {
  const head = el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: decl.title }), el('p', { className: 'muted', text: decl.subtitle || '' })]),
    button('new-item', `New ${decl.noun}`, 'btn--primary', { hidden: '' }),
  ]);
  const ths = decl.columns.map((c) => headerCell(decl, c));
  ths.push(el('th', { className: 'col-actions', attrs: { scope: 'col' } }, [el('span', { className: 'visually-hidden', text: 'Actions' })]));
  const loading = el('tr', { className: 'table__placeholder' }, [el('td', { text: 'Loading…', attrs: { colspan: String(ths.length) } })]);
  const table = el('table', { className: 'table' }, [
    el('caption', { className: 'visually-hidden', text: decl.title }),
    el('thead', {}, [el('tr', {}, ths)]),
    el('tbody', { attrs: { id: 'rows' } }, [loading]),
  ]);
  const pager = el('nav', { className: 'pager', attrs: { id: 'pager', 'aria-label': `Pages of ${decl.title.toLowerCase()}`, hidden: '' } }, [
    button('page-prev', 'Previous', 'btn--small'), el('span', { className: 'pager__info', attrs: { id: 'page-info' } }),
    button('page-next', 'Next', 'btn--small'),
  ]);
  const filters = el('form', { className: 'filters', attrs: { id: 'filters', role: 'search', 'aria-label': `Filter ${decl.title.toLowerCase()}` } },
    (decl.filters || []).map(filterInput));
  filters.hidden = !(decl.filters || []).length;
  $('main').replaceChildren(head, filters, el('div', { className: 'alert alert--error', attrs: { id: 'page-alert', role: 'alert', hidden: '' } }),
    el('div', { className: 'table-wrap' }, [table]), pager);
  const close = () => el('button', { className: 'btn btn--icon', text: '×', attrs: { type: 'button', 'data-close': '', 'aria-label': 'Close' } });
  const footer = (...buttons) => el('footer', { className: 'dialog__footer' }, buttons);
  const form = el('form', { className: 'dialog__body', attrs: { id: 'item-form', novalidate: '' } }, [
    el('header', { className: 'dialog__header' }, [el('h2', { attrs: { id: 'item-dialog-title' } }), close()]),
    el('div', { className: 'alert alert--error', attrs: { id: 'item-form-alert', role: 'alert', hidden: '' } }),
    el('div', { attrs: { id: 'item-fields' } }),
    footer(el('button', { className: 'btn', text: 'Cancel', attrs: { type: 'button', 'data-close': '' } }),
      el('button', { className: 'btn btn--primary', text: 'Save', attrs: { id: 'item-save', type: 'submit' } })),
  ]);
  const del = el('div', { className: 'dialog__body' }, [
    el('h2', { text: `Delete ${decl.noun}`, attrs: { id: 'delete-title' } }),
    el('p', {}, ['Delete ', el('strong', { attrs: { id: 'delete-name' } }), `? ${decl.deleteNote || ''}`]),
    footer(el('button', { className: 'btn', text: 'Cancel', attrs: { type: 'button', 'data-close': '' } }),
      button('delete-confirm', 'Delete', 'btn--danger')),
  ]);
  document.body.append(
    el('dialog', { className: 'dialog', attrs: { id: 'item-dialog', 'aria-labelledby': 'item-dialog-title' } }, [form]),
    el('dialog', { className: 'dialog', attrs: { id: 'delete-dialog', 'aria-labelledby': 'delete-title' } }, [del]),
  );
}

export function resourcePage(decl, user) {
  const initial = (decl.sort && decl.sort.initial) || [null, 'asc'];
  const state = { page: 1, pages: 1, items: new Map(), editing: null, deleting: null, sortKey: initial[0], sortDir: initial[1], seq: 0 };
  const canWrite = decl.writeRoles.includes(user.role);
  const canDelete = (decl.deleteRoles || decl.writeRoles).includes(user.role);
  const plural = decl.plural || `${decl.noun}s`;
  const nameOf = (item) => (decl.nameOf ? decl.nameOf(item) : item.name || item.id);
  drawPage(decl);
  $('item-fields').replaceChildren(...decl.fields.map(fieldInput));
  $('new-item').hidden = !canWrite;

  async function load() {
    const tbody = $('rows');
    const seq = ++state.seq; // an older answer arriving late is dropped
    tbody.setAttribute('aria-busy', 'true');
    try {
      const res = await api('GET', `${decl.path}?${query()}`);
      if (seq !== state.seq) return undefined;
      tbody.removeAttribute('aria-busy');
      const { items, pages } = listOf(res, decl.listKey);
      if (!items.length && state.page > 1) { // the last row of the last page went
        state.page -= 1;
        return load();
      }
      state.pages = pages;
      state.items = new Map(items.map((i) => [i.id, i]));
      tbody.replaceChildren();
      if (!items.length) {
        const text = filtered() ? `No ${plural} match these filters.` : `No ${plural} yet.`;
        const td = el('td', { text, attrs: { colspan: String(decl.columns.length + 1) } });
        tbody.append(el('tr', { className: 'table__placeholder' }, [td]));
      }
      for (const item of items) tbody.append(row(item));
      $('pager').hidden = pages <= 1;
      $('page-info').textContent = `Page ${state.page} of ${pages}`;
      $('page-prev').disabled = state.page <= 1;
      $('page-next').disabled = state.page >= pages;
      pageAlert(null);
    } catch (err) {
      if (seq !== state.seq) return undefined;
      tbody.removeAttribute('aria-busy');
      pageAlert(err);
    }
    return undefined;
  }

  function query() {
    const q = new URLSearchParams({ page: String(state.page), [decl.sizeParam || 'limit']: String(PAGE_SIZE) });
    for (const f of decl.filters || []) {
      const v = $(`filter-${f.name}`).value.trim();
      if (v !== '') q.set(f.name, v);
    }
    if (state.sortKey) {
      q.set(decl.sort.by, decl.sort.keys[state.sortKey]);
      q.set(decl.sort.order, state.sortDir);
    }
    return q.toString();
  }

  const filtered = () => (decl.filters || []).some((f) => $(`filter-${f.name}`).value.trim() !== '');

  function sortBy(key) {
    state.sortDir = state.sortKey === key && state.sortDir === 'asc' ? 'desc' : 'asc';
    state.sortKey = key;
    markSort();
    state.page = 1;
    load();
  }

  function markSort() {
    for (const b of document.querySelectorAll('[data-sort]')) {
      const on = b.dataset.sort === state.sortKey;
      b.closest('th').setAttribute('aria-sort', on ? (state.sortDir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
  }

  function row(item) {
    const cells = decl.columns.map((c) => el('td', { text: c.format ? c.format(item[c.key], item) : item[c.key] }));
    const actions = el('td', { className: 'col-actions' });
    for (const a of (decl.rowActions || []).filter((x) => (!x.roles || x.roles.includes(user.role)) && (!x.when || x.when(item)))) {
      const b = el('button', { className: 'btn btn--small', text: a.label, attrs: { type: 'button', 'data-action': a.label, 'aria-label': `${a.label} of ${nameOf(item)}` } });
      b.addEventListener('click', () => a.run(item));
      actions.append(b, ' ');
    }
    if (canWrite) {
      const edit = el('button', { className: 'btn btn--small', text: 'Edit', attrs: { type: 'button', 'data-edit': item.id, 'aria-label': `Edit ${nameOf(item)}` } });
      edit.addEventListener('click', () => openForm(item));
      actions.append(edit);
    }
    if (canDelete) {
      const del = el('button', { className: 'btn btn--small btn--danger-ghost', text: 'Delete', attrs: { type: 'button', 'data-delete': item.id, 'aria-label': `Delete ${nameOf(item)}` } });
      del.addEventListener('click', () => askDelete(item));
      actions.append(' ', del);
    }
    return el('tr', { attrs: { 'data-id': item.id } }, [...cells, actions]);
  }

  function openForm(item) {
    state.editing = item;
    $('item-dialog-title').textContent = item ? `Edit ${decl.noun}` : `New ${decl.noun}`;
    fillForm(decl.fields, item);
    showFieldErrors(decl.fields, null);
    pageAlertIn('item-form-alert', null);
    $('item-dialog').showModal();
    $(`f-${decl.fields[0].name}`).focus();
  }

  function pageAlertIn(id, text) {
    $(id).textContent = text || '';
    $(id).hidden = !text;
  }

  async function submit(e) {
    e.preventDefault();
    const item = state.editing;
    const bad = {};
    const body = readForm(decl.fields, item, bad);
    if (Object.keys(bad).length) {
      showFieldErrors(decl.fields, bad).focus();
      pageAlertIn('item-form-alert', 'Check the fields marked below.');
      return;
    }
    try {
      const answer = item ? await update(item, body) : await api('POST', decl.path, body);
      $('item-dialog').close();
      if (decl.onSaved) decl.onSaved(answer, !item);
      await load();
    } catch (err) {
      if (err.redirected) return;
      const first = showFieldErrors(decl.fields, err.fields);
      pageAlertIn('item-form-alert', first ? 'Check the fields marked below.' : err.message);
      if (first) first.focus();
    }
  }

  // A field with updateVia has a route of its own (e.g. a user's role): sent there, alone,
  // when it changed.
  async function update(item, body) {
    const base = `${decl.path}/${encodeURIComponent(item.id)}`;
    for (const f of decl.fields.filter((x) => x.updateVia && x.name in body)) {
      if (String(body[f.name]) !== String(item[f.name])) await api('PUT', `${base}/${f.updateVia}`, { [f.name]: body[f.name] });
      delete body[f.name];
    }
    return api('PUT', base, body);
  }

  function askDelete(item) {
    state.deleting = item;
    $('delete-name').textContent = nameOf(item);
    $('delete-dialog').showModal();
  }

  async function confirmDelete() {
    const item = state.deleting;
    $('delete-dialog').close();
    try {
      await api('DELETE', `${decl.path}/${encodeURIComponent(item.id)}`);
      await load();
    } catch (err) {
      pageAlert(err);
    }
  }

  $('new-item').addEventListener('click', () => openForm(null));
  $('item-form').addEventListener('submit', submit);
  $('delete-confirm').addEventListener('click', confirmDelete);
  for (const b of document.querySelectorAll('[data-close]')) {
    b.addEventListener('click', () => b.closest('dialog').close());
  }
  let typing = null;
  const refilter = () => { clearTimeout(typing); state.page = 1; load(); };
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); refilter(); });
  $('filters').addEventListener('change', refilter);
  $('filters').addEventListener('input', (e) => {
    if (e.target.type !== 'search') return;
    clearTimeout(typing);
    typing = setTimeout(refilter, 300);
  });
  for (const b of document.querySelectorAll('[data-sort]')) b.addEventListener('click', () => sortBy(b.dataset.sort));
  $('page-prev').addEventListener('click', () => { state.page -= 1; load(); });
  $('page-next').addEventListener('click', () => { state.page += 1; load(); });
  markSort();
  return load();
}
