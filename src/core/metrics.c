/* The worker pool's shared counters (metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "router.h"

const int metrics_statuses[METRICS_NSTATUS - 1] = {200, 201, 204, 304, 400, 401, 403, 404,
                                                   405, 409, 413, 422, 429, 500, 503};
static const char *const status_labels[METRICS_NSTATUS] = {
    "200", "201", "204", "304", "400", "401", "403", "404",
    "405", "409", "413", "422", "429", "500", "503", "other"};

#define NBUCKETS 12
static const uint64_t bucket_ns[NBUCKETS] = {
    500000,    1000000,   2500000,   5000000,    10000000,   25000000,
    50000000,  100000000, 250000000, 500000000,  1000000000, 2500000000,
};
static const char *const bucket_le[NBUCKETS] = {"0.0005", "0.001", "0.0025", "0.005",
                                                "0.01",   "0.025", "0.05",   "0.1",
                                                "0.25",   "0.5",   "1",      "2.5"};
const struct prom_buckets metrics_latency_buckets = {NBUCKETS, bucket_ns, bucket_le};

static const char *const respawn_labels[METRICS_RESPAWN_N] = {"recycled", "crashed",
                                                              "failed"};
static const char *const db_labels[METRICS_DB_N] = {"unavailable", "deadlock", "other"};

enum slot_state { SLOT_EMPTY = 0, SLOT_IDLE = 1, SLOT_BUSY = 2 };

/* Written by the master only. */
struct head {
    int64_t start_time;    /* unix seconds */
    uint64_t start_mono;   /* CLOCK_MONOTONIC, nanoseconds */
    long pool_size;
    uint64_t respawns[METRICS_RESPAWN_N];
};

/*
 * A slot is an array of 64-bit words: the state, DB errors by kind, cache errors, then per
 * route (nroutes + 1: the last is "unmatched") the requests by status, the histogram's
 * per-bucket counts (NBUCKETS + 1) and the latency sum. Slots are cache-line aligned.
 */
#define W_STATE 0
#define W_DB 1
#define W_CACHE (W_DB + METRICS_DB_N)
#define W_ROUTES (W_CACHE + 1)
#define PER_ROUTE (METRICS_NSTATUS + NBUCKETS + 1 + 1)
#define R_STATUS 0
#define R_BUCKET METRICS_NSTATUS
#define R_SUM (METRICS_NSTATUS + NBUCKETS + 1)

