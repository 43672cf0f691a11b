/*
 * Lingering close, as nginx does it (ngx_http_set_lingering_close): a connection we end
 * while its peer is still sending (a WebSocket client's oversized message, closed with
 * 1009) is not close()d at once. Its write side is shut, so the peer reads everything we
 * wrote and then our FIN, and what it still sends is read and dropped until it closes too,
 * LINGER_MS pass, or LINGER_MAX_BYTES were dropped. Closing at once would make its next
 * write fail (EPIPE on nginx's unix socket, a reset on TCP), and nginx then drops the
 * connection without forwarding the close frame it had read from us.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_internal.h"
#include "log.h"
#include "loop.h"

#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1024 * 1024)

struct lingering {
    struct loop *loop;
    int fd;
    size_t dropped;
    struct loop_timer timer;
    struct loop_defer done; /* freed after the batch: the timer or the fd may fire in it */
};

static void linger_free(struct loop *loop, void *data)
{
    (void)loop;
    free(data);
}

static void linger_end(struct lingering *l)
{
    if (l->fd < 0)
        return;
    loop_timer_stop(l->loop, &l->timer);
    loop_fd_del(l->loop, l->fd);
    http_close_fd(l->fd, "lingering connection");
    l->fd = -1;
    loop_defer(l->loop, &l->done);
}

static void linger_timeout(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    linger_end(data);
}

static void linger_read(struct loop *loop, int fd, int mask, void *data)
{
    (void)loop;
    (void)mask;
    struct lingering *l = data;
    char sink[16384];
    for (;;) {
        ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n > 0 && (l->dropped += (size_t)n) < LINGER_MAX_BYTES)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        linger_end(l); /* the peer closed, failed, or sent more than we wait for */
        return;
    }
}

void linger_close(struct loop *loop, int fd)
{
    struct lingering *l = NULL;
    if (shutdown(fd, SHUT_WR) != 0)
        goto now;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        goto now;
    *l = (struct lingering){.loop = loop, .fd = fd};
    loop_timer_init(&l->timer, linger_timeout, l);
    loop_defer_init(&l->done, linger_free, l);
    if (loop_fd_add(loop, fd, LOOP_READ, linger_read, l) != 0)
        goto now;
    if (loop_timer_start(loop, &l->timer, LINGER_MS) != 0) {
        loop_fd_del(loop, fd);
        goto now;
    }
    return;
now:
    free(l);
    http_close_fd(fd, "connection");
}
