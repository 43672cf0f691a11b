// A recording in an <audio controls> element. The API wants the bearer token in a header,
// which a media element cannot send: where service workers exist (HTTPS, or localhost),
// call-recording-sw.js adds the token to the element's own requests, so it streams from nginx
// with Range requests and seeks at once; elsewhere the file is fetched whole with the token
// and played from a Blob (seekable too, after the download).
import { api, getToken } from './api.js';
import { fetchBlob, sizeText } from './call-download.js';

const SW_URL = '/call-recording-sw.js';
const SW_SCOPE = '/call.html';
let worker = null;

function answerTokens() {
  navigator.serviceWorker.addEventListener('message', async (e) => {
    if (!e.data || e.data.type !== 'recording-token' || !e.ports[0]) return;
    if (e.data.refresh) {
      try {
        await api('GET', '/auth/me'); // a 401 there refreshes the session
      } catch {
        /* the sign-in page follows */
      }
    }
    e.ports[0].postMessage({ token: getToken() });
  });
  navigator.serviceWorker.startMessages();
}

/** Resolves true once this page's requests go through the recording worker. */
function controlled() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return Promise.resolve(false);
  if (!worker) {
    worker = (async () => {
      try {
        answerTokens();
        await navigator.serviceWorker.register(SW_URL, { scope: SW_SCOPE });
        if (navigator.serviceWorker.controller) return true;
        return await new Promise((resolve) => {
          const timer = setTimeout(() => resolve(Boolean(navigator.serviceWorker.controller)), 5000);
          navigator.serviceWorker.addEventListener('controllerchange', () => { clearTimeout(timer); resolve(true); }, { once: true });
        });
      } catch {
        return false;
      }
    })();
  }
  return worker;
}

/** Plays url (an API path) in audio; say(text) reports progress of the fallback. */
export async function attachRecording(audio, url, say = () => {}) {
  if (audio.dataset.src === url) return;
  audio.dataset.src = url;
  if (await controlled()) {
    audio.dataset.via = 'worker';
    audio.src = url;
    return;
  }
  audio.dataset.via = 'blob';
  say('Loading the recording…');
  const blob = await fetchBlob(url.replace(/^\/api/, ''), { accept: 'audio/*', onProgress: (n) => say(`Loading the recording… ${sizeText(n)}`) });
  if (audio.src.startsWith('blob:')) URL.revokeObjectURL(audio.src);
  audio.src = URL.createObjectURL(blob);
  say('');
}
