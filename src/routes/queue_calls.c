/*
 * Calls in queues and the offers made to agents (the distributor, queue_dist.h):
 *   POST /api/queues/:id/calls          a call enters the queue (telephony side, staff)
 *   GET  /api/queues/:id/calls          the line: waiting, offered, answered calls
 *   GET  /api/queues/live, /:id/live    live figures
 *   GET  /api/queue-calls/:id           one queued call, with position and estimated wait
 *   POST /api/queue-calls/:id/hangup    caller or agent hung up
 *   POST /api/queue-calls/:id/hold, /unhold
 *   GET  /api/offers                    the caller's open offers
 *   POST /api/offers/:id/accept, /reject
 * Each move is one transaction; the clock process (src/clock) makes the timed ones.
 */
#include <stdbool.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "queue_dist.h"
#include "request.h"
#include "routes.h"
#include "txn.h"

enum { E_CALLER, E_NAME, E_CALLED, E_DID, E_CALL, E_PRIORITY, E_NFIELDS };

static const struct field_def enter_fields[] = {
    /* "anonymous" and SIP URIs are callers too: text, not E.164 */
    [E_CALLER] = {"caller_number", FT_TEXT, F_REQUIRED, 1, 64, NULL, NULL, "caller_id"},
    [E_NAME] = {"caller_name", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [E_CALLED] = {"called_number", FT_TEXT, F_NULLABLE, 0, 64, NULL, NULL, "destination"},
    [E_DID] = {"did_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [E_CALL] = {"call_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    /* higher first (TaskRouter's priority) */
    [E_PRIORITY] = {"priority", FT_INT, 0, 0, 100, NULL, NULL, NULL},
};

static int enter_step(struct request *r, void *arg)
{
    const struct queue_call_in *in = arg;
    int rc = qcall_enter(r, in);
    return rc == DB_OK ? qcall_reply(r, 201, in->id) : rc;
}

static int queue_call_create(struct request *r)
{
    struct field_value v[E_NFIELDS];
    if (fields_declared(r, FIELDS_CREATE, v, E_NFIELDS, NULL) != 0)
        return -1;
    struct queue_call_in in = {
        .id = id_new(r->arena, "qc_"), .queue_id = request_param(r, "id"),
        .call_id = v[E_CALL].s, .did_id = v[E_DID].s, .caller_number = v[E_CALLER].s,
        .caller_name = v[E_NAME].s, .called_number = v[E_CALLED].s,
        .priority = v[E_PRIORITY].sent ? v[E_PRIORITY].i : 0};
    if (in.id == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, enter_step, &in));
}

static int queue_calls_get(struct request *r)
{
    return qcalls_list(r, request_param(r, "id"));
}

static int queue_live_one(struct request *r)
{
    return qstats_live_reply(r, request_param(r, "id"));
}

static int queue_live_all(struct request *r)
{
    return qstats_live_reply(r, NULL);
}

static int queue_call_get(struct request *r)
{
    return txn_reply(r, qcall_reply(r, 200, request_param(r, "id")));
}

static const char *const sides[] = {"caller", "agent", "system", NULL};
static const struct field_def hangup_fields[] = {
    {"side", FT_ENUM, 0, 0, 0, sides, NULL, "hangup_side"},
};

struct move {
    const char *id;
    const char *side;   /* hangup */
    const char *target; /* transfer: the queue */
    bool hold;
};

static int hangup_step(struct request *r, void *arg)
{
    const struct move *m = arg;
    int rc = qcall_hangup(r, m->id, m->side);
    return rc == DB_OK ? qcall_reply(r, 200, m->id) : rc;
}

static int queue_call_hangup(struct request *r)
{
    struct field_value v[1];
    if (fields_declared(r, FIELDS_UPDATE, v, 1, NULL) != 0)
        return -1;
    /* an agent hanging up is the agent's side; anyone else reports the caller's */
    const char *dflt = r->auth.role_bit == ROLE_AGENT ? "agent" : "caller";
    struct move m = {.id = request_param(r, "id"), .side = v[0].sent ? v[0].s : dflt};
    return txn_reply(r, txn_run(r, hangup_step, &m));
}

static int hold_step(struct request *r, void *arg)
{
    const struct move *m = arg;
    int rc = qcall_hold(r, m->id, m->hold);
    return rc == DB_OK ? qcall_reply(r, 200, m->id) : rc;
}

static int queue_call_hold(struct request *r)
{
    struct move m = {.id = request_param(r, "id"), .hold = true};
    return txn_reply(r, txn_run(r, hold_step, &m));
}

static int queue_call_unhold(struct request *r)
{
    struct move m = {.id = request_param(r, "id"), .hold = false};
    return txn_reply(r, txn_run(r, hold_step, &m));
}

static const struct field_def transfer_fields[] = {
    {"queue_id", FT_ID, F_ALWAYS, 0, 0, NULL, NULL, NULL},
};

static int transfer_step(struct request *r, void *arg)
{
    struct move *m = arg;
    const char *next = NULL;
    int rc = qcall_transfer(r, m->id, m->target, &next);
    return rc == DB_OK ? qcall_reply(r, 200, next) : rc;
}

static int queue_call_transfer(struct request *r)
{
    struct field_value v[1];
    if (fields_declared(r, FIELDS_UPDATE, v, 1, NULL) != 0)
        return -1;
    struct move m = {.id = request_param(r, "id"), .target = v[0].s};
    return txn_reply(r, txn_run(r, transfer_step, &m));
}

static int offers_get(struct request *r)
{
    return qoffers_mine(r);
}

static int accept_step(struct request *r, void *arg)
{
    return qoffer_accept(r, arg);
}

static int reject_step(struct request *r, void *arg)
{
    return qoffer_reject(r, arg);
}

static int offer_accept(struct request *r)
{
    return txn_reply(r, txn_run(r, accept_step, (void *)request_param(r, "id")));
}

static int offer_reject(struct request *r)
{
    return txn_reply(r, txn_run(r, reject_step, (void *)request_param(r, "id")));
}

#define CC FAM_CALLCENTER

static const struct route routes[] = {
    ROUTE("POST", "/api/queues/:id/calls", queue_call_create, ROLES_STAFF, CC,
          .summary = "A call enters the queue (offered at once when an agent is free)",
          ROUTE_BODY(enter_fields), .key = "queue_call", .flags = ROUTE_IDEMPOTENT),
    ROUTE("GET", "/api/queues/:id/calls", queue_calls_get, ROLES_ANY, CC,
          .summary = "The queue's line: calls waiting, offered and answered",
          .key = "queue_calls", .flags = ROUTE_LIST | ROUTE_WHOLE),
    ROUTE("GET", "/api/queues/live", queue_live_all, ROLES_ANY, CC,
          .summary = "Live figures of every queue", .key = "queue_stats",
          .flags = ROUTE_LIST | ROUTE_WHOLE),
    ROUTE("GET", "/api/queues/:id/live", queue_live_one, ROLES_ANY, CC,
          .summary = "Live figures of a queue", .key = "queue_stats"),
    ROUTE("GET", "/api/queue-calls/:id", queue_call_get, ROLES_ANY, CC,
          .summary = "A queued call with its position and estimated wait", .key = "queue_call"),
    ROUTE("POST", "/api/queue-calls/:id/hangup", queue_call_hangup, ROLES_ANY, CC,
          .summary = "The call hung up: abandoned while waiting, ended when answered",
          ROUTE_BODY(hangup_fields), .key = "queue_call", .status = 200),
    ROUTE("POST", "/api/queue-calls/:id/hold", queue_call_hold, ROLES_ANY, CC,
          .summary = "Put an answered call on hold", .key = "queue_call", .status = 200),
    ROUTE("POST", "/api/queue-calls/:id/unhold", queue_call_unhold, ROLES_ANY, CC,
          .summary = "Take a call off hold", .key = "queue_call", .status = 200),
    ROUTE("POST", "/api/queue-calls/:id/transfer", queue_call_transfer, ROLES_ANY, CC,
          .summary = "Transfer an answered call to another queue (blind)",
          ROUTE_BODY(transfer_fields), .key = "queue_call", .status = 200),
    ROUTE("GET", "/api/offers", offers_get, ROLES_ANY, CC,
          .summary = "The caller's open offers", .key = "offers",
          .flags = ROUTE_LIST | ROUTE_WHOLE),
    ROUTE("POST", "/api/offers/:id/accept", offer_accept, ROLES_ANY, CC,
          .summary = "Accept an offer: the call is answered by the caller",
          .key = "queue_call", .status = 200),
    ROUTE("POST", "/api/offers/:id/reject", offer_reject, ROLES_ANY, CC,
          .summary = "Decline an offer: the next agent is tried after the retry delay",
          .key = "queue_call", .status = 200),
};

ROUTE_GROUP(queue_calls_routes, routes);
