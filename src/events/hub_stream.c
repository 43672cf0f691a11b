/*
 * SSE streams of the hub (hub_internal.h).
 *
 * A stream has a cursor, last_id: the id it has been given everything up to (filtered).
 * It is either
 *   live:        it gets events straight from hub_deliver(), skipping ids <= last_id, or
 *   catching up: last_id < W (the feed's watermark) after a resume, or after a live
 *                write found more than LIVE_QUEUE_MAX bytes still queued (a burst, a
 *                slow reader). It reads (last_id, W]
 *                in paced steps (ring or database, feed_collect), writing a step only
 *                when its output queue is empty, so a long replay never trips the
 *                per-connection output cap; it becomes live when last_id reaches W.
 *                Live deliveries skip it meanwhile: they are <= W by the time it reads.
 * Both run on the one loop thread, so the switch from catching up to live cannot lose
 * or repeat an event: events <= W come from the replay, events > W from hub_deliver().
 *
 * A stream's timer ticks at least every TICK_MAX_MS: heartbeat when due, token expiry
 * (event: token_expired, then the stream ends), and the slow-client check (queued output
 * that has not shrunk for STUCK_MS drops the client; it resumes from its last id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "config.h"
#include "cursor.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "httputil.h"
#include "jsonutil.h"
#include "log.h"
#include "loop.h"
#include "hub_internal.h"
#include "ws_internal.h"

#define CATCHUP_EVENTS 200          /* events per replay step */
#define CATCHUP_BYTES (32 * 1024)   /* frame bytes per replay step */
#define CATCHUP_STEPS 8             /* steps per turn before yielding to the loop */
#define TICK_MAX_MS 10000           /* a stream's timer fires at least this often */
#define STUCK_MS 30000              /* queued output not shrinking this long: dropped */
#define DB_RETRY_MS 1000            /* replay retry after a database error */

/* ---- frames --------------------------------------------------------------------------- */

/* "event: <name>\n" (when name) "id: <id>\n" (when id) "data: <json>\n\n". */
static int write_control(struct sub *s, const char *name, const char *id,
                         struct json_object *obj)
{
    size_t jlen;
    const char *json = obj ? json_text(obj, &jlen) : NULL;
    if (json == NULL)
        return -1;
    struct buf b = {0};
    char line[64];
    if (name != NULL) {
        buf_str(&b, "event: ");
        buf_str(&b, name);
        buf_str(&b, "\n");
    }
    if (id != NULL) {
        snprintf(line, sizeof(line), "id: %s\n", id);
        buf_str(&b, line);
    }
    buf_str(&b, "data: ");
    buf_add(&b, json, jlen);
    buf_str(&b, "\n\n");
    int rc = b.failed ? -1 : sub_write(s, b.p, b.len);
    free(b.p);
    return rc;
}

static const char *scope_name(enum scope sc)
{
    return sc == SCOPE_CALL ? "call" : sc == SCOPE_CALLS ? "calls" : "events";
}

/* ---- streams -------------------------------------------------------------------------- */

static int catchup_write(const struct event *e, void *arg)
{
    return sub_write_event(arg, e) != 0;
}

void hub_stream_catchup(struct sub *s)
{
    struct feed *f = s->hub->ev->feed;
    for (int step = 0; step < CATCHUP_STEPS; step++) {
        if (s->dead || !s->catching_up || s->held)
            return;
        unsigned long long w = feed_watermark(f, s->tenant);
        if (s->last_id >= w) {
            s->catching_up = 0;
            log_debug("events: stream %llu live from id %llu", http_conn_id(s->conn), s->last_id);
            return;
        }
        if (http_conn_queued(s->conn) > 0)
            return; /* on_drain continues */
        unsigned long long scanned;
        int rc = feed_collect(f, s->tenant, &s->filter, s->last_id, w, CATCHUP_EVENTS,
                              CATCHUP_BYTES, catchup_write, s, &scanned);
        if (s->dead)
            return;
        if (rc != DB_OK) {
            /* The database is away: the tick retries; heartbeats go on meanwhile. */
            loop_timer_start(s->hub->ev->loop, &s->timer, DB_RETRY_MS);
            return;
        }
        if (scanned > s->last_id)
            s->last_id = scanned;
    }
    if (!s->dead && s->catching_up)
        loop_defer(s->hub->ev->loop, &s->defer);
}

