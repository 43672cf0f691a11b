#ifndef SB_EVENTS_HUB_INTERNAL_H
#define SB_EVENTS_HUB_INTERNAL_H
/*
 * The inside of the hub, shared by its three files and private to them (everyone else
 * uses events.h):
 *
 *   hub.c         subscribers' life, fan-out, ending the subscribers of ended sessions
 *   hub_stream.c  SSE streams: connect, replay (catching up), heartbeats, expiry
 *   hub_poll.c    long-polls: answering now or when events come, timeouts
 *   ws*.c         WebSocket streams (ws_internal.h)
 */
#include <stddef.h>

#include "events.h"
#include "loop.h"
#include "buf.h"

struct sub {
    struct hub *hub;
    struct http_conn *conn; /* NULL once released */
    struct tenant *tenant;
    struct sub *prev, *next;         /* tenant->streams or tenant->polls */
    struct sub *all_prev, *all_next; /* hub->all: every allocated sub */
    struct sub *ready_next;          /* hub->ready */
    unsigned is_poll : 1, linked : 1, dead : 1, ready : 1, catching_up : 1;
    unsigned held : 1; /* a socket not started yet (ws.c): no replay, no live events */
    struct ws *ws;     /* a WebSocket (ws.c), NULL for SSE and polls */
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
    size_t nsockets; /* of nstreams, the WebSocket ones */
};


/* ---- hub.c ------------------------------------------------------------------------- */

/* A subscriber with copies of p's strings, on the hub's list of every subscriber, linked
 * to no tenant list yet. NULL when out of memory. */
struct sub *sub_new(struct hub *h, const struct stream_params *p, int is_poll);
/* Onto its tenant's list of streams or polls, counted. */
void sub_link(struct sub *s);
/*
 * Detaches s from its connection and lists; the memory goes after the current batch
 * (a fan-out loop or the ready list may still hold the pointer). Idempotent.
 */
void sub_release(struct sub *s);
/* The on_close hook of a subscriber's connection (http_conn_set_user). */
void sub_on_close(struct http_conn *c, void *user);
/* Writes to a stream; -1 when the connection is gone (s is then released). */
int sub_write(struct sub *s, const char *p, size_t n);
/* Writes an event's frame to a stream, which has then had everything up to e->id;
 * counted as delivered (ev->counters) when written. 0, or -1 as sub_write. */
int sub_write_event(struct sub *s, const struct event *e);

/* ---- hub_stream.c ------------------------------------------------------------------ */

/* A stream's timer: heartbeat, token expiry, slow-client check, replay retry. */
void hub_stream_tick(struct loop *loop, struct loop_timer *t, void *data);
/* One turn of a replay: steps while the connection takes the output at once. */
void hub_stream_catchup(struct sub *s);
/* A linked stream whose answer went out (a socket's 101): drain hook, heartbeat and
 * expiry timer, and the replay unless it is held. */
void hub_stream_run(struct sub *s, long long expires_in_ms);

/* ---- hub_poll.c -------------------------------------------------------------------- */

struct poll_acc;
/* A waiting poll's timer: it answers with what it has (nothing). */
void hub_poll_timeout(struct loop *loop, struct loop_timer *t, void *data);
/* Answers a waiting poll and frees it; acc (may be NULL) holds its events, final (JSON
 * text or NULL) ends them; error answers 503. */
void hub_poll_finish(struct sub *s, struct poll_acc *acc, int error, const char *final);

#endif
