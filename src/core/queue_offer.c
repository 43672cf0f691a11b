/*
 * Offers (reservations): accepted, declined, expired or withdrawn. An offer is resolved
 * once: every path locks the queued call first, then reads the offer under a lock and
 * moves it only from `pending`, so an accept racing an expiry or a second accept finds
 * it resolved and is told so.
 */
#include <stdbool.h>
#include <string.h>

#include "db.h"
#include "queue_dist.h"
#include "queue_internal.h"
#include "request.h"
#include "txn.h"

struct offer {
    struct db_result *row; /* the offer, locked */
    const char *id, *qcall_id, *queue_id, *user_id;
};

/* Locks the offer's call, then the offer. DB_OK with o->row->nrows == 0: no such offer. */
static int offer_lock(struct request *r, const char *offer_id, struct offer *o)
{
    struct db_result *head, *call;
    const char *tid = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT queue_call_id FROM queue_offers WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(offer_id), DB_STR(tid)), &head);
    o->row = head;
    if (rc != DB_OK || head->nrows == 0)
        return rc;
    rc = db_exec(r->db, r->arena,
                 "SELECT status FROM queue_calls WHERE id = ? AND tenant_id = ? FOR UPDATE",
                 DB_PARAMS(DB_STR(db_get(head, 0, "queue_call_id")), DB_STR(tid)), &call);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT o.id, o.queue_call_id, o.queue_id, o.user_id, o.status,"
                     " o.expires_at <= NOW(3) AS expired, q.retry, q.wrapup_time"
                     " FROM queue_offers o JOIN queues q"
                     " ON q.tenant_id = o.tenant_id AND q.id = o.queue_id"
                     " WHERE o.id = ? AND o.tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(offer_id), DB_STR(tid)), &o->row);
    if (rc != DB_OK || o->row->nrows == 0)
        return rc;
    o->id = offer_id;
    o->qcall_id = db_get(o->row, 0, "queue_call_id");
    o->queue_id = db_get(o->row, 0, "queue_id");
    o->user_id = db_get(o->row, 0, "user_id");
    return DB_OK;
}

static int offer_resolve(struct request *r, const char *offer_id, const char *status)
{
    return db_exec(r->db, r->arena,
                   "UPDATE queue_offers SET status = ?, resolved_at = NOW(3)"
                   " WHERE id = ? AND tenant_id = ? AND status = 'pending'",
                   DB_PARAMS(DB_STR(status), DB_STR(offer_id), DB_STR(r->auth.tenant_id)),
                   NULL);
}

/*
 * An offer ended without an answer: the agent's unit comes back, and once the call has no
 * offer left it waits again for `retry` seconds before the next agent is tried.
 */
static int offer_lapse(struct request *r, const struct offer *o, const char *status)
{
    struct db_result *left;
    const char *tid = r->auth.tenant_id;
    int rc = offer_resolve(r, o->id, status);
    if (rc == DB_OK)
        rc = qagent_release(r, o->user_id, false, 0);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT 1 FROM queue_offers WHERE tenant_id = ? AND queue_call_id = ?"
                     " AND status = 'pending' LIMIT 1",
                     DB_PARAMS(DB_STR(tid), DB_STR(o->qcall_id)), &left);
    if (rc == DB_OK && left->nrows == 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE queue_calls SET status = 'waiting',"
                     " next_offer_at = NOW(3) + INTERVAL ? SECOND"
                     " WHERE id = ? AND tenant_id = ? AND status = 'offered'",
                     DB_PARAMS(DB_INT(db_get_int(o->row, 0, "retry", 0)),
                               DB_STR(o->qcall_id), DB_STR(tid)),
                     NULL);
    if (rc == DB_OK)
        rc = qqueue_touch(r, o->queue_id);
    return rc;
}

