// The agent's chat console: the conversations waiting for someone, mine, and my colleagues'
// (/api/chat/sessions/active), one conversation's thread, replies, accept, transfer, close,
// my chat availability. Kept current from the event stream (live.js: /api/events carries
// every chat event of the tenant to staff readers): chat.message appends to the open
// thread, chat.typing shows "… is typing", session changes reload the lists. The agent's
// own typing goes out as the widget protocol expects it, POST /api/chat/sessions/:id/typing
// (true while typing, at most every few seconds; false when idle, sent or gone).
import { api } from './api.js';
import { drawChat } from './chat-view.js';
import { liveStream, showLiveState } from './live.js';
import { $, el, pageAction, pageAlert, startPage } from './shell.js';

const STAFF = new Set(['super_admin', 'admin', 'manager']);
const OPEN = new Set(['waiting', 'active', 'transferring']);
const STATUS = { waiting: 'Waiting', active: 'Active', transferring: 'Being transferred', closed: 'Closed',
  abandoned: 'Abandoned', missed: 'Missed' };
const PRESENCE = { online: 'Online', away: 'Away', busy: 'Busy', offline: 'Offline' };
const TYPING_RESEND_MS = 3000; // while typing, "still typing" at most this often
const TYPING_IDLE_MS = 4000; // no key for this long: stopped typing
const TYPING_SHOWN_MS = 8000; // the visitor's indicator without news: hidden after this
const MESSAGES_MAX = 500; // the API's page of messages

let me = {};
let staff = false;
let sessions = new Map(); // the open sessions, by id
const unread = new Set(); // sessions with visitor messages I have not looked at
const previews = new Map(); // session id -> the last message seen in the stream
let current = null; // the session shown
let shown = new Set(); // message ids drawn in the thread
let lastMessageId = 0;
let loadingMessages = null;
let moreMessages = false;
let listTimer = null;
let openSeq = 0; // the last conversation asked for wins
let visitorTypingTimer = null;
const typing = { on: false, sentAt: 0, idle: null, session: null };

/* ---------- small helpers ---------- */

const dataOf = (res) => (res && res.data !== undefined ? res.data : res);
const mine = (s) => Boolean(s && s.user_id && s.user_id === me.id);
const canWork = (s) => Boolean(s && OPEN.has(s.status) && (mine(s) || staff));

function clock(iso) {
  const d = iso ? new Date(iso) : null;
  return d && !Number.isNaN(d.getTime()) ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
}

function minutesSince(iso) {
  const t = iso ? new Date(iso).getTime() : NaN;
  if (Number.isNaN(t)) return '';
  const m = Math.max(0, Math.floor((Date.now() - t) / 60000));
  return m < 1 ? 'just now' : `${m} min`;
}

/* ---------- my availability ---------- */

function showAvailability(agent) {
  const now = $('availability-now');
  if (!agent) {
    now.textContent = 'Not taking new chats';
    return;
  }
  now.textContent = `${PRESENCE[agent.status] || agent.status} · ${agent.current_chats} of ${agent.max_concurrent_chats} chats`;
  if (PRESENCE[agent.status]) $('availability-select').value = agent.status;
}

function notAgentHint(show) {
  $('availability-hint').hidden = !show;
  $('availability-hint-text').textContent = show
    ? (staff ? 'You are not a chat agent, so no chat is given to you. You can still read, transfer and close chats. '
      : 'You are not a chat agent yet: an admin or a manager registers you.')
    : '';
  $('register-me').hidden = !(show && staff);
}

// Only online agents with room are listed by the API: that is what "taking new chats" means.
async function loadAvailability() {
  const res = await api('GET', '/chat/agents/available?page_size=200');
  const agent = (dataOf(res) || []).find((a) => a.user_id === me.id);
  showAvailability(agent || null);
}

