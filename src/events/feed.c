/*
 * The feed: the one reader of call_events for the whole process.
 *
 * Why a watermark and not "the highest id seen"
 * ---------------------------------------------
 * call_events.id is AUTO_INCREMENT, allocated when a row is inserted, but a row becomes
 * visible when its transaction commits. Under concurrent transactions the two orders
 * differ: transaction A inserts id 11, transaction B inserts id 12 and commits, A commits
 * later. A reader that remembered "highest id seen = 12" would never read 11, and neither
 * would a client resuming "after 12". So the feed keeps delivered_upto = W with the
 * invariant
 *
 *     every id <= W has been delivered (in id order) or declared a permanent gap,
 *
 * and only ever hands ids <= W to anyone. Each read is
 *     SELECT … FROM call_events WHERE id > W ORDER BY id LIMIT 1000
 * so a late commit below the read position is picked up by the next read. Rows are
 * delivered while they are contiguous (W+1, W+2, …). At a hole (the read returns W+2
 * but not W+1) delivery stops: W+1 may be an open transaction that will commit. The hole
 * is remembered with the time it was first seen (sub-ranges of a hole keep that time
 * when part of it fills); once a hole is older than GAP_GRACE_MS it is declared a gap and
 * delivery moves past it. That is the price of certainty: ids burnt by rolled-back
 * transactions (or failed inserts) never commit, and a transaction still open after the
 * grace period loses its live delivery (a client resuming from the database later still
 * gets it: replays read whatever is committed in (after, W]).
 *
 * Because clients and long-polls only ever see ids <= W, a cursor "after N" is exact:
 * everything <= N that will ever be delivered has been, everything > N is still to come.
 *
 * Startup: in-flight transactions are invisible, so the starting W is the last row
 * created more than GAP_GRACE_MS ago (an id allocated before it and still uncommitted is
 * older than the grace period anyway); rows after it are read and delivered again (into
 * the ring: no client is connected yet). The ring is preloaded with up to PRELOAD_IDS ids
 * below W so clients reconnecting after a restart replay from memory.
 *
 * Wake-ups: a datagram on cfg.event_wake_socket (the pool sends one after each commit
 * that wrote events), else a fallback timer every POLL_MS. While the database is down the
 * reads back off up to BACKOFF_MAX_MS; streams keep their heartbeats meanwhile.
 *
 * Retention (feed_replay.c) deletes old events; a cursor below what it removed gets a
 * `reset`.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "feed_internal.h"

#define TAIL_LIMIT 1000          /* LIMIT of the tail read (in the SQL text) */
#define POLL_MS 250              /* fallback read interval */
#define GAP_GRACE_MS 3000        /* a hole older than this is a permanent gap */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000
#define PRELOAD_IDS 20000        /* ids below the start watermark loaded into the ring */

static long long clock_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int feed_ready(const struct feed *f)
{
    return f->ready;
}

unsigned long long feed_watermark(const struct feed *f)
{
    return f->wm;
}

int feed_db_down(const struct feed *f)
{
    return f->db_down;
}

unsigned long long feed_events(const struct feed *f)
{
    return f->delivered;
}

int feed_cursor_lost(const struct feed *f, unsigned long long after)
{
    return after < f->purged || after > f->max_seen;
}

/* ---- database state ------------------------------------------------------------------- */

int feed_db_outcome(struct feed *f, int rc, const char *what)
{
    if (rc == DB_OK) {
        if (f->db_down)
            log_info("events: database reachable again");
        f->db_down = 0;
        f->backoff_ms = 0;
        return rc;
    }
    f->ev->counters.db_errors_feed++;
    if (!f->db_down)
        log_warn("events: %s failed (%d: %s); retrying with backoff", what, rc,
                 db_last_error(f->ev->db));
    f->db_down = 1;
    f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (f->backoff_ms > BACKOFF_MAX_MS)
        f->backoff_ms = BACKOFF_MAX_MS;
    return rc;
}

unsigned long long feed_cell_ull(const struct db_result *res, size_t row, unsigned col,
                                 int *is_null)
{
    const char *v = db_cell(res, row, col);
    if (is_null != NULL)
        *is_null = v == NULL;
    return v ? strtoull(v, NULL, 10) : 0;
}

/* ---- startup -------------------------------------------------------------------------- */

