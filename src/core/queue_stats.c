/*
 * Live figures of a queue (who waits, who is free) and the queued call's answer with its
 * position in line. Both read only rows that are live now (waiting calls, the queue's
 * members), never the history, so they cost the same on a tenant with years of calls.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "queue_dist.h"
#include "queue_internal.h"
#include "request.h"
#include "txn.h"

/* One pass over the line (its index range) and one over the members, not one per figure. */
#define LIVE_SQL                                                                              \
    "SELECT q.id AS queue_id, q.name AS queue_name, l.calls_waiting, l.longest_wait_time,"   \
    " l.average_wait_time, l.calls_in_progress, m.logged_in_agents, m.available_agents,"      \
    " m.talking_agents, m.wrapup_agents, m.paused_agents FROM queues q,"                      \
    " (SELECT COALESCE(SUM(c.status <> 'answered'), 0) AS calls_waiting,"                     \
    " COALESCE(TIMESTAMPDIFF(SECOND, MIN(IF(c.status <> 'answered', c.entered_at, NULL)),"    \
    " NOW(3)), 0) AS longest_wait_time, COALESCE(ROUND(AVG(IF(c.status <> 'answered',"        \
    " TIMESTAMPDIFF(SECOND, c.entered_at, NOW(3)), NULL))), 0) AS average_wait_time,"         \
    " COALESCE(SUM(c.status = 'answered'), 0) AS calls_in_progress FROM queue_calls c"        \
    " WHERE c.tenant_id = ? AND c.queue_id = ?"                                               \
    " AND c.status IN ('waiting','offered','answered')) l,"                                   \
    " (SELECT COALESCE(SUM(a.presence <> 'offline'), 0) AS logged_in_agents,"                 \
    " COALESCE(SUM(a.presence = 'available' AND mm.is_paused = 0 AND a.activity = 'idle'"     \
    " AND a.active_calls < a.capacity), 0) AS available_agents,"                              \
    " COALESCE(SUM(a.activity = 'on_call'), 0) AS talking_agents,"                            \
    " COALESCE(SUM(a.activity = 'wrap_up'), 0) AS wrapup_agents,"                             \
    " COALESCE(SUM(a.presence <> 'offline' AND (mm.is_paused = 1"                             \
    " OR a.presence IN ('break','away'))), 0) AS paused_agents"                               \
    " FROM queue_members mm JOIN agent_states a ON a.tenant_id = mm.tenant_id"                \
    " AND a.user_id = mm.user_id WHERE mm.tenant_id = ? AND mm.queue_id = ?) m"               \
    " WHERE q.id = ? AND q.tenant_id = ?"

static const char *const live_ints[] = {
    "calls_waiting",    "longest_wait_time", "average_wait_time", "calls_in_progress",
    "logged_in_agents", "available_agents",  "talking_agents",    "wrapup_agents",
    "paused_agents",    NULL};

struct json_object *qstats_live(struct request *r, const char *queue_id)
{
    struct db_result *res;
    const char *tid = r->auth.tenant_id;
    if (db_exec(r->db, r->arena, LIVE_SQL,
                DB_PARAMS(DB_STR(tid), DB_STR(queue_id), DB_STR(tid), DB_STR(queue_id),
                          DB_STR(queue_id), DB_STR(tid)),
                &res) != DB_OK ||
        res->nrows == 0)
        return NULL;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "queue_id", db_get(res, 0, "queue_id")) ||
        json_set_str(o, "queue_name", db_get(res, 0, "queue_name")))
        return NULL;
    for (size_t i = 0; live_ints[i] != NULL; i++)
        if (json_set_int(o, live_ints[i], db_get_int(res, 0, live_ints[i], 0)))
            return NULL;
    if (qstats_today(r, queue_id, o) != DB_OK)
        return NULL;
    return o;
}

