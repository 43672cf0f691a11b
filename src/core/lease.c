/* Leases for cluster-wide jobs (lease.h). */
#include "lease.h"

#include <string.h>

#include "arena.h"

int lease_hold(struct db *db, struct arena *a, const char *name, const char *holder,
               long ttl_ms)
{
    struct db_result *res;
    long long us = (long long)ttl_ms * 1000;
    /* The first take makes the row; later ones move it when it is ours or has expired. */
    int rc = db_exec(db, a,
                     "INSERT IGNORE INTO job_leases (name, holder, expires_at)"
                     " VALUES (?, ?, NOW(3) + INTERVAL ? MICROSECOND)",
                     DB_PARAMS(DB_STR(name), DB_STR(holder), DB_INT(us)), &res);
    if (rc == DB_OK && res->affected_rows == 0)
        rc = db_exec(db, a,
                     "UPDATE job_leases SET taken_at = IF(holder = ?, taken_at, NOW(3)),"
                     " holder = ?, expires_at = NOW(3) + INTERVAL ? MICROSECOND"
                     " WHERE name = ? AND (holder = ? OR expires_at < NOW(3))",
                     DB_PARAMS(DB_STR(holder), DB_STR(holder), DB_INT(us), DB_STR(name),
                               DB_STR(holder)),
                     NULL);
    /* Read back: an UPDATE that changed nothing reports no row, held or not. */
    if (rc == DB_OK)
        rc = db_exec(db, a, "SELECT holder FROM job_leases WHERE name = ?",
                     DB_PARAMS(DB_STR(name)), &res);
    if (rc != DB_OK)
        return rc;
    const char *now = db_get(res, 0, "holder");
    return now != NULL && strcmp(now, holder) == 0 ? 1 : 0;
}

void lease_release(struct db *db, struct arena *a, const char *name, const char *holder)
{
    db_exec(db, a,
            "UPDATE job_leases SET expires_at = NOW(3) - INTERVAL 1 SECOND"
            " WHERE name = ? AND holder = ?",
            DB_PARAMS(DB_STR(name), DB_STR(holder)), NULL);
}
