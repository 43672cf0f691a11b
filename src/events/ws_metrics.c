/*
 * Coldcaller's `metrics` channel and the stream counts of GET /api/health/websocket
 * (events.h).
 *
 * metricsUpdate: every event_metrics_seconds, each started coldcaller socket subscribed
 * to `metrics` gets {sip_status {registered, connection_quality}, active_calls,
 * system_uptime, memory_usage {…}} for its own tenant. Built here, in the worker that
 * holds the sockets, rather than published as metrics.update events by the clock:
 *   - nothing is written: an event row per tenant every 10 s would grow call_events, be
 *     replayed to every resuming stream as stale numbers, and reach every SSE reader,
 *     long-poll and unfiltered socket of the tenant, none of which asked for it;
 *   - the cost follows the audience: one indexed count (idx_calls_tenant_status) and one
 *     read of their SIP trunks per METRICS_BATCH tenants that have a subscriber on this
 *     worker, per period, on the
 *     connection the feed already holds; a tenant nobody watches costs nothing;
 *   - it holds across hosts: the count is the database's, so every worker tells its own
 *     subscribers the same number; uptime and memory are the sending worker's own.
 * While the feed finds the database away nothing is queried (a query would hold the
 * loop) and that period's update is skipped.
 *
 * GET /streams?tenant_id=…: what this worker holds for one tenant, by kind and family,
 * for the pool's /api/health/websocket. Like /metrics, the raw path never starts with
 * /api/, so nginx (whose event-stream location passes /api/… only) never brings a
 * client here; a request carrying nginx's forwarding headers is refused all the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "arena.h"
#include "call_metrics.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "httputil.h"
#include "jsonutil.h"
#include "log.h"
#include "loop.h"
#include "procstat.h"
#include "hub_internal.h"
#include "ws_internal.h"

#define METRICS_TYPE "metrics.update" /* its channel is `metrics` (ws_channel_of) */
#define METRICS_BATCH 32              /* tenants counted by one statement */


struct ws_metrics {
    struct ev *ev;
    struct loop_timer timer;
    long long started; /* loop_now() when the worker started */
    unsigned long long pass;
};

/* What one tenant's update says that the database knows. */
struct tenant_figures {
    long long active;    /* live outbound calls */
    int sip_registered;  /* its SIP trunk's registration */
    const char *quality; /* the trunk's connection quality (call_metrics_link_label) */
};

/* "<head>?,?…?)<tail>" for n tenants (1..METRICS_BATCH), built once per n into cache. */
static const char *in_list_sql(char cache[][512], size_t n, const char *head, const char *tail)
{
    char *q = cache[n - 1];
    if (q[0] == '\0') {
        int off = snprintf(q, 512, "%s?", head);
        for (size_t i = 1; i < n; i++)
            off += snprintf(q + off, 512 - (size_t)off, ",?");
        snprintf(q + off, 512 - (size_t)off, ")%s", tail);
    }
    return q;
}

/* The i of t whose tenant is id, or -1. */
static int tenant_index(struct tenant *const *t, size_t nt, const char *id)
{
    for (size_t i = 0; id != NULL && i < nt; i++)
        if (strcmp(id, t[i]->id) == 0)
            return (int)i;
    return -1;
}

/*
 * f[i]: t[i]'s live outbound calls and SIP trunk, read for the whole batch by two
 * statements (the count through idx_calls_tenant_status, the trunks by their unique
 * tenant key). -1 when the database cannot say now.
 */
