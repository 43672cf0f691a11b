#ifndef SB_EVENTS_HTTP_INTERNAL_H
#define SB_EVENTS_HTTP_INTERNAL_H
/*
 * The inside of the event worker's HTTP server, shared by its four files and private to
 * them (everyone else uses http.h):
 *
 *   http.c         a connection's life: closing, output and flow control, answers, reading
 *   http_head.c    the request head parser, no I/O: request line, headers, what is refused
 *   http_parse.c   a connection's requests: heads through the parser, refusals, the handler
 *   http_server.c  the listening socket: accepting, shedding clients when out of fds
 */
#include <stddef.h>

#include "http.h"
#include "loop.h"

enum {
    C_DEAD = 1 << 0,        /* closed; freed at the end of the batch */
    C_EOF = 1 << 1,         /* the peer will send nothing more */
    C_CLOSE_AFTER = 1 << 2, /* close once the output is written */
    C_REPLY_DUE = 1 << 3,   /* a request is being served: handler running or deferred */
    C_DEFERRED = 1 << 4,    /* ... and the handler asked to answer later */
    C_STREAM = 1 << 5,      /* an open-ended answer is in progress */
    C_KEEPALIVE = 1 << 6,   /* current request: keep the connection after the answer */
    C_HEAD = 1 << 7,        /* current request is HEAD: no body */
    C_HTTP10 = 1 << 8,      /* current request is HTTP/1.0: say keep-alive explicitly */
    C_UPGRADED = 1 << 9,    /* answered 101: input is another protocol's (on_data) */
};

struct http_conn {
    struct http_server *srv;
    struct http_conn *prev, *next; /* srv->conns, closed ones too until freed */
    int fd;
    unsigned flags;
    unsigned long long id;
    char *in; /* HTTP_HEADER_MAX bytes while a request is partly read, else NULL */
    size_t in_len;
    size_t scan; /* in[0..scan) holds no end of headers */
    char *out;   /* queued output, out[out_off..out_len) */
    size_t out_off, out_len, out_cap;
    struct loop_timer idle;
    struct loop_defer kick; /* parse pipelined input later, or free after close */
    void *user;
    void (*on_close)(struct http_conn *c, void *user);
    void (*on_drain)(struct http_conn *c, void *user);
    void (*on_data)(struct http_conn *c, void *user, const char *p, size_t n);
    char request_id[HTTP_REQUEST_ID_MAX + 1];
};

struct http_server {
    struct loop *loop;
    int listen_fd;
    int spare_fd; /* held so that one fd can be freed to shed a client on EMFILE */
    void (*handler)(struct http_conn *c, const struct http_request *req, void *data);
    void *data;
    struct http_conn *conns;
    size_t nconns; /* open ones */
    unsigned long long next_id;
    int shedding;         /* out of fds: new clients get 503 and are closed */
    unsigned long shed;   /* how many in this episode */
    int paused;           /* accepting paused after an unexpected accept error */
    struct loop_timer resume;
    const char *extra_headers; /* on answers made here (rejects, 500, 503) */
};

/* Bytes queued in user space, not yet taken by the kernel. */
static inline size_t out_pending(const struct http_conn *c)
{
    return c->out_len - c->out_off;
}

/* ---- http.c ------------------------------------------------------------------------ */

/* close() of a socket fails only with EINTR/EIO and the fd is released either way
 * (Linux), so a failure is worth a debug line, never a retry. */
void http_close_fd(int fd, const char *what);
/* Ends fd (no longer registered with the loop) by a lingering close (linger.c): the write
 * side shut now, the fd closed once the peer has stopped sending (or after a bound). */
void linger_close(struct loop *loop, int fd);
/* Sets up an accepted socket (non-blocking) as a connection of srv. 0, or -1 (fd open). */
int conn_new(struct http_server *srv, int fd);
/* Closes now (why goes to the debug log); on_close runs; the memory goes after the batch.
 * Idempotent. */
void conn_close(struct http_conn *c, const char *why);
/* Unlinks and frees a connection (after conn_close, or at server destruction). */
void conn_free(struct http_conn *c);
/* Polls for reading while the input buffer has room, for writing while output is queued. */
void conn_update_mask(struct http_conn *c);

/* An upgraded connection: hands what the input buffer holds to on_data and frees it. */
void conn_upgraded_input(struct http_conn *c);

/* ---- http_head.c ------------------------------------------------------------------- */

/* A parsed request head. Not to be copied: req.request_id points at request_id. */
struct http_head {
    struct http_request req; /* its strings point into the parsed buffer */
    int keepalive;           /* keep the connection after the answer */
    int head;                /* HEAD: no body in the answer */
    char request_id[HTTP_REQUEST_ID_MAX + 1]; /* X-Request-Id if sane, else "-" */
};

/* Where a head in in[0..len) ends, just past its empty line, looking from `from` on (in[0..
 * from) was scanned before and holds no end); 0 when it has not all arrived. */
size_t http_head_end(const char *in, size_t len, size_t from);
/* Parses the head in[0..end) (end from http_head_end) in place: it is cut into strings.
 * 0, or the status the request is refused with: 400, 413 (a body: never read here), 431
 * (too many header lines), 505. request_id is set either way. */
int http_head_parse(char *in, size_t end, struct http_head *h);

/* ---- http_parse.c ------------------------------------------------------------------ */

/* Parses and handles buffered requests while the connection is free to answer. */
void conn_process(struct http_conn *c);

#endif
