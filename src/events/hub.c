/*
 * Subscribers: SSE streams and waiting long-polls.
 *
 * Fan-out: each tenant (store.c interns them) holds its own list of streams and polls,
 * so an event touches only its tenant's subscribers, and a subscriber can only ever
 * receive its own tenant's events. Every event is formatted once (store.c); a stream
 * gets the same bytes with one write.
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
 *
 * A long-poll answers at once when the tenant has events after its cursor, else waits on
 * the tenant's poll list until hub_deliver() marks it ready (answered in
 * hub_batch_done(), once per tailer batch) or its timeout passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "config.h"
#include "cursor.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "loop.h"

#define CATCHUP_EVENTS 200          /* events per replay step */
#define CATCHUP_BYTES (32 * 1024)   /* frame bytes per replay step */
#define CATCHUP_STEPS 8             /* steps per turn before yielding to the loop */
#define LIVE_QUEUE_MAX (16 * 1024)  /* queued beyond this: a live stream paces itself */
#define TICK_MAX_MS 10000           /* a stream's timer fires at least this often */
#define STUCK_MS 30000              /* queued output not shrinking this long: dropped */
#define DB_RETRY_MS 1000            /* replay retry after a database error */
#define POLL_MAX_EVENTS 500
#define POLL_MAX_BYTES (8 * 1024 * 1024)
#define POLL_SCAN_PAGES 64          /* reads per answer attempt while nothing matches */

struct sub {
    struct hub *hub;
    struct http_conn *conn; /* NULL once released */
    struct tenant *tenant;
    struct sub *prev, *next;         /* tenant->streams or tenant->polls */
    struct sub *all_prev, *all_next; /* hub->all: every allocated sub */
    struct sub *ready_next;          /* hub->ready */
    unsigned is_poll : 1, linked : 1, dead : 1, ready : 1, catching_up : 1;
    struct filter filter;
    unsigned long long last_id;   /* stream: sent up to; poll: the client's cursor */
    unsigned long long scan_from; /* poll: nothing of interest in (last_id, scan_from] */
    const char *session_id, *user_id; /* re-checked when a control event names them */
    const char *after_text;       /* poll: the client's cursor, echoed when nothing came */
    long long expires_at;         /* loop ms; 0: never */
    long long next_heartbeat;
    size_t last_queued;
    long long stuck_since;
    const char *cors; /* polls: header lines for the deferred answer */
    struct loop_timer timer;
    struct loop_defer defer; /* continue a replay, or free once dead */
    char strings[];
};

struct hub {
    struct ev *ev;
    struct sub *all;
    struct sub *ready;
    size_t nstreams, npolls;
};

struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* ---- life of a subscriber ------------------------------------------------------------- */

static void sub_defer_fn(struct loop *loop, void *data);
static void stream_tick(struct loop *loop, struct loop_timer *t, void *data);
static void poll_timeout(struct loop *loop, struct loop_timer *t, void *data);
static void catchup(struct sub *s);

static struct sub *sub_new(struct hub *h, const struct stream_params *p, int is_poll)
{
    size_t extra = 0;
    if (p->filter.call_id != NULL)
        extra += strlen(p->filter.call_id) + 1;
    for (size_t i = 0; i < p->filter.ntypes; i++)
        extra += strlen(p->filter.types[i]) + 1;
    if (is_poll && p->cors != NULL)
        extra += strlen(p->cors) + 1;
    const char *sid = p->session_id ? p->session_id : "", *uid = p->user_id ? p->user_id : "";
    extra += strlen(sid) + 1 + strlen(uid) + 1;
    if (is_poll && p->after_text != NULL)
        extra += strlen(p->after_text) + 1;
    struct sub *s = calloc(1, sizeof(*s) + extra);
    if (s == NULL)
        return NULL;
    s->hub = h;
    s->tenant = p->tenant;
    s->is_poll = is_poll ? 1 : 0;
    s->filter.scope = p->filter.scope;
    char *w = s->strings;
    if (p->filter.call_id != NULL) {
        size_t n = strlen(p->filter.call_id) + 1;
        memcpy(w, p->filter.call_id, n);
        s->filter.call_id = w;
        w += n;
    }
    for (size_t i = 0; i < p->filter.ntypes; i++) {
        size_t n = strlen(p->filter.types[i]) + 1;
        memcpy(w, p->filter.types[i], n);
        s->filter.types[i] = w;
        w += n;
    }
    s->filter.ntypes = p->filter.ntypes;
    if (is_poll && p->cors != NULL) {
        memcpy(w, p->cors, strlen(p->cors) + 1);
        s->cors = w;
        w += strlen(p->cors) + 1;
    }
    memcpy(w, sid, strlen(sid) + 1);
    s->session_id = w;
    w += strlen(sid) + 1;
    memcpy(w, uid, strlen(uid) + 1);
    s->user_id = w;
    w += strlen(uid) + 1;
    if (is_poll && p->after_text != NULL) {
        memcpy(w, p->after_text, strlen(p->after_text) + 1);
        s->after_text = w;
    }
    loop_timer_init(&s->timer, is_poll ? poll_timeout : stream_tick, s);
    loop_defer_init(&s->defer, sub_defer_fn, s);
    s->all_next = h->all;
    if (h->all != NULL)
        h->all->all_prev = s;
    h->all = s;
    return s;
}

