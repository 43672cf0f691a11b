/*
 * Connections and HTTP/1.1 for the event worker (see http.h for the contract).
 *
 * Flow control: the socket is polled for reading while the input buffer has room and
 * for writing while output is queued; requests are parsed only when the previous
 * answer is fully handed to the kernel, so pipelined requests wait in the (capped)
 * input buffer and a client that does not read stalls itself, not us.
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

/* Connections accepted per wakeup: the listener is level-triggered, so the rest are
 * taken next iteration, after the other clients had their turn. */
#define ACCEPT_BATCH 1024
/* Accept errors other than running out of fds (ENOBUFS, ENOMEM): retry after this. */
#define ACCEPT_PAUSE_MS 100

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

static void conn_process(struct http_conn *c);
static void conn_update_mask(struct http_conn *c);

/* close() of a socket fails only with EINTR/EIO and the fd is released either way
 * (Linux), so a failure is worth a debug line, never a retry. */
static void close_fd(int fd, const char *what)
{
    if (close(fd) != 0)
        log_debug("events: close %s: %s", what, strerror(errno));
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* ---- closing -------------------------------------------------------------------- */

static void conn_close(struct http_conn *c, const char *why)
{
    if (c->flags & C_DEAD)
        return;
    struct http_server *srv = c->srv;
    c->flags |= C_DEAD;
    log_debug("events: conn %llu closed: %s", c->id, why);
    loop_timer_stop(srv->loop, &c->idle);
    loop_fd_del(srv->loop, c->fd);
    close_fd(c->fd, "connection");
    c->fd = -1;
    srv->nconns--;
    if (c->on_close != NULL) {
        void (*fn)(struct http_conn *, void *) = c->on_close;
        c->on_close = NULL;
        fn(c, c->user);
    }
    /* The buffers and the struct may still be referenced up the stack (the request a
     * handler is reading, a broadcast loop): free them after the batch. */
    loop_defer(srv->loop, &c->kick);
}

static void conn_free(struct http_conn *c)
{
    struct http_server *srv = c->srv;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    loop_defer_cancel(srv->loop, &c->kick);
    free(c->in);
    free(c->out);
    free(c);
}

static void conn_kick(struct loop *loop, void *data)
{
    (void)loop;
    struct http_conn *c = data;
    if (c->flags & C_DEAD)
        conn_free(c);
    else
        conn_process(c);
}

static void conn_idle(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    conn_close(data, "idle timeout");
}

/* ---- output --------------------------------------------------------------------- */

static size_t out_pending(const struct http_conn *c)
{
    return c->out_len - c->out_off;
}

static int out_append(struct http_conn *c, const char *p, size_t n)
{
    size_t pending = out_pending(c);
    if (n > HTTP_OUT_MAX - pending)
        return -1;
    if (c->out_len + n > c->out_cap && c->out_off > 0) {
        /* Reuse the written part before growing. */
        memmove(c->out, c->out + c->out_off, pending);
        c->out_off = 0;
        c->out_len = pending;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        if (cap > HTTP_OUT_MAX)
            cap = HTTP_OUT_MAX;
        char *out = realloc(c->out, cap);
        if (out == NULL)
            return -1;
        c->out = out;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 0;
}

static void out_release(struct http_conn *c)
{
    /* An idle connection keeps no output buffer (thousands of SSE clients). */
    free(c->out);
    c->out = NULL;
    c->out_off = c->out_len = c->out_cap = 0;
}

/*
 * Sends a then b (either may be empty): straight to the socket when nothing is queued,
 * the remainder (or everything) into the output buffer. -1 when the connection is now
 * closed (write error, or over HTTP_OUT_MAX).
 */
static int conn_send(struct http_conn *c, const char *a, size_t alen, const char *b, size_t blen)
{
    if (c->flags & C_DEAD)
        return -1;
    if (out_pending(c) == 0) {
        struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};
        ssize_t w;
        do
            w = writev(c->fd, iov, blen > 0 ? 2 : 1);
        while (w < 0 && errno == EINTR);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_close(c, strerror(errno));
            return -1;
        }
        size_t done = w < 0 ? 0 : (size_t)w;
        size_t from_a = done < alen ? done : alen;
        a += from_a;
        alen -= from_a;
        done -= from_a;
        b += done;
        blen -= done;
    }
    if ((alen > 0 && out_append(c, a, alen) != 0) || (blen > 0 && out_append(c, b, blen) != 0)) {
        log_warn("events: conn %llu dropped: client too slow (over %d bytes queued)", c->id,
                 HTTP_OUT_MAX);
        conn_close(c, "output over the cap");
        return -1;
    }
    if (out_pending(c) == 0) {
        out_release(c);
        if (c->flags & C_CLOSE_AFTER) {
            conn_close(c, "answer sent, closing");
            return 0; /* the answer did go out */
        }
    }
    conn_update_mask(c);
    return 0;
}

