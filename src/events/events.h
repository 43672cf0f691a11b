#ifndef SB_EVENTS_EVENTS_H
#define SB_EVENTS_EVENTS_H
/*
 * Shared pieces of the event worker: the process context, tenants, events, the ring of
 * recently delivered events and stream filters.
 *
 *   main.c         process setup, sockets, signals
 *   api.c          HTTP routes (router.h): CORS, parameters, then hands over to hub.c
 *   api_auth.c     who is asking: bearer token, access_token or ticket; health's counts
 *   hub.c          subscribers: their life, fan-out, ending those of ended sessions
 *   hub_stream.c   SSE streams: connect, replay (catching up), heartbeats, expiry
 *   hub_poll.c     long-polls
 *   feed.c         the single reader of call_events: each tenant's events in sequence
 *                  order (sql/036), wake socket
 *   feed_replay.c  replay reads (ring first, database otherwise) and retention
 *   store.c        tenants (interned), event formatting, the ring buffer
 *   revoke.c       control events: streams of ended sessions end
 *   housekeeping.c periodic purge of spent rows
 *   metrics.c      GET /metrics on the worker's socket, for the pool's /metrics
 *   metrics_text.c its families in the Prometheus text format (pure)
 *   loop.c         the epoll loop (loop.h)
 *   http.c         HTTP/1.1 connections: life, output, answers, reading (http.h)
 *   http_parse.c   the request parser
 *   http_server.c  the listening socket: accepting, shedding when out of fds
 *
 * api, hub, feed and http each share their inside through a private header
 * (*_internal.h) that only their own files include.
 *
 * Everything runs on one thread in one epoll loop; database calls are synchronous, short
 * and indexed.
 */
#include <stddef.h>

struct arena;
struct config;
struct cursor_cipher;
struct db;
struct db_result;
struct http_conn;
struct http_request;
struct http_server;
struct loop;
struct sub;
struct feed;
struct store;
struct hub;

/*
 * The worker's counters since it started (GET /metrics shows them): plain fields, as
 * everything runs on the one loop thread; they start again at 0 when the worker does.
 */
struct ev_counters {
    unsigned long long delivered;         /* events written to subscribers, per subscriber */
    unsigned long long refused_session;   /* 429 too_many_streams: the session's cap */
    unsigned long long refused_tenant;    /* 429 too_many_streams: the tenant's cap */
    unsigned long long revocations;       /* subscribers ended with session_revoked */
    unsigned long long db_errors_feed;    /* failed database calls of the feed */
    unsigned long long db_errors_request; /* requests answered 503/500 by the database */
};

struct ev {
    const struct config *cfg;
    struct loop *loop;
    struct http_server *srv;
    struct db *db;
    struct arena *arena; /* scratch for one handler or one database call; reset after */
    struct store *store;
    struct feed *feed;
    struct hub *hub;
    struct ev_counters counters;
};

/* ---- tenants ------------------------------------------------------------------------- */

/* Interned for the life of the process (a few hundred bytes per tenant that ever had an
 * event or a subscriber), so events and subscribers can compare tenants by pointer. */
struct tenant {
    struct tenant *hnext;
    unsigned hash;
    struct cursor_cipher *cursor; /* the positions this tenant sees (cursor.h) */
    struct sub *streams; /* doubly linked through sub->prev/next */
    struct sub *polls;   /* waiting long-polls, same links */
    size_t nstreams, npolls;
    unsigned long long metrics_pass; /* ws_metrics.c: the last period that served it */
    /* The feed: every event with seq <= delivered was delivered (or committed before the
     * worker started). The tenant's part of the ring holds seqs (ring_floor, ring_floor +
     * ring_len], oldest at ring[ring_head]: a tenant's seqs have no holes. */
    unsigned long long delivered;
    unsigned long long ring_floor;
    struct event **ring;
    size_t ring_cap, ring_head, ring_len;
    char id[]; /* NUL-terminated */
};

/* ---- events ---------------------------------------------------------------------------- */

/*
 * One delivered event, formatted once for every client:
 *   frame = "id: <cursor>\ndata: <json>\n\n", json = frame[json_off .. json_off + json_len),
 * where <cursor> is id encrypted for the event's tenant (cursor.h); the JSON's "id" too.
 * type and call_id (NULL when none) point into the same allocation.
 */
struct event {
    unsigned long long id; /* the tenant's sequence number (call_events.seq), not the row id */
    struct tenant *tenant;
    const char *type;
    const char *call_id;
    char *audience; /* sql/014: NULL = the tenant's staff, "user:<id>", "chat:<session id>" */
    size_t size; /* bytes allocated, for the ring's budget */
    size_t frame_len;
    size_t json_off, json_len;
    char frame[];
};

/* ---- filters ------------------------------------------------------------------------- */

enum scope {
    SCOPE_ALL,   /* /api/events: everything of the tenant */
    SCOPE_CALLS, /* /api/calls/events, /api/calls/active/events: call events */
    SCOPE_CALL,  /* /api/calls/:id/events: one call */
};

