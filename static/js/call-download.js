// A file from the API that a link cannot fetch by itself (the API wants the bearer token in
// a header): fetched with the token, read as it streams (progress: bytes so far), kept as a
// Blob and saved through an object URL on an <a download>. A 401 refreshes the session
// through api() once and tries again; another error answers the API's own message.
import { ApiError, api, getToken } from './api.js';

async function errorOf(res) {
  let message = `The request failed (HTTP ${res.status}).`;
  try {
    const d = JSON.parse(await res.text());
    message = (typeof d.error === 'string' && d.error) || (d.error && d.error.message) || d.message || message;
  } catch {
    /* not JSON */
  }
  return new ApiError(message, { status: res.status });
}

async function authedFetch(path, accept) {
  const go = () => fetch(`/api${path}`, { headers: { Accept: accept, Authorization: `Bearer ${getToken()}` }, cache: 'no-store' });
  let res = await go();
  if (res.status === 401) {
    await api('GET', '/auth/me'); // refreshes the pair (or leaves for the sign-in page)
    res = await go();
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

/**
 * The body of GET /api<path> as a Blob; onProgress(bytesSoFar) as it arrives.
 */
export async function fetchBlob(path, { accept = '*/*', onProgress = () => {} } = {}) {
  const res = await authedFetch(path, accept);
  const type = res.headers.get('Content-Type') || 'application/octet-stream';
  if (!res.body || !res.body.getReader) return new Blob([await res.arrayBuffer()], { type });
  const reader = res.body.getReader();
  const parts = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    bytes += value.length;
    onProgress(bytes);
  }
  return new Blob(parts, { type });
}

/** Offers blob as a download named filename through link (an <a>), and clicks it. The
 *  object URL stays on the link (a second click saves it again) until the next save. */
export function saveBlob(link, blob, filename) {
  if (link.href && link.href.startsWith('blob:')) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.hidden = false;
  link.click();
}

export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