/* The offer as the agent (the caller) may act on it; a 404 or 409 answered otherwise. */
static int offer_open(struct request *r, const char *offer_id, struct offer *o)
{
    int rc = offer_lock(r, offer_id, o);
    if (rc != DB_OK)
        return rc;
    if (o->row->nrows == 0 || r->auth.user_id == NULL ||
        strcmp(o->user_id, r->auth.user_id) != 0)
        return txn_fail(r, 404, "not_found", "Offer not found");
    if (strcmp(db_get(o->row, 0, "status"), "pending") != 0)
        return txn_fail(r, 409, "offer_closed", "The offer is no longer open");
    if (db_get_int(o->row, 0, "expired", 0)) {
        /* The clock has not got to it yet: it lapses now, and stays lapsed. */
        rc = offer_lapse(r, o, "expired");
        return rc == DB_OK ? txn_fail(r, 409, "offer_closed", "The offer has expired")
                           : rc;
    }
    return DB_OK;
}

int qoffer_accept(struct request *r, const char *offer_id)
{
    struct offer o;
    const char *tid = r->auth.tenant_id;
    int rc = offer_open(r, offer_id, &o);
    if (rc != DB_OK)
        return rc;
    rc = offer_resolve(r, offer_id, "accepted");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE queue_calls SET status = 'answered', agent_id = ?,"
                     " answered_at = NOW(3) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(o.user_id), DB_STR(o.qcall_id), DB_STR(tid)), NULL);
    /* ringall: the others' offers are withdrawn, their agents free again */
    if (rc == DB_OK)
        rc = qoffers_withdraw(r, o.qcall_id, offer_id, "withdrawn");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agent_states SET calls_answered_today ="
                     " IF(calls_day = UTC_DATE(), calls_answered_today + 1, 1),"
                     " calls_day = UTC_DATE() WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(tid), DB_STR(o.user_id)), NULL);
    if (rc == DB_OK)
        rc = qagent_settle(r, o.user_id);
    if (rc == DB_OK)
        rc = qevent_call(r, "call.answered", o.qcall_id, o.user_id, offer_id);
    if (rc == DB_OK)
        rc = qevent_queue(r, "queue.left", o.qcall_id, "answered");
    if (rc == DB_OK)
        rc = qqueue_touch(r, o.queue_id);
    return rc == DB_OK ? qcall_reply(r, 200, o.qcall_id) : rc;
}

int qoffer_reject(struct request *r, const char *offer_id)
{
    struct offer o;
    int rc = offer_open(r, offer_id, &o);
    if (rc == DB_OK)
        rc = offer_lapse(r, &o, "rejected");
    return rc == DB_OK ? qcall_reply(r, 200, o.qcall_id) : rc;
}

int qoffer_expire(struct request *r, const char *offer_id)
{
    struct offer o;
    int rc = offer_lock(r, offer_id, &o);
    if (rc != DB_OK || o.row->nrows == 0 || strcmp(db_get(o.row, 0, "status"), "pending") != 0 ||
        !db_get_int(o.row, 0, "expired", 0))
        return rc;
    return offer_lapse(r, &o, "expired");
}

int qoffer_withdraw_unavailable(struct request *r, const char *offer_id)
{
    struct offer o;
    struct db_result *a;
    int rc = offer_lock(r, offer_id, &o);
    if (rc != DB_OK || o.row->nrows == 0 || strcmp(db_get(o.row, 0, "status"), "pending") != 0)
        return rc;
    rc = db_exec(r->db, r->arena,
                 "SELECT presence FROM agent_states WHERE tenant_id = ? AND user_id = ?",
                 DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(o.user_id)), &a);
    if (rc != DB_OK || (a->nrows == 1 && strcmp(db_get(a, 0, "presence"), "available") == 0))
        return rc;
    return offer_lapse(r, &o, "withdrawn");
}

int qoffers_withdraw(struct request *r, const char *queue_call_id, const char *except_offer,
                     const char *why)
{
    struct db_result *p;
    const char *tid = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, user_id FROM queue_offers WHERE tenant_id = ?"
                     " AND queue_call_id = ? AND status = 'pending' AND id <> ?"
                     " ORDER BY user_id FOR UPDATE",
                     DB_PARAMS(DB_STR(tid), DB_STR(queue_call_id),
                               DB_STR(except_offer ? except_offer : "")),
                     &p);
    for (size_t i = 0; rc == DB_OK && i < p->nrows; i++) {
        rc = offer_resolve(r, db_get(p, i, "id"), why);
        if (rc == DB_OK)
            rc = qagent_release(r, db_get(p, i, "user_id"), false, 0);
    }
    return rc;
}
