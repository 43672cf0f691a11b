/*
 * The calldocker pages' queue moves: an agent pulls the next waiting call of their queues
 * (GET /api/calls/queue/next), and staff give a waiting call to an agent
 * (POST /api/calls/:id/assign). Both make the distributor's reservation, a pending offer
 * (queue_dist.h: qdist_pull, qdist_assign); the agent takes it with
 * POST /api/offers/:id/accept, or it expires like any offer. The answer is the queued
 * call with the offer's `offer_id` and `offer_expires_at`.
 */
#include <stddef.h>

#include "arena.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "queue_dist.h"
#include "request.h"
#include "router.h"
#include "routes.h"
#include "txn.h"

/* Inside the step: the queued call's answer, with its offer. */
static int offered_answer(struct request *r, const char *qcall_id, const char *offer_id)
{
    struct db_result *o;
    int rc = qcall_reply(r, 200, qcall_id);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT expires_at FROM queue_offers WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(offer_id), DB_STR(r->auth.tenant_id)), &o);
    if (rc != DB_OK)
        return rc;
    if (r->reply.data == NULL || json_set_str(r->reply.data, "offer_id", offer_id) != 0 ||
        json_set_str(r->reply.data, "offer_expires_at", db_get(o, 0, "expires_at")) != 0)
        return DB_ERROR;
    return DB_OK;
}

static int pull_step(struct request *r, void *arg)
{
    (void)arg;
    const char *qcall_id, *offer_id;
    int rc = qdist_pull(r, r->auth.user_id, &qcall_id, &offer_id);
    if (rc != DB_OK)
        return rc;
    if (qcall_id == NULL) {
        /* Nothing waits: a success whose data is null, with a message. */
        if (reply_message(r, 200, "No call is waiting in your queues") != 0)
            return DB_ERROR;
        r->reply.data = NULL;
        r->reply.data_text = "null";
        r->reply.data_len = 4;
        return DB_OK;
    }
    return offered_answer(r, qcall_id, offer_id);
}

static int queue_next(struct request *r)
{
    return txn_reply(r, txn_run(r, pull_step, NULL));
}

static const struct field_def assign_fields[] = {
    {"agent_id", FT_ID, F_REQUIRED | F_ALWAYS, 0, 0, NULL, NULL, "user_id"},
};

struct assign {
    const char *call, *agent;
};

static int assign_step(struct request *r, void *arg)
{
    const struct assign *a = arg;
    const char *user_id = NULL, *qcall_id, *offer_id;
    int rc = agent_user_of(r, a->agent, &user_id);
    if (rc == DB_OK || rc == 1)
        rc = qdist_assign(r, a->call, user_id, &qcall_id, &offer_id);
    if (rc == QDIST_NO_AGENT) {
        /* The call is the caller's (else 404 above), the agent nobody of theirs. */
        request_field_error(r, "agent_id", "is not an agent or user of the company");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    return rc == DB_OK ? offered_answer(r, qcall_id, offer_id) : rc;
}

static int call_assign(struct request *r)
{
    struct field_value v[1];
    if (fields_declared(r, FIELDS_CREATE, v, 1, NULL) != 0)
        return -1;
    struct assign a = {request_param(r, "id"), v[0].s};
    return txn_reply(r, txn_run(r, assign_step, &a));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/calls/queue/next", queue_next, ROLES_ANY, FAM_CALLDOCKER,
          .summary = "Pull the next waiting call of my queues (a pending offer)",
          .key = "queue_call"),
    ROUTE("POST", "/api/calls/:id/assign", call_assign, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "Offer a waiting call to an agent", ROUTE_BODY(assign_fields),
          .key = "queue_call"),
};

ROUTE_GROUP(cd_queue_routes, routes);
