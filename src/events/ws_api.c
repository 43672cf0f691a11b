/*
 * The WebSocket routes of the event worker (docs/api.md, "WebSocket"):
 *
 *   GET /ws?token=&after=&family=       the tenant's events (staff), resumable
 *   GET /ws/stats                       queue.stats and chat.stats events (staff)
 *   GET /ws/users/:userId/online        whether that user of the tenant is online
 *   GET /ws/public/:session_key         a chat visitor's socket: no token; the secret
 *                                       (?secret= or a first {"type":"auth"} message) and
 *                                       the widget's allowed origins (chat_origin_allowed,
 *                                       as every public chat route: none listed, none)
 *
 * Order of work, as for SSE (api.c): the handshake (426), parameters (422), the database
 * (503), who is asking (401, 403 for an origin, 404), the caps (429), then the 101 and
 * ws.c takes over. Authentication for staff: Authorization: Bearer, ?token=,
 * ?access_token= or ?ticket= (api_auth.c); a single-use ticket is spent only once the
 * parameters are known good.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "arena.h"
#include "chat_store.h"
#include "config.h"
#include "crypto.h"
#include "cursor.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "httputil.h"
#include "jsonutil.h"
#include "log.h"
#include "api_internal.h"
#include "ws_internal.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define KEY_MAX 64

struct ws_query {
    struct query auth; /* access_token (or token), ticket */
    const char *after, *family, *secret;
};

/* ---- the handshake ------------------------------------------------------------------- */

/* 1 when the comma-separated header value has token (case-insensitive). */
static int has_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = value; p != NULL && *p; p = strchr(p, ',')) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, token, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
    }
    return 0;
}

/* The Sec-WebSocket-Accept of an upgrade request into the arena; NULL (426 answered)
 * when the request is not one. */
static const char *handshake(struct ev *ev, struct http_conn *c, const struct http_request *req,
                             const char *cors)
{
    const char *up = http_request_header(req, "Upgrade");
    const char *conn = http_request_header(req, "Connection");
    const char *ver = http_request_header(req, "Sec-WebSocket-Version");
    const char *key = http_request_header(req, "Sec-WebSocket-Key");
    if (up == NULL || !has_token(up, "websocket") || conn == NULL || !has_token(conn, "upgrade") ||
        ver == NULL || strcmp(ver, "13") != 0 || key == NULL || strlen(key) != 24) {
        char h[1400];
        snprintf(h, sizeof(h), "%sUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n", cors);
        http_reply_error(c, 426, "upgrade_required",
                         "This route speaks WebSocket (RFC 6455, version 13) only", h);
        return NULL;
    }
    char buf[24 + sizeof(WS_GUID)];
    snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const char *accept = NULL;
    if (EVP_Digest(buf, strlen(buf), md, &mdlen, EVP_sha1(), NULL) == 1)
        accept = crypto_base64(ev->arena, md, mdlen);
    if (accept == NULL)
        http_reply_error(c, 500, "internal_error", "Internal error", cors);
    return accept;
}

/* The subprotocol to echo: a family's name when offered (it then sets the framing),
 * else the first offered, else NULL. */
static const char *subprotocol(struct ev *ev, const struct http_request *req, int *family)
{
    const char *offer = http_request_header(req, "Sec-WebSocket-Protocol");
    if (offer == NULL || *offer == '\0')
        return NULL;
    static const char *const fams[] = {"callcenter", "coldcaller", "calldocker"};
    for (size_t i = 0; i < 3; i++)
        if (has_token(offer, fams[i])) {
            if (*family < 0)
                *family = ws_family_parse(fams[i]);
            return fams[i];
        }
    size_t n = strcspn(offer, ", \t");
    return n > 0 && n <= 64 ? arena_strndup(ev->arena, offer, n) : NULL;
}

/* ---- parameters ---------------------------------------------------------------------- */

