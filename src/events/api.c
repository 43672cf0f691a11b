/*
 * The event worker's routes (docs/api.md, "Live events"), under /api/ and /api/v1/:
 *
 *   GET|HEAD /api/events                 SSE, everything of the tenant (types=a,b)
 *   GET|HEAD /api/calls/events           SSE, the tenant's call events
 *   GET|HEAD /api/calls/active/events    same
 *   GET|HEAD /api/calls/:id/events       SSE, one call (404 for another tenant's call)
 *   GET|HEAD /api/events/poll            long-poll: after=ID, timeout=S (0..60, default 25)
 *   GET|HEAD /api/events/health          the worker's own health
 *   OPTIONS  any of them                 CORS preflight
 *   GET      /ws, /ws/stats, /ws/public/:session_key, /ws/users/:userId/online
 *                                        WebSocket (ws_api.c)
 *
 * and GET|HEAD /metrics, the worker's Prometheus families (metrics.c), which the pool's
 * /metrics asks for over the socket; nginx never routes it here.
 *
 * Every answer carries the CORS headers. Order of work for a subscription: parameters
 * (422), then authentication (401; 503 when the database is away), then the call's
 * tenant (404), then hub.c takes over. Parameters come first so that a malformed request
 * does not spend a single-use ticket.
 *
 * Authentication, first present wins: Authorization: Bearer <jwt>, ?access_token=<jwt>,
 * ?ticket=<ticket> (api_auth.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "config.h"
#include "cursor.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "httputil.h"
#include "router.h"
#include "api_internal.h"

#define POLL_TIMEOUT_DEFAULT 25
#define POLL_TIMEOUT_MAX 60
#define ORIGIN_MAX 256
#define TYPE_MAX 64
#define CALL_ID_MAX 64

#define CORS_COMMON                                                                            \
    "Access-Control-Allow-Headers: Authorization, Content-Type, Last-Event-ID, Cache-Control\r\n" \
    "Access-Control-Allow-Methods: GET, OPTIONS\r\n"                                           \
    "Vary: Origin\r\n"

const char api_fallback_headers[] = "Access-Control-Allow-Origin: *\r\n" CORS_COMMON;

#define ALLOW "Allow: GET, HEAD, OPTIONS\r\n"
#define JSON_TYPE "application/json; charset=utf-8"

/* ---- CORS ------------------------------------------------------------------------------ */

static int origin_sane(const char *o)
{
    size_t n = strlen(o);
    if (n == 0 || n > ORIGIN_MAX)
        return 0;
    for (; *o; o++)
        if ((unsigned char)*o <= 0x20 || (unsigned char)*o >= 0x7f)
            return 0;
    return 1;
}

/* Is origin one of the space-separated entries of list? */
static int origin_listed(const char *list, const char *origin)
{
    size_t n = strlen(origin);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != ',')
            e++;
        if ((size_t)(e - p) == n && strncmp(p, origin, n) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/*
 * Access-Control-Allow-Origin: the request's Origin when there is one, else "*". When
 * cors_allow_origins is a list rather than "*", only listed origins are echoed; any other
 * gets the first listed origin (so the browser refuses the answer).
 */
static void cors_headers(const struct config *cfg, const struct http_request *req, char *out,
                         size_t size)
{
    const char *origin = http_request_header(req, "Origin");
    if (origin != NULL && !origin_sane(origin))
        origin = NULL;
    const char *list = cfg->cors_allow_origins;
    while (*list == ' ')
        list++;
    char first[ORIGIN_MAX + 1] = "*";
    int open = *list == '\0' || strcmp(list, "*") == 0;
    if (!open) {
        size_t n = strcspn(list, " ,");
        if (n > ORIGIN_MAX)
            n = ORIGIN_MAX;
        memcpy(first, list, n);
        first[n] = '\0';
    }
    const char *allow = origin == NULL                          ? (open ? "*" : first)
                        : (open || origin_listed(list, origin)) ? origin
                                                                : first;
    snprintf(out, size, "Access-Control-Allow-Origin: %s\r\n" CORS_COMMON, allow);
}

/* ---- answers --------------------------------------------------------------------------- */

static void reply_422(struct http_conn *c, const char *cors, const char *field, const char *reason)
{
    struct json_object *o = json_object_new_object();
    struct json_object *fields = json_object_new_object();
    if (o == NULL || fields == NULL || json_set_bool(o, "success", 0) != 0 ||
        json_set_str(o, "error", "Validation failed") != 0 ||
        json_set_str(o, "code", "validation_failed") != 0 ||
        json_set_str(o, "request_id", http_conn_request_id(c)) != 0 ||
        json_set_str(fields, field, reason) != 0) {
        json_object_put(o);
        json_object_put(fields);
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
        return;
    }
    json_set(o, "fields", fields);
    size_t len;
    const char *body = json_text(o, &len);
    if (body == NULL)
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
    else
        http_reply(c, 422, JSON_TYPE, cors, body, len);
    json_object_put(o);
}

static void reply_preflight(struct http_conn *c, const char *cors)
{
    char h[1024];
    snprintf(h, sizeof(h), "%s" ALLOW "Access-Control-Max-Age: 600\r\n", cors);
    http_reply(c, 204, NULL, h, "", 0);
}

static void reply_405(struct http_conn *c, const char *cors)
{
    char h[1024];
    snprintf(h, sizeof(h), "%s" ALLOW, cors);
    http_reply_error(c, 405, "method_not_allowed", "Method not allowed", h);
}

/* ---- parameters ------------------------------------------------------------------------ */

/* A non-negative integer that fits a signed 64-bit value. */
static int parse_uint(const char *s, unsigned long long *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 19)
        return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    if (v > 9223372036854775807ULL)
        return -1;
    *out = v;
    return 0;
}

