/*
 * The feed: the one reader of call_events for the whole process.
 *
 * Why a sequence per tenant and not the row id
 * --------------------------------------------
 * call_events.id is AUTO_INCREMENT: allocated at insert, visible at commit, so ids commit
 * out of order, and on a Galera cluster each node takes its own ids (1, 4, 7… on one node,
 * 2, 5, 8… on the next): a node writing alone leaves holes that never fill. A reader of
 * ids would have to wait out every hole. Instead each event takes its tenant's next
 * number just before its transaction commits (sql/036, src/core/event_seq.c): a tenant's
 * event-writing transactions meet at its event_sequences row, so within a tenant seq
 * order is commit order and there are no holes. When this node shows last_seq = N, every
 * event of the tenant up to N is visible here (the numbers and the rows commit together).
 *
 * So the feed keeps, per tenant, delivered = D (every seq <= D was delivered) and reads
 *     SELECT tenant_id, last_seq FROM event_sequences [WHERE updated_at >= now - WINDOW]
 * then, for each tenant with last_seq > D,
 *     SELECT … FROM call_events WHERE tenant_id = ? AND seq > D ORDER BY seq LIMIT 1000
 * and delivers what it reads at once: there is nothing to wait for. The windowed read
 * (indexed by updated_at) runs on every wake-up and timer; a full read every FULL_SCAN_MS
 * catches a tenant whose change reached this node later than the window (a writeset
 * applied late, clocks apart). A client's cursor is its tenant's seq, the same on every
 * host, so a client resumes on any host.
 *
 * Startup: every tenant starts at its last_seq (events committed before are replays,
 * read from the database); a tenant created later starts at 0.
 *
 * Wake-ups: a datagram on cfg.event_wake_socket (the pool sends one after each commit
 * that wrote events) or, from other hosts' pools, on cfg.event_wake_listen (UDP), else a
 * timer every POLL_MS (what a write on another host waits for when its poke is lost). While the database is down the reads back off up to BACKOFF_MAX_MS; streams
 * keep their heartbeats meanwhile.
 *
 * Retention (feed_replay.c) deletes old events; a cursor below what it removed gets a
 * `reset`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
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
#include "nodes.h"
#include "feed_internal.h"

#define TAIL_LIMIT 1000          /* LIMIT of a tenant's read (in the SQL text) */
#define POLL_MS 100              /* fallback read interval */
#define FULL_SCAN_MS 2000        /* every tenant's position, not only the recent ones */
#define WINDOW_S 10              /* the windowed read: positions changed this recently */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000

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

unsigned long long feed_watermark(const struct feed *f, const struct tenant *t)
{
    (void)f;
    return t->delivered;
}

int feed_db_down(const struct feed *f)
{
    return f->db_down;
}

