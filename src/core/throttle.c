#include "throttle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"

#define MAX_BUCKETS 4

static void bucket_name(const char *kind, const char *key, char out[65])
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s:%s", kind, key ? key : "");
    /* Longer keys (bounded by the callers' validation) hash their first 511 bytes. */
    crypto_sha256_hex(buf, n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n,
                      out);
}

int throttle_locked(struct db *db, struct arena *a, const char *const *kinds,
                    const char *const *keys, size_t n, long *retry_after)
{
    char names[MAX_BUCKETS][65];
    *retry_after = 0;
    if (n == 0 || n > MAX_BUCKETS)
        return DB_ERROR;
    for (size_t i = 0; i < MAX_BUCKETS; i++)
        bucket_name(kinds[i < n ? i : 0], keys[i < n ? i : 0], names[i]);
    struct db_result *res;
    int rc = db_exec(db, a,
                     "SELECT TIMESTAMPDIFF(SECOND, NOW(), MAX(locked_until)) AS left_s"
                     " FROM rate_buckets WHERE bucket IN (?, ?, ?, ?) AND locked_until > NOW()",
                     DB_PARAMS(DB_STR(names[0]), DB_STR(names[1]), DB_STR(names[2]),
                               DB_STR(names[3])),
                     &res);
    if (rc != DB_OK)
        return rc;
    const char *left = res->nrows ? db_cell(res, 0, 0) : NULL;
    if (left == NULL)
        return 0;
    long s = strtol(left, NULL, 10);
    *retry_after = s < 1 ? 1 : s;
    return 1;
}

int throttle_hit(struct db *db, struct arena *a, const char *kind, const char *key,
                 long window_s, long limit, long lock_s, long *hits)
{
    char name[65];
    bucket_name(kind, key, name);
    /* ON DUPLICATE KEY UPDATE assigns left to right: `hits` is computed from the old
     * window_start, then window_start moves, then locked_until sees the new hits. */
    int rc = db_exec(db, a,
                     "INSERT INTO rate_buckets (bucket, hits, window_start, locked_until)"
                     " VALUES (?, 1, NOW(), IF(1 >= ? AND ? > 0, NOW() + INTERVAL ? SECOND, NULL))"
                     " ON DUPLICATE KEY UPDATE"
                     " hits = IF(window_start <= NOW() - INTERVAL ? SECOND, 1, hits + 1),"
                     " window_start = IF(hits = 1, NOW(), window_start),"
                     " locked_until = IF(hits >= ? AND ? > 0, NOW() + INTERVAL ? SECOND,"
                     "  locked_until)",
                     DB_PARAMS(DB_STR(name), DB_INT(limit), DB_INT(lock_s), DB_INT(lock_s),
                               DB_INT(window_s), DB_INT(limit), DB_INT(lock_s), DB_INT(lock_s)),
                     NULL);
    if (rc != DB_OK)
        return rc;
    struct db_result *res;
    rc = db_exec(db, a, "SELECT hits FROM rate_buckets WHERE bucket = ?",
                 DB_PARAMS(DB_STR(name)), &res);
    if (rc != DB_OK)
        return rc;
    *hits = res->nrows ? db_get_int(res, 0, "hits", 0) : 0;
    return DB_OK;
}

int throttle_count(struct db *db, struct arena *a, const char *kind, const char *key,
                   long window_s, long *hits)
{
    char name[65];
    bucket_name(kind, key, name);
    struct db_result *res;
    int rc = db_exec(db, a,
                     "SELECT hits FROM rate_buckets WHERE bucket = ?"
                     " AND window_start > NOW() - INTERVAL ? SECOND",
                     DB_PARAMS(DB_STR(name), DB_INT(window_s)), &res);
    if (rc != DB_OK)
        return rc;
    *hits = res->nrows ? db_get_int(res, 0, "hits", 0) : 0;
    return DB_OK;
}

int throttle_clear(struct db *db, struct arena *a, const char *kind, const char *key)
{
    char name[65];
    bucket_name(kind, key, name);
    return db_exec(db, a, "DELETE FROM rate_buckets WHERE bucket = ?", DB_PARAMS(DB_STR(name)),
                   NULL);
}
