// Service worker of call.html (its scope): an <audio> element cannot send the API's bearer
// token, so its requests for a recording (GET /api/calls/:id/recording, and a voicemail's
// audio) pass through here and get the token added. Range and If-Range are passed on, so
// nginx answers 206 and the player seeks without downloading the whole file. The token is
// asked of the page that made the request (a worker may be stopped between requests and
// keeps nothing); after a 401 the page refreshes its session and the request is sent once
// more. Every other request of the page goes to the network untouched.
const MEDIA = /^\/api(?:\/v1)?\/(?:calls\/[^/]+\/recording|voicemail\/messages\/[^/]+\/audio)\/?$/;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function pageOf(clientId) {
  const byId = clientId ? await self.clients.get(clientId) : null;
  if (byId) return byId;
  const all = await self.clients.matchAll({ type: 'window' });
  return all[0] || null;
}

async function tokenFrom(clientId, refresh) {
  const page = await pageOf(clientId);
  if (!page) return '';
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(''), 10000);
    channel.port1.onmessage = (m) => {
      clearTimeout(timer);
      resolve((m.data && m.data.token) || '');
    };
    page.postMessage({ type: 'recording-token', refresh }, [channel.port2]);
  });
}

async function withToken(event) {
  const req = event.request;
  const send = (token) => {
    const headers = new Headers();
    for (const h of ['Range', 'If-Range', 'Accept']) {
      const v = req.headers.get(h);
      if (v) headers.set(h, v);
    }
    if (token) headers.set('Authorization', `Bearer ${token}`);
    // same-origin: a no-cors request (what a media element sends) could not carry the header.
    return fetch(req.url, { headers, mode: 'same-origin', credentials: 'same-origin', cache: 'no-store' });
  };
  let res = await send(await tokenFrom(event.clientId, false));
  if (res.status === 401) res = await send(await tokenFrom(event.clientId, true));
  return res;
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !MEDIA.test(url.pathname)) return;
  event.respondWith(withToken(event));
});
