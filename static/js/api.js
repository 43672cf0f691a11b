// Switchboard dashboard: the small client of the Switchboard API (same origin, /api/).
//
//   api(method, path, body, options)  ->  parsed JSON body of a 2xx answer
//
// - adds `Authorization: Bearer <token>` from sessionStorage;
// - on a 401 it tries ONE refresh (POST /api/auth/refresh with the stored refresh_token,
//   stores the new pair) and retries the request once; if that fails it clears the session
//   and sends the browser to the sign-in page;
// - any other non-2xx answer throws an ApiError carrying status, code, fields, requestId.

const API_BASE = '/api';
const LOGIN_PAGE = 'index.html';

const KEY_TOKEN = 'token';
const KEY_REFRESH = 'refresh_token';
const KEY_USER = 'user';

export class ApiError extends Error {
  constructor(message, { status = 0, code = '', fields = null, requestId = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields && typeof fields === 'object' ? fields : {};
    this.requestId = requestId;
    // True when api() gave up on the session and is already navigating to the sign-in page;
    // callers should then show nothing.
    this.redirected = false;
  }
}

/* ---------- session storage ---------- */

export function getToken() {
  return sessionStorage.getItem(KEY_TOKEN);
}

export function getRefreshToken() {
  return sessionStorage.getItem(KEY_REFRESH);
}

export function getUser() {
  const raw = sessionStorage.getItem(KEY_USER);
  if (!raw) return null;
  try {
    const user = JSON.parse(raw);
    return user && typeof user === 'object' ? user : null;
  } catch {
    return null;
  }
}

export function isSignedIn() {
  return Boolean(getToken());
}

/** Stores a session object as answered by login, refresh or register. */
export function saveSession(session) {
  const token = session.token || session.access_token;
  if (!token) throw new Error('The session answer has no token.');
  sessionStorage.setItem(KEY_TOKEN, token);
  if (session.refresh_token) sessionStorage.setItem(KEY_REFRESH, session.refresh_token);
  if (session.user) sessionStorage.setItem(KEY_USER, JSON.stringify(session.user));
}

export function clearSession() {
  sessionStorage.removeItem(KEY_TOKEN);
  sessionStorage.removeItem(KEY_REFRESH);
  sessionStorage.removeItem(KEY_USER);
}

export function redirectToLogin(reason) {
  const url = reason ? `${LOGIN_PAGE}?reason=${encodeURIComponent(reason)}` : LOGIN_PAGE;
  window.location.replace(url);
}

/* ---------- transport ---------- */

async function send(method, path, body, token) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (token) headers.Authorization = `Bearer ${token}`;

  let res;
  try {
    res = await fetch(API_BASE + path, init);
  } catch {
    throw new ApiError('The server could not be reached. Check your connection and try again.', {
      status: 0,
      code: 'network_error',
    });
  }

  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null; // e.g. an HTML error page from a proxy
    }
  }
  return { res, data };
}

function errorFrom(res, data) {
  const d = data && typeof data === 'object' ? data : {};
  const message =
    (typeof d.error === 'string' && d.error) ||
    (d.error && typeof d.error.message === 'string' && d.error.message) ||
    (typeof d.message === 'string' && d.message) ||
    `The request failed (HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}).`;
  return new ApiError(message, {
    status: res.status,
    code: typeof d.code === 'string' ? d.code : '',
    fields: d.fields || (d.error && typeof d.error === 'object' ? d.error.details : null),
    requestId: d.request_id || res.headers.get('X-Request-Id') || '',
  });
}

// One refresh at a time: a refresh token is single-use, and presenting a spent one revokes
// the whole session family, so concurrent 401s must share the same refresh.
let refreshing = null;

function refreshSession() {
  if (!refreshing) {
    refreshing = (async () => {
      const refreshToken = getRefreshToken();
      if (!refreshToken) return false;
      try {
        const { res, data } = await send('POST', '/auth/refresh', { refresh_token: refreshToken });
        if (res.ok && data && (data.token || data.access_token)) {
          saveSession(data);
          return true;
        }
      } catch {
        /* network error: treated as a failed refresh */
      }
      return false;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/**
 * Calls the API and returns the parsed JSON of a 2xx answer.
 *
 * @param {string} method  GET, POST, PUT, DELETE
 * @param {string} path    path under /api, e.g. "/departments" or "/departments/dept_1"
 * @param {object|function} [body]  JSON body; a function is called before each attempt
 *                                  (so a retry can send values refreshed in between)
 * @param {object} [options]
 * @param {boolean} [options.auth=true]      send the bearer token and handle 401 by refreshing
 * @param {boolean} [options.redirect=true]  on a lost session, clear it and go to the sign-in page
 */
export async function api(method, path, body, { auth = true, redirect = true } = {}) {
  const bodyFor = () => (typeof body === 'function' ? body() : body);

  if (!auth) {
    const { res, data } = await send(method, path, bodyFor());
    if (!res.ok) throw errorFrom(res, data);
    return data ?? {};
  }

  const tokenUsed = getToken();
  let { res, data } = await send(method, path, bodyFor(), tokenUsed);

  if (res.status === 401) {
    // Another request may already have refreshed the pair while this one was in flight.
    const current = getToken();
    const renewed = current && current !== tokenUsed ? true : await refreshSession();
    if (renewed) {
      ({ res, data } = await send(method, path, bodyFor(), getToken()));
    }
    if (res.status === 401) {
      const err = errorFrom(res, data);
      clearSession();
      if (redirect) {
        err.redirected = true;
        redirectToLogin('expired');
      }
      throw err;
    }
  }

  if (!res.ok) throw errorFrom(res, data);
  return data ?? {};
}

/** Revokes the session on the server (best effort), clears it here, goes to sign-in. */
export async function logout() {
  try {
    await api('POST', '/auth/logout', () => ({ refresh_token: getRefreshToken() || undefined }), {
      redirect: false,
    });
  } catch {
    /* the session is dropped locally whatever the server says */
  }
  clearSession();
  window.location.replace(LOGIN_PAGE);
}
