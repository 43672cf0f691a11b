// The markup of the tickets pages (their HTML is an empty <main>): drawList() for the list
// (tickets.js: filters, table, pager, the new-ticket dialog), drawDetail() for one ticket
// (tickets-detail.js: the request, the conversation, the reply/note box, the side forms).
// Ids are what those modules (and the browser test) reach for.
import { $, el } from './shell.js';
import { PRIORITIES, STATUSES } from './tickets-common.js';

const opts = (pairs) => pairs.map(([v, l]) => el('option', { text: l, attrs: { value: v } }));
const alertBox = (id) => el('div', { className: 'alert alert--error', attrs: { id, role: 'alert', hidden: '' } });
const btn = (id, text, className, type = 'button') => el('button', { className: `btn ${className}`, text, attrs: { id, type } });

function field(id, label, control) {
  return el('div', { className: 'field' }, [el('label', { text: label, attrs: { for: id } }), control]);
}

function filters() {
  return el('form', { className: 'filters', attrs: { id: 'filters', role: 'search', 'aria-label': 'Filter tickets' } }, [
    field('filter-q', 'Search', el('input', { attrs: { id: 'filter-q', name: 'q', type: 'search', maxlength: '200',
      placeholder: 'Words in the subject, description or messages' } })),
    field('filter-status', 'Status', el('select', { attrs: { id: 'filter-status' } }, opts([['', 'Any'], ...STATUSES]))),
    field('filter-priority', 'Priority', el('select', { attrs: { id: 'filter-priority' } }, opts([['', 'Any'], ...PRIORITIES]))),
    field('filter-assignee', 'Assignee', el('select', { attrs: { id: 'filter-assignee' } },
      opts([['', 'Anyone'], ['me', 'Me'], ['my', 'Me and my queues']]))),
    field('filter-sort', 'Order', el('select', { attrs: { id: 'filter-sort' } },
      opts([['', 'Newest first'], ['updated_at', 'Recently updated'], ['due_at', 'Due soonest']]))),
    el('div', { className: 'filters__buttons' }, [btn('filter-apply', 'Search', 'btn--primary', 'submit'), btn('filter-clear', 'Clear', '')]),
  ]);
}

function newDialog() {
  const input = (name, label, type, required) => {
    const id = `new-${name}`;
    const control = type === 'textarea' ? el('textarea', { attrs: { id, name, rows: '4' } })
      : type === 'select' ? el('select', { attrs: { id, name } }, opts(PRIORITIES))
        : el('input', { attrs: { id, name, type, maxlength: '255' } });
    control.setAttribute('aria-describedby', `${id}-error`);
    if (required) control.required = true;
    const l = el('label', { text: label, attrs: { for: id } });
    if (required) l.append(' ', el('span', { className: 'req', text: '*', attrs: { 'aria-hidden': 'true' } }));
    return el('div', { className: 'field' }, [l, control, el('p', { className: 'field__error', attrs: { id: `${id}-error`, hidden: '' } })]);
  };
  const form = el('form', { className: 'dialog__body', attrs: { id: 'new-form', novalidate: '' } }, [
    el('header', { className: 'dialog__header' }, [el('h2', { text: 'New ticket', attrs: { id: 'new-title' } }),
      el('button', { className: 'btn btn--icon', text: '×', attrs: { type: 'button', 'data-close': '', 'aria-label': 'Close' } })]),
    alertBox('new-alert'),
    input('subject', 'Subject', 'text', true), input('description', 'Description', 'textarea'),
    input('priority', 'Priority', 'select'), input('requester_name', 'Requester\'s name', 'text'),
    input('requester_email', 'Requester\'s e-mail', 'email'),
    el('footer', { className: 'dialog__footer' }, [
      el('button', { className: 'btn', text: 'Cancel', attrs: { type: 'button', 'data-close': '' } }),
      btn('new-save', 'Create', 'btn--primary', 'submit')]),
  ]);
  return el('dialog', { className: 'dialog', attrs: { id: 'new-dialog', 'aria-labelledby': 'new-title' } }, [form]);
}

