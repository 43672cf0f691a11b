/*
 * Subscribers: SSE streams (hub_stream.c) and waiting long-polls (hub_poll.c).
 *
 * Fan-out: each tenant (store.c interns them) holds its own list of streams and polls,
 * so an event touches only its tenant's subscribers, and a subscriber can only ever
 * receive its own tenant's events. Every event is formatted once (store.c); a stream
 * gets the same bytes with one write.
 */
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "http.h"
#include "log.h"
#include "loop.h"
#include "hub_internal.h"
#include "ws_internal.h"

#define LIVE_QUEUE_MAX (16 * 1024)  /* queued beyond this: a live stream paces itself */

/* ---- life of a subscriber ------------------------------------------------------------- */

static void sub_defer_fn(struct loop *loop, void *data);

struct sub *sub_new(struct hub *h, const struct stream_params *p, int is_poll)
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
    if (p->filter.chat_session != NULL)
        extra += strlen(p->filter.chat_session) + 1;
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
    s->filter.user_id = w; /* the audience "user:<id>" reaches this user only */
    w += strlen(uid) + 1;
    if (p->filter.chat_session != NULL) {
        memcpy(w, p->filter.chat_session, strlen(p->filter.chat_session) + 1);
        s->filter.chat_session = w;
        w += strlen(p->filter.chat_session) + 1;
    }
    if (is_poll && p->after_text != NULL) {
        memcpy(w, p->after_text, strlen(p->after_text) + 1);
        s->after_text = w;
    }
    loop_timer_init(&s->timer, is_poll ? hub_poll_timeout : hub_stream_tick, s);
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
    ws_free(s);
    free(s);
}

void sub_link(struct sub *s)
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
        s->hub->nsockets += s->ws != NULL;
        if (s->filter.chat_session == NULL)
            ws_online_note(s->hub->ev, s->tenant->id, s->user_id, 1, s->ws != NULL);
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
        s->hub->nsockets -= s->ws != NULL;
        if (s->filter.chat_session == NULL)
            ws_online_note(s->hub->ev, s->tenant->id, s->user_id, -1, s->ws != NULL);
    }
}

void sub_release(struct sub *s)
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

void sub_on_close(struct http_conn *c, void *user)
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
        hub_stream_catchup(s);
}

int sub_write(struct sub *s, const char *p, size_t n)
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

int sub_write_event(struct sub *s, const struct event *e)
{
    if (s->ws != NULL)
        return ws_send_event(s, e);
    s->last_id = e->id;
    if (sub_write(s, e->frame, e->frame_len) != 0)
        return -1;
    s->hub->ev->counters.delivered++;
    return 0;
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
        sub_write_event(s, e);
    }
    for (struct sub *p = t->polls; p != NULL; p = p->next) {
        if (p->ready || e->id <= p->scan_from || !filter_match(&p->filter, e))
            continue;
        p->ready = 1;
        p->ready_next = h->ready;
        h->ready = p;
    }
}

/* ---- ending subscribers whose session ended ------------------------------------------- */

/* Ends s: a stream gets `event: session_revoked` and closes, a poll answers with it. */
static void sub_revoke(struct sub *s, const char *final)
{
    if (s->is_poll) {
        hub_poll_finish(s, NULL, 0, final);
        return;
    }
    if (s->ws != NULL) {
        ws_end(s, final, 1008, "session revoked");
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
            s->hub->ev->counters.revocations++;
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

size_t hub_sockets(const struct hub *h)
{
    return h->nsockets;
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
