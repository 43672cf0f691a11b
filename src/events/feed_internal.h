#ifndef SB_EVENTS_FEED_INTERNAL_H
#define SB_EVENTS_FEED_INTERNAL_H
/*
 * The inside of the feed, shared by its two files and private to them (everyone else uses
 * events.h):
 *
 *   feed.c         the tail: startup, each tenant's position, wake socket, life
 *   feed_replay.c  the past: replay reads (ring first, database otherwise) and retention
 */
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"

#define RETENTION_FIRST_MS 10000 /* first purge after start */

struct db_result;

struct feed {
    struct ev *ev;
    struct arena *arena;      /* startup, retention and replay reads */
    struct arena *tail_arena; /* the tail read: its rows live across hub callbacks */
    int ready;
    long long last_full_ms; /* when every tenant's position was last read */

    struct loop_timer tail_timer;
    struct loop_defer tail_defer;
    struct loop_timer retention_timer;

    int wake_fd;
    int wake_udp_fd; /* event_wake_listen, -1 when not set */
    int wake_created;
    dev_t wake_dev;
    ino_t wake_ino;

    int db_down;
    long long backoff_ms;
    unsigned long long delivered;
    long long last_build_error;
};

/* ---- feed.c ------------------------------------------------------------------------ */

/* Notes the outcome of a database call (down, backoff, back up); returns rc. */
int feed_db_outcome(struct feed *f, int rc, const char *what);
/* A cell as an unsigned number, 0 when SQL NULL (then *is_null, when given, is 1). */
unsigned long long feed_cell_ull(const struct db_result *res, size_t row, unsigned col,
                                 int *is_null);

/* ---- feed_replay.c ----------------------------------------------------------------- */

/* The retention timer: one purge batch; it restarts itself. */
void feed_on_retention(struct loop *loop, struct loop_timer *t, void *data);

#endif