async function setAvailability(e) {
  e.preventDefault();
  try {
    pageAlert(null);
    const res = await api('PUT', `/chat/agents/${encodeURIComponent(me.id)}/availability`,
      { status: $('availability-select').value });
    notAgentHint(false);
    showAvailability(dataOf(res));
  } catch (err) {
    if (err.status === 404) notAgentHint(true);
    else pageAlert(err);
  }
}

async function registerMe() {
  try {
    pageAlert(null);
    await api('POST', '/chat/agents', { user_id: me.id, status: $('availability-select').value });
    notAgentHint(false);
    await loadAvailability();
  } catch (err) {
    pageAlert(err);
  }
}

/* ---------- the lists ---------- */

function item(s) {
  const li = el('li');
  const b = el('button', { className: 'chat-item', attrs: { type: 'button', 'data-session': s.id } });
  if (current && current.id === s.id) b.setAttribute('aria-current', 'true');
  const name = s.visitor_name || 'Visitor';
  const meta = s.status === 'active'
    ? `${mine(s) ? 'You' : s.agent_name || 'an agent'} · since ${clock(s.accepted_at || s.started_at)}`
    : `${STATUS[s.status] || s.status} · ${minutesSince(s.handover_at || s.started_at)}`;
  b.append(el('span', { className: 'chat-item__name', text: name }),
    el('span', { className: 'chat-item__meta', text: meta }));
  if (previews.has(s.id)) b.append(el('span', { className: 'chat-item__preview', text: previews.get(s.id) }));
  if (unread.has(s.id)) {
    b.classList.add('chat-item--unread');
    b.append(el('span', { className: 'chat-item__unread', text: 'new', attrs: { 'aria-label': 'new messages' } }));
  }
  b.addEventListener('click', () => openSession(s.id));
  li.append(b);
  return li;
}

function fillList(id, list, empty) {
  const ul = $(id);
  ul.replaceChildren(...list.map(item));
  if (!list.length) ul.append(el('li', { className: 'chat-list__empty muted', text: empty }));
  $(id.replace('-list', '-count')).textContent = String(list.length);
}

