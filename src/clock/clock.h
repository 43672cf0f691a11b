#ifndef SB_CLOCK_H
#define SB_CLOCK_H
/* The clock process (main.c) and its tick (tick.c). */
struct arena;
struct cache;
struct config;
struct db;
struct daemon_ctx;

/* Due items taken per phase and tick; a tick that moved this many runs again at once. */
#define CLOCK_BATCH 200

/* One pass over every kind of due work; the number of items moved (0 when the database
 * is away: the next tick tries again). */
int clock_tick(struct daemon_ctx *ctx);

/* The wake-up socket (wake.c): -1 when there is none (then waiting is a plain sleep). */
int clock_wake_open(const char *path);
/* Waits up to ms or until a poke, then drains the pokes. */
void clock_wake_wait(int fd, int ms);
void clock_wake_close(int fd, const char *path);

#endif
