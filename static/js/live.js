// An event stream for a page: the tenant's /api/events (or another stream, e.g. a call's
// /api/calls/:id/events) over SSE with a single-use ticket per connection (so the
// browser's own retry, which would reuse a spent ticket, is replaced by ours: back off, new
// ticket, resume after the last event seen). `from` '0' replays what the stream still
// holds. The page gets each event and the connection's state ("live", "reconnecting").
import { api, redirectToLogin } from './api.js';

export function liveStream({ path = '/api/events', from = '', onEvent, onState, onResume }) {
  let lastEventId = from;
  let retryDelay = 1000;
  let opened = 0;
  let source = null;

  function later() {
    onState('reconnecting');
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  }

  async function connect() {
    let ticket;
    try {
      ticket = (await api('POST', '/events/ticket')).ticket;
    } catch (err) {
      if (!err.redirected) later();
      return;
    }
    const after = lastEventId ? `&after=${encodeURIComponent(lastEventId)}` : '';
    source = new EventSource(`${path}?ticket=${encodeURIComponent(ticket)}${after}`);
    source.onopen = () => {
      retryDelay = 1000;
      onState('live');
      if (opened++ && onResume) onResume(); // what changed while away
    };
    source.onmessage = (e) => {
      if (e.lastEventId) lastEventId = e.lastEventId;
      try {
        const ev = JSON.parse(e.data);
        if (ev && typeof ev.type === 'string') onEvent(ev);
      } catch {
        /* not an event */
      }
    };
    for (const type of ['session_revoked', 'token_expired']) {
      source.addEventListener(type, () => {
        source.close();
        redirectToLogin('expired');
      });
    }
    source.onerror = () => {
      source.close();
      later();
    };
  }

  connect();
}

/** Shows the stream's state in the page's #live-state badge. */
export function showLiveState(state) {
  const el = document.getElementById('live-state');
  if (!el) return;
  el.dataset.state = state;
  el.textContent = state === 'live' ? 'Live' : 'Reconnecting…';
}