unsigned long long feed_events(const struct feed *f)
{
    return f->delivered;
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

/* ---- positions -------------------------------------------------------------------------- */

struct position {
    struct tenant *t;
    unsigned long long last_seq;
};

/* The tenants' positions as this node shows them (all, or those changed within WINDOW_S),
 * copied out of the arena (delivering resets it). *n = 0 and NULL when none. */
static int positions_read(struct feed *f, int full, struct position **out, size_t *n)
{
    struct db_result *res;
    *out = NULL;
    *n = 0;
    arena_reset(f->arena);
    int rc = full ? db_exec(f->ev->db, f->arena,
                            "SELECT tenant_id, last_seq FROM event_sequences", NULL, 0, &res)
                  : db_exec(f->ev->db, f->arena,
                            "SELECT tenant_id, last_seq FROM event_sequences"
                            " WHERE updated_at >= NOW(3) - INTERVAL ? SECOND",
                            DB_PARAMS(DB_INT(WINDOW_S)), &res);
    if (feed_db_outcome(f, rc, "reading the tenants' positions") != DB_OK)
        return rc;
    if (res->nrows == 0)
        return DB_OK;
    struct position *p = calloc(res->nrows, sizeof(*p));
    if (p == NULL)
        return DB_ERROR;
    for (size_t i = 0; i < res->nrows; i++) {
        const char *tenant = db_cell(res, i, 0);
        p[*n].t = tenant ? store_tenant(f->ev->store, tenant) : NULL;
        p[*n].last_seq = feed_cell_ull(res, i, 1, NULL);
        if (p[*n].t != NULL)
            (*n)++;
    }
    *out = p;
    return DB_OK;
}

/* Every tenant starts where it is now: what was committed before is a replay. */
static int feed_init(struct feed *f)
{
    struct position *p;
    size_t n;
    int rc = positions_read(f, 1, &p, &n);
    if (rc != DB_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        p[i].t->delivered = p[i].last_seq;
        store_tenant_start(p[i].t, p[i].last_seq);
    }
    free(p);
    f->ready = 1;
    f->last_full_ms = clock_ms();
    log_info("events: feed starts at the positions of %zu tenants", n);
    return DB_OK;
}

/* ---- the tail ------------------------------------------------------------------------- */

static void tail_schedule(struct feed *f, long long ms)
{
    if (loop_timer_start(f->ev->loop, &f->tail_timer, ms) != 0)
        log_error("events: cannot schedule the next read (out of memory)");
}

/* Delivers t's events after t->delivered up to at most TAIL_LIMIT of them. The number
 * delivered, or -1 when the read failed or an event could not be built (the position
 * stays: the next read retries). */
static long tenant_read(struct feed *f, struct tenant *t, unsigned long long upto)
{
    struct db_result *res;
    arena_reset(f->tail_arena);
    int rc = db_exec(f->ev->db, f->tail_arena,
                     "SELECT " EVENT_COLUMNS " FROM call_events"
                     " WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT 1000",
                     DB_PARAMS(DB_STR(t->id), DB_INT(t->delivered)), &res);
    if (feed_db_outcome(f, rc, "reading events") != DB_OK)
        return -1;
    if (res->nrows == 0) {
        /* Numbered but gone: the tenant's events were deleted (retention, the tenant). */
        t->delivered = upto;
        return 0;
    }
    long n = 0;
    for (size_t i = 0; i < res->nrows; i++) {
        struct event *e = event_from_row(f->ev->store, res, i);
        if (e == NULL) {
            long long now = clock_ms();
            if (now - f->last_build_error > 10000)
                log_error("events: cannot build an event of tenant %s: %s", t->id,
                          strerror(errno));
            f->last_build_error = now;
            return -1;
        }
        t->delivered = e->id;
        f->delivered++;
        n++;
        store_ring_push(f->ev->store, e);
        hub_deliver(f->ev->hub, e);
    }
    return n;
}

/* One pass: the positions, then each tenant that moved. 1 when a tenant has more to read
 * than one read took, 0 when done, -1 on failure. */
static int tail_pass(struct feed *f, long long now, size_t *delivered)
{
    int full = now - f->last_full_ms >= FULL_SCAN_MS;
    struct position *p;
    size_t n;
    if (positions_read(f, full, &p, &n) != DB_OK)
        return -1;
    if (full)
        f->last_full_ms = now;
    int more = 0, failed = 0;
    for (size_t i = 0; i < n && !failed; i++) {
        if (p[i].last_seq <= p[i].t->delivered)
            continue;
        long got = tenant_read(f, p[i].t, p[i].last_seq);
        if (got < 0)
            failed = 1;
        else
            *delivered += (size_t)got;
        if (got == TAIL_LIMIT && p[i].t->delivered < p[i].last_seq)
            more = 1;
    }
    free(p);
    return failed ? -1 : more;
}

static void tail(struct feed *f)
{
    if (!f->ready && feed_init(f) != DB_OK) {
        tail_schedule(f, f->backoff_ms ? f->backoff_ms : BACKOFF_MIN_MS);
        return;
    }
    long long now = clock_ms();
    size_t delivered = 0;
    int rc = tail_pass(f, now, &delivered);
    if (delivered > 0) {
        hub_batch_done(f->ev->hub);
        log_debug("events: delivered %zu events in %lld ms (reads included)", delivered,
                  clock_ms() - now);
    }
    if (rc < 0) {
        tail_schedule(f, f->backoff_ms ? f->backoff_ms : BACKOFF_MAX_MS);
    } else if (rc > 0) {
        /* More to read: after the loop has served I/O once. */
        loop_defer(f->ev->loop, &f->tail_defer);
        tail_schedule(f, POLL_MS);
    } else {
        tail_schedule(f, POLL_MS);
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

/* The other hosts' pools poke this worker on event_wake_listen (UDP, the private network):
 * a datagram only makes the feed read now rather than at its next poll, so anyone who can
 * send one can at most make it read sooner (reads coalesce per loop pass). */
static int wake_udp_open(struct feed *f, const char *listen_at)
{
    struct node nd;
    struct sockaddr_in sa;
    if (listen_at[0] == '\0')
        return 0;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (node_at(listen_at, 0, 7070, &nd) != 0 || nd.host[0] == '\0' || nd.port > 65535 ||
        inet_pton(AF_INET, nd.host, &sa.sin_addr) != 1) {
        log_error("events: event_wake_listen %s is not an IPv4 address:port", listen_at);
        return -1;
    }
    sa.sin_port = htons((unsigned short)nd.port);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        loop_fd_add(f->ev->loop, fd, LOOP_READ, on_wake, f) != 0) {
        log_error("events: cannot listen for wake-ups on %s: %s", listen_at, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    f->wake_udp_fd = fd;
    log_info("events: wake-ups from other hosts on udp %s", listen_at);
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
    f->wake_udp_fd = -1;
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
    if (wake_open(f, f->ev->cfg->event_wake_socket) != 0 ||
        wake_udp_open(f, f->ev->cfg->event_wake_listen) != 0)
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
    if (f->wake_udp_fd >= 0) {
        loop_fd_del(f->ev->loop, f->wake_udp_fd);
        close(f->wake_udp_fd);
    }
    if (f->wake_created) {
        /* Only our own file: a newer worker may have replaced it during a restart. */
        const char *path = f->ev->cfg->event_wake_socket;
        struct stat st;
        if (lstat(path, &st) == 0 && st.st_dev == f->wake_dev && st.st_ino == f->wake_ino &&
            unlink(path) != 0)
            log_warn("events: cannot remove %s: %s", path, strerror(errno));
    }
    log_info("events: feed stopped (%llu events delivered)", f->delivered);
    arena_destroy(f->arena);
    arena_destroy(f->tail_arena);
    free(f);
}