static int ws_params(struct ev *ev, struct http_conn *c, const struct http_request *req,
                     const char *cors, struct ws_query *q, int *family)
{
    memset(q, 0, sizeof(*q));
    struct query_pair *pairs = NULL;
    size_t n = 0;
    if (req->query != NULL &&
        http_pairs_parse(ev->arena, req->query, strlen(req->query), &pairs, &n) != 0) {
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
        return -1;
    }
    const char *token = NULL, *protocol = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *k = pairs[i].key, **slot = strcmp(k, "after") == 0    ? &q->after
                                              : strcmp(k, "family") == 0  ? &q->family
                                              : strcmp(k, "protocol") == 0 ? &protocol
                                              : strcmp(k, "secret") == 0  ? &q->secret
                                              : strcmp(k, "token") == 0   ? &token
                                              : strcmp(k, "access_token") == 0 ? &q->auth.access_token
                                              : strcmp(k, "ticket") == 0  ? &q->auth.ticket
                                                                          : NULL;
        if (slot != NULL && *slot == NULL)
            *slot = pairs[i].value;
    }
    if (q->auth.access_token == NULL)
        q->auth.access_token = token;
    if (q->family == NULL)
        q->family = protocol;
    if (q->family != NULL && (*family = ws_family_parse(q->family)) < 0) {
        http_reply_error(c, 422, "validation_failed",
                         "family: one of callcenter, coldcaller, calldocker", cors);
        return -1;
    }
    if (q->after != NULL && !cursor_well_formed(q->after)) {
        http_reply_error(c, 422, "validation_failed",
                         "after: must be an event id this stream gave you, or 0", cors);
        return -1;
    }
    return 0;
}

/* The tenant, the cursor and the caps, into p. 0, or -1 once answered. */
static int ws_position(struct ev *ev, struct http_conn *c, const char *cors,
                       const struct ws_query *q, const char *tenant_id, const char *session_id,
                       struct stream_params *p)
{
    p->tenant = store_tenant(ev->store, tenant_id);
    if (p->tenant == NULL) {
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
        return -1;
    }
    if (q->after != NULL) {
        if (cursor_decode(p->tenant->cursor, q->after, &p->after) != 0) {
            http_reply_error(c, 422, "validation_failed",
                             "after: is not an event id of this tenant's streams", cors);
            return -1;
        }
        p->have_cursor = 1;
        p->after_text = q->after;
    }
    return api_over_cap(ev, c, cors, p->tenant, session_id);
}

/* ---- staff sockets ----------------------------------------------------------------------- */

static int user_of_tenant(struct ev *ev, struct http_conn *c, const char *cors,
                          const char *tenant_id, const char *user_id)
{
    struct db_result *res;
    int rc = db_exec(ev->db, ev->arena, "SELECT id FROM users WHERE tenant_id = ? AND id = ?",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(user_id)), &res);
    if (rc != DB_OK) {
        api_reply_db_error(ev, c, cors, rc);
        return -1;
    }
    if (res->nrows == 0) {
        http_reply_error(c, 404, "not_found", "User not found", cors);
        return -1;
    }
    return 0;
}

static void ws_staff(struct ev *ev, struct http_conn *c, const struct http_request *req,
                     const char *cors, struct ws_opts *o, const struct ws_query *q)
{
    struct identity id;
    if (api_authenticate(ev, c, req, &q->auth, cors, &id) != 0)
        return;
    struct stream_params p;
    memset(&p, 0, sizeof(p));
    p.cors = cors;
    p.filter.scope = SCOPE_ALL;
    if (o->kind == WS_STATS) {
        p.filter.types[p.filter.ntypes++] = "queue.stats";
        p.filter.types[p.filter.ntypes++] = "chat.stats";
    } else if (o->kind == WS_ONLINE) {
        p.filter.types[p.filter.ntypes++] = "agent.state.changed";
        p.filter.types[p.filter.ntypes++] = "agent.login";
        p.filter.types[p.filter.ntypes++] = "agent.logout";
        if (user_of_tenant(ev, c, cors, id.tenant_id, o->online_user) != 0)
            return;
    }
    if (ws_position(ev, c, cors, q, id.tenant_id, id.session_id, &p) != 0)
        return;
    p.expires_in_ms = id.expires_in_ms;
    p.session_id = id.session_id;
    p.user_id = id.user_id;
    o->authed = 1;
    ws_start(ev->hub, c, &p, o);
}

/* ---- the visitor's socket ----------------------------------------------------------------- */

/* The session of key: its id, tenant and secret hash (arena). 0, or -1 once answered. */
static int chat_session_of(struct ev *ev, struct http_conn *c, const struct http_request *req,
                           const char *cors, const char *key, const char **row)
{
    struct db_result *res;
    int rc = db_exec(ev->db, ev->arena,
                     "SELECT s.id, s.tenant_id, s.visitor_secret_hash, w.allowed_origins"
                     " FROM chat_sessions s LEFT JOIN chat_widgets w ON w.tenant_id = s.tenant_id"
                     " AND w.id = s.widget_id WHERE s.session_key = ?",
                     DB_PARAMS(DB_STR(key)), &res);
    if (rc != DB_OK) {
        api_reply_db_error(ev, c, cors, rc);
        return -1;
    }
    if (res->nrows == 0 || db_cell(res, 0, 0) == NULL || db_cell(res, 0, 1) == NULL) {
        http_reply_error(c, 404, "not_found", "Chat session not found", cors);
        return -1;
    }
    if (!chat_origin_allowed(db_cell(res, 0, 3), http_request_header(req, "Origin"))) {
        http_reply_error(c, 403, "forbidden", "This origin may not open the chat", cors);
        return -1;
    }
    for (unsigned i = 0; i < 3; i++)
        row[i] = db_cell(res, 0, i) ? db_cell(res, 0, i) : "";
    return 0;
}