static void preload(struct feed *f, unsigned long long upto)
{
    struct store *st = f->ev->store;
    unsigned long long from = upto > PRELOAD_IDS ? upto - PRELOAD_IDS : 0;
    store_ring_reset(st, from);
    unsigned long long pos = from;
    while (pos < upto) {
        struct db_result *res;
        arena_reset(f->arena);
        int rc = db_exec(f->ev->db, f->arena,
                         "SELECT " EVENT_COLUMNS " FROM call_events"
                         " WHERE id > ? AND id <= ? ORDER BY id LIMIT 1000",
                         DB_PARAMS(DB_INT(pos), DB_INT(upto)), &res);
        if (rc != DB_OK)
            goto fail;
        for (size_t i = 0; i < res->nrows; i++) {
            struct event *e = event_from_row(st, res, i);
            if (e == NULL)
                goto fail;
            pos = e->id;
            store_ring_push(st, e);
        }
        if (res->nrows < TAIL_LIMIT)
            break;
    }
    log_info("events: ring preloaded with %zu events (ids %llu..%llu)", store_ring_len(st),
             store_ring_floor(st) + 1, upto);
    return;
fail:
    /* Not fatal: an empty ring covers (upto, upto]; replays use the database. */
    log_warn("events: ring preload failed (%s); replays before id %llu read the database",
             db_last_error(f->ev->db), upto);
    store_ring_reset(st, upto);
}

static int feed_init(struct feed *f)
{
    struct db_result *res;
    arena_reset(f->arena);
    /* The last row created before the grace period: the starting watermark. */
    int rc = db_exec(f->ev->db, f->arena,
                     "SELECT id FROM call_events WHERE created_at < NOW(3) - INTERVAL ? SECOND"
                     " ORDER BY created_at DESC, id DESC LIMIT 1",
                     DB_PARAMS(DB_INT(GAP_GRACE_MS / 1000)), &res);
    if (feed_db_outcome(f, rc, "reading the start position") != DB_OK)
        return rc;
    int have_old = res->nrows > 0;
    unsigned long long w0 = have_old ? feed_cell_ull(res, 0, 0, NULL) : 0;
    arena_reset(f->arena);
    rc = db_exec(f->ev->db, f->arena, "SELECT MIN(id) AS lo, MAX(id) AS hi FROM call_events",
                 NULL, 0, &res);
    if (feed_db_outcome(f, rc, "reading the id range") != DB_OK)
        return rc;
    int lo_null = 1;
    unsigned long long lo = res->nrows ? feed_cell_ull(res, 0, 0, &lo_null) : 0;
    unsigned long long hi = res->nrows ? feed_cell_ull(res, 0, 1, NULL) : 0;
    if (!have_old && !lo_null)
        w0 = lo - 1; /* every row is recent: deliver them all again */
    f->wm = w0;
    f->max_seen = hi > w0 ? hi : w0;
    f->oldest = lo_null ? f->max_seen + 1 : lo;
    preload(f, w0);
    f->ready = 1;
    log_info("events: feed starts after id %llu (ids %llu..%llu in the table)", w0,
             lo_null ? 0 : lo, hi);
    return DB_OK;
}

/* ---- the tail ------------------------------------------------------------------------- */

static long long hole_since(const struct feed *f, unsigned long long id, long long now)
{
    for (size_t i = 0; i < f->nholes; i++)
        if (f->holes[i].from <= id && id <= f->holes[i].to)
            return f->holes[i].since;
    return now;
}

static void tail_schedule(struct feed *f, long long ms)
{
    if (loop_timer_start(f->ev->loop, &f->tail_timer, ms) != 0)
        log_error("events: cannot schedule the next read (out of memory)");
}

/* One tail read: the holes it leaves open (they replace f->holes unless it failed), when
 * the oldest of them turns into a gap, and how far delivery got. */
struct tail_pass {
    long long now;
    long long next_expiry;
    struct hole *holes;
    size_t nholes, cap;
    unsigned long long expect; /* the id that delivery waits for */
    int held, failed;
    size_t delivered;
};

/* The ids expect..id-1 are missing: a gap once older than GAP_GRACE_MS (while nothing is
 * held), else held, with the time first seen. -1 when out of memory. */
