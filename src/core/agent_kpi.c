/*
 * An agent's staffed time (logged in, not on a break) in the 15-minute KPI buckets: a
 * closed presence interval is split at bucket boundaries and each part added to its
 * bucket, in the transaction of the change that closed it (sql/013).
 */
#include <stdbool.h>
#include <string.h>

#include "agent_state.h"
#include "db.h"
#include "request.h"

#define BUCKET_MS (900LL * 1000)
/* A longer interval (a week logged in without a change) is not split into more parts. */
#define MAX_PARTS (7 * 96)

static bool staffed(const char *presence)
{
    return presence != NULL &&
           (strcmp(presence, "available") == 0 || strcmp(presence, "away") == 0);
}

static int bucket_add(struct request *r, const char *user_id, long long bucket_ms, long long ms)
{
    return db_exec(r->db, r->arena,
                   "INSERT INTO kpi_agent_buckets (tenant_id, user_id, bucket_start, staffed_ms)"
                   " VALUES (?, ?, FROM_UNIXTIME(?), ?)"
                   " ON DUPLICATE KEY UPDATE staffed_ms = staffed_ms + VALUES(staffed_ms)",
                   DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id),
                             DB_INT(bucket_ms / 1000), DB_INT(ms)),
                   NULL);
}

int agent_kpi_presence_closed(struct request *r, const char *user_id, const char *now)
{
    struct db_result *iv;
    int rc = db_exec(r->db, r->arena,
                     "SELECT value, FLOOR(UNIX_TIMESTAMP(started_at) * 1000) AS s,"
                     " FLOOR(UNIX_TIMESTAMP(?) * 1000) AS e FROM agent_state_history"
                     " WHERE tenant_id = ? AND user_id = ? AND axis = 'presence'"
                     " AND ended_at IS NULL FOR UPDATE",
                     DB_PARAMS(DB_STR(now), DB_STR(r->auth.tenant_id), DB_STR(user_id)), &iv);
    if (rc != DB_OK || iv->nrows == 0 || !staffed(db_get(iv, 0, "value")))
        return rc;
    long long s = db_get_int(iv, 0, "s", 0), e = db_get_int(iv, 0, "e", 0);
    if (e - s > MAX_PARTS * BUCKET_MS)
        s = e - MAX_PARTS * BUCKET_MS;
    for (long long b = s - s % BUCKET_MS; rc == DB_OK && b < e; b += BUCKET_MS) {
        long long from = b > s ? b : s, to = b + BUCKET_MS < e ? b + BUCKET_MS : e;
        if (to > from)
            rc = bucket_add(r, user_id, b, to - from);
    }
    return rc;
}
