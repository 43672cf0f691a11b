// The chat console's markup (chat.html is an empty <main>): the head with my chat status,
// the three conversation lists, the thread with its reply box, the transfer dialog. Ids
// are what chat.js (and the browser test) reach for.
import { $, el } from './shell.js';

const button = (id, text, className, hidden = true) => el('button', {
  className: `btn ${className}`, text, attrs: { id, type: 'button', ...(hidden ? { hidden: '' } : {}) } });

function head() {
  const status = el('select', { attrs: { id: 'availability-select', name: 'status' } }, [
    ['online', 'Online'], ['away', 'Away'], ['busy', 'Busy'], ['offline', 'Offline'],
  ].map(([v, l]) => el('option', { text: l, attrs: { value: v } })));
  const form = el('form', { className: 'inline-form', attrs: { id: 'availability-form', 'aria-describedby': 'availability-now' } }, [
    el('span', { className: 'muted', text: '–', attrs: { id: 'availability-now', 'aria-live': 'polite' } }),
    el('label', { text: 'Chat status', attrs: { for: 'availability-select' } }), status,
    el('button', { className: 'btn btn--small', text: 'Set', attrs: { id: 'availability-apply', type: 'submit' } }),
  ]);
  return el('div', { className: 'page__head' }, [
    el('div', {}, [el('h1', { text: 'Chat' }),
      el('p', { className: 'muted', text: 'Visitors waiting for someone, your conversations, and your colleagues\'.' })]),
    form,
  ]);
}

function list(key, title) {
  return el('section', { attrs: { 'aria-labelledby': `${key}-title` } }, [
    el('h2', { attrs: { id: `${key}-title` } }, [`${title} `, el('span', { className: 'badge', text: '0', attrs: { id: `${key}-count` } })]),
    el('ul', { className: 'chat-list', attrs: { id: `${key}-list` } }, [
      el('li', { className: 'chat-list__empty muted', text: 'Loading…' })]),
  ]);
}

function thread() {
  const reply = el('form', { className: 'chat-reply', attrs: { id: 'reply-form' } }, [
    el('label', { className: 'visually-hidden', text: 'Your reply', attrs: { for: 'reply-text' } }),
    el('textarea', { attrs: { id: 'reply-text', name: 'body', rows: '2', maxlength: '5000',
      placeholder: 'Write a reply (Enter sends, Shift+Enter for a new line)' } }),
    el('button', { className: 'btn btn--primary', text: 'Send', attrs: { id: 'reply-send', type: 'submit' } }),
  ]);
  return el('section', { className: 'chat-thread panel', attrs: { 'aria-labelledby': 'thread-title' } }, [
    el('p', { className: 'muted', text: 'Pick a conversation on the left.', attrs: { id: 'no-thread' } }),
    el('div', { attrs: { id: 'thread', hidden: '' } }, [
      el('header', { className: 'chat-thread__head' }, [
        el('div', {}, [el('h2', { attrs: { id: 'thread-title' } }), el('p', { className: 'muted', attrs: { id: 'thread-meta' } })]),
        el('div', { className: 'chat-thread__actions' }, [
          button('accept', 'Accept', 'btn--primary btn--small'),
          button('transfer', 'Transfer…', 'btn--small'),
          button('end', 'Close chat', 'btn--small btn--danger-ghost'),
        ]),
      ]),
      el('ol', { className: 'chat-messages', attrs: { id: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' } }),
      el('p', { className: 'chat-typing', attrs: { id: 'typing-indicator', 'aria-live': 'polite', hidden: '' } }),
      reply,
      el('p', { className: 'muted', attrs: { id: 'reply-hint', hidden: '' } }),
    ]),
  ]);
}

function transferDialog() {
  const radio = (value, text, checked) => {
    const input = el('input', { attrs: { type: 'radio', name: 'target', value, id: `transfer-to-${value}` } });
    input.checked = checked;
    return el('label', {}, [input, text]);
  };
  const field = (id, label, control, hidden) => el('div', { className: 'field', attrs: { id: `${id}-field`, ...(hidden ? { hidden: '' } : {}) } }, [
    el('label', { text: label, attrs: { for: id } }), control]);
  const form = el('form', { className: 'dialog__body', attrs: { id: 'transfer-form', novalidate: '' } }, [
    el('header', { className: 'dialog__header' }, [
      el('h2', { text: 'Transfer the chat', attrs: { id: 'transfer-title' } }),
      el('button', { className: 'btn btn--icon', text: '×', attrs: { type: 'button', 'data-close': '', 'aria-label': 'Close' } }),
    ]),
    el('div', { className: 'alert alert--error', attrs: { id: 'transfer-alert', role: 'alert', hidden: '' } }),
    el('fieldset', { className: 'chat-choice' }, [el('legend', { text: 'To' }),
      radio('agent', 'an agent with room', true), radio('queue', 'a queue (the chat waits for its members)', false)]),
    field('transfer-agent', 'Agent', el('select', { attrs: { id: 'transfer-agent' } }), false),
    field('transfer-queue', 'Queue', el('select', { attrs: { id: 'transfer-queue' } }), true),
    field('transfer-reason', 'Reason (optional)', el('input', { attrs: { id: 'transfer-reason', type: 'text', maxlength: '255' } }), false),
    el('footer', { className: 'dialog__footer' }, [
      el('button', { className: 'btn', text: 'Cancel', attrs: { type: 'button', 'data-close': '' } }),
      el('button', { className: 'btn btn--primary', text: 'Transfer', attrs: { id: 'transfer-submit', type: 'submit' } }),
    ]),
  ]);
  return el('dialog', { className: 'dialog', attrs: { id: 'transfer-dialog', 'aria-labelledby': 'transfer-title' } }, [form]);
}

/** Draws the console into <main id="main">. */
export function drawChat() {
  const hint = el('div', { className: 'alert alert--info', attrs: { id: 'availability-hint', hidden: '' } }, [
    el('span', { attrs: { id: 'availability-hint-text' } }), ' ',
    button('register-me', 'Register me as a chat agent', 'btn--small'),
  ]);
  const lists = el('nav', { className: 'chat-lists', attrs: { 'aria-label': 'Conversations' } }, [
    list('waiting', 'Waiting'), list('mine', 'Mine'), list('others', 'With other agents')]);
  const main = $('main');
  main.classList.add('page--wide');
  main.replaceChildren(head(),
    el('div', { className: 'alert alert--error', attrs: { id: 'page-alert', role: 'alert', hidden: '' } }),
    hint, el('div', { className: 'chat-console' }, [lists, thread()]), transferDialog());
}
