// What the outbound pages (campaigns, leads, do-not-call, SIP trunk) share. Their routes
// answer in coldcaller's dialect: `data` in camelCase, `pagination{page, limit, total,
// totalPages, hasNext, hasPrev}`, and a validation failure is a 400 whose `error.details`
// is a list of {field, message} (api.js puts that list in err.fields). Also: a form field
// with its label, hint and error line; a paged table; a dialog; and an upload through
// XMLHttpRequest that reports its progress (fetch cannot), with api.js's token.
import { ApiError, api, getToken } from './api.js';
import { $, el } from './shell.js';

export const WRITERS = ['super_admin', 'admin', 'manager'];
export const ADMINS = ['super_admin', 'admin'];

/** A coldcaller list answer as {items, page, pages, total}. */
export function coldList(res) {
  const p = res.pagination || {};
  return {
    items: Array.isArray(res.data) ? res.data : [],
    page: Number(p.page) || 1,
    pages: Math.max(1, Number(p.totalPages || p.total_pages || p.pages) || 1),
    total: Number(p.total ?? res.total) || 0,
  };
}

/** An error's field messages as {field: message}: coldcaller's details list, or a map. */
export function fieldErrors(err) {
  const f = err && err.fields;
  if (Array.isArray(f)) {
    const out = {};
    for (const d of f) if (d && d.field && !(d.field in out)) out[d.field] = d.message || 'is not valid';
    return out;
  }
  return f && typeof f === 'object' ? f : {};
}

/** "?a=1&b=x" from the members that have a value. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function button(text, { id, className = '', attrs = {} } = {}) {
  const a = { type: 'button', ...attrs };
  if (id) a.id = id;
  return el('button', { className: `btn ${className}`.trim(), text, attrs: a });
}

export function alertBox(id, kind = 'error') {
  return el('div', { className: `alert alert--${kind}`, attrs: { id, role: 'alert', hidden: '' } });
}

export function showAlert(id, err) {
  const box = $(id);
  if (!box || (err && err.redirected)) return;
  const text = err ? err.message || String(err) : '';
  box.textContent = text;
  box.hidden = !text;
}

/**
 * A labelled field: {id, name, label, type ('text', 'number', 'select', 'textarea',
 * 'checkbox', …), options [[value, label]], hint, required, attrs}. Its error line is
 * `${id}-error`, named by aria-describedby.
 */
export function field(f) {
  let input;
  const attrs = { id: f.id, name: f.name || f.id, ...(f.attrs || {}) };
  if (f.type === 'select') {
    input = el('select', { attrs });
    for (const [value, label] of f.options || []) input.append(el('option', { text: label, attrs: { value } }));
  } else if (f.type === 'textarea') {
    input = el('textarea', { attrs: { rows: '4', ...attrs } });
  } else {
    input = el('input', { attrs: { type: f.type || 'text', ...attrs } });
  }
  if (f.required) input.required = true;
  input.setAttribute('aria-describedby', `${f.id}-error${f.hint ? ` ${f.id}-hint` : ''}`);
  const label = el('label', { text: f.label, attrs: { for: f.id } });
  const box = el('div', { className: f.type === 'checkbox' ? 'field field--check' : 'field' },
    f.type === 'checkbox' ? [input, label] : [label, input]);
  if (f.hint) box.append(el('p', { className: 'field__hint', text: f.hint, attrs: { id: `${f.id}-hint` } }));
  box.append(el('p', { className: 'field__error', attrs: { id: `${f.id}-error`, hidden: '' } }));
  return box;
}

/**
 * Shows errors ({apiField: message}) under the fields; map: apiField -> [input id, label].
 * Returns the first input marked, or null (then the caller shows the message itself).
 */
export function markFields(map, errors) {
  let first = null;
  for (const [name, [id, label]] of Object.entries(map)) {
    const msg = errors[name];
    const p = $(`${id}-error`);
    if (!p) continue;
    p.textContent = msg ? `${label}: ${msg}` : '';
    p.hidden = !msg;
    $(id).setAttribute('aria-invalid', msg ? 'true' : 'false');
    if (msg && !first) first = $(id);
  }
  return first;
}

