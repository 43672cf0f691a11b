/*
 * The past of the feed (feed_internal.h): what clients can replay, and how far back that
 * reaches.
 *
 * Replays read (after, upto] from the ring when it covers the range, else with one indexed
 * database read of the tenant's rows.
 *
 * Retention: every RETENTION_MS, delete events older than event_retention_hours in
 * batches of 2,000, each well inside the statement timeout (yielding to the loop between
 * batches), then note the oldest id left. A cursor below it gets a `reset` once a purge
 * has actually removed rows: ids below the oldest row may also be ids that never
 * committed (a first transaction that rolled back burns id 1), and `after=0` must not be
 * told to reload then. A purge made
 * by an earlier process is known at the first purge of this one that deletes anything
 * (every minute while events flow).
 */
#include <stdlib.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "feed_internal.h"

#define REPLAY_LIMIT 500         /* LIMIT of the replay reads (in the SQL text) */
#define RETENTION_MS 60000
#define RETENTION_BATCH 2000     /* LIMIT of the purge (in the SQL text) */
#define RETENTION_NEXT_MS 20     /* pause between full batches */

/* ---- replay reads --------------------------------------------------------------------- */

int feed_collect(struct feed *f, struct tenant *t, const struct filter *filter,
                 unsigned long long after, unsigned long long upto, size_t max,
                 size_t max_bytes, int (*fn)(const struct event *e, void *arg), void *arg,
                 unsigned long long *scanned)
{
    struct store *st = f->ev->store;
    size_t n = 0, bytes = 0;
    *scanned = after;
    if (after >= upto) {
        *scanned = after;
        return DB_OK;
    }
    if (after >= store_ring_floor(st)) {
        size_t len = store_ring_len(st);
        for (size_t i = store_ring_seek(st, after); i < len; i++) {
            const struct event *e = store_ring_at(st, i);
            if (e->id > upto)
                break;
            if (e->tenant != t || !filter_match(filter, e))
                continue;
            n++;
            bytes += e->frame_len;
            if (fn(e, arg) != 0 || n >= max || bytes >= max_bytes) {
                *scanned = e->id;
                return DB_OK;
            }
        }
        *scanned = upto;
        return DB_OK;
    }

    /* Older than the ring: one read of this tenant's rows (indexed by tenant_id, id or
     * tenant_id, call_id, id). The caller continues from *scanned if it needs more. While
     * the tail finds the database away, do not wait for it here too: the replays retry. */
    if (f->db_down)
        return DB_UNAVAILABLE;
    struct db_result *res;
    int rc;
    arena_reset(f->arena);
    if (filter->scope == SCOPE_CALL)
        rc = db_exec(f->ev->db, f->arena,
                     "SELECT " EVENT_COLUMNS " FROM call_events"
                     " WHERE tenant_id = ? AND call_id = ? AND id > ? AND id <= ?"
                     " ORDER BY id LIMIT 500",
                     DB_PARAMS(DB_STR(t->id), DB_STR(filter->call_id), DB_INT(after),
                               DB_INT(upto)),
                     &res);
    else
        rc = db_exec(f->ev->db, f->arena,
                     "SELECT " EVENT_COLUMNS " FROM call_events"
                     " WHERE tenant_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT 500",
                     DB_PARAMS(DB_STR(t->id), DB_INT(after), DB_INT(upto)), &res);
    if (feed_db_outcome(f, rc, "replaying events") != DB_OK)
        return rc;
    for (size_t i = 0; i < res->nrows; i++) {
        struct event *e = event_from_row(st, res, i);
        if (e == NULL) {
            if (i == 0)
                return DB_ERROR;
            /* Out of memory midway: what was passed stands. */
            return DB_OK;
        }
        *scanned = e->id;
        int stop = 0;
        if (e->tenant == t && filter_match(filter, e)) {
            n++;
            bytes += e->frame_len;
            stop = fn(e, arg) != 0 || n >= max || bytes >= max_bytes;
        }
        event_free(e);
        if (stop)
            return DB_OK;
    }
    if (res->nrows < REPLAY_LIMIT)
        *scanned = upto;
    return DB_OK;
}

/* ---- retention ------------------------------------------------------------------------ */

static int refresh_oldest(struct feed *f)
{
    struct db_result *res;
    arena_reset(f->arena);
    int rc = db_exec(f->ev->db, f->arena, "SELECT MIN(id) AS lo FROM call_events", NULL, 0, &res);
    if (rc != DB_OK)
        return rc;
    int null = 1;
    unsigned long long lo = res->nrows ? feed_cell_ull(res, 0, 0, &null) : 0;
    f->oldest = null ? f->max_seen + 1 : lo;
    return DB_OK;
}

static void retention_schedule(struct feed *f, long long ms)
{
    if (loop_timer_start(f->ev->loop, &f->retention_timer, ms) != 0)
        log_error("events: cannot schedule the next purge (out of memory)");
}

/* One batch of the purge; *n gets the number of events deleted. DB_OK or a negative db_rc. */
static int purge_batch(struct feed *f, unsigned long long *n)
{
    struct db_result *res = NULL;
    arena_reset(f->arena);
    int rc = db_exec(f->ev->db, f->arena,
                     "DELETE FROM call_events WHERE created_at < NOW(3) - INTERVAL ? HOUR"
                     " ORDER BY id LIMIT 2000",
                     DB_PARAMS(DB_INT(f->ev->cfg->event_retention_hours)), &res);
    *n = rc == DB_OK && res != NULL ? res->affected_rows : 0;
    return rc;
}

void feed_on_retention(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)loop;
    (void)t;
    struct feed *f = data;
    if (!f->ready) {
        /* Purge only once the feed knows the table (it notes what a purge removes). */
        retention_schedule(f, RETENTION_FIRST_MS);
        return;
    }
    unsigned long long n;
    if (feed_db_outcome(f, purge_batch(f, &n), "purging old events") != DB_OK) {
        retention_schedule(f, RETENTION_MS);
        return;
    }
    if (n > 0)
        f->purge_unnoted = 1;
    /* Every run, not only after a purge: deleting a tenant deletes its events too. */
    if (feed_db_outcome(f, refresh_oldest(f), "reading the oldest event") != DB_OK) {
        retention_schedule(f, RETENTION_MS);
        return;
    }
    /* Everything below the oldest row left is gone now (purged, or never committed). */
    if (f->purge_unnoted && f->oldest > 0 && f->oldest - 1 > f->purged)
        f->purged = f->oldest - 1;
    f->purge_unnoted = 0;
    if (n > 0)
        log_info("events: purged %llu events older than %ld hours; oldest kept id %llu", n,
                 f->ev->cfg->event_retention_hours, f->oldest);
    /* A full batch: more to delete, but let the loop serve clients in between. */
    retention_schedule(f, n >= RETENTION_BATCH ? RETENTION_NEXT_MS : RETENTION_MS);
}