/* The socket is writable again. */
static void conn_flush(struct http_conn *c)
{
    while (out_pending(c) > 0) {
        ssize_t w = write(c->fd, c->out + c->out_off, out_pending(c));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w < 0) {
            conn_close(c, strerror(errno));
            return;
        }
        c->out_off += (size_t)w;
    }
    if (out_pending(c) == 0) {
        out_release(c);
        if (c->flags & C_CLOSE_AFTER) {
            conn_close(c, "answer sent, closing");
            return;
        }
        if ((c->flags & C_STREAM) && c->on_drain != NULL) {
            conn_update_mask(c);
            c->on_drain(c, c->user);
            return;
        }
        /* Pipelined requests waited for this answer to go out. */
        conn_process(c);
        return;
    }
    conn_update_mask(c);
}

static void conn_update_mask(struct http_conn *c)
{
    if (c->flags & C_DEAD)
        return;
    int mask = 0;
    /* A full input buffer stops reading (level-triggered epoll would spin otherwise);
     * a hangup is still reported without LOOP_READ. */
    if (!(c->flags & (C_EOF | C_CLOSE_AFTER)) && c->in_len < HTTP_HEADER_MAX)
        mask |= LOOP_READ;
    if (out_pending(c) > 0)
        mask |= LOOP_WRITE;
    if (loop_fd_mask(c->srv->loop, c->fd, mask) != 0)
        conn_close(c, strerror(errno));
}

/* ---- answers -------------------------------------------------------------------- */

static size_t json_escape(char *dst, size_t size, const char *s)
{
    size_t n = 0;
    for (; *s != '\0' && n + 7 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)ch;
        } else if (ch < 0x20) {
            /* Room for the 6 characters was checked by the loop condition. */
            int m = snprintf(dst + n, size - n, "\\u%04x", ch);
            if (m < 0)
                break;
            n += (size_t)m;
        } else {
            dst[n++] = (char)ch;
        }
    }
    dst[n] = '\0';
    return n;
}

/* Common checks for the three ways to answer; 0 when c is waiting for its answer. */
static int answer_due(struct http_conn *c, const char *what)
{
    if (c->flags & C_DEAD)
        return -1;
    if (!(c->flags & C_REPLY_DUE)) {
        log_error("events: conn %llu: %s without a request to answer", c->id, what);
        return -1;
    }
    c->flags &= ~(unsigned)(C_REPLY_DUE | C_DEFERRED);
    return 0;
}

