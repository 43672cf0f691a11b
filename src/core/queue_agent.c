/*
 * The distributor's side of an agent: capacity reserved and given back, and the activity
 * axis (idle, offered, on_call, wrap_up) that follows from their offers and calls. The
 * presence axis is the agent's own (agent_state.c); every activity change goes through
 * agent_state_change() so that it is recorded and announced like any other.
 */
#include <stdbool.h>
#include <string.h>

#include "agent_state.h"
#include "crypto.h"
#include "db.h"
#include "queue_dist.h"
#include "queue_internal.h"
#include "request.h"

const char *id_new_offer(struct request *r)
{
    return id_new(r->arena, "offer_");
}

int qagent_reserve(struct request *r, const char *user_id, bool *held)
{
    struct db_result *upd;
    *held = false;
    /* The guard is the capacity rule itself, evaluated under the row lock. */
    int rc = db_exec(r->db, r->arena,
                     "UPDATE agent_states SET active_calls = active_calls + 1"
                     " WHERE tenant_id = ? AND user_id = ? AND presence = 'available'"
                     " AND activity <> 'wrap_up' AND active_calls < capacity",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), &upd);
    if (rc != DB_OK || upd->affected_rows != 1)
        return rc;
    *held = true;
    return qagent_settle(r, user_id);
}

/* What the activity should be, from what the agent holds. */
static const char *activity_wanted(const char *now, long long answered, long long held,
                                   long long wrapup_seconds)
{
    if (answered > 0)
        return "on_call";
    if (held > 0)
        return "offered";
    if (wrapup_seconds > 0)
        return "wrap_up";
    /* A wrap-up already running ends by the clock, not by an offer given back. */
    if (wrapup_seconds == 0 || strcmp(now, "wrap_up") != 0)
        return "idle";
    return now;
}

static int settle(struct request *r, const char *user_id, long long wrapup_seconds)
{
    struct db_result *a;
    const char *tid = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT a.activity, a.active_calls, (SELECT COUNT(*) FROM queue_calls c"
                     " WHERE c.tenant_id = a.tenant_id AND c.agent_id = a.user_id"
                     " AND c.status = 'answered') AS answered"
                     " FROM agent_states a WHERE a.tenant_id = ? AND a.user_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(tid), DB_STR(user_id)), &a);
    if (rc != DB_OK || a->nrows == 0)
        return rc;
    const char *now = db_get(a, 0, "activity");
    const char *want = activity_wanted(now, db_get_int(a, 0, "answered", 0),
                                       db_get_int(a, 0, "active_calls", 0), wrapup_seconds);
    if (strcmp(want, "wrap_up") == 0 && wrapup_seconds > 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agent_states SET wrapup_until = NOW(3) + INTERVAL ? SECOND"
                     " WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_INT(wrapup_seconds), DB_STR(tid), DB_STR(user_id)), NULL);
    if (rc == DB_OK && strcmp(want, now) != 0)
        rc = agent_state_change(r, user_id, NULL, want, NULL);
    return rc;
}

int qagent_settle(struct request *r, const char *user_id)
{
    return settle(r, user_id, -1);
}

int qagent_release(struct request *r, const char *user_id, bool call_ended,
                   long long wrapup_seconds)
{
    int rc = db_exec(r->db, r->arena,
                     "UPDATE agent_states SET active_calls = GREATEST(active_calls - 1, 0),"
                     " last_call_ended_at = IF(?, NOW(3), last_call_ended_at)"
                     " WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_INT(call_ended), DB_STR(r->auth.tenant_id), DB_STR(user_id)),
                     NULL);
    if (rc != DB_OK)
        return rc;
    return settle(r, user_id, call_ended ? wrapup_seconds : -1);
}

int qagent_wrapup_end(struct request *r, const char *user_id)
{
    struct db_result *a;
    int rc = db_exec(r->db, r->arena,
                     "SELECT 1 FROM agent_states WHERE tenant_id = ? AND user_id = ?"
                     " AND activity = 'wrap_up' AND wrapup_until <= NOW(3) FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), &a);
    if (rc != DB_OK || a->nrows == 0)
        return rc;
    rc = db_exec(r->db, r->arena,
                 "UPDATE agent_states SET wrapup_until = NULL WHERE tenant_id = ? AND user_id = ?",
                 DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), NULL);
    return rc == DB_OK ? settle(r, user_id, 0) : rc;
}
