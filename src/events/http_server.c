/*
 * The listening socket of the event worker's HTTP server (http.h for the contract):
 * accepting in batches, pausing on unexpected errors, and shedding clients with a 503
 * when the process runs out of file descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "http_internal.h"

/* Connections accepted per wakeup: the listener is level-triggered, so the rest are
 * taken next iteration, after the other clients had their turn. */
#define ACCEPT_BATCH 1024
/* Accept errors other than running out of fds (ENOBUFS, ENOMEM): retry after this. */
#define ACCEPT_PAUSE_MS 100

/* ---- accepting ------------------------------------------------------------------ */

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
    http_close_fd(srv->spare_fd, "spare fd");
    srv->spare_fd = -1;
    int rc = 0;
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
        /* Best effort: a fresh socket's buffer takes this; if not, the close says it. */
        if (writev(fd, iov, 3) < 0)
            log_debug("events: write 503 to shed client: %s", strerror(errno));
        http_close_fd(fd, "shed client");
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
            http_close_fd(cfd, "connection");
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
        http_close_fd(srv->spare_fd, "spare fd");
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
    http_close_fd(srv->listen_fd, "listening socket");
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
        http_close_fd(srv->spare_fd, "spare fd");
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
