/*
 * Housekeeping: rows whose use has passed, deleted in small batches every 10 seconds by
 * the event worker (it runs on every app host; concurrent batches find less to do):
 * spent or expired stream tickets, idempotency records older than 24 hours, throttle
 * buckets whose window and lock ended a day ago. Each batch is well inside the worker's
 * statement timeout; a full batch runs again at the next turn of the loop.
 */
#include <stdlib.h>

#include "arena.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "ws_internal.h"
#include "loop.h"

#define HOUSEKEEPING_MS 10000
#define HOUSEKEEPING_FIRST_MS 5000
#define HOUSEKEEPING_NEXT_MS 50 /* after a full batch */
#define BATCH 2000              /* LIMIT in the SQL text */

static const char *const purges[] = {
    "DELETE FROM stream_tickets WHERE expires_at < NOW() - INTERVAL 1 HOUR LIMIT 2000",
    "DELETE FROM idempotency_keys WHERE created_at < NOW() - INTERVAL 25 HOUR LIMIT 2000",
    "DELETE FROM rate_buckets WHERE window_start < NOW() - INTERVAL 2 DAY"
    " AND (locked_until IS NULL OR locked_until < NOW() - INTERVAL 1 DAY) LIMIT 2000",
};

struct housekeeping {
    struct ev *ev;
    struct loop_timer timer;
};

static void run(struct loop *loop, struct loop_timer *t, void *data)
{
    (void)t;
    struct housekeeping *hk = data;
    long long next = HOUSEKEEPING_MS;
    if (feed_ready(hk->ev->feed) && !feed_db_down(hk->ev->feed)) {
        for (size_t i = 0; i < sizeof(purges) / sizeof(purges[0]); i++) {
            struct db_result *res = NULL;
            arena_reset(hk->ev->arena);
            int rc = db_exec(hk->ev->db, hk->ev->arena, purges[i], NULL, 0, &res);
            if (rc != DB_OK) {
                log_warn("events: housekeeping: %s", db_last_error(hk->ev->db));
                break;
            }
            if (res->affected_rows > 0)
                log_debug("events: housekeeping removed %llu rows", res->affected_rows);
            if (res->affected_rows >= BATCH)
                next = HOUSEKEEPING_NEXT_MS;
        }
        arena_reset(hk->ev->arena);
        ws_online_refresh(hk->ev);
    }
    if (loop_timer_start(loop, &hk->timer, next) != 0)
        log_error("events: cannot schedule housekeeping (out of memory)");
}

struct housekeeping *housekeeping_start(struct ev *ev)
{
    struct housekeeping *hk = calloc(1, sizeof(*hk));
    if (hk == NULL)
        return NULL;
    hk->ev = ev;
    loop_timer_init(&hk->timer, run, hk);
    if (loop_timer_start(ev->loop, &hk->timer, HOUSEKEEPING_FIRST_MS) != 0) {
        free(hk);
        return NULL;
    }
    return hk;
}

void housekeeping_stop(struct housekeeping *hk)
{
    if (hk == NULL)
        return;
    loop_timer_stop(hk->ev->loop, &hk->timer);
    free(hk);
}