int http_reply(struct http_conn *c, int status, const char *content_type,
               const char *extra_headers, const char *body, size_t len)
{
    if (answer_due(c, "http_reply") != 0)
        return -1;
    int keep = (c->flags & C_KEEPALIVE) && !(c->flags & C_EOF);
    char ctype[128] = "";
    if (content_type != NULL) {
        int m = snprintf(ctype, sizeof(ctype), "Content-Type: %s\r\n", content_type);
        if (m < 0 || (size_t)m >= sizeof(ctype)) {
            log_error("events: conn %llu: content type too long", c->id);
            conn_close(c, "content type too long");
            return -1;
        }
    }
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\n%sContent-Length: %zu\r\nCache-Control: no-store\r\n%s%s\r\n",
                     status, reason(status), ctype, len,
                     !keep ? "Connection: close\r\n"
                           : (c->flags & C_HTTP10) ? "Connection: keep-alive\r\n" : "",
                     extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof(head)) {
        log_error("events: conn %llu: response headers too long", c->id);
        conn_close(c, "response headers too long");
        return -1;
    }
    if (!keep)
        c->flags |= C_CLOSE_AFTER;
    int head_only = (c->flags & C_HEAD) != 0;
    if (conn_send(c, head, (size_t)n, head_only ? NULL : body, head_only ? 0 : len) != 0)
        return -1;
    if (c->flags & C_DEAD)
        return 0;
    /* The next request has HTTP_IDLE_MS to arrive, and a queued answer (keep-alive or
     * not) as long to drain: a client that stops reading is not kept forever. */
    if (loop_timer_start(c->srv->loop, &c->idle, HTTP_IDLE_MS) != 0) {
        conn_close(c, "out of memory");
        return 0;
    }
    /* A pipelined request may be waiting. Not parsed here: we may be deep inside a
     * caller (a deferred answer) that must not see its handler re-entered. */
    if (c->in_len > 0 && !(c->flags & C_CLOSE_AFTER))
        loop_defer(c->srv->loop, &c->kick);
    return 0;
}

int http_reply_error(struct http_conn *c, int status, const char *code, const char *message,
                     const char *extra_headers)
{
    char msg[512], body[800];
    json_escape(msg, sizeof(msg), message);
    int n = snprintf(body, sizeof(body),
                     "{\"success\":false,\"error\":\"%s\",\"code\":\"%s\",\"request_id\":\"%s\"}",
                     msg, code, c->request_id);
    if (n < 0 || (size_t)n >= sizeof(body))
        n = snprintf(body, sizeof(body), "{\"success\":false,\"code\":\"internal_error\"}");
    if (n < 0)
        return -1;
    return http_reply(c, status, "application/json; charset=utf-8", extra_headers, body,
                      (size_t)n);
}

void http_defer(struct http_conn *c)
{
    if ((c->flags & C_DEAD) || !(c->flags & C_REPLY_DUE))
        return;
    c->flags |= C_DEFERRED;
}

int http_stream_begin(struct http_conn *c, int status, const char *content_type,
                      const char *extra_headers)
{
    if (answer_due(c, "http_stream_begin") != 0)
        return -1;
    char head[2048];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nCache-Control: no-cache\r\n"
                     "Connection: close\r\n%s\r\n",
                     status, reason(status), content_type, extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof(head)) {
        log_error("events: conn %llu: stream headers too long", c->id);
        conn_close(c, "stream headers too long");
        return -1;
    }
    c->flags |= C_STREAM;
    /* HEAD: the headers are the whole answer; bound the time to deliver them. */
    if (c->flags & C_HEAD) {
        c->flags |= C_CLOSE_AFTER;
        if (loop_timer_start(c->srv->loop, &c->idle, HTTP_IDLE_MS) != 0) {
            conn_close(c, "out of memory");
            return -1;
        }
    }
    return conn_send(c, head, (size_t)n, NULL, 0);
}

int http_conn_write(struct http_conn *c, const void *buf, size_t len)
{
    if (c->flags & (C_DEAD | C_CLOSE_AFTER))
        return -1;
    if (!(c->flags & C_STREAM)) {
        log_error("events: conn %llu: http_conn_write outside a stream", c->id);
        return -1;
    }
    return conn_send(c, buf, len, NULL, 0);
}

void http_stream_end(struct http_conn *c)
{
    if (c->flags & C_DEAD)
        return;
    if (out_pending(c) == 0) {
        conn_close(c, "stream ended");
        return;
    }
    c->flags |= C_CLOSE_AFTER;
    conn_update_mask(c);
}

void http_conn_set_drain(struct http_conn *c,
                         void (*on_drain)(struct http_conn *c, void *user))
{
    c->on_drain = on_drain;
}