int qstats_emit(struct request *r, const char *queue_id)
{
    struct db_result *m;
    const char *tid = r->auth.tenant_id;
    /* Another clock may be sending it right now: skip, it will be sent either way. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT 1 FROM queue_live_marks WHERE tenant_id = ? AND queue_id = ?"
                     " AND dirty_at IS NOT NULL AND (sent_at IS NULL OR (dirty_at > sent_at"
                     " AND sent_at <= NOW(3) - INTERVAL 1 SECOND)) FOR UPDATE SKIP LOCKED",
                     DB_PARAMS(DB_STR(tid), DB_STR(queue_id)), &m);
    if (rc != DB_OK || m->nrows == 0)
        return rc;
    struct json_object *live = qstats_live(r, queue_id);
    const char *text = live ? json_text(live, NULL) : NULL;
    if (text == NULL)
        return DB_ERROR;
    rc = event_emit(r, "queue.stats", NULL, text);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE queue_live_marks SET sent_at = NOW(3)"
                     " WHERE tenant_id = ? AND queue_id = ?",
                     DB_PARAMS(DB_STR(tid), DB_STR(queue_id)), NULL);
    return rc;
}

#define QCALL_SQL                                                                             \
    "SELECT c.id, c.queue_id, q.name AS queue_name, c.call_id, c.did_id, c.caller_number,"   \
    " c.caller_name, c.called_number, c.priority, c.status, c.tries, c.entered_at,"           \
    " c.deadline_at, c.agent_id, c.answered_at, c.ended_at, c.hold_seconds,"                  \
    " c.hold_started_at IS NOT NULL AS on_hold, c.hangup_side, c.overflow_to,"                \
    " c.from_queue_call_id,"                                                                  \
    " TIMESTAMPDIFF(SECOND, c.entered_at, COALESCE(c.answered_at, c.ended_at, NOW(3)))"       \
    " AS wait_time, IF(c.status IN ('waiting','offered'), 1 + (SELECT COUNT(*)"               \
    " FROM queue_calls w WHERE w.tenant_id = c.tenant_id AND w.queue_id = c.queue_id"         \
    " AND w.status IN ('waiting','offered') AND (w.priority > c.priority"                     \
    " OR (w.priority = c.priority AND (w.entered_at < c.entered_at"                           \
    " OR (w.entered_at = c.entered_at AND w.id < c.id))))), NULL) AS position"                \
    " FROM queue_calls c JOIN queues q ON q.tenant_id = c.tenant_id AND q.id = c.queue_id"    \
    " WHERE c.id = ? AND c.tenant_id = ?"

/* The queued call as a JSON object (arena), with its position and estimated wait. */
static struct json_object *qcall_json(struct request *r, const char *id, bool *found)
{
    struct db_result *res;
    *found = true;
    if (db_exec(r->db, r->arena, QCALL_SQL, DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)),
                &res) != DB_OK)
        return NULL;
    if (res->nrows == 0) {
        *found = false;
        return NULL;
    }
    struct json_object *o = arena_json(r->arena, db_row_json(res, 0, NULL));
    if (o == NULL)
        return NULL;
    long long ewt = -1;
    if (db_get(res, 0, "position") != NULL &&
        qstats_ewt(r, db_get(res, 0, "queue_id"), db_get_int(res, 0, "position", 1), &ewt) !=
            DB_OK)
        return NULL;
    if (ewt >= 0 ? json_set_int(o, "estimated_wait", ewt)
                 : (json_object_object_add(o, "estimated_wait", NULL), 0))
        return NULL;
    return o;
}

int qcall_reply(struct request *r, int status, const char *queue_call_id)
{
    bool found;
    struct json_object *o = qcall_json(r, queue_call_id, &found);
    if (!found)
        return txn_fail(r, 404, "not_found", "Queued call not found");
    if (o == NULL)
        return DB_ERROR;
    return reply_one(r, status, "queue_call", o) == 0 ? DB_OK : DB_ERROR;
}
