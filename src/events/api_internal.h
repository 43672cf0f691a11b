#ifndef SB_EVENTS_API_INTERNAL_H
#define SB_EVENTS_API_INTERNAL_H
/*
 * Between api.c (routes, parameters, subscriptions), api_query.c (what a request asks for)
 * and api_auth.c (who is asking). Private to those files. Every answer written here carries
 * `cors`, the CORS header lines.
 */
#include "token.h"

struct ev;
struct tenant;
struct http_conn;
struct http_request;

/* The query parameters the routes know: the first occurrence of each, %-decoded into the
 * request's arena; NULL when absent. */
struct query {
    const char *after, *timeout, *types, *access_token, *ticket;
};

/* The cursor a subscription resumes after, as the client sent it (NULL: none), and the
 * name it came by, for a 422. */
struct resume {
    const char *text;
    const char *field;
};

/* ---- api_query.c: no I/O ---------------------------------------------------------------- */

struct arena;

/* qs (NULL: no query) into q. 0, or -1 when out of memory. */
int api_query_parse(struct arena *a, const char *qs, struct query *q);
/* The cursor of a stream (Last-Event-ID first, then ?after=) or of a long-poll (?after=
 * first); not yet checked (cursor_well_formed). */
void api_resume_pick(const struct http_request *req, const struct query *q, int is_poll,
                     struct resume *cur);

/* Who a subscription belongs to, and how long its credential lasts. */
struct identity {
    char tenant_id[TOKEN_ID_MAX + 1];
    char session_id[TOKEN_ID_MAX + 1];
    char user_id[TOKEN_ID_MAX + 1];
    long long expires_in_ms;
};

/*
 * Authentication of a subscription, first present wins: Authorization: Bearer <jwt>,
 * ?access_token=<jwt>, ?ticket=<ticket> (spent here). 0 with *id filled, or -1 once the
 * refusal (401, or 503/500 from the database) is answered.
 */
int api_authenticate(struct ev *ev, struct http_conn *c, const struct http_request *req,
                     const struct query *q, const char *cors, struct identity *id);

/*
 * Whether /api/events/health may show its counts: 1 for a super_admin's bearer token, 0
 * without an Authorization header, -1 once a bad token (401), another role (403) or the
 * database (503/500) is answered.
 */
int api_health_detail_allowed(struct ev *ev, struct http_conn *c,
                              const struct http_request *req, const char *cors);

/* 429 (answered, -1) when the session or the tenant holds as many streams, polls and
 * sockets as it may; else 0. */
int api_over_cap(struct ev *ev, struct http_conn *c, const char *cors, struct tenant *t,
                 const char *session_id);

/* The WebSocket routes (ws_api.c): path is /ws or under it. */
void ws_api_route(struct ev *ev, struct http_conn *c, const struct http_request *req,
                  const char *cors, const char *path);

/* 503 when the database is unavailable, else 500; counted (ev->counters). */
void api_reply_db_error(struct ev *ev, struct http_conn *c, const char *cors, int rc);

#endif
