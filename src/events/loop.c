/*
 * The event loop (see loop.h). One iteration: wait for I/O (no longer than the next
 * timer, not at all when deferred callbacks are queued), dispatch the I/O events, run
 * the timers that are due, run the deferred callbacks queued so far.
 */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Events taken per epoll_wait; more simply wait for the next iteration. */
#define LOOP_BATCH 512

struct loop_fd {
    void (*fn)(struct loop *loop, int fd, int mask, void *data);
    void *data;
    uint32_t gen; /* 0: slot unused */
    int mask;
};

struct loop {
    int epfd;
    int stop;
    long long now;
    uint32_t gen; /* last generation handed out */
    struct loop_fd *fds;
    size_t nfds;
    struct loop_timer **heap;
    size_t heap_len, heap_cap;
    struct loop_defer *defer_head, *defer_tail;
    struct epoll_event events[LOOP_BATCH];
};

static long long clock_ms(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer; be safe anyway. */
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_create(int size_hint)
{
    struct loop *loop = calloc(1, sizeof(*loop));
    if (loop == NULL)
        return NULL;
    loop->epfd = -1;
    loop->nfds = size_hint > 64 ? (size_t)size_hint : 64;
    loop->fds = calloc(loop->nfds, sizeof(*loop->fds));
    if (loop->fds == NULL)
        goto fail;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0)
        goto fail;
    loop->now = clock_ms();
    return loop;
fail:
    loop_destroy(loop);
    return NULL;
}

void loop_destroy(struct loop *loop)
{
    if (loop == NULL)
        return;
    /* Failure would only mean EINTR/EIO, and the fd is released anyway. */
    if (loop->epfd >= 0 && close(loop->epfd) != 0)
        log_debug("events: close epoll fd: %s", strerror(errno));
    free(loop->fds);
    free(loop->heap);
    free(loop);
}

void loop_stop(struct loop *loop)
{
    loop->stop = 1;
}

long long loop_now(const struct loop *loop)
{
    return loop->now;
}

/* ---- file descriptors ---------------------------------------------------------- */

static uint32_t epoll_bits(int mask)
{
    return ((mask & LOOP_READ) ? EPOLLIN : 0) | ((mask & LOOP_WRITE) ? EPOLLOUT : 0);
}

static int fds_grow(struct loop *loop, int fd)
{
    size_t n = loop->nfds;
    while (n <= (size_t)fd)
        n *= 2;
    struct loop_fd *fds = realloc(loop->fds, n * sizeof(*fds));
    if (fds == NULL)
        return -1;
    memset(fds + loop->nfds, 0, (n - loop->nfds) * sizeof(*fds));
    loop->fds = fds;
    loop->nfds = n;
    return 0;
}

int loop_fd_add(struct loop *loop, int fd, int mask,
                void (*fn)(struct loop *loop, int fd, int mask, void *data), void *data)
{
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if ((size_t)fd >= loop->nfds && fds_grow(loop, fd) != 0) {
        errno = ENOMEM;
        return -1;
    }
    struct loop_fd *f = &loop->fds[fd];
    if (f->gen != 0) {
        errno = EEXIST;
        return -1;
    }
    /* Generation 0 means "unused"; skip it when the counter wraps. */
    if (++loop->gen == 0)
        loop->gen = 1;
    struct epoll_event ev = {.events = epoll_bits(mask),
                             .data.u64 = ((uint64_t)loop->gen << 32) | (uint32_t)fd};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return -1;
    f->fn = fn;
    f->data = data;
    f->gen = loop->gen;
    f->mask = mask;
    return 0;
}

int loop_fd_mask(struct loop *loop, int fd, int mask)
{
    if (fd < 0 || (size_t)fd >= loop->nfds || loop->fds[fd].gen == 0) {
        errno = EBADF;
        return -1;
    }
    struct loop_fd *f = &loop->fds[fd];
    if (f->mask == mask)
        return 0;
    struct epoll_event ev = {.events = epoll_bits(mask),
                             .data.u64 = ((uint64_t)f->gen << 32) | (uint32_t)fd};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
        return -1;
    f->mask = mask;
    return 0;
}

void loop_fd_del(struct loop *loop, int fd)
{
    if (fd < 0 || (size_t)fd >= loop->nfds || loop->fds[fd].gen == 0)
        return;
    /* Cannot fail for a registered fd; if it somehow does, close() removes it anyway. */
    if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) != 0)
        log_warn("events: epoll_ctl(DEL, %d): %s", fd, strerror(errno));
    memset(&loop->fds[fd], 0, sizeof(loop->fds[fd]));
}

/* ---- timers: binary min-heap, t->index is the 1-based slot ---------------------- */

static void heap_set(struct loop *loop, size_t i, struct loop_timer *t)
{
    loop->heap[i] = t;
    t->index = i + 1;
}

static void heap_up(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (loop->heap[parent]->deadline <= t->deadline)
            break;
        heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_set(loop, i, t);
}

static void heap_down(struct loop *loop, size_t i)
{
    struct loop_timer *t = loop->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= loop->heap_len)
            break;
        if (c + 1 < loop->heap_len && loop->heap[c + 1]->deadline < loop->heap[c]->deadline)
            c++;
        if (t->deadline <= loop->heap[c]->deadline)
            break;
        heap_set(loop, i, loop->heap[c]);
        i = c;
    }
    heap_set(loop, i, t);
}