void http_conn_close(struct http_conn *c)
{
    conn_close(c, "closed by the server");
}

int http_conn_alive(const struct http_conn *c)
{
    return !(c->flags & C_DEAD);
}

size_t http_conn_queued(const struct http_conn *c)
{
    return out_pending(c);
}

const char *http_conn_request_id(const struct http_conn *c)
{
    return c->request_id;
}

unsigned long long http_conn_id(const struct http_conn *c)
{
    return c->id;
}

void http_conn_set_user(struct http_conn *c, void *user,
                        void (*on_close)(struct http_conn *c, void *user))
{
    c->user = user;
    c->on_close = (c->flags & C_DEAD) ? NULL : on_close;
}

void *http_conn_user(const struct http_conn *c)
{
    return c->user;
}

struct http_server *http_conn_server(const struct http_conn *c)
{
    return c->srv;
}

/* ---- parsing -------------------------------------------------------------------- */

const char *http_request_header(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

int http_request_path_is(const struct http_request *req, const char *path)
{
    size_t n = strlen(path);
    return req->path_len == n && memcmp(req->path, path, n) == 0;
}

/* RFC 9110 tchar. */
static int is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int is_token(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* Field values: visible ASCII, SP, HTAB and obs-text; no other control characters. */
static int is_field_value(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return 0;
    }
    return 1;
}

static void set_request_id(struct http_conn *c, const char *v)
{
    size_t n = strlen(v);
    int ok = n > 0 && n <= HTTP_REQUEST_ID_MAX;
    /* It goes into JSON answers and log lines verbatim: allow only a plain charset
     * (nginx's $request_id is 32 hex digits). */
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '-' || ch == '_' || ch == '.' || ch == ':';
    }
    if (ok)
        memcpy(c->request_id, v, n + 1);
    else
        memcpy(c->request_id, "-", 2);
}

/* Does a comma-separated Connection value name the option? */
static int has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - p) == n && strncasecmp(p, tok, n) == 0)
            return 1;
        p = e;
    }
    return 0;
}

/* What parsing found besides the request itself. */
struct parse_state {
    int hosts;
    int te;
    int conn_close, conn_keepalive;
    int have_cl;
    unsigned long long cl;
};

/* Answers a request that could not be parsed or is refused as a whole, and closes
 * the connection after it: what follows it in the stream cannot be trusted. */
static void reject(struct http_conn *c, int status, const char *code, const char *message)
{
    log_info("events: conn %llu: %d %s", c->id, status, message);
    c->flags = (c->flags & ~(unsigned)(C_KEEPALIVE | C_HEAD)) | C_REPLY_DUE;
    if (http_reply_error(c, status, code, message, c->srv->extra_headers) != 0)
        conn_close(c, "rejected");
}

/* One header line (NUL-terminated, no CR/LF). 0, or an HTTP status to reject with. */
static int parse_header(struct http_conn *c, char *line, struct http_request *req,
                        struct parse_state *ps)
{
    if (line[0] == ' ' || line[0] == '\t')
        return 400; /* obsolete line folding */
    char *colon = strchr(line, ':');
    if (colon == NULL)
        return 400;
    *colon = '\0';
    if (!is_token(line))
        return 400; /* includes whitespace before the colon */
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    char *e = v + strlen(v);
    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *e = '\0';
    if (!is_field_value(v))
        return 400;
    if (req->nheaders == HTTP_MAX_HEADERS)
        return 431;
    req->headers[req->nheaders].name = line;
    req->headers[req->nheaders].value = v;
    req->nheaders++;

