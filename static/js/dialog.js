// A modal dialog made once per id: its title, a close button, an alert (a JSON error's
// message, never raw JSON) and a body the caller fills. The browser's <dialog> keeps the
// focus inside and closes on Escape.
import { $, el } from './shell.js';

/** The dialog `id` (made on first use): { node, body, alert(err|null), open(title) }. */
export function dialog(id, { wide = false } = {}) {
  let node = $(id);
  if (!node) {
    const close = el('button', { className: 'btn btn--icon', text: '×', attrs: { type: 'button', 'aria-label': 'Close' } });
    node = el('dialog', { className: `dialog${wide ? ' dialog--wide' : ''}`, attrs: { id, 'aria-labelledby': `${id}-title` } }, [
      el('div', { className: 'dialog__body' }, [
        el('header', { className: 'dialog__header' }, [el('h2', { attrs: { id: `${id}-title` } }), close]),
        el('div', { className: 'alert alert--error', attrs: { id: `${id}-alert`, role: 'alert', hidden: '' } }),
        el('div', { attrs: { id: `${id}-content` } }),
      ]),
    ]);
    close.addEventListener('click', () => node.close());
    document.body.append(node);
  }
  const box = $(`${id}-alert`);
  return {
    node,
    body: $(`${id}-content`),
    alert(err) {
      if (err && err.redirected) return;
      box.textContent = err ? err.message || String(err) : '';
      box.hidden = !err;
    },
    open(title) {
      $(`${id}-title`).textContent = title;
      this.alert(null);
      if (!node.open) node.showModal();
    },
  };
}

/** A table of rows (arrays of cell texts or nodes) with a placeholder when empty. */
export function table(headers, rows, empty, attrs = {}) {
  const body = el('tbody', {}, rows.length ? rows.map((cells) => el('tr', {}, cells.map((c) => (c instanceof Node ? el('td', {}, [c]) : el('td', { text: c ?? '' }))))) :
    [el('tr', { className: 'table__placeholder' }, [el('td', { text: empty, attrs: { colspan: String(headers.length) } })])]);
  return el('div', { className: 'table-wrap' }, [el('table', { className: 'table', attrs }, [
    el('thead', {}, [el('tr', {}, headers.map((h) => el('th', { text: h, attrs: { scope: 'col' } })))]), body])]);
}

export const when = (v) => (v ? new Date(v).toLocaleString() : '');
