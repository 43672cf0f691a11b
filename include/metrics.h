#ifndef SB_METRICS_H
#define SB_METRICS_H
/*
 * The worker pool's counters, served at GET /metrics (src/routes/metrics.c).
 *
 * One shared anonymous mapping (MAP_SHARED | MAP_ANONYMOUS) made by the master before it
 * forks: a head the master writes (start time, respawns) and one slot per worker slot.
 * A slot is written only by the worker that runs in it, with relaxed single-writer stores
 * (no lock, no contention, no cache line shared with another slot); the master writes a
 * slot's state only while no worker runs in it (before the fork, after the reap). The
 * worker that renders /metrics sums every slot, so counters survive recycling and crashes
 * for as long as the master lives.
 *
 * A process without the block (the event worker, switchboard-admin, unit tests that made
 * none) may call every recording function: they do nothing there.
 *
 * What a slot counts, per route (route_table order, plus "unmatched": 404s, 405s, 413s
 * and requests that failed before routing):
 *   requests by status: each of METRICS_STATUSES, anything else as status="other";
 *   latency: a histogram over metrics_latency_buckets (0.5 ms … 2.5 s, then +Inf), and
 *   its sum in nanoseconds;
 * and per slot: the state (empty, idle, busy), DB errors by kind, requests that saw the
 * cache fail.
 */
#include <stddef.h>
#include <stdint.h>

#include "prom.h"

struct route;

/* Why the master started a worker in place of one that ended. */
enum metrics_respawn {
    METRICS_RESPAWN_RECYCLED, /* exited normally (max_requests served) */
    METRICS_RESPAWN_CRASHED,  /* killed by a signal */
    METRICS_RESPAWN_FAILED,   /* exited with a non-zero status */
    METRICS_RESPAWN_N
};

/* A database failure a request answered with (request_db_error()). */
enum metrics_db {
    METRICS_DB_UNAVAILABLE, /* 503: connection lost or refused */
    METRICS_DB_DEADLOCK,    /* 503: deadlock or lock wait timeout, after the retries */
    METRICS_DB_OTHER,       /* 500: any other error */
    METRICS_DB_N
};

/* The status codes counted one by one (the ones the pool answers with). */
#define METRICS_NSTATUS 16 /* 15 codes + "other" */
extern const int metrics_statuses[METRICS_NSTATUS - 1];
/* Request latency buckets, in nanoseconds; le labels in seconds. */
extern const struct prom_buckets metrics_latency_buckets;

/*
 * Master, before forking: maps the block for nslots worker slots and the routes (the
 * route table; kept by pointer). pool_size is the configured number of workers. 0 or -1
 * (errno set). Forked workers inherit the mapping.
 */
int metrics_create(long nslots, long pool_size, const struct route *routes, size_t nroutes);
/* Unmaps the block (tests; a master that exits needs not). */
void metrics_destroy(void);

/* Master: a worker is about to start in slot (idle), or its worker was reaped (empty). */
void metrics_slot_open(long slot);
void metrics_slot_close(long slot);
/* Master: a worker was started in place of one that ended. */
void metrics_respawn(enum metrics_respawn cause);

/* Worker, right after the fork: the slot it writes to. */
void metrics_attach(long slot);
/* Worker: a request was accepted (busy). Returns the monotonic clock in nanoseconds. */
uint64_t metrics_request_begin(void);
/* Worker: the answer was sent (idle again): counts it for route (NULL or not in the
 * table: unmatched) and status, with the time since t0_ns. */
void metrics_request_end(const struct route *route, int status, uint64_t t0_ns);
/* The counting part of metrics_request_end, with the latency given (tests). */
void metrics_observe(const struct route *route, int status, uint64_t ns);

/* The request layer answered a database failure (request_db_error()). */
void metrics_db_error(enum metrics_db kind);
/*
 * A cache operation failed during the request in hand; counted once per request when it
 * ends, so several failures, or callers and cache.c both saying so, count one.
 */
void metrics_cache_error(void);

/* Seconds since the pool's master started; -1 in a process without the block. */
double metrics_uptime_seconds(void);

/* The index of a status among metrics_statuses; METRICS_NSTATUS - 1 ("other") if absent. */
size_t metrics_status_index(int status);

/*
 * Appends every family of the pool in the text format, summed over the slots. 0, or -1
 * when there is no block or memory ran out.
 */
int metrics_render(struct buf *b);

#endif