    if (strcasecmp(line, "host") == 0) {
        ps->hosts++;
    } else if (strcasecmp(line, "content-length") == 0) {
        unsigned long long n = 0;
        if (*v == '\0')
            return 400;
        for (const char *p = v; *p; p++) {
            if (*p < '0' || *p > '9')
                return 400;
            /* Saturate: any huge length is refused as 413 anyway. */
            n = n > 1000000000ULL ? n : n * 10 + (unsigned long long)(*p - '0');
        }
        if (ps->have_cl && ps->cl != n)
            return 400; /* conflicting lengths: a smuggling attempt or a broken client */
        ps->have_cl = 1;
        ps->cl = n;
    } else if (strcasecmp(line, "transfer-encoding") == 0) {
        ps->te = 1;
    } else if (strcasecmp(line, "connection") == 0) {
        ps->conn_close |= has_token(v, "close");
        ps->conn_keepalive |= has_token(v, "keep-alive");
    } else if (strcasecmp(line, "x-request-id") == 0) {
        set_request_id(c, v);
    }
    return 0;
}

static int reject_status(struct http_conn *c, int status)
{
    switch (status) {
    case 431:
        reject(c, 431, "headers_too_large", "Request header fields too large");
        break;
    case 505:
        reject(c, 505, "http_version_not_supported", "HTTP version not supported");
        break;
    default:
        reject(c, 400, "bad_request", "Bad request");
        break;
    }
    return -1;
}

/*
 * Parses the head in in[0..end) (end is just past the blank line) and calls the
 * handler. 1 when a request was handled, -1 when it was rejected.
 */
