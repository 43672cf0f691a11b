/*
 * The past of the feed (feed_internal.h): what clients can replay, and how far back that
 * reaches.
 *
 * Replays read (after, upto] from the ring when it covers the range, else with one indexed
 * database read of the tenant's rows.
 *
 * Retention: every RETENTION_MS, delete events older than event_retention_hours in
 * batches of 2,000, each well inside the statement timeout (yielding to the loop between
 * batches). A tenant's seqs have no holes, so a cursor has lost events exactly when the
 * tenant's oldest seq left is beyond the one after it (feed_cursor_lost asks the
 * database: any host's purge counts).
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
    const struct event *first = store_ring_event(t, after + 1);
    if (first != NULL) {
        for (unsigned long long seq = after + 1; seq <= upto; seq++) {
            const struct event *e = store_ring_event(t, seq);
            if (e == NULL)
                return DB_OK; /* beyond the ring (upto is the feed's position: cannot be) */
            *scanned = seq;
            if (!filter_match(filter, e))
                continue;
            n++;
            bytes += e->frame_len;
            if (fn(e, arg) != 0 || n >= max || bytes >= max_bytes)
                return DB_OK;
        }
        *scanned = upto;
        return DB_OK;
    }

    /* Older than the ring: one read of this tenant's rows (indexed by tenant_id, seq or
     * tenant_id, call_id). The caller continues from *scanned if it needs more. While
     * the tail finds the database away, do not wait for it here too: the replays retry. */
    if (f->db_down)
        return DB_UNAVAILABLE;
    struct db_result *res;
    int rc;
    arena_reset(f->arena);
    if (filter->scope == SCOPE_CALL)
        rc = db_exec(f->ev->db, f->arena,
                     "SELECT " EVENT_COLUMNS " FROM call_events"
                     " WHERE tenant_id = ? AND call_id = ? AND seq > ? AND seq <= ?"
                     " ORDER BY seq LIMIT 500",
                     DB_PARAMS(DB_STR(t->id), DB_STR(filter->call_id), DB_INT(after),
                               DB_INT(upto)),
                     &res);
    else
        rc = db_exec(f->ev->db, f->arena,
                     "SELECT " EVENT_COLUMNS " FROM call_events"
                     " WHERE tenant_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT 500",
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

int feed_cursor_lost(struct feed *f, const struct tenant *t, unsigned long long after)
{
    if (after == t->delivered)
        return 0;
    struct db_result *res;
    arena_reset(f->arena);
    int rc = db_exec(f->ev->db, f->arena,
                     "SELECT (SELECT MIN(seq) FROM call_events WHERE tenant_id = ?),"
                     " (SELECT last_seq FROM event_sequences WHERE tenant_id = ?)",
                     DB_PARAMS(DB_STR(t->id), DB_STR(t->id)), &res);
    if (feed_db_outcome(f, rc, "checking a cursor") != DB_OK || res->nrows == 0)
        return 0; /* cannot tell: the replay reads what is there */
    int none = 1;
    unsigned long long oldest = feed_cell_ull(res, 0, 0, &none);
    unsigned long long last = feed_cell_ull(res, 0, 1, NULL);
    if (t->delivered > last)
        last = t->delivered;
    if (after > last)
        return 1; /* a position this tenant never had */
    if (none)
        return after < last; /* every event after it was purged */
    return after + 1 < oldest;
}

/* ---- retention ------------------------------------------------------------------------ */

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
        log_info("events: purged %llu events older than %ld hours", n,
                 f->ev->cfg->event_retention_hours);
    /* A full batch: more to delete, but let the loop serve clients in between. */
    retention_schedule(f, n >= RETENTION_BATCH ? RETENTION_NEXT_MS : RETENTION_MS);
}