static int tail_hole(struct feed *f, struct tail_pass *tp, unsigned long long id)
{
    long long since = hole_since(f, tp->expect, tp->now);
    if (!tp->held && tp->now - since >= GAP_GRACE_MS) {
        log_debug("events: ids %llu..%llu not committed within %d ms of being "
                  "skipped: declared a gap",
                  tp->expect, id - 1, GAP_GRACE_MS);
        f->gaps += id - tp->expect;
        return 0;
    }
    tp->held = 1;
    if (tp->nholes == tp->cap) {
        size_t cap = tp->cap ? tp->cap * 2 : 8;
        struct hole *h = realloc(tp->holes, cap * sizeof(*h));
        if (h == NULL) {
            tp->failed = 1;
            return -1;
        }
        tp->holes = h;
        tp->cap = cap;
    }
    tp->holes[tp->nholes++] = (struct hole){tp->expect, id - 1, since};
    if (since + GAP_GRACE_MS < tp->next_expiry)
        tp->next_expiry = since + GAP_GRACE_MS;
    return 0;
}

/* Row i of a tail read, in id order: delivered unless a hole before it is held (then
 * nothing after it is delivered in this pass). -1 to stop reading the rows. */
static int tail_row(struct feed *f, const struct db_result *res, size_t i, struct tail_pass *tp)
{
    unsigned long long id = feed_cell_ull(res, i, 0, NULL);
    if (id < tp->expect)
        return 0; /* cannot happen (id > W, ordered); never deliver twice */
    if (id > f->max_seen)
        f->max_seen = id;
    if (id > tp->expect && tail_hole(f, tp, id) != 0)
        return -1;
    tp->expect = id + 1;
    if (tp->held || tp->failed)
        return 0;
    struct event *e = event_from_row(f->ev->store, res, i);
    if (e == NULL) {
        /* Out of memory: stop here, W stays, the next read retries this row. */
        if (tp->now - f->last_build_error > 10000)
            log_error("events: cannot build event %llu: %s", id, strerror(errno));
        f->last_build_error = tp->now;
        tp->failed = 1;
        return 0;
    }
    f->wm = id;
    f->delivered++;
    tp->delivered++;
    store_ring_push(f->ev->store, e);
    hub_deliver(f->ev->hub, e);
    return 0;
}

static void tail(struct feed *f)
{
    if (!f->ready && feed_init(f) != DB_OK) {
        tail_schedule(f, f->backoff_ms);
        return;
    }
    struct db_result *res;
    arena_reset(f->tail_arena);
    int rc = db_exec(f->ev->db, f->tail_arena,
                     "SELECT " EVENT_COLUMNS " FROM call_events"
                     " WHERE id > ? ORDER BY id LIMIT 1000",
                     DB_PARAMS(DB_INT(f->wm)), &res);
    if (feed_db_outcome(f, rc, "reading events") != DB_OK) {
        tail_schedule(f, f->backoff_ms);
        return;
    }

    struct tail_pass tp = {.now = clock_ms(), .next_expiry = LLONG_MAX, .expect = f->wm + 1};
    for (size_t i = 0; i < res->nrows; i++)
        if (tail_row(f, res, i, &tp) != 0)
            break;
    if (tp.failed) {
        free(tp.holes); /* keep the old holes and their times */
    } else {
        free(f->holes);
        f->holes = tp.holes;
        f->nholes = tp.nholes;
        f->holes_cap = tp.cap;
    }
    if (tp.delivered > 0) {
        hub_batch_done(f->ev->hub);
        log_debug("events: delivered %zu events up to id %llu in %lld ms (read included)",
                  tp.delivered, f->wm, clock_ms() - tp.now);
    }

    if (tp.failed) {
        tail_schedule(f, BACKOFF_MAX_MS);
    } else if (!tp.held && res->nrows == TAIL_LIMIT) {
        /* More to read: after the loop has served I/O once. */
        loop_defer(f->ev->loop, &f->tail_defer);
        tail_schedule(f, POLL_MS);
    } else {
        long long ms = POLL_MS;
        if (tp.next_expiry != LLONG_MAX && tp.next_expiry - tp.now < ms)
            ms = tp.next_expiry - tp.now;
        tail_schedule(f, ms);
    }
}

static void on_tail_timer(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    tail(data);
}

static void on_tail_defer(struct loop *loop, void *data)
{
    (void)loop;
    tail(data);
}