static int handle_request(struct http_conn *c, size_t end)
{
    struct http_request req;
    struct parse_state ps;
    memset(&req, 0, sizeof(req));
    memset(&ps, 0, sizeof(ps));
    memcpy(c->request_id, "-", 2);

    /* Cut the head into NUL-terminated lines. A CR is allowed only before LF. */
    char *lines = c->in;
    for (size_t i = 0; i < end; i++) {
        if (c->in[i] == '\n') {
            c->in[i] = '\0';
            if (i > 0 && c->in[i - 1] == '\r')
                c->in[i - 1] = '\0';
        } else if (c->in[i] == '\r' && (i + 1 >= end || c->in[i + 1] != '\n')) {
            return reject_status(c, 400);
        } else if (c->in[i] == '\0') {
            return reject_status(c, 400);
        }
    }
    /* Request line: method SP request-target SP HTTP-version, single spaces. */
    char *method = lines;
    char *sp1 = strchr(method, ' ');
    char *target = sp1 ? sp1 + 1 : NULL;
    char *sp2 = target ? strchr(target, ' ') : NULL;
    char *version = sp2 ? sp2 + 1 : NULL;
    if (version == NULL || strchr(version, ' ') != NULL)
        return reject_status(c, 400);
    *sp1 = '\0';
    *sp2 = '\0';
    if (!is_token(method) || *target == '\0')
        return reject_status(c, 400);
    for (const char *p = target; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return reject_status(c, 400);
    if (strcmp(version, "HTTP/1.1") == 0)
        req.minor = 1;
    else if (strcmp(version, "HTTP/1.0") == 0)
        req.minor = 0;
    else if (strncmp(version, "HTTP/", 5) == 0 && version[5] >= '0' && version[5] <= '9' &&
             version[6] == '.' && version[7] >= '0' && version[7] <= '9' && version[8] == '\0')
        return reject_status(c, 505);
    else
        return reject_status(c, 400);

    /* Header lines follow until the empty one. */
    char *line = version + strlen(version);
    for (;;) {
        /* Skip the NULs that replaced CR LF. */
        while (line < c->in + end && *line == '\0')
            line++;
        if (line >= c->in + end)
            break;
        /* Before parse_header, which puts more NULs into the line. */
        char *next = line + strlen(line);
        int st = parse_header(c, line, &req, &ps);
        if (st != 0)
            return reject_status(c, st);
        line = next;
    }

    if (ps.hosts > 1 || (req.minor == 1 && ps.hosts == 0))
        return reject_status(c, 400);
    if (ps.te || ps.cl > 0) {
        /* Bodies are never read, so the connection cannot continue after this. */
        reject(c, 413, "payload_too_large", "Request bodies are not accepted here");
        return -1;
    }
    if (target[0] != '/' && !(strcmp(target, "*") == 0 && strcmp(method, "OPTIONS") == 0))
        return reject_status(c, 400);

    req.method = method;
    req.target = target;
    req.path = target;
    char *q = strchr(target, '?');
    req.path_len = q ? (size_t)(q - target) : strlen(target);
    req.query = q ? q + 1 : NULL;
    req.request_id = c->request_id;

    int keep = req.minor == 1 ? !ps.conn_close : (ps.conn_keepalive && !ps.conn_close);
    c->flags &= ~(unsigned)(C_KEEPALIVE | C_HEAD | C_HTTP10);
    c->flags |= C_REPLY_DUE | (keep ? C_KEEPALIVE : 0) | (req.minor == 0 ? C_HTTP10 : 0) |
                (strcmp(method, "HEAD") == 0 ? C_HEAD : 0);
    /* Serving a request is not idling; an answer re-arms the timer. */
    loop_timer_stop(c->srv->loop, &c->idle);

    log_set_request_id(c->request_id);
    log_debug("events: conn %llu: %s %.*s", c->id, method, (int)req.path_len, req.path);
    c->srv->handler(c, &req, c->srv->data);
    if ((c->flags & (C_DEAD | C_REPLY_DUE | C_DEFERRED)) == C_REPLY_DUE) {
        log_error("events: handler gave no answer to %s %.*s", method, (int)req.path_len,
                  req.path);
        if (http_reply_error(c, 500, "internal_error", "The handler produced no answer",
                             c->srv->extra_headers) != 0)
            conn_close(c, "no answer");
    }
    log_set_request_id(NULL);
    return 1;
}

/* Parses and handles buffered requests while the connection is free to answer. */
static void conn_process(struct http_conn *c)
{
    while (c->in_len > 0 && !(c->flags & (C_DEAD | C_CLOSE_AFTER | C_REPLY_DUE | C_STREAM)) &&
           out_pending(c) == 0) {
        /* Empty lines before a request line are allowed (RFC 9112 2.2). */
        size_t skip = 0;
        while (skip < c->in_len && (c->in[skip] == '\n' ||
                                    (c->in[skip] == '\r' && skip + 1 < c->in_len &&
                                     c->in[skip + 1] == '\n')))
            skip += c->in[skip] == '\n' ? 1 : 2;
        if (skip > 0) {
            memmove(c->in, c->in + skip, c->in_len - skip);
            c->in_len -= skip;
            c->scan = 0;
            continue;
        }
        /* The head ends with an empty line: LF (CR) LF. Resume where the last scan
         * stopped so a head trickling in byte by byte costs O(n), not O(n^2). */
        size_t end = 0;
        for (size_t i = c->scan; i < c->in_len; i++) {
            if (c->in[i] != '\n')
                continue;
            if ((i >= 1 && c->in[i - 1] == '\n') ||
                (i >= 2 && c->in[i - 1] == '\r' && c->in[i - 2] == '\n')) {
                end = i + 1;
                break;
            }
        }
        if (end == 0) {
            c->scan = c->in_len;
            if (c->in_len >= HTTP_HEADER_MAX) {
                reject_status(c, 431);
                c->in_len = 0;
            }
            break;
        }
        int handled = handle_request(c, end);
        if (c->flags & C_DEAD)
            break;
        if (handled < 0) {
            /* Rejected: the connection closes after the answer; drop the rest. */
            c->in_len = 0;
            break;
        }
        memmove(c->in, c->in + end, c->in_len - end);
        c->in_len -= end;
        c->scan = 0;
    }
    if (c->flags & C_DEAD)
        return;
    if (c->in_len == 0) {
        free(c->in);
        c->in = NULL;
        c->scan = 0;
    }
    conn_update_mask(c);
}

static void conn_read(struct http_conn *c)
{
    /* Full (the mask change may trail an event of this batch): a zero-length read
     * would look like end of file. */
    if (c->in_len >= HTTP_HEADER_MAX) {
        conn_update_mask(c);
        return;
    }
    if (c->in == NULL) {
        c->in = malloc(HTTP_HEADER_MAX);
        if (c->in == NULL) {
            conn_close(c, "out of memory");
            return;
        }
    }
    ssize_t n;
    do
        n = read(c->fd, c->in + c->in_len, HTTP_HEADER_MAX - c->in_len);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        conn_process(c); /* frees an unused buffer */
        return;
    }
    if (n < 0) {
        conn_close(c, strerror(errno));
        return;
    }
    if (n == 0) {
        c->flags |= C_EOF;
        /* A plain answer still being written is finished; anything else (idle, a
         * stream, a deferred answer, a partial request) has nobody left to serve. */
        if (out_pending(c) > 0 && !(c->flags & (C_STREAM | C_REPLY_DUE))) {
            c->flags |= C_CLOSE_AFTER;
            conn_update_mask(c);
        } else {
            conn_close(c, "peer closed");
        }
        return;
    }
    c->in_len += (size_t)n;
    conn_process(c);
}

