#ifndef SB_REQUEST_H
#define SB_REQUEST_H
/*
 * The request context. Only src/core/request.c speaks FastCGI/HTTP; handlers read
 * inputs through these accessors and answer with request_reply()/request_error().
 * Every string here lives in the request arena and is valid until the request ends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "httputil.h"
#include "reply.h"
#include "router.h"

struct arena;
struct config;
struct request;
struct db;
struct cache;

struct auth_identity {
    bool authenticated;
    const char *user_id;
    const char *tenant_id;
    const char *role;
    unsigned role_bit;
    const char *session_id;
};

/* The route's cached list: its generation as the request's multi-get found it (cached.h). */
struct request_cached {
    bool fetched;
    bool gen_ok; /* gen is the namespace's current generation */
    uint64_t gen;
    const char *key; /* the list's key (stamped.h) */
};

/* Work to do once the request's transaction committed (txn.h). */
typedef void (*txn_hook)(struct request *r, const char *arg);
#define REQUEST_MAX_HOOKS 8
struct txn_hook_entry {
    txn_hook fn;
    const char *arg;
};

struct request {
    struct arena *arena;
    const struct config *cfg;
    struct db *db;
    struct cache *cache;

    const char *method;
    const char *path;        /* decoded, `/api/v1/` already folded to `/api/` */
    const char *original_path; /* decoded, as the client sent it (before the folding) */
    const char *query;       /* raw query string */
    const char *request_uri; /* raw path and query as the client sent them */
    const char *request_id;
    const char *remote_addr;
    const char *content_type;
    const char *authorization;
    const char *user_agent;
    const char *body;
    size_t body_len;
    bool body_too_large;
    /* The body as a file nginx wrote (a recording upload's location, nginx.conf.in), NULL
     * otherwise; body is then NULL. The file is nginx's: read or link it, never unlink. */
    const char *body_file;

    struct route_match match;
    struct auth_identity auth;
    struct request_cached cached;

    struct query_pair *query_pairs;
    size_t nquery;
    bool query_parsed;

    unsigned families;  /* who reads the answer (reply.h): set by the dispatcher */
    struct reply reply; /* what the handler answered (reply.h) */
    struct json_object *field_errors;
    char allow[96];
    long retry_after; /* > 0: a Retry-After header, in seconds */
    bool replayed;    /* the answer is a stored one (Idempotency-Key) */
    bool key_claimed; /* its Idempotency-Key was looked at (txn.c) */

    struct txn_hook_entry hooks[REQUEST_MAX_HOOKS];
    size_t nhooks;

    void *transport; /* the transport's own (FCGX_Request *: src/pool/fcgi.c) */
    const char *(*header)(struct request *r, const char *name); /* the transport's */
    /* A streamed answer (request_stream_begin): the transport's, NULL when it has none. */
    int (*stream_open)(struct request *r, const char *content_type, const char *filename);
    int (*stream_put)(struct request *r, const char *data, size_t len);
    bool streamed; /* the status and headers went out: nothing else is answered */
};

/* Path parameter by name, NULL when absent. */
const char *request_param(struct request *r, const char *name);
/* Decoded query parameter (`+` is a space), NULL when absent; first one wins. */
const char *request_query(struct request *r, const char *name);

/* A request header by its HTTP name ("X-Twilio-Signature"), NULL when absent. */
const char *request_header(struct request *r, const char *name);
/*
 * Parses an application/x-www-form-urlencoded body into decoded pairs (arena-owned),
 * in body order. 0, or -1 when out of memory.
 */
int request_form(struct request *r, struct query_pair **pairs, size_t *n);

/*
 * Parses the body as a JSON object. On failure answers 400 invalid_json and returns
 * -1; the handler returns at once. The object belongs to the arena.
 */
int request_body_object(struct request *r, struct json_object **out);

/*
 * The answer of a fetch-one-record helper: fetch_rc < 0 is a db_rc (503/409/500), 1 means
 * absent (404 with `not_found`), DB_OK answers obj under key (reply_one). obj must be
 * arena-owned (arena_json). Returns 0 or -1 like request_error.
 */
int request_reply_found(struct request *r, int status, int fetch_rc, const char *key,
                        struct json_object *obj, const char *not_found);
/*
 * An answer written while it is made (a CSV export), not built in memory first: the
 * status (r->reply.status is set to it) and headers go out now, without Content-Length,
 * and the body follows in request_stream_write() pieces as the handler produces them.
 * filename (may be NULL) becomes a Content-Disposition attachment. Once begun, the answer
 * cannot change: check everything that could fail with an error before. 0, or -1 when the
 * transport cannot stream (nothing was sent: answer as usual).
 */
int request_stream_begin(struct request *r, int status, const char *content_type,
                         const char *filename);
/* A piece of the streamed body. 0, or -1 when the client went away (stop producing). */
int request_stream_write(struct request *r, const char *data, size_t len);

/* Answers an error (the 422 `fields` included); returns -1 so handlers can
 * `return request_error(…)`. */
int request_error(struct request *r, int status, const char *code, const char *message);
/* 500 "Out of memory": every allocation failure answers the same. Returns -1. */
int request_oom(struct request *r);
/* The answer as its dialect renders it (reply.h). 0, or -1 when out of memory. */
int request_render(struct request *r, struct rendered *out);
/* True once something was answered. */
bool request_answered(const struct request *r);
/* Forgets the answer (a transaction that is tried again). */
void request_unanswer(struct request *r);
/* Maps a negative db_* result to 503/409/500. Returns -1. */
int request_db_error(struct request *r, int db_rc);

/* Records a 422 reason for a field; the first reason per field is kept. */
void request_field_error(struct request *r, const char *field, const char *reason);
/* If any field error was recorded, answers 422 with `fields` and returns -1; else 0. */
int request_check_fields(struct request *r);


#endif