/* ---- the wake socket ------------------------------------------------------------------ */

static void on_wake(struct loop *loop, int fd, int mask, void *data)
{
    (void)mask;
    struct feed *f = data;
    char buf[64];
    /* Drain: many commits in a row make one read. */
    for (int i = 0; i < 4096; i++) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_debug("events: wake socket: %s", strerror(errno));
            break;
        }
    }
    loop_defer(loop, &f->tail_defer);
}

static int wake_open(struct feed *f, const char *path)
{
    struct sockaddr_un sa;
    if (path[0] == '\0') {
        log_warn("events: event_wake_socket is not set; reading every %d ms only", POLL_MS);
        return 0;
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        log_error("events: event_wake_socket %s is longer than %zu bytes", path,
                  sizeof(sa.sun_path) - 1);
        return -1;
    }
    /* A leftover from a previous worker (the stream socket's probe already proved that
     * no other worker runs): remove it if it is a socket, refuse anything else. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("events: %s exists and is not a socket; not removing it", path);
            return -1;
        }
        if (unlink(path) != 0 && errno != ENOENT) {
            log_error("events: cannot remove stale %s: %s", path, strerror(errno));
            return -1;
        }
    } else if (errno != ENOENT) {
        log_error("events: cannot stat %s: %s", path, strerror(errno));
        return -1;
    }
    int fd = events_bind_unix(path, SOCK_DGRAM, &st);
    if (fd < 0)
        return -1;
    f->wake_dev = st.st_dev;
    f->wake_ino = st.st_ino;
    f->wake_created = 1;
    if (loop_fd_add(f->ev->loop, fd, LOOP_READ, on_wake, f) != 0) {
        log_error("events: cannot watch %s: %s", path, strerror(errno));
        unlink(path);
        f->wake_created = 0;
        close(fd);
        return -1;
    }
    f->wake_fd = fd;
    log_info("events: wake socket %s", path);
    return 0;
}

/* ---- life ------------------------------------------------------------------------------ */

struct feed *feed_create(struct ev *ev)
{
    struct feed *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->ev = ev;
    f->wake_fd = -1;
    f->arena = arena_create(64 * 1024);
    f->tail_arena = arena_create(64 * 1024);
    if (f->arena == NULL || f->tail_arena == NULL) {
        arena_destroy(f->arena);
        arena_destroy(f->tail_arena);
        free(f);
        return NULL;
    }
    loop_timer_init(&f->tail_timer, on_tail_timer, f);
    loop_defer_init(&f->tail_defer, on_tail_defer, f);
    loop_timer_init(&f->retention_timer, feed_on_retention, f);
    return f;
}

int feed_start(struct feed *f)
{
    if (wake_open(f, f->ev->cfg->event_wake_socket) != 0)
        return -1;
    loop_defer(f->ev->loop, &f->tail_defer);
    if (loop_timer_start(f->ev->loop, &f->tail_timer, POLL_MS) != 0 ||
        loop_timer_start(f->ev->loop, &f->retention_timer, RETENTION_FIRST_MS) != 0) {
        log_error("events: cannot start the feed timers (out of memory)");
        return -1;
    }
    return 0;
}

void feed_destroy(struct feed *f)
{
    if (f == NULL)
        return;
    loop_timer_stop(f->ev->loop, &f->tail_timer);
    loop_timer_stop(f->ev->loop, &f->retention_timer);
    loop_defer_cancel(f->ev->loop, &f->tail_defer);
    if (f->wake_fd >= 0) {
        loop_fd_del(f->ev->loop, f->wake_fd);
        close(f->wake_fd);
    }
    if (f->wake_created) {
        /* Only our own file: a newer worker may have replaced it during a restart. */
        const char *path = f->ev->cfg->event_wake_socket;
        struct stat st;
        if (lstat(path, &st) == 0 && st.st_dev == f->wake_dev && st.st_ino == f->wake_ino &&
            unlink(path) != 0)
            log_warn("events: cannot remove %s: %s", path, strerror(errno));
    }
    log_info("events: feed stopped at id %llu (%llu delivered, %llu ids declared gaps)", f->wm,
             f->delivered, f->gaps);
    free(f->holes);
    arena_destroy(f->arena);
    arena_destroy(f->tail_arena);
    free(f);
}
