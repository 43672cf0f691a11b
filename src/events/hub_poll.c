/*
 * Long-polls of the hub (hub_internal.h).
 *
 * A long-poll answers at once when the tenant has events after its cursor, else waits on
 * the tenant's poll list until hub_deliver() marks it ready (answered in
 * hub_batch_done(), once per tailer batch) or its timeout passes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cursor.h"
#include "db.h"
#include "events.h"
#include "http.h"
#include "loop.h"
#include "hub_internal.h"

#define POLL_MAX_EVENTS 500
#define POLL_MAX_BYTES (8 * 1024 * 1024)
#define POLL_SCAN_PAGES 64          /* reads per answer attempt while nothing matches */

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
 * it gave none, a fresh one for pos. The events of an answer written are counted as
 * delivered.
 */
static void reply_poll(struct hub *h, struct http_conn *c, const char *cors,
                       const struct tenant *t, struct poll_acc *a, unsigned long long pos,
                       const char *echo, int reset, const char *final)
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
    if (reply_json(c, cors, &b) == 0 && !b.failed && a != NULL)
        h->ev->counters.delivered += a->n;
    free(b.p);
}

/*
 * Reads the poll's events after its cursor. 1 with acc filled when there are some, 0
 * when none (scan_from advanced), or a negative db_rc.
 */
static int poll_gather(struct sub *s, struct poll_acc *acc)
{
    struct feed *f = s->hub->ev->feed;
    unsigned long long w = feed_watermark(f, s->tenant);
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

void hub_poll_finish(struct sub *s, struct poll_acc *acc, int error, const char *final)
{
    struct hub *h = s->hub;
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
        reply_poll(h, c, cors, t, acc, after, have_echo ? echo : NULL, 0, final);
}

void hub_poll_timeout(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    struct sub *s = data;
    if (!s->dead)
        hub_poll_finish(s, NULL, 0, NULL);
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
            hub_poll_finish(s, &acc, 0, NULL);
        /* 0: nothing of interest after all; < 0: database away, the timeout answers. */
        free(acc.b.p);
    }
}

void hub_poll_start(struct hub *h, struct http_conn *c, const struct stream_params *p,
                    long timeout_s, int head_only)
{
    struct feed *f = h->ev->feed;
    unsigned long long w = feed_watermark(f, p->tenant);
    if (p->have_cursor && feed_cursor_lost(f, p->tenant, p->after)) {
        reply_poll(h, c, p->cors, p->tenant, NULL, w, NULL, 1, NULL);
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
        reply_poll(h, c, p->cors, p->tenant, &acc, acc.last, NULL, 0, NULL);
    } else if (timeout_s <= 0 || head_only) {
        reply_poll(h, c, p->cors, p->tenant, NULL, s->last_id,
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