static void ws_public(struct ev *ev, struct http_conn *c, const struct http_request *req,
                      const char *cors, struct ws_opts *o, const struct ws_query *q,
                      const char *key)
{
    const char *row[3];
    if (chat_session_of(ev, c, req, cors, key, row) != 0)
        return;
    if (q->secret != NULL) {
        char hash[65];
        crypto_sha256_hex(q->secret, strlen(q->secret), hash);
        if (strlen(row[2]) != 64 || !crypto_equal(hash, row[2], 64)) {
            http_reply_error(c, 401, "unauthorized", "Wrong secret for this chat session", cors);
            return;
        }
    }
    struct stream_params p;
    memset(&p, 0, sizeof(p));
    p.cors = cors;
    p.filter.scope = SCOPE_ALL;
    p.filter.chat_session = row[0];
    const char *session = arena_printf(ev->arena, "chat:%s", row[0]);
    if (session == NULL) {
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
        return;
    }
    if (ws_position(ev, c, cors, q, row[1], session, &p) != 0)
        return;
    p.session_id = session;
    p.user_id = "";
    o->authed = q->secret != NULL;
    o->secret_hash = row[2];
    if (o->family < 0)
        o->family = WS_CALLCENTER; /* the widget speaks the callcenter framing */
    ws_start(ev->hub, c, &p, o);
}

/* ---- routing -------------------------------------------------------------------------- */

static int segment_ok(const char *s, size_t n)
{
    if (n == 0 || n > KEY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '%')
            return 0;
    return 1;
}

/* The kind of socket path names, with its parameter into *param (arena); -1: none. */
static int ws_match(struct arena *a, const char *path, const char **param)
{
    if (strcmp(path, "/ws") == 0)
        return WS_FEED;
    if (strcmp(path, "/ws/stats") == 0)
        return WS_STATS;
    const char *rest;
    if (strncmp(path, "/ws/public/", 11) == 0) {
        rest = path + 11;
        if (!segment_ok(rest, strlen(rest)) || strchr(rest, '/') != NULL)
            return -1;
        *param = rest;
        return WS_PUBLIC;
    }
    if (strncmp(path, "/ws/users/", 10) == 0) {
        rest = path + 10;
        const char *slash = strchr(rest, '/');
        if (slash == NULL || strcmp(slash, "/online") != 0 || !segment_ok(rest, (size_t)(slash - rest)))
            return -1;
        *param = arena_strndup(a, rest, (size_t)(slash - rest));
        return *param ? WS_ONLINE : -1;
    }
    return -1;
}

void ws_api_route(struct ev *ev, struct http_conn *c, const struct http_request *req,
                  const char *cors, const char *path)
{
    const char *param = NULL;
    int kind = ws_match(ev->arena, path, &param);
    if (kind < 0) {
        http_reply_error(c, 404, "not_found", "No such route", cors);
        return;
    }
    if (strcmp(req->method, "GET") != 0) {
        char h[1400];
        snprintf(h, sizeof(h), "%sAllow: GET\r\n", cors);
        http_reply_error(c, 405, "method_not_allowed", "Method not allowed", h);
        return;
    }
    const char *accept = handshake(ev, c, req, cors);
    if (accept == NULL)
        return;
    struct ws_opts o = {.kind = (enum ws_kind)kind, .family = -1, .accept = accept};
    struct ws_query q;
    if (ws_params(ev, c, req, cors, &q, &o.family) != 0)
        return;
    o.protocol = subprotocol(ev, req, &o.family);
    if (!feed_ready(ev->feed) || feed_db_down(ev->feed)) {
        http_reply_error(c, 503, "service_unavailable", "The database is unavailable", cors);
        return;
    }
    if (kind == WS_PUBLIC) {
        ws_public(ev, c, req, cors, &o, &q, param);
    } else {
        o.online_user = param;
        ws_staff(ev, c, req, cors, &o, &q);
    }
}