static int type_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == '-' || ch == ':';
}

/* "a,b" into f->types (pointing into s, which is modified). -1 with *why on error. */
static int parse_types(char *s, struct filter *f, const char **why)
{
    f->ntypes = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *e = tok + strlen(tok);
        while (e > tok && e[-1] == ' ')
            *--e = '\0';
        if (*tok == '\0')
            continue;
        if (strlen(tok) > TYPE_MAX) {
            *why = "each type is at most 64 characters";
            return -1;
        }
        for (const char *p = tok; *p; p++) {
            if (!type_char(*p)) {
                *why = "a comma-separated list of event types (letters, digits, _ . - :)";
                return -1;
            }
        }
        if (f->ntypes == FILTER_MAX_TYPES) {
            *why = "at most 32 types";
            return -1;
        }
        f->types[f->ntypes++] = tok;
    }
    return 0;
}

static int call_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CALL_ID_MAX)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '/')
            return 0;
    return 1;
}

/* ---- subscriptions ------------------------------------------------------------------------ */

/* 429 when the session or the tenant holds as many streams and polls as it may: the
 * session's on this worker (the front keeps a session on one host), the tenant's on every
 * host (its staff streams elsewhere, as they last reported them). */
int api_over_cap(struct ev *ev, struct http_conn *c, const char *cors, struct tenant *t,
                 const char *session_id)
{
    size_t of_session, of_tenant;
    hub_count(t, session_id, &of_session, &of_tenant);
    if (of_tenant < (size_t)ev->cfg->event_max_streams_per_tenant)
        of_tenant += (size_t)events_streams_elsewhere(ev, t->id);
    const char *why = NULL;
    if (of_session >= (size_t)ev->cfg->event_max_streams_per_session) {
        why = "This session has as many open event streams as it may; close one first";
        ev->counters.refused_session++;
    } else if (of_tenant >= (size_t)ev->cfg->event_max_streams_per_tenant) {
        why = "This tenant has as many open event streams as it may; close one first";
        ev->counters.refused_tenant++;
    }
    if (why == NULL)
        return 0;
    char h[1200];
    snprintf(h, sizeof(h), "%sRetry-After: 5\r\n", cors);
    http_reply_error(c, 429, "too_many_streams", why, h);
    log_info("events: refused a stream of tenant %s: %zu on the session, %zu on the tenant",
             t->id, of_session, of_tenant);
    return -1;
}

/*
 * The parameters of a subscription: cursor, types, timeout (long-polls). Checked before
 * authentication; types go into p->filter. 0, or -1 once a 422 (or 500) is answered.
 */
static int subscription_params(struct ev *ev, struct http_conn *c, const struct http_request *req,
                               const char *cors, int is_poll, const struct query *q,
                               struct stream_params *p, struct resume *cur, long *timeout)
{
    api_resume_pick(req, q, is_poll, cur);
    if (cur->text != NULL && !cursor_well_formed(cur->text)) {
        reply_422(c, cors, cur->field, "must be an event id this stream gave you, or 0");
        return -1;
    }
    if (q->types != NULL) {
        char *types = arena_strdup(ev->arena, q->types);
        const char *why = NULL;
        if (types == NULL) {
            http_reply_error(c, 500, "internal_error", "Out of memory", cors);
            return -1;
        }
        if (parse_types(types, &p->filter, &why) != 0) {
            reply_422(c, cors, "types", why);
            return -1;
        }
    }
    *timeout = POLL_TIMEOUT_DEFAULT;
    if (is_poll && q->timeout != NULL) {
        unsigned long long t;
        if (parse_uint(q->timeout, &t) != 0 || t > POLL_TIMEOUT_MAX) {
            reply_422(c, cors, "timeout", "must be an integer from 0 to 60 (seconds)");
            return -1;
        }
        *timeout = (long)t;
    }
    return 0;
}