static struct {
    struct head *head;
    uint64_t *slots;
    size_t stride; /* words per slot */
    long nslots;
    size_t mapped;
    const struct route *routes;
    size_t nroutes;
    uint64_t *self;   /* this worker's slot */
    int cache_failed; /* during the request in hand */
} M;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One writer per word: a relaxed load and store, no locked instruction. */
static void bump(uint64_t *w, uint64_t n)
{
    __atomic_store_n(w, __atomic_load_n(w, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *w)
{
    return __atomic_load_n(w, __ATOMIC_RELAXED);
}

static void set(uint64_t *w, uint64_t v)
{
    __atomic_store_n(w, v, __ATOMIC_RELAXED);
}

static uint64_t *slot_at(long i)
{
    return M.slots != NULL && i >= 0 && i < M.nslots ? M.slots + (size_t)i * M.stride : NULL;
}

int metrics_create(long nslots, long pool_size, const struct route *routes, size_t nroutes)
{
    if (M.head != NULL || nslots <= 0) {
        errno = EINVAL;
        return -1;
    }
    size_t words = W_ROUTES + (nroutes + 1) * PER_ROUTE;
    size_t stride = (words + 7) / 8 * 8; /* 64-byte lines */
    size_t head = (sizeof(struct head) + 63) / 64 * 64;
    size_t size = head + (size_t)nslots * stride * sizeof(uint64_t);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    M.head = p; /* a new anonymous mapping is zero-filled */
    M.slots = (uint64_t *)(void *)((char *)p + head);
    M.stride = stride;
    M.nslots = nslots;
    M.mapped = size;
    M.routes = routes;
    M.nroutes = nroutes;
    M.self = NULL;
    M.head->start_time = (int64_t)time(NULL);
    M.head->start_mono = now_ns();
    M.head->pool_size = pool_size;
    return 0;
}

void metrics_destroy(void)
{
    if (M.head != NULL)
        munmap(M.head, M.mapped);
    memset(&M, 0, sizeof(M));
}

void metrics_slot_open(long slot)
{
    uint64_t *s = slot_at(slot);
    if (s != NULL)
        set(&s[W_STATE], SLOT_IDLE);
}

void metrics_slot_close(long slot)
{
    uint64_t *s = slot_at(slot);
    if (s != NULL)
        set(&s[W_STATE], SLOT_EMPTY);
}

void metrics_respawn(enum metrics_respawn cause)
{
    if (M.head != NULL && cause < METRICS_RESPAWN_N)
        bump(&M.head->respawns[cause], 1);
}

void metrics_attach(long slot)
{
    M.self = slot_at(slot);
}

uint64_t metrics_request_begin(void)
{
    if (M.self != NULL)
        set(&M.self[W_STATE], SLOT_BUSY);
    return now_ns();
}

size_t metrics_status_index(int status)
{
    for (size_t i = 0; i < METRICS_NSTATUS - 1; i++)
        if (metrics_statuses[i] == status)
            return i;
    return METRICS_NSTATUS - 1;
}

static size_t route_index(const struct route *route)
{
    if (route == NULL || M.routes == NULL || route < M.routes || route >= M.routes + M.nroutes)
        return M.nroutes;
    return (size_t)(route - M.routes);
}

void metrics_observe(const struct route *route, int status, uint64_t ns)
{
    if (M.self == NULL)
        return;
    uint64_t *r = M.self + W_ROUTES + route_index(route) * PER_ROUTE;
    bump(&r[R_STATUS + metrics_status_index(status)], 1);
    bump(&r[R_BUCKET + prom_bucket_index(&metrics_latency_buckets, ns)], 1);
    bump(&r[R_SUM], ns);
}

void metrics_request_end(const struct route *route, int status, uint64_t t0_ns)
{
    uint64_t t1 = now_ns();
    metrics_observe(route, status, t1 > t0_ns ? t1 - t0_ns : 0);
    if (M.self == NULL)
        return;
    if (M.cache_failed)
        bump(&M.self[W_CACHE], 1);
    M.cache_failed = 0;
    set(&M.self[W_STATE], SLOT_IDLE);
}

void metrics_db_error(enum metrics_db kind)
{
    if (M.self != NULL && kind < METRICS_DB_N)
        bump(&M.self[W_DB + kind], 1);
}

void metrics_cache_error(void)
{
    if (M.self != NULL)
        M.cache_failed = 1;
}

/* ---- rendering -------------------------------------------------------------------- */

/* Every slot summed word by word (the state word counts busy and idle slots instead). */
struct totals {
    uint64_t *w;
    uint64_t busy, idle;
};

static int totals_sum(struct totals *t)
{
    t->w = calloc(M.stride, sizeof(uint64_t));
    if (t->w == NULL)
        return -1;
    t->busy = t->idle = 0;
    for (long i = 0; i < M.nslots; i++) {
        const uint64_t *s = slot_at(i);
        uint64_t state = get(&s[W_STATE]);
        t->busy += state == SLOT_BUSY;
        t->idle += state == SLOT_IDLE;
        for (size_t k = W_STATE + 1; k < M.stride; k++)
            t->w[k] += get(&s[k]);
    }
    return 0;
}

/* The route label: "GET /api/users/:id", or "unmatched". */
static void route_label(size_t i, char *out, size_t size)
{
    if (i < M.nroutes)
        snprintf(out, size, "%s %s", M.routes[i].method, M.routes[i].pattern);
    else
        snprintf(out, size, "unmatched");
}

static void render_requests(struct buf *b, const struct totals *t)
{
    char route[256];
    prom_family(b, "switchboard_http_requests_total", "counter",
                "Requests answered by the worker pool, by route and status.");
    for (size_t i = 0; i <= M.nroutes; i++) {
        const uint64_t *r = t->w + W_ROUTES + i * PER_ROUTE;
        route_label(i, route, sizeof(route));
        for (size_t s = 0; s < METRICS_NSTATUS; s++) {
            if (r[R_STATUS + s] == 0)
                continue;
            struct prom_label l[2] = {{"route", route}, {"status", status_labels[s]}};
            prom_sample_u64(b, "switchboard_http_requests_total", l, 2, r[R_STATUS + s]);
        }
    }
    prom_family(b, "switchboard_http_request_duration_seconds", "histogram",
                "Time from accepting a request to the end of its answer, by route.");
    for (size_t i = 0; i <= M.nroutes; i++) {
        const uint64_t *r = t->w + W_ROUTES + i * PER_ROUTE;
        uint64_t n = 0;
        for (size_t k = 0; k <= NBUCKETS; k++)
            n += r[R_BUCKET + k];
        if (n == 0)
            continue;
        route_label(i, route, sizeof(route));
        struct prom_label l[1] = {{"route", route}};
        prom_histogram(b, "switchboard_http_request_duration_seconds", l, 1,
                       &metrics_latency_buckets, r + R_BUCKET, r[R_SUM], 1000000000u);
    }
}

static void render_workers(struct buf *b, const struct totals *t)
{
    prom_family(b, "switchboard_http_requests_in_flight", "gauge",
                "Requests being served now (this scrape included).");
    prom_sample_u64(b, "switchboard_http_requests_in_flight", NULL, 0, t->busy);
    prom_family(b, "switchboard_workers", "gauge",
                "Live pool workers by state (during a SIGHUP roll, old and new ones).");
    struct prom_label busy[1] = {{"state", "busy"}}, idle[1] = {{"state", "idle"}};
    prom_sample_u64(b, "switchboard_workers", busy, 1, t->busy);
    prom_sample_u64(b, "switchboard_workers", idle, 1, t->idle);
    prom_family(b, "switchboard_workers_configured", "gauge",
                "The configured pool size (workers).");
    prom_sample_u64(b, "switchboard_workers_configured", NULL, 0, (uint64_t)M.head->pool_size);
    prom_family(b, "switchboard_worker_respawns_total", "counter",
                "Workers the master started in place of one that ended, by cause.");
    for (size_t c = 0; c < METRICS_RESPAWN_N; c++) {
        struct prom_label l[1] = {{"cause", respawn_labels[c]}};
        prom_sample_u64(b, "switchboard_worker_respawns_total", l, 1, get(&M.head->respawns[c]));
    }
}

static void render_errors(struct buf *b, const struct totals *t)
{
    prom_family(b, "switchboard_db_errors_total", "counter",
                "Database failures requests answered with (503 unavailable or deadlock, 500 "
                "other), by kind.");
    for (size_t k = 0; k < METRICS_DB_N; k++) {
        struct prom_label l[1] = {{"kind", db_labels[k]}};
        prom_sample_u64(b, "switchboard_db_errors_total", l, 1, t->w[W_DB + k]);
    }
    prom_family(b, "switchboard_cache_errors_total", "counter",
                "Requests during which a memcached operation failed (they fell back to the "
                "database).");
    prom_sample_u64(b, "switchboard_cache_errors_total", NULL, 0, t->w[W_CACHE]);
}

static void render_process(struct buf *b)
{
    uint64_t up = now_ns() - M.head->start_mono;
    prom_family(b, "switchboard_pool_start_time_seconds", "gauge",
                "When the pool's master started, in seconds since the epoch.");
    prom_sample_u64(b, "switchboard_pool_start_time_seconds", NULL, 0,
                    (uint64_t)M.head->start_time);
    prom_family(b, "switchboard_pool_uptime_seconds", "gauge",
                "Seconds since the pool's master started.");
    prom_sample_f64(b, "switchboard_pool_uptime_seconds", NULL, 0,
                    (double)(up / 1000000u) / 1e3);
}

double metrics_uptime_seconds(void)
{
    if (M.head == NULL)
        return -1;
    return (double)((now_ns() - M.head->start_mono) / 1000000u) / 1e3;
}

int metrics_render(struct buf *b)
{
    struct totals t;
    if (M.head == NULL || totals_sum(&t) != 0)
        return -1;
    render_requests(b, &t);
    render_workers(b, &t);
    render_errors(b, &t);
    render_process(b);
    free(t.w);
    return b->failed ? -1 : 0;
}
