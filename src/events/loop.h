#ifndef SB_EVENTS_LOOP_H
#define SB_EVENTS_LOOP_H
/*
 * A small single-threaded event loop in the spirit of redis' ae.c: epoll
 * (level-triggered), callbacks per file descriptor, one-shot timers and deferred
 * callbacks. Nothing in it blocks except epoll_wait().
 *
 *   fd callbacks  O(1) add/modify/remove/dispatch (a table indexed by fd). Each
 *                 registration carries a generation number, so an event that epoll
 *                 reported for an fd which was closed (and possibly reused) earlier
 *                 in the same batch is dropped instead of reaching the new owner.
 *   timers        a binary min-heap of caller-owned struct loop_timer: start/stop
 *                 O(log n), finding the next deadline O(1). Millisecond resolution on
 *                 CLOCK_MONOTONIC. A timer fires once; restart it from its callback
 *                 for a periodic one (heartbeats).
 *   deferred      caller-owned struct loop_defer queued to run once after the current
 *                 batch of events: O(1) queue/cancel. Used to free objects that other
 *                 callbacks of the same batch may still hold (a connection dropped
 *                 during a broadcast) and to avoid re-entrancy.
 *
 * This header includes nothing on purpose: it only needs forward declarations.
 */

struct loop;

/* The mask a fd callback receives. LOOP_HANGUP (EPOLLHUP/EPOLLERR) is reported even
 * when it was not asked for: the peer is gone or the socket failed. */
#define LOOP_READ 1
#define LOOP_WRITE 2
#define LOOP_HANGUP 4

struct loop_timer {
    long long deadline;  /* loop_now() value at which it fires */
    unsigned long index; /* position in the heap + 1; 0 when not running */
    void (*fn)(struct loop *loop, struct loop_timer *timer, void *data);
    void *data;
};

struct loop_defer {
    struct loop_defer *prev, *next;
    int queued;
    void (*fn)(struct loop *loop, void *data);
    void *data;
};

/* size_hint: expected highest fd (the table grows on demand). NULL on failure. */
struct loop *loop_create(int size_hint);
/* Closes the epoll fd. Registered fds are not closed; their owners close them. */
void loop_destroy(struct loop *loop);
/* Runs until loop_stop(). Returns 0, or -1 when epoll_wait fails for good. */
int loop_run(struct loop *loop);
/* Makes loop_run() return after the current batch. */
void loop_stop(struct loop *loop);
/* Milliseconds on CLOCK_MONOTONIC, cached once per batch (cheap, monotonic). */
long long loop_now(const struct loop *loop);

/* Registers fd (non-blocking) for mask (LOOP_READ|LOOP_WRITE, may be 0). */
int loop_fd_add(struct loop *loop, int fd, int mask,
                void (*fn)(struct loop *loop, int fd, int mask, void *data), void *data);
/* Changes the mask; a no-op (no syscall) when it is unchanged. */
int loop_fd_mask(struct loop *loop, int fd, int mask);
/* Unregisters fd; call it before close(fd). */
void loop_fd_del(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *t,
                     void (*fn)(struct loop *loop, struct loop_timer *timer, void *data),
                     void *data);
/* (Re)starts t to fire ms milliseconds from now (at least 1 ms, so a timer that
 * restarts itself from its callback cannot spin the loop). -1 only on out of memory. */
int loop_timer_start(struct loop *loop, struct loop_timer *t, long long ms);
void loop_timer_stop(struct loop *loop, struct loop_timer *t);
int loop_timer_active(const struct loop_timer *t);

void loop_defer_init(struct loop_defer *d, void (*fn)(struct loop *loop, void *data), void *data);
/* Queues d to run after the current batch; a no-op when it is already queued. */
void loop_defer(struct loop *loop, struct loop_defer *d);
void loop_defer_cancel(struct loop *loop, struct loop_defer *d);

#endif