#define FILTER_MAX_TYPES 32

struct filter {
    enum scope scope;
    const char *call_id;  /* SCOPE_CALL */
    size_t ntypes;        /* 0: every type */
    const char *types[FILTER_MAX_TYPES];
    /* Who reads (the event's audience, sql/014). Staff (chat_session NULL) get the
     * tenant's events, "chat:*" ones included, but of the "user:*" ones only their own
     * (user_id; none when NULL). A chat visitor (chat_session set) gets only the events
     * whose audience is "chat:<chat_session>". */
    const char *user_id;
    const char *chat_session;
};

/* 1 when e passes f (the tenant is checked by the caller). */
int filter_match(const struct filter *f, const struct event *e);

/* ---- store.c ----------------------------------------------------------------------- */

/* max_events / max_bytes bound the ring; key (kept, not copied) keys the tenants' cursors.
 * NULL when out of memory. */
struct store *store_create(size_t max_events, size_t max_bytes, const unsigned char *key,
                           size_t key_len);
void store_destroy(struct store *st);
/* The tenant with that id, created on first use. NULL only when out of memory. */
struct tenant *store_tenant(struct store *st, const char *id);
size_t store_tenants(const struct store *st);

/*
 * Builds an event (malloc'd; event_free) from its columns; payload is JSON text or NULL,
 * created_at RFC 3339. Payload keys are merged at the top level, except id, type,
 * tenant_id, call_id and timestamp, which always come from the columns.
 */
struct event *event_build(struct store *st, unsigned long long id, const char *tenant_id,
                          const char *call_id, const char *type, const char *payload,
                          size_t payload_len, const char *created_at);
/* The same from row `row` of a result with columns seq, tenant_id, call_id, type,
 * payload, created_at, audience (EVENT_COLUMNS). */
#define EVENT_COLUMNS "seq, tenant_id, call_id, type, payload, created_at, audience"

struct event *event_from_row(struct store *st, const struct db_result *res, size_t row);
void event_free(struct event *e);

/*
 * The ring: events delivered by the feed, bounded by a count and a byte budget over all
 * tenants (the oldest delivered is evicted first); each tenant reaches its own part by seq.
 */
/* The tenant's part of the ring restarts after seq: replays up to seq read the database. */
void store_tenant_start(struct tenant *t, unsigned long long seq);
/* Takes ownership of e, the next seq of its tenant; evicts the oldest events beyond the
 * limits. */
void store_ring_push(struct store *st, struct event *e);
/* The event of t with that seq, or NULL when the ring does not hold it. */
const struct event *store_ring_event(const struct tenant *t, unsigned long long seq);
size_t store_ring_len(const struct store *st);
/* ---- feed.c, feed_replay.c --------------------------------------------------------- */

struct feed *feed_create(struct ev *ev);
/* Binds the wake socket and starts the timers; reading starts at once. -1 on failure. */
int feed_start(struct feed *f);
void feed_destroy(struct feed *f);
/* 1 once the watermark is known (the database answered at least once). */
int feed_ready(const struct feed *f);
/* Tenant t's position: every event of t with seq <= this was delivered. */
unsigned long long feed_watermark(const struct feed *f, const struct tenant *t);
/* 1 when a client of t that has seen `after` has missed events for good (retention purged
 * events after it, or it names a seq this tenant never had): it must reload. Reads the
 * database; 0 when it cannot tell. */
int feed_cursor_lost(struct feed *f, const struct tenant *t, unsigned long long after);
/* 0 while the last database call worked. */
int feed_db_down(const struct feed *f);
/* Events the feed read from call_events and fanned out since start (control events
 * included). */
unsigned long long feed_events(const struct feed *f);

/*
 * Calls fn for each event of tenant t that passes filter, with after < seq <= upto, in seq
 * order, until fn returns nonzero, max events were passed or about max_bytes of frames.
 * From the ring when it covers (after, upto], else with one database read. *scanned is
 * set to the seq up to which the range was examined (upto when it was exhausted), so the
 * caller can continue from there. DB_OK, or a negative db_rc (nothing was passed then).
 */
int feed_collect(struct feed *f, struct tenant *t, const struct filter *filter,
                 unsigned long long after, unsigned long long upto, size_t max,
                 size_t max_bytes, int (*fn)(const struct event *e, void *arg), void *arg,
                 unsigned long long *scanned);

/* ---- hub.c, hub_stream.c, hub_poll.c ----------------------------------------------- */

struct hub *hub_create(struct ev *ev);
void hub_destroy(struct hub *h);
/* Streams held, SSE and WebSocket together (they share the caps). */
size_t hub_streams(const struct hub *h);
/* Of those, the WebSocket ones. */
size_t hub_sockets(const struct hub *h);
size_t hub_polls(const struct hub *h);