void loop_timer_init(struct loop_timer *t,
                     void (*fn)(struct loop *loop, struct loop_timer *timer, void *data),
                     void *data)
{
    memset(t, 0, sizeof(*t));
    t->fn = fn;
    t->data = data;
}

int loop_timer_active(const struct loop_timer *t)
{
    return t->index != 0;
}

int loop_timer_start(struct loop *loop, struct loop_timer *t, long long ms)
{
    if (ms < 1)
        ms = 1;
    long long old = t->deadline;
    /* From the real time, not loop->now: a callback may have run long (a database call
     * that timed out) since the iteration began, and a timer started then must not be due
     * before the ones that waited meanwhile. */
    t->deadline = clock_ms() + ms;
    if (t->index != 0) {
        /* Already queued: move it, no allocation needed. */
        size_t i = t->index - 1;
        if (t->deadline < old)
            heap_up(loop, i);
        else
            heap_down(loop, i);
        return 0;
    }
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 256;
        struct loop_timer **h = realloc(loop->heap, cap * sizeof(*h));
        if (h == NULL)
            return -1;
        loop->heap = h;
        loop->heap_cap = cap;
    }
    loop->heap[loop->heap_len++] = t;
    heap_up(loop, loop->heap_len - 1);
    return 0;
}

void loop_timer_stop(struct loop *loop, struct loop_timer *t)
{
    if (t->index == 0)
        return;
    size_t i = t->index - 1;
    t->index = 0;
    struct loop_timer *last = loop->heap[--loop->heap_len];
    if (i == loop->heap_len)
        return;
    heap_set(loop, i, last);
    if (i > 0 && loop->heap[(i - 1) / 2]->deadline > last->deadline)
        heap_up(loop, i);
    else
        heap_down(loop, i);
}

static void run_timers(struct loop *loop)
{
    /* loop->now stays fixed here and a (re)started timer is due at now + 1 or later,
     * so this ends even when callbacks restart their timers. */
    while (loop->heap_len > 0 && loop->heap[0]->deadline <= loop->now) {
        struct loop_timer *t = loop->heap[0];
        loop_timer_stop(loop, t);
        t->fn(loop, t, t->data);
    }
}

/* ---- deferred callbacks: doubly-linked FIFO ------------------------------------- */

void loop_defer_init(struct loop_defer *d, void (*fn)(struct loop *loop, void *data), void *data)
{
    memset(d, 0, sizeof(*d));
    d->fn = fn;
    d->data = data;
}

void loop_defer(struct loop *loop, struct loop_defer *d)
{
    if (d->queued)
        return;
    d->queued = 1;
    d->next = NULL;
    d->prev = loop->defer_tail;
    if (loop->defer_tail != NULL)
        loop->defer_tail->next = d;
    else
        loop->defer_head = d;
    loop->defer_tail = d;
}

void loop_defer_cancel(struct loop *loop, struct loop_defer *d)
{
    if (!d->queued)
        return;
    if (d->prev != NULL)
        d->prev->next = d->next;
    else
        loop->defer_head = d->next;
    if (d->next != NULL)
        d->next->prev = d->prev;
    else
        loop->defer_tail = d->prev;
    d->prev = d->next = NULL;
    d->queued = 0;
}

static void run_deferred(struct loop *loop)
{
    /* Only what is queued now: a callback that queues more runs them next iteration
     * (with a zero wait), so a callback re-queuing itself cannot starve I/O. */
    struct loop_defer *last = loop->defer_tail;
    while (loop->defer_head != NULL) {
        struct loop_defer *d = loop->defer_head;
        int was_last = d == last; /* decided before fn, which may free d */
        loop_defer_cancel(loop, d);
        d->fn(loop, d->data);
        if (was_last)
            break;
    }
}

/* ---- the loop ------------------------------------------------------------------- */

static int wait_ms(struct loop *loop)
{
    if (loop->defer_head != NULL)
        return 0;
    if (loop->heap_len == 0)
        return -1;
    long long d = loop->heap[0]->deadline - loop->now;
    if (d < 0)
        return 0;
    return d > INT_MAX ? INT_MAX : (int)d;
}

static void dispatch(struct loop *loop, const struct epoll_event *ev)
{
    int fd = (int)(uint32_t)ev->data.u64;
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
    /* Unregistered (or re-registered) since epoll reported it: stale, drop it. */
    if ((size_t)fd >= loop->nfds || loop->fds[fd].gen != gen)
        return;
    int mask = ((ev->events & EPOLLIN) ? LOOP_READ : 0) | ((ev->events & EPOLLOUT) ? LOOP_WRITE : 0) |
               ((ev->events & (EPOLLERR | EPOLLHUP)) ? LOOP_HANGUP : 0);
    struct loop_fd *f = &loop->fds[fd];
    f->fn(loop, fd, mask, f->data);
}

int loop_run(struct loop *loop)
{
    loop->stop = 0;
    while (!loop->stop) {
        loop->now = clock_ms();
        int n = epoll_wait(loop->epfd, loop->events, LOOP_BATCH, wait_ms(loop));
        if (n < 0 && errno != EINTR) {
            log_error("events: epoll_wait: %s", strerror(errno));
            return -1;
        }
        loop->now = clock_ms();
        for (int i = 0; i < n; i++)
            dispatch(loop, &loop->events[i]);
        run_timers(loop);
        run_deferred(loop);
    }
    return 0;
}
