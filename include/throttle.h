#ifndef SB_THROTTLE_H
#define SB_THROTTLE_H
/*
 * Counters over a time window in MariaDB (table rate_buckets), shared by every app host:
 * failed password checks (per e-mail, per address) and registrations per address. A
 * bucket is named by a kind and a key ("pwd-email", "ada@example.test"); only the SHA-256
 * of the name is stored. Each call is its own statement: run inside the caller's
 * transaction it counts only if that commits.
 */
#include <stddef.h>

struct arena;
struct db;

/*
 * Is any of the n buckets locked? 0 no; 1 yes, with *retry_after the seconds left (at
 * least 1); or a negative db_rc.
 */
int throttle_locked(struct db *db, struct arena *a, const char *const *kinds,
                    const char *const *keys, size_t n, long *retry_after);

/*
 * Counts one hit in a bucket whose window is window_s seconds (a window older than that
 * starts again at 1). When the count reaches limit and lock_s > 0 the bucket is locked
 * for lock_s seconds. *hits gets the count after this one. DB_OK or a negative db_rc.
 */
int throttle_hit(struct db *db, struct arena *a, const char *kind, const char *key,
                 long window_s, long limit, long lock_s, long *hits);

/* The bucket's count within its window (0 when none or the window passed). */
int throttle_count(struct db *db, struct arena *a, const char *kind, const char *key,
                   long window_s, long *hits);

/* Forgets a bucket (a correct password clears its e-mail's failures). */
int throttle_clear(struct db *db, struct arena *a, const char *kind, const char *key);

#endif
