// One of the event worker's streams for the calls pages: live.js's liveStream (a ticket per
// connection, our own back-off, resuming after the last event seen), for any stream path
// and from a given cursor: '0' replays what the stream still holds, e.g. a call's events
// from its first (/api/calls/:id/events). The lead may fold this into live.js.
import { api, redirectToLogin } from './api.js';

export function eventStream({ path = '/api/events', from = '', onEvent, onState, onResume }) {
  let lastEventId = from;
  let retryDelay = 1000;
  let opened = 0;

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
    const source = new EventSource(`${path}?ticket=${encodeURIComponent(ticket)}${after}`);
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
