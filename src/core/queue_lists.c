/*
 * The distributor's read-only lists: a queue's calls in line, the caller's open offers,
 * and the live figures of every queue of the tenant. Whole lists: they hold live rows
 * only (calls not ended, offers pending), never the history.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "jsonutil.h"
#include "queue_dist.h"
#include "queue_internal.h"
#include "request.h"

static int whole_list(struct request *r, const char *key, struct db_result *res)
{
    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    if (rows == NULL)
        return request_oom(r);
    long long n = (long long)res->nrows;
    return reply_list(r, key, rows, 1, n > 0 ? n : 1, n);
}

static int queue_exists(struct request *r, const char *queue_id, bool *found)
{
    struct db_result *q;
    int rc = db_exec(r->db, r->arena, "SELECT 1 FROM queues WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(queue_id), DB_STR(r->auth.tenant_id)), &q);
    *found = rc == DB_OK && q->nrows == 1;
    return rc;
}

int qcalls_list(struct request *r, const char *queue_id)
{
    struct db_result *res;
    bool found;
    int rc = queue_exists(r, queue_id, &found);
    if (rc == DB_OK && !found)
        return request_error(r, 404, "not_found", "Queue not found");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT c.id, c.queue_id, c.call_id, c.caller_number, c.caller_name,"
                     " c.called_number, c.priority, c.status, c.agent_id, c.entered_at,"
                     " c.answered_at, c.hold_started_at IS NOT NULL AS on_hold,"
                     " TIMESTAMPDIFF(SECOND, c.entered_at, COALESCE(c.answered_at, NOW(3)))"
                     " AS wait_time, IF(c.status = 'answered', NULL, ROW_NUMBER() OVER"
                     " (PARTITION BY c.status = 'answered'"
                     " ORDER BY c.priority DESC, c.entered_at, c.id)) AS position"
                     " FROM queue_calls c WHERE c.tenant_id = ? AND c.queue_id = ?"
                     " AND c.status IN ('waiting','offered','answered')"
                     " ORDER BY c.status = 'answered', c.priority DESC, c.entered_at, c.id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return whole_list(r, "queue_calls", res);
}

int qoffers_mine(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT o.id, o.queue_call_id, o.queue_id, q.name AS queue_name,"
                     " c.caller_number, c.caller_name, c.called_number, o.status,"
                     " o.offered_at, o.expires_at FROM queue_offers o"
                     " JOIN queue_calls c ON c.tenant_id = o.tenant_id AND c.id = o.queue_call_id"
                     " JOIN queues q ON q.tenant_id = o.tenant_id AND q.id = o.queue_id"
                     " WHERE o.tenant_id = ? AND o.user_id = ? AND o.status = 'pending'"
                     " AND o.expires_at > NOW(3) ORDER BY o.offered_at, o.id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return whole_list(r, "offers", res);
}

/*
 * The tenant's live figures: its callers in line in any queue, and its agents counted once
 * each (an agent in three queues is one agent), from the live rows only.
 */
static struct json_object *tenant_live(struct request *r)
{
    static const char *const ints[] = {
        "calls_waiting", "longest_wait_time", "calls_in_progress", "logged_in_agents",
        "available_agents", "talking_agents", "wrapup_agents", "paused_agents", NULL};
    struct db_result *res;
    const char *tid = r->auth.tenant_id;
    if (db_exec(r->db, r->arena,
                "SELECT (SELECT COUNT(*) FROM queue_calls c WHERE c.tenant_id = ?"
                " AND c.status IN ('waiting','offered')) AS calls_waiting,"
                " (SELECT COALESCE(TIMESTAMPDIFF(SECOND, MIN(c.entered_at), NOW(3)), 0)"
                " FROM queue_calls c WHERE c.tenant_id = ? AND c.status IN ('waiting','offered'))"
                " AS longest_wait_time, (SELECT COUNT(*) FROM queue_calls c"
                " WHERE c.tenant_id = ? AND c.status = 'answered') AS calls_in_progress,"
                " COALESCE(SUM(presence <> 'offline'), 0) AS logged_in_agents,"
                " COALESCE(SUM(presence = 'available' AND activity = 'idle'"
                " AND active_calls < capacity), 0) AS available_agents,"
                " COALESCE(SUM(activity = 'on_call'), 0) AS talking_agents,"
                " COALESCE(SUM(activity = 'wrap_up'), 0) AS wrapup_agents,"
                " COALESCE(SUM(presence IN ('break','away')), 0) AS paused_agents"
                " FROM agent_states WHERE tenant_id = ? AND presence <> 'offline'",
                DB_PARAMS(DB_STR(tid), DB_STR(tid), DB_STR(tid), DB_STR(tid)), &res) != DB_OK)
        return NULL;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    for (size_t i = 0; o != NULL && ints[i] != NULL; i++)
        if (json_set_int(o, ints[i], db_get_int(res, 0, ints[i], 0)))
            return NULL;
    return o;
}

int qstats_live_reply(struct request *r, const char *queue_id)
{
    struct db_result *q;
    int rc = DB_OK;
    if (queue_id == NULL)
        rc = db_exec(r->db, r->arena,
                     "SELECT id FROM queues WHERE tenant_id = ? ORDER BY name, id LIMIT 500",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &q);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (queue_id != NULL) {
        bool found;
        rc = queue_exists(r, queue_id, &found);
        if (rc != DB_OK)
            return request_db_error(r, rc);
        if (!found)
            return request_error(r, 404, "not_found", "Queue not found");
        struct json_object *one = qstats_live(r, queue_id);
        return one ? reply_one(r, 200, "queue_stats", one) : request_oom(r);
    }
    struct json_object *all = arena_json(r->arena, json_object_new_array());
    for (size_t i = 0; all != NULL && i < q->nrows; i++) {
        struct json_object *one = qstats_live(r, db_get(q, i, "id"));
        if (one == NULL || json_object_array_add(all, json_object_get(one)) != 0)
            return request_oom(r);
    }
    if (all == NULL)
        return request_oom(r);
    long long n = (long long)q->nrows;
    struct json_object *tenant = tenant_live(r);
    if (tenant == NULL || reply_list(r, "queue_stats", all, 1, n > 0 ? n : 1, n) != 0)
        return request_oom(r);
    return reply_set(r, "tenant", json_object_get(tenant));
}