/* /api/calls/:id/events: the call must be the tenant's. *stored gets its id as stored.
 * 0, or -1 once a 404 (or the database's 503/500) is answered. */
static int call_of_tenant(struct ev *ev, struct http_conn *c, const char *cors,
                          const char *call_id, const char *tenant_id, const char **stored)
{
    struct db_result *res;
    /* The id as stored: the comparison here is case-insensitive (collation), the
     * stream's filter compares exactly. */
    int rc = db_exec(ev->db, ev->arena, "SELECT id FROM calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(call_id), DB_STR(tenant_id)), &res);
    if (rc != DB_OK) {
        api_reply_db_error(ev, c, cors, rc);
        return -1;
    }
    if (res->nrows == 0 || db_cell(res, 0, 0) == NULL) {
        http_reply_error(c, 404, "not_found", "Call not found", cors);
        return -1;
    }
    *stored = db_cell(res, 0, 0);
    return 0;
}

static void subscribe(struct ev *ev, struct http_conn *c, const struct http_request *req,
                      const char *cors, int is_poll, enum scope scope, const char *call_id)
{
    int head = strcmp(req->method, "HEAD") == 0;
    struct query q;
    if (api_query_parse(ev->arena, req->query, &q) != 0) {
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
        return;
    }
    struct stream_params p;
    memset(&p, 0, sizeof(p));
    p.cors = cors;
    p.filter.scope = scope;
    p.filter.call_id = call_id;
    struct resume cur;
    long timeout;
    if (subscription_params(ev, c, req, cors, is_poll, &q, &p, &cur, &timeout) != 0)
        return;
    /* While the feed finds the database away, answer at once: a query would only hold
     * the loop (and every other stream's heartbeat) for the length of its timeout. */
    if (!feed_ready(ev->feed) || feed_db_down(ev->feed)) {
        http_reply_error(c, 503, "service_unavailable", "The database is unavailable", cors);
        return;
    }

    struct identity id;
    if (api_authenticate(ev, c, req, &q, cors, &id) != 0)
        return;
    p.tenant = store_tenant(ev->store, id.tenant_id);
    if (p.tenant == NULL) {
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
        return;
    }
    if (cur.text != NULL) {
        if (cursor_decode(p.tenant->cursor, cur.text, &p.after) != 0) {
            reply_422(c, cors, cur.field, "is not an event id of this tenant's streams");
            return;
        }
        p.have_cursor = 1;
        p.after_text = cur.text;
    }
    if (api_over_cap(ev, c, cors, p.tenant, id.session_id) != 0)
        return;
    p.expires_in_ms = id.expires_in_ms;
    p.session_id = id.session_id;
    p.user_id = id.user_id;

    if (scope == SCOPE_CALL &&
        call_of_tenant(ev, c, cors, call_id, id.tenant_id, &p.filter.call_id) != 0)
        return;
    if (is_poll)
        hub_poll_start(ev->hub, c, &p, timeout, head);
    else
        hub_stream_start(ev->hub, c, &p, head);
}

static void health(struct ev *ev, struct http_conn *c, const struct http_request *req,
                   const char *cors)
{
    int ready = feed_ready(ev->feed), down = feed_db_down(ev->feed);
    int detail = api_health_detail_allowed(ev, c, req, cors);
    if (detail < 0)
        return;
    char body[512];
    int n = snprintf(body, sizeof(body), "{\"success\":true,\"status\":\"%s\",\"database\":%s",
                     ready && !down ? "ok" : "degraded", ready && !down ? "true" : "false");
    if (detail && n > 0 && (size_t)n < sizeof(body))
        n += snprintf(body + n, sizeof(body) - (size_t)n,
                      ",\"connections\":%zu,\"streams\":%zu,\"polls\":%zu,\"events_read\":%llu,"
                      "\"ring_events\":%zu,\"tenants\":%zu",
                      http_server_connections(ev->srv), hub_streams(ev->hub),
                      hub_polls(ev->hub), feed_events(ev->feed), store_ring_len(ev->store),
                      store_tenants(ev->store));
    if (n > 0 && (size_t)n + 1 < sizeof(body))
        n += snprintf(body + n, sizeof(body) - (size_t)n, "}");
    if (n < 0 || (size_t)n >= sizeof(body)) {
        http_reply_error(c, 500, "internal_error", "Internal server error", cors);
        return;
    }
    http_reply(c, 200, JSON_TYPE, cors, body, (size_t)n);
}

/* ---- routing ------------------------------------------------------------------------------ */

enum route_kind { R_HEALTH, R_STREAM, R_POLL, R_METRICS, R_STREAMS };

/*
 * Every route is GET (HEAD is answered as GET, without a body). The handlers are the pool's
 * kind, so they stay NULL here: targets[] says what the route at the same index serves.
 */
static const struct route routes[] = {
    ROUTE("GET", "/api/events/health", NULL, ROLES_PUBLIC, 0, .summary = "Event worker health"),
    ROUTE("GET", "/api/events/poll", NULL, ROLES_ANY, 0, .summary = "Long-poll after a cursor"),
    ROUTE("GET", "/api/events", NULL, ROLES_ANY, 0, .summary = "The tenant's events (SSE)"),
    ROUTE("GET", "/api/calls/events", NULL, ROLES_ANY, 0, .summary = "Call events (SSE)"),
    ROUTE("GET", "/api/calls/active/events", NULL, ROLES_ANY, 0, .summary = "Live calls (SSE)"),
    ROUTE("GET", "/api/calls/:id/events", NULL, ROLES_ANY, 0, .summary = "One call (SSE)"),
    ROUTE("GET", "/metrics", NULL, ROLES_PUBLIC, 0, .summary = "Metrics, for the pool's /metrics"),
    ROUTE("GET", "/streams", NULL, ROLES_PUBLIC, 0,
          .summary = "A tenant's streams here, for the pool's /api/health/websocket"),
};

struct route_target {
    enum route_kind kind;
    enum scope scope;
};

static const struct route_target targets[] = {
    {R_HEALTH, SCOPE_ALL}, {R_POLL, SCOPE_ALL},   {R_STREAM, SCOPE_ALL},
    {R_STREAM, SCOPE_CALLS}, {R_STREAM, SCOPE_CALLS}, {R_STREAM, SCOPE_CALL},
    {R_METRICS, SCOPE_ALL}, {R_STREAMS, SCOPE_ALL},
};

_Static_assert(sizeof(routes) / sizeof(routes[0]) == sizeof(targets) / sizeof(targets[0]),
               "one target per route");

/*
 * path: /api/... with /api/v1 folded. The target of the route it names, or NULL (404).
 * *call_id gets the decoded :id. Matched as GET whatever the method: the path alone decides
 * 404 (a malformed call id included), the method is looked at after.
 */
static const struct route_target *match(struct arena *a, const char *path, const char **call_id)
{
    /* The router forgives empty segments (`/api//events`, a trailing `/`); these routes
     * never did, so such paths stay unknown. */
    size_t n = strlen(path);
    if (strstr(path, "//") != NULL || (n > 0 && path[n - 1] == '/'))
        return NULL;
    struct route_match m;
    if (router_match(routes, sizeof(routes) / sizeof(routes[0]), "GET", path, &m) != ROUTER_FOUND)
        return NULL;
    const struct route_target *target = &targets[m.route - routes];
    if (target->scope == SCOPE_CALL) {
        if (m.nparams != 1)
            return NULL;
        char *id = url_decode(a, m.params[0].value, m.params[0].value_len, 0);
        if (id == NULL || !call_id_ok(id))
            return NULL;
        *call_id = id;
    }
    return target;
}

void api_route(struct http_conn *c, const struct http_request *req, void *data)
{
    struct ev *ev = data;
    arena_reset(ev->arena);
    char cors[ORIGIN_MAX + 256];
    cors_headers(ev->cfg, req, cors, sizeof(cors));
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    int options = strcmp(req->method, "OPTIONS") == 0;

    if (options && strcmp(req->target, "*") == 0) {
        reply_preflight(c, cors);
        return;
    }
    char *raw = arena_strndup(ev->arena, req->path, req->path_len);
    const char *path = raw != NULL ? path_fold_v1(ev->arena, raw) : NULL;
    if (path == NULL) {
        http_reply_error(c, 500, "internal_error", "Out of memory", cors);
        return;
    }

    const char *call_id = NULL;
    const struct route_target *target = NULL;
    if (strncmp(path, "/ws", 3) == 0 && (path[3] == '\0' || path[3] == '/')) {
        ws_api_route(ev, c, req, cors, path);
        arena_reset(ev->arena);
        return;
    }
    target = match(ev->arena, path, &call_id);
    if (target == NULL) {
        http_reply_error(c, 404, "not_found", "No such route", cors);
    } else if (options) {
        reply_preflight(c, cors);
    } else if (!get) {
        reply_405(c, cors);
    } else if (target->kind == R_HEALTH) {
        health(ev, c, req, cors);
    } else if (target->kind == R_METRICS) {
        events_metrics_reply(ev, c, req);
    } else if (target->kind == R_STREAMS) {
        events_streams_reply(ev, c, req);
    } else {
        subscribe(ev, c, req, cors, target->kind == R_POLL, target->scope, call_id);
    }
    arena_reset(ev->arena);
}
