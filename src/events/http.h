#ifndef SB_EVENTS_HTTP_H
#define SB_EVENTS_HTTP_H
/*
 * Minimal, strict HTTP/1.1 server side for the event worker, on top of loop.h.
 * nginx is the only intended client (proxy_pass over a unix socket), so bodies are
 * refused, and every limit is a hard cap that costs a misbehaving client its
 * connection rather than costing us memory.
 *
 * A connection's life: accepted -> request parsed -> handler called once per request.
 * The handler must, before returning, do exactly one of:
 *   http_reply() / http_reply_error()   a complete answer (keep-alive is honoured);
 *   http_stream_begin()                 an open-ended answer (SSE): later data goes
 *                                       through http_conn_write(), the connection
 *                                       ends with http_stream_end()/http_conn_close();
 *   http_defer()                        answer later (long-poll) with http_reply*().
 * If it does none of them the client gets a 500.
 *
 * Memory per idle connection is the struct alone (about 250 bytes): the 8 KiB input
 * buffer exists only while a request is partly read, the output buffer only while the
 * kernel's socket buffer is full.
 *
 * Lifetime: a struct http_conn stays valid until the end of the loop batch in which it
 * was closed, so code iterating its own lists (broadcast) may keep using a pointer that
 * http_conn_write() just dropped; all calls on a closed connection fail harmlessly.
 * The on_close hook (http_conn_set_user) is where owners unlink it; after the batch
 * the memory is gone.
 */
#include <stddef.h>

struct loop;
struct http_server;
struct http_conn;

#define HTTP_HEADER_MAX 8192            /* request line + headers, else 431 */
#define HTTP_MAX_HEADERS 64             /* header lines, else 431 */
#define HTTP_OUT_MAX (64 * 1024)        /* queued output beyond the kernel's, else dropped */
#define HTTP_IDLE_MS 60000              /* no complete request for this long: closed */
#define HTTP_REQUEST_ID_MAX 64

struct http_header {
    const char *name; /* as sent; compare case-insensitively */
    const char *value; /* surrounding whitespace removed */
};

/* Valid only during the handler call: the strings point into the input buffer. */
struct http_request {
    const char *method;     /* a token, e.g. "GET" */
    const char *target;     /* as sent: "/api/events/health?x=1" */
    const char *path;       /* target up to '?' (not NUL-terminated there!) */
    size_t path_len;
    const char *query;      /* after '?', NUL-terminated, or NULL */
    const char *request_id; /* X-Request-Id if sane, else "-" */
    int minor;              /* HTTP/1.<minor>: 0 or 1 */
    size_t nheaders;
    struct http_header headers[HTTP_MAX_HEADERS];
};

/* Takes ownership of listen_fd (non-blocking, listening). NULL on failure, fd open. */
struct http_server *http_server_create(struct loop *loop, int listen_fd,
                                       void (*handler)(struct http_conn *c,
                                                       const struct http_request *req,
                                                       void *data),
                                       void *data);
/* Header lines (each ending in "\r\n", static storage) added to the answers http.c makes
 * on its own: malformed requests, a handler that gave no answer, 503 when out of fds. */
void http_server_set_extra_headers(struct http_server *srv, const char *lines);
/* Stops accepting and closes the listening socket (shutdown, first step). */
void http_server_stop_listening(struct http_server *srv);
/* Closes every connection (their on_close hooks run). */
void http_server_close_all(struct http_server *srv);
/* Closes and frees everything, the listening socket included. NULL is fine. */
void http_server_destroy(struct http_server *srv);
/* Open connections, in whatever state. */
size_t http_server_connections(const struct http_server *srv);
struct loop *http_server_loop(const struct http_server *srv);

/* Case-insensitive lookup; the first match or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);
/* 1 when req->path is exactly path. */
int http_request_path_is(const struct http_request *req, const char *path);

/*
 * Complete answers. content_type may be NULL (no body, e.g. OPTIONS). extra_headers is
 * NULL or whole lines each ending in "\r\n". Adds Content-Length, Cache-Control:
 * no-store and Connection as needed; HEAD gets no body. 0, or -1 when the connection
 * is (now) closed.
 */
int http_reply(struct http_conn *c, int status, const char *content_type,
               const char *extra_headers, const char *body, size_t len);
/* {"success":false,"error":message,"code":code,"request_id":…} */
int http_reply_error(struct http_conn *c, int status, const char *code, const char *message,
                     const char *extra_headers);
/* The handler answers later. The idle timer is off meanwhile: the caller owns the
 * timeout. If the client goes away first, the on_close hook tells. */
void http_defer(struct http_conn *c);

/* Streaming: headers without Content-Length, "Cache-Control: no-cache", "Connection:
 * close" (the stream is close-delimited, which nginx relays unbuffered). No idle timer:
 * send heartbeats. */
int http_stream_begin(struct http_conn *c, int status, const char *content_type,
                      const char *extra_headers);
/*
 * WebSocket (RFC 6455) and any other upgrade: answers "101 Switching Protocols" with
 * extra_headers (Upgrade, Connection, Sec-WebSocket-Accept: the caller's) and hands the
 * connection over. From then on every byte the peer sends (those that followed the
 * request head included) goes to on_data, with the user pointer of http_conn_set_user;
 * output goes through http_conn_write() under the stream's cap (a slow reader is
 * dropped); the connection ends with http_stream_end() or http_conn_close(). 0, or -1
 * when the connection is (now) closed.
 */
int http_upgrade(struct http_conn *c, const char *extra_headers,
                 void (*on_data)(struct http_conn *c, void *user, const char *p, size_t n));
/* Queues bytes on a stream. Written at once when the socket takes them; otherwise
 * kept, up to HTTP_OUT_MAX, beyond which the client is too slow and is dropped.
 * 0, or -1 when the connection is (now) closed. */
int http_conn_write(struct http_conn *c, const void *buf, size_t len);
/* Closes once the queued output is written. */
void http_stream_end(struct http_conn *c);
/* Streams: on_drain (may be NULL) runs when output that had to be queued in user space
 * has all gone to the kernel, i.e. a slow reader caught up (paced replays wait for it). */
void http_conn_set_drain(struct http_conn *c,
                         void (*on_drain)(struct http_conn *c, void *user));

void http_conn_close(struct http_conn *c);
int http_conn_alive(const struct http_conn *c);
/* Bytes queued in user space, not yet taken by the kernel (slow-client detection). */
size_t http_conn_queued(const struct http_conn *c);
/* The current/last request's id, for logs and deferred answers. */
const char *http_conn_request_id(const struct http_conn *c);
unsigned long long http_conn_id(const struct http_conn *c);
/* One owner pointer per connection; on_close (may be NULL) runs once when it closes,
 * for whatever reason, before the memory goes (see Lifetime above). */
void http_conn_set_user(struct http_conn *c, void *user,
                        void (*on_close)(struct http_conn *c, void *user));
void *http_conn_user(const struct http_conn *c);
struct http_server *http_conn_server(const struct http_conn *c);

#endif