static void conn_event(struct loop *loop, int fd, int mask, void *data)
{
    (void)loop;
    (void)fd;
    struct http_conn *c = data;
    if (mask & LOOP_HANGUP) {
        /* EPOLLHUP: both directions are shut, nobody can read an answer. */
        conn_close(c, "hangup");
        return;
    }
    if (mask & LOOP_WRITE)
        conn_flush(c);
    if ((mask & LOOP_READ) && !(c->flags & C_DEAD))
        conn_read(c);
}

/* ---- accepting ------------------------------------------------------------------ */

static int conn_new(struct http_server *srv, int fd)
{
    struct http_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -1;
    c->srv = srv;
    c->fd = fd;
    c->id = ++srv->next_id;
    memcpy(c->request_id, "-", 2);
    loop_timer_init(&c->idle, conn_idle, c);
    loop_defer_init(&c->kick, conn_kick, c);
    if (loop_fd_add(srv->loop, fd, LOOP_READ, conn_event, c) != 0)
        goto fail;
    if (loop_timer_start(srv->loop, &c->idle, HTTP_IDLE_MS) != 0) {
        loop_fd_del(srv->loop, fd);
        goto fail;
    }
    c->next = srv->conns;
    if (srv->conns != NULL)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    return 0;
fail:
    free(c);
    return -1;
}