/** A table whose body is #<id>; headers are texts (an empty one is the actions column). */
export function table(id, caption, headers) {
  const ths = headers.map((h) => (h
    ? el('th', { text: h, attrs: { scope: 'col' } })
    : el('th', { className: 'col-actions', attrs: { scope: 'col' } }, [el('span', { className: 'visually-hidden', text: 'Actions' })])));
  const tbody = el('tbody', { attrs: { id } }, [placeholderRow('Loading…', headers.length)]);
  return el('div', { className: 'table-wrap' }, [el('table', { className: 'table' }, [
    el('caption', { className: 'visually-hidden', text: caption }),
    el('thead', {}, [el('tr', {}, ths)]), tbody])]);
}

export function placeholderRow(text, cols) {
  return el('tr', { className: 'table__placeholder' }, [el('td', { text, attrs: { colspan: String(cols) } })]);
}

/** Previous / "Page x of y" / Next under a table: ids <prefix>-prev, -info, -next. */
export function pager(prefix, label, go) {
  const prev = button('Previous', { id: `${prefix}-prev`, className: 'btn--small' });
  const next = button('Next', { id: `${prefix}-next`, className: 'btn--small' });
  prev.addEventListener('click', () => go(-1));
  next.addEventListener('click', () => go(1));
  return el('nav', { className: 'pager', attrs: { id: `${prefix}-pager`, 'aria-label': label, hidden: '' } },
    [prev, el('span', { className: 'pager__info', attrs: { id: `${prefix}-info` } }), next]);
}

export function showPager(prefix, { page, pages, total }) {
  $(`${prefix}-pager`).hidden = pages <= 1;
  $(`${prefix}-info`).textContent = `Page ${page} of ${pages} · ${total} in all`;
  $(`${prefix}-prev`).disabled = page <= 1;
  $(`${prefix}-next`).disabled = page >= pages;
}

/** A modal dialog #<id> with a title, content and footer buttons; [data-close] closes it. */
export function dialog(id, title, content, footer, { form = false } = {}) {
  const close = el('button', { className: 'btn btn--icon', text: '×', attrs: { type: 'button', 'data-close': '', 'aria-label': 'Close' } });
  const body = el(form ? 'form' : 'div', { className: 'dialog__body', attrs: form ? { id: `${id}-form`, novalidate: '' } : {} }, [
    el('header', { className: 'dialog__header' }, [el('h2', { text: title, attrs: { id: `${id}-title` } }), close]),
    ...content,
    el('footer', { className: 'dialog__footer' }, footer),
  ]);
  const d = el('dialog', { className: 'dialog', attrs: { id, 'aria-labelledby': `${id}-title` } }, [body]);
  for (const b of d.querySelectorAll('[data-close]')) b.addEventListener('click', () => d.close());
  document.body.append(d);
  return d;
}

function errorOf(status, text) {
  let d = {};
  try {
    d = JSON.parse(text) || {};
  } catch {
    /* not JSON: a proxy's page */
  }
  const message = (typeof d.error === 'string' && d.error) || (d.error && d.error.message) ||
    (typeof d.message === 'string' && d.message) || `The request failed (HTTP ${status}).`;
  return new ApiError(message, { status, code: d.code || '', fields: d.fields || (d.error && d.error.details), requestId: d.request_id || '' });
}

function xhrSend(path, file, type, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', `/api${path}`);
    x.setRequestHeader('Accept', 'application/json');
    x.setRequestHeader('Content-Type', type);
    const token = getToken();
    if (token) x.setRequestHeader('Authorization', `Bearer ${token}`);
    x.upload.addEventListener('progress', (e) => onProgress(e.lengthComputable ? e.loaded / e.total : null));
    x.addEventListener('load', () => resolve({ status: x.status, text: x.responseText }));
    x.addEventListener('error', () => reject(new ApiError('The server could not be reached. Check your connection and try again.', { code: 'network_error' })));
    x.send(file);
  });
}

/**
 * POSTs a file as the body to /api<path> and resolves with the parsed 2xx answer.
 * onProgress(fraction or null) follows the upload; onSent() once every byte is sent. A 401
 * is answered the way api() does: one refresh (api() on /auth/me refreshes and stores the
 * new token, or leaves for sign-in), then one retry.
 */
export async function upload(path, file, type, { onProgress = () => {}, onSent = () => {} } = {}) {
  const progress = (f) => {
    onProgress(f);
    if (f === 1) onSent();
  };
  let res = await xhrSend(path, file, type, progress);
  if (res.status === 401) {
    await api('GET', '/auth/me');
    res = await xhrSend(path, file, type, progress);
  }
  if (res.status < 200 || res.status >= 300) throw errorOf(res.status, res.text);
  onSent();
  return res.text ? JSON.parse(res.text) : {};
}
