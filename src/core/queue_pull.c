/*
 * Offers on request: an agent pulls the next waiting call of their queues, or staff give a
 * waiting call to an agent. The moves are the distributor's (queue_dist.h): the queue row
 * locked, then the call (which must still say `waiting` under its lock), then the agent's
 * guarded reservation, then a pending offer, so a pull racing another pull or a dispatch
 * never gives one call to two agents nor an agent more calls than their capacity.
 */
#include <stdbool.h>
#include <string.h>

#include "db.h"
#include "queue_dist.h"
#include "queue_internal.h"
#include "request.h"
#include "txn.h"

enum { TAKEN = 3 }; /* the call is no longer waiting */

/* Locks queue and call in the distributor's order; the offer to user_id if it waits. */
static int offer_now(struct request *r, const char *queue_id, const char *qcall_id,
                     const char *user_id, const char **offer_id)
{
    struct db_result *q, *c;
    const char *tid = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, timeout FROM queues WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(queue_id), DB_STR(tid)), &q);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT status, round FROM queue_calls WHERE id = ? AND tenant_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(qcall_id), DB_STR(tid)), &c);
    if (rc != DB_OK)
        return rc;
    if (q->nrows == 0 || c->nrows == 0 || strcmp(db_get(c, 0, "status"), "waiting") != 0)
        return TAKEN;
    bool held = false;
    rc = qagent_reserve(r, user_id, &held);
    if (rc == DB_OK && !held)
        return txn_fail(r, 409, "agent_unavailable",
                        "The agent cannot take a call now (not available, in wrap-up or at"
                        " capacity)");
    if (rc == DB_OK)
        rc = qoffer_insert(r, q, qcall_id, db_get_int(c, 0, "round", 0), user_id, offer_id);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE queue_calls SET status = 'offered', tries = tries + 1"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(qcall_id), DB_STR(tid)), NULL);
    if (rc == DB_OK)
        rc = qqueue_touch(r, queue_id);
    return rc;
}

int qdist_pull(struct request *r, const char *user_id, const char **qcall_id,
               const char **offer_id)
{
    struct db_result *cand;
    *qcall_id = *offer_id = NULL;
    /* Candidates are read without a lock: one taken before we lock it is passed over. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT c.id, c.queue_id FROM queue_calls c JOIN queue_members m"
                     " ON m.tenant_id = c.tenant_id AND m.queue_id = c.queue_id"
                     " JOIN queues q ON q.tenant_id = c.tenant_id AND q.id = c.queue_id"
                     " WHERE c.tenant_id = ? AND m.user_id = ? AND m.is_paused = 0"
                     " AND q.is_active = 1 AND c.status = 'waiting'"
                     " ORDER BY c.priority DESC, c.entered_at, c.id LIMIT 8",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(user_id)), &cand);
    for (size_t i = 0; rc == DB_OK && i < cand->nrows; i++) {
        const char *id = db_get(cand, i, "id");
        rc = offer_now(r, db_get(cand, i, "queue_id"), id, user_id, offer_id);
        if (rc == DB_OK)
            *qcall_id = id;
        if (rc == TAKEN)
            rc = DB_OK;
        else
            break;
    }
    return rc;
}

int qdist_assign(struct request *r, const char *call, const char *user_id,
                 const char **qcall_id, const char **offer_id)
{
    struct db_result *c;
    *qcall_id = *offer_id = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, queue_id FROM queue_calls WHERE tenant_id = ?"
                     " AND (id = ? OR call_id = ?) ORDER BY entered_at DESC, id DESC LIMIT 1",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(call), DB_STR(call)),
                     &c);
    if (rc != DB_OK)
        return rc;
    if (c->nrows == 0)
        return txn_fail(r, 404, "not_found", "Call not found");
    *qcall_id = db_get(c, 0, "id");
    if (user_id == NULL)
        return QDIST_NO_AGENT;
    rc = offer_now(r, db_get(c, 0, "queue_id"), *qcall_id, user_id, offer_id);
    if (rc == TAKEN)
        return txn_fail(r, 409, "call_not_waiting", "The call is no longer waiting");
    return rc;
}