static int listen_mask(struct http_server *srv, int mask)
{
    if (srv->listen_fd < 0)
        return 0;
    if (loop_fd_mask(srv->loop, srv->listen_fd, mask) != 0) {
        log_error("events: epoll_ctl on the listening socket: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void accept_resume(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    struct http_server *srv = data;
    srv->paused = 0;
    if (listen_mask(srv, LOOP_READ) == 0)
        log_info("events: accepting again");
}

static void accept_pause(struct http_server *srv, const char *why)
{
    if (!srv->paused)
        log_error("events: accept: %s; pausing accept for %d ms", why, ACCEPT_PAUSE_MS);
    srv->paused = 1;
    if (listen_mask(srv, 0) != 0)
        return; /* still polled: the next wakeup retries, which is all a pause buys */
    if (loop_timer_start(srv->loop, &srv->resume, ACCEPT_PAUSE_MS) != 0) {
        log_error("events: cannot schedule accept resumption; accepting at once");
        srv->paused = 0;
        if (listen_mask(srv, LOOP_READ) != 0)
            log_error("events: the listener stays off");
    }
}

/*
 * Out of fds: the pending client would otherwise sit in the backlog (and keep the
 * level-triggered listener firing). Free the spare fd, accept it, answer 503 at once
 * so nginx reports an error instead of waiting, close it, take the spare back.
 * 1 when a client was shed, 0 when none was waiting, -1 when this cannot work.
 */
static int shed_one(struct http_server *srv)
{
    if (srv->spare_fd < 0)
        return -1;
#define SHED_BODY                                                                         \
    "{\"success\":false,\"error\":\"Too many connections\",\"code\":\"service_unavailable\","  \
    "\"request_id\":\"-\"}"
    _Static_assert(sizeof(SHED_BODY) - 1 == 94, "Content-Length below");
    static const char busy_head[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
        "Content-Length: 94\r\nCache-Control: no-store\r\nConnection: close\r\n";
    static const char busy_body[] = "\r\n" SHED_BODY;
    const char *extra = srv->extra_headers ? srv->extra_headers : "";
    struct iovec iov[3] = {{(void *)busy_head, sizeof(busy_head) - 1},
                           {(void *)extra, strlen(extra)},
                           {(void *)busy_body, sizeof(busy_body) - 1}};
    close_fd(srv->spare_fd, "spare fd");
    srv->spare_fd = -1;
    int rc = 0;
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        /* Best effort: a fresh socket's buffer takes this; if not, the close says it. */
        if (writev(fd, iov, 3) < 0)
            log_debug("events: write 503 to shed client: %s", strerror(errno));
        close_fd(fd, "shed client");
        if (!srv->shedding)
            log_warn("events: out of file descriptors (%zu connections); answering 503 to "
                     "new clients until some close",
                     srv->nconns);
        srv->shedding = 1;
        srv->shed++;
        rc = 1;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        rc = -1;
    }
    srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (srv->spare_fd < 0)
        log_error("events: cannot reopen the spare fd: %s", strerror(errno));
    return rc;
}

static void on_accept(struct loop *loop, int fd, int mask, void *data)
{
    (void)loop;
    (void)mask;
    struct http_server *srv = data;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            /* The client gave up before we got to it, or a signal: next one. */
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                int r = shed_one(srv);
                if (r > 0)
                    continue;
                if (r == 0)
                    return;
                accept_pause(srv, "out of file descriptors and no spare");
                return;
            }
            accept_pause(srv, strerror(errno));
            return;
        }
        if (srv->shedding) {
            log_info("events: accepting again; %lu clients were turned away", srv->shed);
            srv->shedding = 0;
            srv->shed = 0;
        }
        if (conn_new(srv, cfd) != 0) {
            log_error("events: cannot set up a connection: %s", strerror(errno));
            close_fd(cfd, "connection");
        }
    }
}

/* ---- server --------------------------------------------------------------------- */

struct http_server *http_server_create(struct loop *loop, int listen_fd,
                                       void (*handler)(struct http_conn *c,
                                                       const struct http_request *req,
                                                       void *data),
                                       void *data)
{
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL)
        return NULL;
    srv->loop = loop;
    srv->listen_fd = -1;
    srv->handler = handler;
    srv->data = data;
    loop_timer_init(&srv->resume, accept_resume, srv);
    srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (srv->spare_fd < 0)
        goto fail;
    if (loop_fd_add(loop, listen_fd, LOOP_READ, on_accept, srv) != 0)
        goto fail;
    srv->listen_fd = listen_fd;
    return srv;
fail:
    log_error("events: cannot set up the server: %s", strerror(errno));
    if (srv->spare_fd >= 0)
        close_fd(srv->spare_fd, "spare fd");
    free(srv);
    return NULL;
}

void http_server_set_extra_headers(struct http_server *srv, const char *lines)
{
    srv->extra_headers = lines;
}

void http_server_stop_listening(struct http_server *srv)
{
    loop_timer_stop(srv->loop, &srv->resume);
    if (srv->listen_fd < 0)
        return;
    loop_fd_del(srv->loop, srv->listen_fd);
    close_fd(srv->listen_fd, "listening socket");
    srv->listen_fd = -1;
}

void http_server_close_all(struct http_server *srv)
{
    for (struct http_conn *c = srv->conns; c != NULL; c = c->next)
        conn_close(c, "shutting down");
}

void http_server_destroy(struct http_server *srv)
{
    if (srv == NULL)
        return;
    http_server_stop_listening(srv);
    http_server_close_all(srv);
    while (srv->conns != NULL)
        conn_free(srv->conns);
    if (srv->spare_fd >= 0)
        close_fd(srv->spare_fd, "spare fd");
    free(srv);
}

size_t http_server_connections(const struct http_server *srv)
{
    return srv->nconns;
}

struct loop *http_server_loop(const struct http_server *srv)
{
    return srv->loop;
}