static void stream_on_drain(struct http_conn *c, void *user)
{
    (void)c;
    struct sub *s = user;
    if (s != NULL && !s->dead && s->catching_up)
        hub_stream_catchup(s);
}

static void stream_schedule(struct sub *s, long long now)
{
    long long next = s->next_heartbeat;
    if (next > now + TICK_MAX_MS)
        next = now + TICK_MAX_MS;
    if (s->expires_at && s->expires_at < next)
        next = s->expires_at;
    if (loop_timer_start(s->hub->ev->loop, &s->timer, next - now) != 0) {
        log_error("events: cannot schedule a stream timer (out of memory); closing it");
        struct http_conn *c = s->conn;
        sub_release(s);
        if (c != NULL)
            http_conn_close(c);
    }
}

void hub_stream_tick(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)t;
    struct sub *s = data;
    struct hub *h = s->hub;
    long long now = loop_now(loop);
    if (s->dead || s->conn == NULL)
        return;
    if (s->expires_at && now >= s->expires_at && s->ws != NULL) {
        ws_end(s, "{\"type\":\"token_expired\",\"message\":"
                  "\"The access token expired; reconnect with a new one\"}",
               1008, "token expired");
        return;
    }
    if (s->expires_at && now >= s->expires_at) {
        /* No id: the client's Last-Event-ID stays at the last real event. */
        static const char expired[] =
            "event: token_expired\ndata: {\"type\":\"token_expired\",\"message\":"
            "\"The access token expired; reconnect with a new one\"}\n\n";
        if (sub_write(s, expired, sizeof(expired) - 1) != 0)
            return;
        struct http_conn *c = s->conn;
        log_debug("events: stream %llu: token expired", http_conn_id(c));
        sub_release(s);
        http_stream_end(c);
        return;
    }
    size_t q = http_conn_queued(s->conn);
    if (q > 0 && q >= s->last_queued) {
        if (s->stuck_since == 0) {
            s->stuck_since = now;
        } else if (now - s->stuck_since >= STUCK_MS) {
            log_warn("events: stream %llu dropped: %zu bytes queued and not read for %lld s",
                     http_conn_id(s->conn), q, (now - s->stuck_since) / 1000);
            struct http_conn *c = s->conn;
            sub_release(s);
            http_conn_close(c);
            return;
        }
    } else {
        s->stuck_since = 0;
    }
    s->last_queued = q;
    if (now >= s->next_heartbeat && s->ws != NULL) {
        ws_heartbeat(s);
        if (s->dead)
            return;
        s->next_heartbeat = now + h->ev->cfg->event_heartbeat_seconds * 1000LL;
    } else if (now >= s->next_heartbeat) {
        static const char hb[] = ": heartbeat\n\n";
        if (sub_write(s, hb, sizeof(hb) - 1) != 0)
            return;
        s->next_heartbeat = now + h->ev->cfg->event_heartbeat_seconds * 1000LL;
    }
    if (s->catching_up && http_conn_queued(s->conn) == 0) {
        hub_stream_catchup(s);
        if (s->dead)
            return;
    }
    if (!loop_timer_active(&s->timer))
        stream_schedule(s, now);
}
void hub_stream_run(struct sub *s, long long expires_in_ms)
{
    struct hub *h = s->hub;
    http_conn_set_drain(s->conn, stream_on_drain);
    long long now = loop_now(h->ev->loop);
    s->next_heartbeat = now + h->ev->cfg->event_heartbeat_seconds * 1000LL;
    if (expires_in_ms > 0)
        s->expires_at = now + expires_in_ms;
    stream_schedule(s, now);
    if (!s->dead && s->catching_up && !s->held)
        hub_stream_catchup(s);
}

/* The first event of a stream, `connected`, with the stream's cursor as its id. 0, or -1
 * when the stream is gone (released and closed). */
