/*
 * Connections of the event worker's HTTP server (see http.h for the contract): their
 * life, output, answers and reading. The parser is http_parse.c, accepting
 * http_server.c (http_internal.h).
 *
 * Flow control: the socket is polled for reading while the input buffer has room and
 * for writing while output is queued; requests are parsed only when the previous
 * answer is fully handed to the kernel, so pipelined requests wait in the (capped)
 * input buffer and a client that does not read stalls itself, not us.
 */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "http_internal.h"
#include "httputil.h"

void http_close_fd(int fd, const char *what)
{
    if (close(fd) != 0)
        log_debug("events: close %s: %s", what, strerror(errno));
}

/* ---- closing -------------------------------------------------------------------- */

void conn_close(struct http_conn *c, const char *why)
{
    if (c->flags & C_DEAD)
        return;
    struct http_server *srv = c->srv;
    c->flags |= C_DEAD;
    log_debug("events: conn %llu closed: %s", c->id, why);
    loop_timer_stop(srv->loop, &c->idle);
    loop_fd_del(srv->loop, c->fd);
    linger_close(srv->loop, c->fd);
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

void conn_free(struct http_conn *c)
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

void conn_update_mask(struct http_conn *c)
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
                     status, http_status_text(status), ctype, len,
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
                     status, http_status_text(status), content_type, extra_headers ? extra_headers : "");
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

int http_upgrade(struct http_conn *c, const char *extra_headers,
                 void (*on_data)(struct http_conn *c, void *user, const char *p, size_t n))
{
    if (answer_due(c, "http_upgrade") != 0)
        return -1;
    char head[1024];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 101 Switching Protocols\r\n%s\r\n",
                     extra_headers ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof(head)) {
        conn_close(c, "upgrade headers too long");
        return -1;
    }
    c->flags |= C_STREAM | C_UPGRADED;
    c->on_data = on_data;
    return conn_send(c, head, (size_t)n, NULL, 0);
}

void conn_upgraded_input(struct http_conn *c)
{
    if (c->in_len > 0 && c->on_data != NULL && !(c->flags & C_DEAD))
        c->on_data(c, c->user, c->in, c->in_len);
    if (c->flags & C_DEAD)
        return;
    free(c->in);
    c->in = NULL;
    c->in_len = c->scan = 0;
    conn_update_mask(c);
}

/* An upgraded connection's input: straight to its owner, no buffer kept. */
static void conn_read_upgraded(struct http_conn *c)
{
    char buf[4096];
    ssize_t n;
    do
        n = read(c->fd, buf, sizeof(buf));
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        conn_close(c, n == 0 ? "peer closed" : strerror(errno));
        return;
    }
    if (c->on_data != NULL)
        c->on_data(c, c->user, buf, (size_t)n);
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
    if ((mask & LOOP_READ) && !(c->flags & C_DEAD)) {
        if (c->flags & C_UPGRADED)
            conn_read_upgraded(c);
        else
            conn_read(c);
    }
}

/* ---- a new connection ---------------------------------------------------------- */

int conn_new(struct http_server *srv, int fd)
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