static int batch_figures(struct ev *ev, struct tenant *const *t, size_t nt,
                         struct tenant_figures *f)
{
    static char count_sql[METRICS_BATCH][512], sip_sql[METRICS_BATCH][512];
    if (!feed_ready(ev->feed) || feed_db_down(ev->feed))
        return -1;
    struct db_param params[METRICS_BATCH];
    for (size_t i = 0; i < nt; i++) {
        params[i] = db_param_str(t[i]->id);
        f[i] = (struct tenant_figures){0, 0, "unknown"};
    }
    struct db_result *calls, *trunks;
    arena_reset(ev->arena);
    int rc = db_exec(ev->db, ev->arena,
                     in_list_sql(count_sql, nt,
                                 "SELECT tenant_id, COUNT(*) AS n FROM calls WHERE tenant_id IN (",
                                 " AND status IN " CALL_METRICS_LIVE_SQL
                                 " AND direction = 'outbound' GROUP BY tenant_id"),
                     params, (unsigned)nt, &calls);
    if (rc == DB_OK)
        rc = db_exec(ev->db, ev->arena,
                     in_list_sql(sip_sql, nt,
                                 "SELECT tenant_id, registration_state, last_rtt_ms"
                                 " FROM sip_trunks WHERE tenant_id IN (", ""),
                     params, (unsigned)nt, &trunks);
    if (rc != DB_OK) {
        log_warn("events: metrics: %s", db_last_error(ev->db));
        return -1;
    }
    for (size_t r = 0; r < calls->nrows; r++) {
        int i = tenant_index(t, nt, db_get(calls, r, "tenant_id"));
        if (i >= 0)
            f[i].active = db_get_int(calls, r, "n", 0);
    }
    for (size_t r = 0; r < trunks->nrows; r++) {
        int i = tenant_index(t, nt, db_get(trunks, r, "tenant_id"));
        const char *state = db_get(trunks, r, "registration_state");
        if (i < 0)
            continue;
        f[i].sip_registered = state != NULL && strcmp(state, "registered") == 0;
        f[i].quality = call_metrics_link_label(db_get_int(trunks, r, "last_rtt_ms", -1));
    }
    return 0;
}

static struct json_object *memory_json(void)
{
    struct procstat_mem m;
    procstat_memory(&m); /* without /proc the heap figures still stand */
    struct json_object *o = json_object_new_object();
    int rc = o == NULL || json_set_int(o, "rss", (long long)m.rss_bytes) != 0 ||
             json_set_int(o, "heap_used", (long long)m.heap_used) != 0 ||
             json_set_int(o, "heap_total", (long long)m.heap_total) != 0;
    return json_done(o, rc);
}

/* The tenant's metricsUpdate frame (malloc'd), or NULL when out of memory. */
static char *update_frame(struct ws_metrics *wm, const struct tenant_figures *f, size_t *len)
{
    struct json_object *d = json_object_new_object(), *sip = json_object_new_object();
    int rc = d == NULL || sip == NULL ||
             json_set_bool(sip, "registered", f->sip_registered) != 0 ||
             json_set_str(sip, "connection_quality", f->quality) != 0;
    if (!rc) {
        rc = json_set(d, "sip_status", sip);
        sip = NULL;
    }
    long long up_ms = loop_now(wm->ev->loop) - wm->started;
    rc = rc || json_set_int(d, "active_calls", f->active) != 0 ||
         json_set_int(d, "system_uptime", up_ms / 1000) != 0 ||
         json_add(d, "memory_usage", memory_json()) != 0;
    json_object_put(sip);
    if (rc) {
        json_object_put(d);
        return NULL;
    }
    return ws_frame_channel("metricsUpdate", "metrics", d, len);
}

/* Sends the tenant's update to each of its subscribers on this worker. */
static void tenant_push(struct ws_metrics *wm, struct tenant *t, const struct tenant_figures *f)
{
    size_t len = 0;
    char *text = update_frame(wm, f, &len);
    if (text == NULL)
        return;
    struct sub *next;
    for (struct sub *s = t->streams; s != NULL; s = next) {
        next = s->next; /* a failed write unlinks s */
        if (ws_wants(s, METRICS_TYPE))
            ws_send_text(s, text, len);
    }
    free(text);
}

/* Counts, then updates, a batch of tenants. */
static void batch_push(struct ws_metrics *wm, struct tenant *const *t, size_t n)
{
    struct tenant_figures f[METRICS_BATCH];
    if (batch_figures(wm->ev, t, n, f) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        tenant_push(wm, t[i], &f[i]);
}

static void tick(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)t;
    struct ws_metrics *wm = data;
    struct tenant *batch[METRICS_BATCH];
    size_t n = 0;
    wm->pass++;
    /* Each tenant with a subscriber once: its pass mark says it was taken. (A sub that a
     * failed write releases stays on hub->all until after this turn of the loop.) */
    for (struct sub *s = wm->ev->hub->all; s != NULL; s = s->all_next) {
        if (!s->linked || s->tenant == NULL || s->tenant->metrics_pass == wm->pass ||
            !ws_wants(s, METRICS_TYPE))
            continue;
        s->tenant->metrics_pass = wm->pass;
        batch[n++] = s->tenant;
        if (n == METRICS_BATCH) {
            batch_push(wm, batch, n);
            n = 0;
        }
    }
    if (n > 0)
        batch_push(wm, batch, n);
    arena_reset(wm->ev->arena);
    if (loop_timer_start(loop, &wm->timer, wm->ev->cfg->event_metrics_seconds * 1000LL) != 0)
        log_error("events: cannot schedule metrics updates (out of memory)");
}