static int write_connected(struct sub *s, struct http_conn *c, const struct stream_params *p,
                           unsigned long long start, int lost, const char *ts)
{
    char cursor[CURSOR_TEXT_LEN + 1];
    if (p->have_cursor && !lost)
        snprintf(cursor, sizeof(cursor), "%s", p->after_text);
    else if (cursor_encode_fresh(p->tenant->cursor, start, cursor) != 0) {
        sub_release(s);
        http_conn_close(c);
        return -1;
    }
    struct json_object *o = json_object_new_object();
    if (o != NULL) {
        json_set_str(o, "type", "connected");
        json_set_str(o, "stream", scope_name(p->filter.scope));
        json_set_str(o, "tenant_id", p->tenant->id);
        if (p->filter.scope == SCOPE_CALL)
            json_set_str(o, "call_id", p->filter.call_id);
        json_set_str(o, "cursor", cursor);
        json_set_int(o, "heartbeat_seconds", s->hub->ev->cfg->event_heartbeat_seconds);
        json_set_str(o, "timestamp", ts);
    }
    int rc = write_control(s, NULL, cursor, o);
    json_object_put(o);
    if (rc != 0) {
        if (!s->dead) {
            sub_release(s);
            http_conn_close(c);
        }
        return -1;
    }
    return 0;
}

/* The cursor is older than what retention kept (or unknown here): the client must reload
 * its state; the stream goes on from the current position w. 0, or -1 when not written. */
static int write_reset(struct sub *s, struct http_conn *c, const struct stream_params *p,
                       unsigned long long w, const char *ts)
{
    char cursor[CURSOR_TEXT_LEN + 1];
    struct json_object *o = json_object_new_object();
    if (cursor_encode_fresh(p->tenant->cursor, w, cursor) != 0) {
        json_object_put(o);
        o = NULL;
    }
    if (o != NULL) {
        json_set_str(o, "type", "reset");
        json_set_str(o, "cursor", cursor);
        json_set_str(o, "requested_after", p->after_text);
        json_set_str(o, "message",
                     "Events after your cursor are no longer available; reload and continue");
        json_set_str(o, "timestamp", ts);
    }
    int rc = write_control(s, "reset", cursor, o);
    json_object_put(o);
    if (rc != 0)
        return -1;
    log_debug("events: stream %llu: cursor %llu lost; reset to %llu", http_conn_id(c),
              p->after, w);
    return 0;
}

void hub_stream_start(struct hub *h, struct http_conn *c, const struct stream_params *p,
                      int head_only)
{
    char headers[1024];
    int n = snprintf(headers, sizeof(headers), "%sX-Accel-Buffering: no\r\n", p->cors);
    if (n < 0 || (size_t)n >= sizeof(headers)) {
        http_reply_error(c, 500, "internal_error", "Response headers too long", p->cors);
        return;
    }
    if (head_only) {
        http_stream_begin(c, 200, "text/event-stream", headers);
        return;
    }
    struct feed *f = h->ev->feed;
    unsigned long long w = feed_watermark(f, p->tenant);
    int lost = p->have_cursor && feed_cursor_lost(f, p->tenant, p->after);
    unsigned long long start = p->have_cursor && !lost ? p->after : w;

    struct sub *s = sub_new(h, p, 0);
    if (s == NULL) {
        http_reply_error(c, 500, "internal_error", "Out of memory", p->cors);
        return;
    }
    if (http_stream_begin(c, 200, "text/event-stream", headers) != 0) {
        s->dead = 1;
        loop_defer(h->ev->loop, &s->defer);
        return;
    }
    s->conn = c;
    http_conn_set_user(c, s, sub_on_close);
    http_conn_set_drain(c, stream_on_drain);
    s->last_id = start;
    s->catching_up = start < w;
    sub_link(s);

    char ts[32];
    http_now_rfc3339(ts);
    if (write_connected(s, c, p, start, lost, ts) != 0)
        return;
    if (lost && write_reset(s, c, p, w, ts) != 0)
        return;
    long long now = loop_now(h->ev->loop);
    s->next_heartbeat = now + h->ev->cfg->event_heartbeat_seconds * 1000LL;
    if (p->expires_in_ms > 0)
        s->expires_at = now + p->expires_in_ms;
    stream_schedule(s, now);
    if (s->dead)
        return;
    log_debug("events: stream %llu open: tenant %s, %s, cursor %llu of %llu",
              http_conn_id(c), p->tenant->id, scope_name(p->filter.scope), start, w);
    if (s->catching_up)
        hub_stream_catchup(s);
}