static void sub_free(struct sub *s)
{
    struct hub *h = s->hub;
    if (s->all_prev != NULL)
        s->all_prev->all_next = s->all_next;
    else
        h->all = s->all_next;
    if (s->all_next != NULL)
        s->all_next->all_prev = s->all_prev;
    loop_timer_stop(h->ev->loop, &s->timer);
    loop_defer_cancel(h->ev->loop, &s->defer);
    free(s);
}

static void sub_link(struct sub *s)
{
    struct sub **head = s->is_poll ? &s->tenant->polls : &s->tenant->streams;
    s->prev = NULL;
    s->next = *head;
    if (*head != NULL)
        (*head)->prev = s;
    *head = s;
    s->linked = 1;
    if (s->is_poll) {
        s->tenant->npolls++;
        s->hub->npolls++;
    } else {
        s->tenant->nstreams++;
        s->hub->nstreams++;
    }
}

static void sub_unlink(struct sub *s)
{
    if (!s->linked)
        return;
    struct sub **head = s->is_poll ? &s->tenant->polls : &s->tenant->streams;
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->linked = 0;
    if (s->is_poll) {
        s->tenant->npolls--;
        s->hub->npolls--;
    } else {
        s->tenant->nstreams--;
        s->hub->nstreams--;
    }
}

/*
 * Detaches s from its connection and lists; the memory goes after the current batch
 * (a fan-out loop or the ready list may still hold the pointer). Idempotent.
 */
static void sub_release(struct sub *s)
{
    if (s->dead)
        return;
    s->dead = 1;
    sub_unlink(s);
    loop_timer_stop(s->hub->ev->loop, &s->timer);
    if (s->conn != NULL) {
        http_conn_set_user(s->conn, NULL, NULL);
        http_conn_set_drain(s->conn, NULL);
        s->conn = NULL;
    }
    loop_defer(s->hub->ev->loop, &s->defer);
}

static void sub_on_close(struct http_conn *c, void *user)
{
    (void)c;
    struct sub *s = user;
    s->conn = NULL; /* closed: nothing to detach */
    sub_release(s);
}

static void sub_defer_fn(struct loop *loop, void *data)
{
    (void)loop;
    struct sub *s = data;
    if (s->dead)
        sub_free(s);
    else if (s->catching_up)
        catchup(s);
}

/* Writes to a stream; -1 when the connection is gone (s is then released). */
static int sub_write(struct sub *s, const char *p, size_t n)
{
    if (s->dead || s->conn == NULL)
        return -1;
    if (http_conn_write(s->conn, p, n) != 0) {
        /* on_close has released s when the connection closed; make sure either way. */
        sub_release(s);
        return -1;
    }
    return 0;
}

/* ---- frames --------------------------------------------------------------------------- */

static void now_rfc3339(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

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
    struct sub *s = arg;
    s->last_id = e->id;
    return sub_write(s, e->frame, e->frame_len) != 0;
}