struct ws_metrics *ws_metrics_start(struct ev *ev)
{
    struct ws_metrics *wm = calloc(1, sizeof(*wm));
    if (wm == NULL)
        return NULL;
    wm->ev = ev;
    wm->started = loop_now(ev->loop);
    loop_timer_init(&wm->timer, tick, wm);
    if (loop_timer_start(ev->loop, &wm->timer, ev->cfg->event_metrics_seconds * 1000LL) != 0) {
        free(wm);
        return NULL;
    }
    return wm;
}

void ws_metrics_stop(struct ws_metrics *wm)
{
    if (wm == NULL)
        return;
    loop_timer_stop(wm->ev->loop, &wm->timer);
    free(wm);
}

/* ---- GET /streams ------------------------------------------------------------------- */

struct counts {
    size_t sse, sockets, polls, metrics;
    size_t family[4]; /* callcenter, coldcaller, calldocker, not known yet */
};

static void count(const struct tenant *t, struct counts *n)
{
    memset(n, 0, sizeof(*n));
    for (const struct sub *s = t->streams; s != NULL; s = s->next) {
        if (s->dead)
            continue;
        if (s->ws == NULL) {
            n->sse++;
            continue;
        }
        n->sockets++;
        int f = ws_family_of(s);
        n->family[f >= 0 && f < 3 ? f : 3]++;
        n->metrics += ws_wants(s, METRICS_TYPE) ? 1 : 0;
    }
    for (const struct sub *s = t->polls; s != NULL; s = s->next)
        n->polls += s->dead ? 0 : 1;
}

/* The tenant_id of the query, decoded into the arena; NULL when absent. */
static const char *tenant_arg(struct arena *a, const char *qs)
{
    for (const char *p = qs; p != NULL && *p;) {
        size_t len = strcspn(p, "&");
        if (strncmp(p, "tenant_id=", 10) == 0 && len > 10)
            return url_decode(a, p + 10, len - 10, 1);
        p += len;
        p += *p == '&';
    }
    return NULL;
}

void events_streams_reply(struct ev *ev, struct http_conn *c, const struct http_request *req)
{
    if (http_request_header(req, "X-Real-IP") != NULL ||
        http_request_header(req, "X-Forwarded-For") != NULL) {
        http_reply_error(c, 404, "not_found", "No such route", NULL);
        return;
    }
    const char *tenant_id = tenant_arg(ev->arena, req->query);
    if (tenant_id == NULL || *tenant_id == '\0' || strlen(tenant_id) > 64) {
        http_reply_error(c, 400, "bad_request", "tenant_id is required", NULL);
        return;
    }
    struct tenant *t = store_tenant(ev->store, tenant_id);
    if (t == NULL) {
        http_reply_error(c, 500, "internal_error", "Out of memory", NULL);
        return;
    }
    struct counts n;
    count(t, &n);
    char body[512];
    int len = snprintf(body, sizeof(body),
                       "{\"sse\":%zu,\"websocket\":%zu,\"long_poll\":%zu,\"websocket_by_family\":"
                       "{\"callcenter\":%zu,\"coldcaller\":%zu,\"calldocker\":%zu,\"undecided\":%zu},"
                       "\"metrics_subscribers\":%zu}",
                       n.sse, n.sockets, n.polls, n.family[WS_CALLCENTER], n.family[WS_COLDCALLER],
                       n.family[WS_CALLDOCKER], n.family[3], n.metrics);
    if (len < 0 || (size_t)len >= sizeof(body))
        http_reply_error(c, 500, "internal_error", "Internal server error", NULL);
    else
        http_reply(c, 200, "application/json", NULL, body, (size_t)len);
}