// The lists are drawn anew on each change: the item that had the focus gets it back.
function renderLists() {
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.session : undefined;
  const all = [...sessions.values()];
  const byStart = (a, b) => String(a.started_at).localeCompare(String(b.started_at));
  const waiting = all.filter((s) => s.status !== 'active' && !mine(s)).sort(byStart);
  const own = all.filter((s) => mine(s)).sort(byStart);
  const others = all.filter((s) => s.status === 'active' && !mine(s)).sort(byStart);
  fillList('waiting-list', waiting, 'Nobody is waiting.');
  fillList('mine-list', own, 'No conversation of yours.');
  fillList('others-list', others, 'None.');
  const n = waiting.length + [...unread].filter((id) => sessions.has(id)).length;
  document.title = `${n ? `(${n}) ` : ''}Chat · Switchboard`;
  if (focused) {
    const again = document.querySelector(`.chat-list [data-session="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

async function loadLists() {
  const res = await api('GET', '/chat/sessions/active?page_size=200');
  sessions = new Map((dataOf(res) || []).map((s) => [s.id, s]));
  for (const id of [...unread]) if (!sessions.has(id)) unread.delete(id);
  if (current && sessions.has(current.id)) {
    current = sessions.get(current.id);
    renderHead();
  }
  renderLists();
}

function scheduleLists() {
  clearTimeout(listTimer);
  listTimer = setTimeout(() => loadLists().catch(pageAlert), 150);
}

/* ---------- the thread ---------- */

function messageItem(m) {
  const kind = m.sender_type === 'agent' ? 'agent' : m.sender_type === 'visitor' ? 'visitor' : 'system';
  const who = kind === 'system' ? 'System' : m.sender_name || (kind === 'visitor' ? 'Visitor' : 'Agent');
  return el('li', { className: `chat-msg chat-msg--${kind}`, attrs: { 'data-id': String(m.id), 'data-sender': kind } }, [
    el('p', { className: 'chat-msg__who' }, [
      el('strong', { text: m.sender_id && m.sender_id === me.id ? 'You' : who }),
      el('time', { className: 'muted', text: ` ${clock(m.created_at)}`, attrs: { datetime: m.created_at || '' } })]),
    el('p', { className: 'chat-msg__body', text: m.body }),
  ]);
}

function appendMessages(list) {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  for (const m of list) {
    const id = Number(m.id);
    if (id > lastMessageId) lastMessageId = id;
    if (shown.has(id)) continue;
    shown.add(id);
    box.append(messageItem(m));
    if (m.sender_type === 'visitor') showVisitorTyping(false);
  }
  if (atBottom || list.some((m) => m.sender_id === me.id)) box.scrollTop = box.scrollHeight;
}

// New messages of the open session after the last one drawn: one fetch at a time; a call
// while one runs (another message, another session opened) fetches again after it.
function loadNewMessages() {
  if (!current) return Promise.resolve();
  if (loadingMessages) {
    moreMessages = true;
    return loadingMessages;
  }
  moreMessages = false;
  loadingMessages = fetchNewMessages(current.id).catch(pageAlert).finally(() => {
    loadingMessages = null;
    if (moreMessages) loadNewMessages();
  });
  return loadingMessages;
}

async function fetchNewMessages(id) {
  let page;
  do {
    const res = await api('GET', `/chat/sessions/${encodeURIComponent(id)}/messages?after=${lastMessageId}`);
    if (!current || current.id !== id) return; // another session was opened meanwhile
    page = dataOf(res) || [];
    appendMessages(page);
  } while (page.length >= MESSAGES_MAX);
}

function renderHead() {
  const s = current;
  $('thread-title').textContent = s.visitor_name || 'Visitor';
  const parts = [STATUS[s.status] || s.status];
  if (s.status === 'active' || s.status === 'transferring') parts.push(mine(s) ? 'with you' : `with ${s.agent_name || 'an agent'}`);
  if (s.status === 'waiting') parts.push(`waiting ${minutesSince(s.handover_at || s.started_at)}`);
  if (s.visitor_email) parts.push(s.visitor_email);
  if (s.page_url) parts.push(s.page_url);
  $('thread-meta').textContent = parts.join(' · ');
  const open = OPEN.has(s.status);
  $('accept').hidden = !(open && s.status !== 'active' && !mine(s));
  $('transfer').hidden = !canWork(s);
  $('end').hidden = !canWork(s);
  const may = canWork(s);
  $('reply-text').disabled = !may;
  $('reply-send').disabled = !may;
  $('reply-form').hidden = !open;
  const hint = !open ? 'This chat has ended.'
    : may ? ''
      : s.status === 'active' ? `${s.agent_name || 'Another agent'} is handling this chat.`
        : 'Accept this chat to reply.';
  $('reply-hint').textContent = hint;
  $('reply-hint').hidden = !hint;
  if (!open) showVisitorTyping(false);
}

async function openSession(id) {
  if (current && current.id !== id) stopTyping();
  const seq = ++openSeq;
  const res = await api('GET', `/chat/sessions/${encodeURIComponent(id)}`).catch((err) => {
    pageAlert(err);
    return null;
  });
  if (!res || seq !== openSeq) return; // failed, or another was picked meanwhile
  pageAlert(null);
  current = dataOf(res);
  shown = new Set();
  lastMessageId = 0;
  $('messages').replaceChildren();
  showVisitorTyping(false);
  $('no-thread').hidden = true;
  $('thread').hidden = false;
  renderHead();
  unread.delete(id);
  renderLists();
  history.replaceState(null, '', `chat.html?session=${encodeURIComponent(id)}`);
  await loadNewMessages();
  $('messages').scrollTop = $('messages').scrollHeight;
  if (!$('reply-text').disabled) $('reply-text').focus();
}

async function reloadCurrent() {
  if (!current) return;
  const res = await api('GET', `/chat/sessions/${encodeURIComponent(current.id)}`);
  if (current && dataOf(res).id === current.id) {
    current = dataOf(res);
    renderHead();
  }
}

/* ---------- typing, both ways ---------- */

function showVisitorTyping(on, name) {
  clearTimeout(visitorTypingTimer);
  const box = $('typing-indicator');
  box.hidden = !on;
  box.textContent = on ? `${name || (current && current.visitor_name) || 'Visitor'} is typing…` : '';
  if (on) visitorTypingTimer = setTimeout(() => showVisitorTyping(false), TYPING_SHOWN_MS);
}

function sendTyping(sessionId, isTyping) {
  api('POST', `/chat/sessions/${encodeURIComponent(sessionId)}/typing`, { is_typing: isTyping }, { redirect: false })
    .catch(() => { /* a lost typing hint is not worth an alert */ });
}

function onComposerInput() {
  if (!current || !canWork(current)) return;
  if (!$('reply-text').value.trim()) {
    stopTyping();
    return;
  }
  const now = Date.now();
  if (!typing.on || typing.session !== current.id || now - typing.sentAt > TYPING_RESEND_MS) {
    typing.on = true;
    typing.session = current.id;
    typing.sentAt = now;
    sendTyping(current.id, true);
  }
  clearTimeout(typing.idle);
  typing.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
}

function stopTyping() {
  clearTimeout(typing.idle);
  if (!typing.on) return;
  typing.on = false;
  sendTyping(typing.session, false);
}

/* ---------- actions ---------- */

const act = (fn) => pageAction(fn, () => Promise.all([loadLists(), reloadCurrent()]));

async function sendReply(e) {
  e.preventDefault();
  const text = $('reply-text').value.trim();
  if (!text || !current) return;
  const sid = current.id;
  $('reply-send').disabled = true;
  try {
    pageAlert(null);
    const res = await api('POST', '/chat/messages', { session_id: sid, body: text });
    stopTyping();
    $('reply-text').value = '';
    if (current && current.id === sid) appendMessages([dataOf(res)]);
  } catch (err) {
    pageAlert(err);
    if (err.status === 409) await reloadCurrent().catch(pageAlert);
  } finally {
    if (current) renderHead();
    if (!$('reply-text').disabled) $('reply-text').focus();
  }
}

/* ---------- transfer ---------- */

function transferAlert(err) {
  $('transfer-alert').textContent = err ? err.message || String(err) : '';
  $('transfer-alert').hidden = !err;
}

function transferTarget() {
  const toQueue = $('transfer-to-queue').checked;
  $('transfer-agent-field').hidden = toQueue;
  $('transfer-queue-field').hidden = !toQueue;
  return toQueue ? 'queue' : 'agent';
}

async function openTransfer() {
  transferAlert(null);
  $('transfer-reason').value = '';
  $('transfer-dialog').showModal();
  try {
    const [agents, queues] = await Promise.all([
      api('GET', '/chat/agents/available?page_size=200'),
      api('GET', '/queues?page_size=200'),
    ]);
    const people = (dataOf(agents) || []).filter((a) => a.user_id !== current.user_id);
    $('transfer-agent').replaceChildren(...people.map((a) => el('option', {
      text: `${a.name || a.email} (${a.current_chats} of ${a.max_concurrent_chats})`, attrs: { value: a.user_id } })));
    if (!people.length) $('transfer-agent').append(el('option', { text: 'No other agent has room now', attrs: { value: '' } }));
    const qs = dataOf(queues) || [];
    $('transfer-queue').replaceChildren(...qs.map((q) => el('option', { text: q.name, attrs: { value: q.id } })));
    if (!qs.length) $('transfer-queue').append(el('option', { text: 'No queue', attrs: { value: '' } }));
  } catch (err) {
    transferAlert(err);
  }
}

async function submitTransfer(e) {
  e.preventDefault();
  const kind = transferTarget();
  const to = kind === 'queue' ? $('transfer-queue').value : $('transfer-agent').value;
  if (!to) {
    transferAlert(new Error(kind === 'queue' ? 'Choose a queue.' : 'Choose an agent.'));
    return;
  }
  const body = kind === 'queue' ? { to_queue_id: to } : { to_user_id: to };
  const reason = $('transfer-reason').value.trim();
  if (reason) body.reason = reason;
  try {
    const res = await api('POST', `/chat/sessions/${encodeURIComponent(current.id)}/transfer`, body);
    $('transfer-dialog').close();
    stopTyping();
    current = dataOf(res);
    renderHead();
    await loadLists();
  } catch (err) {
    if (!err.redirected) transferAlert(err);
  }
}

/* ---------- the event stream ---------- */

function onEvent(ev) {
  if (!ev.type.startsWith('chat.')) return;
  const sid = ev.session_id;
  const here = Boolean(current && sid && current.id === sid);
  switch (ev.type) {
    case 'chat.message':
      if (typeof ev.body === 'string') previews.set(sid, ev.body);
      if (here) loadNewMessages();
      else if (ev.sender_type === 'visitor') unread.add(sid);
      if (sessions.has(sid)) renderLists();
      else scheduleLists();
      break;
    case 'chat.typing':
      if (here && ev.sender_type === 'visitor') showVisitorTyping(Boolean(ev.is_typing), ev.sender_name);
      break;
    case 'chat.agent.status':
      if (ev.user_id === me.id) loadAvailability().catch(pageAlert);
      break;
    case 'chat.message.read':
      break;
    default: // started, assigned, agent.joined, transferred, session.ended…
      scheduleLists();
      if (here) reloadCurrent().catch(pageAlert);
      // A chat given to me while nothing is open: open it.
      if (!current && ev.type === 'chat.session.assigned' && ev.user_id === me.id) openSession(sid);
      if (ev.user_id === me.id || ev.type === 'chat.session.ended') loadAvailability().catch(pageAlert);
  }
}

/* ---------- wiring ---------- */

function wire() {
  $('availability-form').addEventListener('submit', setAvailability);
  $('register-me').addEventListener('click', registerMe);
  $('reply-form').addEventListener('submit', sendReply);
  $('reply-text').addEventListener('input', onComposerInput);
  $('reply-text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('reply-form').requestSubmit();
    }
  });
  $('reply-text').addEventListener('blur', () => {
    if (!$('reply-text').value.trim()) stopTyping();
  });
  $('accept').addEventListener('click', () => act(async () => {
    const res = await api('POST', `/chat/sessions/${encodeURIComponent(current.id)}/assign`, { user_id: me.id });
    current = dataOf(res);
    renderHead();
    $('reply-text').focus();
  }));
  $('end').addEventListener('click', () => act(async () => {
    stopTyping();
    const res = await api('POST', `/chat/sessions/${encodeURIComponent(current.id)}/end`);
    current = dataOf(res);
    renderHead();
  }));
  $('transfer').addEventListener('click', openTransfer);
  $('transfer-form').addEventListener('submit', submitTransfer);
  for (const r of document.querySelectorAll('input[name="target"]')) r.addEventListener('change', transferTarget);
  for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => b.closest('dialog').close());
  window.addEventListener('pagehide', stopTyping);
  setInterval(() => {
    renderLists();
    if (current) renderHead();
  }, 30000);
}

async function main() {
  me = startPage('chat.html', { live: true });
  if (!me) return;
  staff = STAFF.has(me.role);
  drawChat();
  wire();
  // The stream first, then the lists: nothing that happens in between is missed.
  liveStream({
    onEvent,
    onState: showLiveState,
    onResume: () => {
      loadLists().catch(pageAlert);
      if (current) {
        reloadCurrent().catch(pageAlert);
        loadNewMessages();
      }
    },
  });
  await Promise.all([loadLists(), loadAvailability()]).catch(pageAlert);
  const wanted = new URLSearchParams(location.search).get('session');
  if (wanted) await openSession(wanted);
}

main();