/* One turn of a replay: steps while the connection takes the output at once. */
static void catchup(struct sub *s)
{
    struct feed *f = s->hub->ev->feed;
    for (int step = 0; step < CATCHUP_STEPS; step++) {
        if (s->dead || !s->catching_up)
            return;
        unsigned long long w = feed_watermark(f);
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
        catchup(s);
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

static void stream_tick(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)t;
    struct sub *s = data;
    struct hub *h = s->hub;
    long long now = loop_now(loop);
    if (s->dead || s->conn == NULL)
        return;
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
    if (now >= s->next_heartbeat) {
        static const char hb[] = ": heartbeat\n\n";
        if (sub_write(s, hb, sizeof(hb) - 1) != 0)
            return;
        s->next_heartbeat = now + h->ev->cfg->event_heartbeat_seconds * 1000LL;
    }
    if (s->catching_up && http_conn_queued(s->conn) == 0) {
        catchup(s);
        if (s->dead)
            return;
    }
    if (!loop_timer_active(&s->timer))
        stream_schedule(s, now);
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
    unsigned long long w = feed_watermark(f);
    int lost = p->have_cursor && feed_cursor_lost(f, p->after);
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

    /* The connected event carries the stream's cursor as its id. */
    char ts[32], cursor[CURSOR_TEXT_LEN + 1];
    now_rfc3339(ts);
    if (p->have_cursor && !lost)
        snprintf(cursor, sizeof(cursor), "%s", p->after_text);
    else if (cursor_encode_fresh(p->tenant->cursor, start, cursor) != 0) {
        sub_release(s);
        http_conn_close(c);
        return;
    }
    struct json_object *o = json_object_new_object();
    if (o != NULL) {
        json_set_str(o, "type", "connected");
        json_set_str(o, "stream", scope_name(p->filter.scope));
        json_set_str(o, "tenant_id", p->tenant->id);
        if (p->filter.scope == SCOPE_CALL)
            json_set_str(o, "call_id", p->filter.call_id);
        json_set_str(o, "cursor", cursor);
        json_set_int(o, "heartbeat_seconds", h->ev->cfg->event_heartbeat_seconds);
        json_set_str(o, "timestamp", ts);
    }
    int rc = write_control(s, NULL, cursor, o);
    json_object_put(o);
    if (rc != 0) {
        if (!s->dead) {
            sub_release(s);
            http_conn_close(c);
        }
        return;
    }
    if (lost) {
        /* The cursor is older than what retention kept (or unknown here): the client
         * must reload its state; the stream goes on from the current position. */
        o = json_object_new_object();
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
        rc = write_control(s, "reset", cursor, o);
        json_object_put(o);
        if (rc != 0)
            return;
        log_debug("events: stream %llu: cursor %llu lost; reset to %llu", http_conn_id(c),
                  p->after, w);
    }
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
        catchup(s);
}

/* ---- fan-out -------------------------------------------------------------------------- */

void hub_deliver(struct hub *h, const struct event *e)
{
    struct tenant *t = e->tenant;
    if (e->type[0] == '_') {
        if (strcmp(e->type, "_auth") == 0)
            revoke_apply(h->ev, e);
        return;
    }
    for (struct sub *s = t->streams, *next; s != NULL; s = next) {
        next = s->next; /* s may be released by a failed write; next stays */
        if (s->catching_up || e->id <= s->last_id || !filter_match(&s->filter, e))
            continue;
        if (s->conn != NULL && http_conn_queued(s->conn) >= LIVE_QUEUE_MAX) {
            /* Behind (a burst, or a slow reader): stop pushing, read from the ring at the
             * reader's pace instead (on_drain), so a burst larger than the output cap
             * does not cost a healthy client its connection. A reader that does not
             * read at all is dropped by the stuck check. */
            s->catching_up = 1;
            continue;
        }
        s->last_id = e->id;
        sub_write(s, e->frame, e->frame_len);
    }
    for (struct sub *p = t->polls; p != NULL; p = p->next) {
        if (p->ready || e->id <= p->scan_from || !filter_match(&p->filter, e))
            continue;
        p->ready = 1;
        p->ready_next = h->ready;
        h->ready = p;
    }
}

/* ---- long-polls ----------------------------------------------------------------------- */

struct poll_acc {
    struct buf b;
    size_t n;
    unsigned long long last;
};

static int poll_add(const struct event *e, void *arg)
{
    struct poll_acc *a = arg;
    if (a->n > 0)
        buf_add(&a->b, ",", 1);
    buf_add(&a->b, e->frame + e->json_off, e->json_len);
    a->n++;
    a->last = e->id;
    return a->b.failed;
}

static int reply_json(struct http_conn *c, const char *cors, struct buf *b)
{
    if (b->failed)
        return http_reply_error(c, 500, "internal_error", "Out of memory", cors);
    return http_reply(c, 200, "application/json; charset=utf-8", cors, b->p, b->len);
}

/*
 * {"success":true,"events":[…],"cursor":"…"}; final (JSON text) closes the events. The
 * cursor is the last event's id; with no events, the client's own cursor (echo) or, when
 * it gave none, a fresh one for pos.
 */
static void reply_poll(struct http_conn *c, const char *cors, const struct tenant *t,
                       struct poll_acc *a, unsigned long long pos, const char *echo, int reset,
                       const char *final)
{
    struct buf b = {0};
    char tail[96], cursor[CURSOR_TEXT_LEN + 1];
    int rc;
    if (a != NULL && a->n > 0)
        rc = cursor_encode(t->cursor, a->last, cursor);
    else if (echo != NULL)
        rc = snprintf(cursor, sizeof(cursor), "%s", echo) >= (int)sizeof(cursor) ? -1 : 0;
    else
        rc = cursor_encode_fresh(t->cursor, pos, cursor);
    if (rc != 0) {
        http_reply_error(c, 500, "internal_error", "Internal error", cors);
        return;
    }
    buf_str(&b, "{\"success\":true,\"events\":[");
    if (a != NULL && a->n > 0)
        buf_add(&b, a->b.p, a->b.len);
    if (final != NULL) {
        if (a != NULL && a->n > 0)
            buf_str(&b, ",");
        buf_str(&b, final);
    }
    snprintf(tail, sizeof(tail), "],\"cursor\":\"%s\"%s}", cursor,
             reset ? ",\"reset\":true" : "");
    buf_str(&b, tail);
    if (a != NULL && a->b.failed)
        b.failed = 1;
    reply_json(c, cors, &b);
    free(b.p);
}

/*
 * Reads the poll's events after its cursor. 1 with acc filled when there are some, 0
 * when none (scan_from advanced), or a negative db_rc.
 */
static int poll_gather(struct sub *s, struct poll_acc *acc)
{
    struct feed *f = s->hub->ev->feed;
    unsigned long long w = feed_watermark(f);
    for (int page = 0; page < POLL_SCAN_PAGES && s->scan_from < w; page++) {
        unsigned long long scanned;
        int rc = feed_collect(f, s->tenant, &s->filter, s->scan_from, w,
                              POLL_MAX_EVENTS - acc->n, POLL_MAX_BYTES, poll_add, acc, &scanned);
        if (rc != DB_OK)
            return rc;
        if (acc->n > 0)
            return 1;
        if (scanned > s->scan_from)
            s->scan_from = scanned;
    }
    return 0;
}

/* Answers a waiting poll and frees it; final (JSON text or NULL) ends its events. */
static void poll_finish(struct sub *s, struct poll_acc *acc, int error, const char *final)
{
    struct http_conn *c = s->conn;
    const struct tenant *t = s->tenant;
    char cors[1024];
    snprintf(cors, sizeof(cors), "%s", s->cors ? s->cors : "");
    unsigned long long after = s->last_id;
    char echo[CURSOR_TEXT_LEN + 1];
    int have_echo = s->after_text != NULL;
    if (have_echo)
        snprintf(echo, sizeof(echo), "%s", s->after_text);
    sub_release(s);
    if (c == NULL)
        return;
    if (error)
        http_reply_error(c, 503, "service_unavailable", "The database is unavailable", cors);
    else
        reply_poll(c, cors, t, acc, after, have_echo ? echo : NULL, 0, final);
}

static void poll_timeout(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    struct sub *s = data;
    if (!s->dead)
        poll_finish(s, NULL, 0, NULL);
}

void hub_batch_done(struct hub *h)
{
    while (h->ready != NULL) {
        struct sub *s = h->ready;
        h->ready = s->ready_next;
        s->ready_next = NULL;
        s->ready = 0;
        if (s->dead)
            continue;
        struct poll_acc acc = {0};
        int rc = poll_gather(s, &acc);
        if (rc > 0)
            poll_finish(s, &acc, 0, NULL);
        /* 0: nothing of interest after all; < 0: database away, the timeout answers. */
        free(acc.b.p);
    }
}

void hub_poll_start(struct hub *h, struct http_conn *c, const struct stream_params *p,
                    long timeout_s, int head_only)
{
    struct feed *f = h->ev->feed;
    unsigned long long w = feed_watermark(f);
    if (p->have_cursor && feed_cursor_lost(f, p->after)) {
        reply_poll(c, p->cors, p->tenant, NULL, w, NULL, 1, NULL);
        return;
    }
    struct sub *s = sub_new(h, p, 1);
    if (s == NULL) {
        http_reply_error(c, 500, "internal_error", "Out of memory", p->cors);
        return;
    }
    s->last_id = s->scan_from = p->have_cursor ? p->after : w;
    struct poll_acc acc = {0};
    int rc = poll_gather(s, &acc);
    if (rc < 0) {
        http_reply_error(c, 503, "service_unavailable", "The database is unavailable", p->cors);
    } else if (rc > 0) {
        reply_poll(c, p->cors, p->tenant, &acc, acc.last, NULL, 0, NULL);
    } else if (timeout_s <= 0 || head_only) {
        reply_poll(c, p->cors, p->tenant, NULL, s->last_id,
                   p->have_cursor ? p->after_text : NULL, 0, NULL);
    } else if (loop_timer_start(h->ev->loop, &s->timer, timeout_s * 1000LL) != 0) {
        http_reply_error(c, 500, "internal_error", "Out of memory", p->cors);
    } else {
        free(acc.b.p);
        s->conn = c;
        http_defer(c);
        http_conn_set_user(c, s, sub_on_close);
        sub_link(s);
        return;
    }
    free(acc.b.p);
    s->dead = 1;
    loop_defer(h->ev->loop, &s->defer);
}

/* ---- ending subscribers whose session ended ------------------------------------------- */

/* Ends s: a stream gets `event: session_revoked` and closes, a poll answers with it. */
static void sub_revoke(struct sub *s, const char *final)
{
    if (s->is_poll) {
        poll_finish(s, NULL, 0, final);
        return;
    }
    struct buf b = {0};
    buf_str(&b, "event: session_revoked\ndata: ");
    buf_str(&b, final);
    buf_str(&b, "\n\n");
    int rc = b.failed ? -1 : sub_write(s, b.p, b.len);
    free(b.p);
    struct http_conn *c = s->conn;
    if (s->dead)
        return;
    sub_release(s);
    if (rc == 0 && c != NULL)
        http_stream_end(c);
    else if (c != NULL)
        http_conn_close(c);
}

static void end_list(struct sub *head, const char *(*verdict)(const struct sub_who *, void *),
                     void *arg)
{
    for (struct sub *s = head, *next; s != NULL; s = next) {
        next = s->next;
        if (s->dead)
            continue;
        struct sub_who who = {s->session_id, s->user_id, s->is_poll};
        const char *final = verdict(&who, arg);
        if (final != NULL) {
            log_info("events: %s %llu ended: its session may no longer stream",
                     s->is_poll ? "poll" : "stream", s->conn ? http_conn_id(s->conn) : 0ULL);
            sub_revoke(s, final);
        }
    }
}

void hub_end_where(struct tenant *t, const char *(*verdict)(const struct sub_who *, void *),
                   void *arg)
{
    end_list(t->streams, verdict, arg);
    end_list(t->polls, verdict, arg);
}

void hub_count(const struct tenant *t, const char *session_id, size_t *of_session,
               size_t *of_tenant)
{
    size_t n = 0;
    for (const struct sub *s = t->streams; s != NULL; s = s->next)
        n += strcmp(s->session_id, session_id) == 0;
    for (const struct sub *s = t->polls; s != NULL; s = s->next)
        n += strcmp(s->session_id, session_id) == 0;
    *of_session = n;
    *of_tenant = t->nstreams + t->npolls;
}

/* ---- the hub -------------------------------------------------------------------------- */

struct hub *hub_create(struct ev *ev)
{
    struct hub *h = calloc(1, sizeof(*h));
    if (h != NULL)
        h->ev = ev;
    return h;
}

size_t hub_streams(const struct hub *h)
{
    return h->nstreams;
}

size_t hub_polls(const struct hub *h)
{
    return h->npolls;
}

void hub_destroy(struct hub *h)
{
    if (h == NULL)
        return;
    while (h->all != NULL) {
        struct sub *s = h->all;
        if (!s->dead)
            sub_release(s);
        sub_free(s);
    }
    free(h);
}
