/*
 * switchboard-clock -c CONFIG: the distributor's clock. The moves that happen because
 * time passed, with no client calling anything, are made here: offers that expire,
 * wrap-ups that end, callers past their queue's max wait, calls due for an offer once the
 * retry delay is over, and queue.stats events (tick.c).
 *
 * Why a process of its own and not timers in the event worker: the event worker's loop
 * must never wait on a lock (it holds thousands of streams), while a move takes row locks
 * and may wait on them or be retried after a deadlock; and a process that only does this
 * can be restarted, watched and scaled alone. Nothing is kept in memory between ticks:
 * every due item is found by an indexed query and moved in its own transaction under a
 * row lock, so a clock on each app host may run at once (they share the work through
 * SKIP LOCKED and the moves' own guards) and a restarted clock loses nothing.
 *
 * SIGTERM/SIGINT: finish the tick, exit 0.
 */
#include <unistd.h>

#include "arena.h"
#include "cache.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "log.h"

/* How often the clock looks for due work when nobody pokes it: the lateness bound. */
#define TICK_MS 200

static struct config cfg;

int main(int argc, char **argv)
{
    int rc = daemon_configure("clock", argc, argv, &cfg);
    if (rc >= 0)
        return rc;
    if (daemon_signals("clock") != 0)
        return 1;
    struct db_options dbo;
    config_db_options(&cfg, 0, &dbo);
    struct daemon_ctx ctx = {.cfg = &cfg, .db = db_create(&dbo),
                            .cache = cache_create(config_memcached(&cfg)),
                            .arena = arena_create(64 * 1024)};
    rc = 1;
    if (ctx.db == NULL || ctx.cache == NULL || ctx.arena == NULL) {
        log_error("clock: out of memory at start");
        goto out;
    }
    int wake = clock_wake_open(cfg.clock_wake_socket);
    log_info("clock: started (pid %ld)", (long)getpid());
    while (!daemon_stop) {
        int moved = clock_tick(&ctx);
        arena_reset(ctx.arena);
        /* A full batch: more is due now. Nothing, or the database away: wait a tick. */
        if (moved < CLOCK_BATCH)
            clock_wake_wait(wake, TICK_MS);
    }
    clock_wake_close(wake, cfg.clock_wake_socket);
    log_info("clock: stopped");
    rc = 0;
out:
    arena_destroy(ctx.arena);
    cache_destroy(ctx.cache);
    db_destroy(ctx.db);
    return rc;
}