/*
 * The feed delivered e (already in the ring, watermark advanced): fan it out. A control
 * event (type "_auth": a session, a user or the tenant lost its right to sign in) goes
 * to no client; the hub re-checks the sessions it names and ends the streams and polls
 * that may no longer run, with a final `session_revoked` event.
 */
void hub_deliver(struct hub *h, const struct event *e);
/* The feed finished a batch: answer the long-polls that got events. */
void hub_batch_done(struct hub *h);

struct stream_params {
    struct tenant *tenant;
    struct filter filter;       /* strings are copied */
    int have_cursor;            /* Last-Event-ID or ?after= was given */
    unsigned long long after;
    long long expires_in_ms;    /* token or ticket lifetime left */
    const char *cors;           /* extra header lines for the answer */
    const char *session_id;     /* the session the subscriber lives on (copied) */
    const char *user_id;        /* copied */
    const char *after_text;     /* the cursor as the client sent it, for `reset` */
};

/* Who a subscriber is, as hub_end_where() shows it to its verdict function. */
struct sub_who {
    const char *session_id, *user_id;
    int is_poll;
};

/*
 * For each stream and waiting poll of t, verdict returns NULL to keep it, or the JSON
 * text of a final `session_revoked` event: the stream gets it and ends, the poll answers
 * with it as its last event.
 */
void hub_end_where(struct tenant *t, const char *(*verdict)(const struct sub_who *, void *),
                   void *arg);

/* Streams and waiting polls of tenant t, and of those the ones on session_id. */
void hub_count(const struct tenant *t, const char *session_id, size_t *of_session,
               size_t *of_tenant);

/* Starts an SSE stream on c (answers it). */
void hub_stream_start(struct hub *h, struct http_conn *c, const struct stream_params *p,
                      int head_only);
/* Answers a long-poll now or later; timeout_s 0 answers at once. */
void hub_poll_start(struct hub *h, struct http_conn *c, const struct stream_params *p,
                    long timeout_s, int head_only);

/* ---- revoke.c ----------------------------------------------------------------------- */

/* A control event "_auth" was delivered: end the subscribers that may no longer stream. */
void revoke_apply(struct ev *ev, const struct event *e);

/* ---- housekeeping.c --------------------------------------------------------------- */

struct housekeeping;
/* Starts the periodic purge of spent rows (tickets, idempotency records, throttles). */
struct housekeeping *housekeeping_start(struct ev *ev);
void housekeeping_stop(struct housekeeping *hk);

/* ---- ws_metrics.c ----------------------------------------------------------------- */

struct ws_metrics;
/* Starts coldcaller's metricsUpdate, every event_metrics_seconds (ws_metrics.c). */
struct ws_metrics *ws_metrics_start(struct ev *ev);
void ws_metrics_stop(struct ws_metrics *wm);
/* GET /streams?tenant_id=: the tenant's streams on this worker, by kind and family
 * (JSON), for the pool's /api/health/websocket. */
void events_streams_reply(struct ev *ev, struct http_conn *c, const struct http_request *req);

/* ---- main.c ----------------------------------------------------------------------- */

/* A unix socket of this type (SOCK_STREAM, SOCK_DGRAM), non-blocking, bound at path
 * (which must not exist) with mode 0600 and events_restrict_socket()'s owner; *st: the
 * file's identity. The fd, or -1 (logged, nothing left behind). */
struct stat;
int events_bind_unix(const char *path, int type, struct stat *st);
/* Owner nobody:nogroup when root (nginx's workers, the pool's workers), mode 0600. */
int events_restrict_socket(const char *path);

/* The staff streams of tenant_id that the other event workers (of every host) hold, as
 * they last wrote them to stream_presence (ws_online.c, every 0.5 s); 0 when the database
 * cannot tell. The tenant's stream cap counts them. */
long events_streams_elsewhere(struct ev *ev, const char *tenant_id);
/* ---- metrics.c, metrics_text.c ----------------------------------------------------- */

/* What one scrape shows: the counters, and the gauges as they are when it is taken. */
struct ev_metrics {
    struct ev_counters counters;
    unsigned long long feed_events; /* feed_events() */
    size_t connections;             /* open HTTP connections, the scrape's included */
    size_t streams;                 /* SSE streams held */
    size_t sockets;                 /* WebSocket subscribers held */
    size_t polls;                   /* long-polls waiting for events */
};

struct buf;
/* Appends m as the worker's families (switchboard_event_*, switchboard_events_*) in the
 * text format 0.0.4; b->failed tells of a failed allocation. */
void events_metrics_text(struct buf *b, const struct ev_metrics *m);
/* GET|HEAD /metrics (api.c routes it): the text, for the pool's /metrics to append. */
void events_metrics_reply(struct ev *ev, struct http_conn *c, const struct http_request *req);

/* ---- api.c ------------------------------------------------------------------------ */

void api_route(struct http_conn *c, const struct http_request *req, void *data);
/* Common CORS header lines for answers made outside a request (http.c rejects). */
extern const char api_fallback_headers[];

#endif