/** The list page into <main id="main">. */
export function drawList() {
  const head = el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: 'Tickets' }),
      el('p', { className: 'muted', text: 'Requests to answer: open one to reply, note, assign or move it on.' })]),
    btn('new-ticket', 'New ticket', 'btn--primary'),
  ]);
  const cols = ['#', 'Subject', 'Status', 'Priority', 'Assignee', 'Requester', 'Updated'];
  const table = el('table', { className: 'table' }, [
    el('caption', { className: 'visually-hidden', text: 'Tickets' }),
    el('thead', {}, [el('tr', {}, cols.map((c) => el('th', { text: c, attrs: { scope: 'col' } })))]),
    el('tbody', { attrs: { id: 'rows' } }, [el('tr', { className: 'table__placeholder' }, [
      el('td', { text: 'Loading…', attrs: { colspan: String(cols.length) } })])]),
  ]);
  const pager = el('nav', { className: 'pager', attrs: { id: 'pager', 'aria-label': 'Pages of tickets' } }, [
    btn('page-prev', 'Previous', 'btn--small'),
    el('span', { className: 'pager__info', attrs: { id: 'page-info', 'aria-live': 'polite' } }),
    btn('page-next', 'Next', 'btn--small'),
  ]);
  const main = $('main');
  main.classList.add('page--wide');
  main.replaceChildren(head, alertBox('page-alert'), filters(), el('div', { className: 'table-wrap' }, [table]), pager, newDialog());
}

function sideForm(key, label, action, actionText) {
  return el('form', { className: 'field', attrs: { id: `${key}-form` } }, [
    el('label', { text: label, attrs: { for: `ticket-${key === 'assign' ? 'assignee' : key}` } }),
    el('div', { className: 'inline-form' }, [
      el('select', { attrs: { id: `ticket-${key === 'assign' ? 'assignee' : key}` } }),
      btn(action, actionText, 'btn--small', 'submit')]),
  ]);
}

function compose() {
  const kind = (value, text, checked) => {
    const input = el('input', { attrs: { type: 'radio', name: 'kind', id: `kind-${value}`, value } });
    input.checked = checked;
    return [input, el('label', { text, attrs: { for: `kind-${value}` } })];
  };
  return el('form', { className: 'panel compose', attrs: { id: 'compose', novalidate: '' } }, [
    el('fieldset', { className: 'segmented' }, [el('legend', { className: 'visually-hidden', text: 'Kind of message' }),
      ...kind('reply', 'Reply to the requester', true), ...kind('note', 'Internal note', false)]),
    el('label', { className: 'visually-hidden', text: 'Message', attrs: { for: 'compose-body' } }),
    el('textarea', { attrs: { id: 'compose-body', rows: '4', maxlength: '65535', 'aria-describedby': 'compose-hint' } }),
    el('p', { className: 'field__hint', attrs: { id: 'compose-hint' } }),
    el('div', { className: 'compose__buttons' }, [btn('compose-submit', 'Send reply', 'btn--primary', 'submit')]),
  ]);
}

/** One ticket's page into <main id="main">. */
export function drawDetail() {
  const conversation = el('div', { className: 'ticket-main' }, [
    el('section', { className: 'panel', attrs: { 'aria-labelledby': 'desc-title' } }, [
      el('h2', { text: 'Request', attrs: { id: 'desc-title' } }), el('p', { className: 'ticket-text', attrs: { id: 'ticket-description' } })]),
    el('section', { attrs: { 'aria-labelledby': 'conv-title' } }, [
      el('h2', { text: 'Conversation', attrs: { id: 'conv-title' } }),
      el('ol', { className: 'ticket-msgs', attrs: { id: 'ticket-messages', 'aria-live': 'polite' } }),
      compose()]),
  ]);
  const side = el('aside', { className: 'ticket-side panel', attrs: { 'aria-label': 'Ticket properties' } }, [
    sideForm('status', 'Status', 'status-apply', 'Change'),
    sideForm('assign', 'Assignee', 'assign-apply', 'Assign'),
    sideForm('priority', 'Priority', 'priority-apply', 'Change'),
    el('dl', { className: 'facts', attrs: { id: 'ticket-facts' } }),
  ]);
  const main = $('main');
  main.classList.add('page--wide');
  main.replaceChildren(
    el('p', {}, [el('a', { text: '← All tickets', attrs: { id: 'back', href: 'tickets.html' } })]),
    el('div', { className: 'page__head' }, [el('div', {}, [
      el('h1', { text: 'Loading the ticket…', attrs: { id: 'ticket-title' } }),
      el('p', { className: 'muted', attrs: { id: 'ticket-sub' } })])]),
    alertBox('page-alert'),
    el('div', { className: 'ticket-layout', attrs: { id: 'ticket', hidden: '' } }, [conversation, side]),
  );
}
