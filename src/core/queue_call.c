/*
 * A call's life in a queue: it enters (or overflows at once), waits, is answered or
 * abandoned, is put on hold, hangs up, or overflows when it waited too long.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "blacklist_store.h"
#include "crypto.h"
#include "db.h"
#include "queue_dist.h"
#include "queue_internal.h"
#include "request.h"
#include "router.h"
#include "txn.h"

/* Overflow chains longer than this (A → B → A …) end the call instead. */
#define MAX_OVERFLOW_HOPS 3

static int queue_for_entry(struct request *r, const char *queue_id, struct db_result **q)
{
    /* The line is counted only against a limit; one member logged in is enough to know. */
    return db_exec(r->db, r->arena,
                   "SELECT id, max_callers, max_wait_time, is_active, overflow_type,"
                   " overflow_target_id, IF(max_callers = 0, 0, (SELECT COUNT(*)"
                   " FROM queue_calls c WHERE c.tenant_id = queues.tenant_id"
                   " AND c.queue_id = queues.id AND c.status IN ('waiting','offered')))"
                   " AS waiting, EXISTS (SELECT 1 FROM queue_members m JOIN agent_states a"
                   " ON a.tenant_id = m.tenant_id AND a.user_id = m.user_id"
                   " WHERE m.tenant_id = queues.tenant_id AND m.queue_id = queues.id"
                   " AND a.presence <> 'offline') AS logged_in"
                   " FROM queues WHERE id = ? AND tenant_id = ? FOR UPDATE",
                   DB_PARAMS(DB_STR(queue_id), DB_STR(r->auth.tenant_id)), q);
}

static int call_insert(struct request *r, const struct queue_call_in *in, long long max_wait,
                       long long hops)
{
    return db_exec(r->db, r->arena,
                   "INSERT INTO queue_calls (id, tenant_id, queue_id, call_id, did_id,"
                   " caller_number, caller_name, called_number, priority, status, entered_at,"
                   " next_offer_at, deadline_at, from_queue_call_id, overflow_hops)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting', NOW(3), NOW(3),"
                   " IF(? > 0, NOW(3) + INTERVAL ? SECOND, NULL), ?, ?)",
                   DB_PARAMS(DB_STR(in->id), DB_STR(r->auth.tenant_id), DB_STR(in->queue_id),
                             DB_STR(in->call_id), DB_STR(in->did_id),
                             DB_STR(in->caller_number), DB_STR(in->caller_name),
                             DB_STR(in->called_number), DB_INT(in->priority),
                             DB_INT(max_wait), DB_INT(max_wait), DB_STR(in->from_queue_call_id),
                             DB_INT(hops)),
                   NULL);
}

static int call_hops(struct request *r, const char *from_id, long long *hops)
{
    struct db_result *f;
    *hops = 0;
    if (from_id == NULL)
        return DB_OK;
    int rc = db_exec(r->db, r->arena,
                     "SELECT overflow_hops FROM queue_calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(from_id), DB_STR(r->auth.tenant_id)), &f);
    if (rc == DB_OK && f->nrows == 1)
        *hops = db_get_int(f, 0, "overflow_hops", 0) + 1;
    return rc;
}

/* A caller blocked for inbound calls never reaches a queue (an overflow was let in once). */
static int caller_blocked(struct request *r, const struct queue_call_in *in)
{
    bool blocked;
    if (in->from_queue_call_id != NULL)
        return DB_OK;
    int rc = blacklist_store_blocks(r->db, r->arena, r->auth.tenant_id, in->caller_number,
                                    BLACKLIST_INBOUND, &blocked);
    if (rc == DB_OK && blocked)
        return txn_fail(r, 403, "forbidden", "The caller's number is on the blacklist");
    return rc;
}

int qcall_enter(struct request *r, const struct queue_call_in *in)
{
    struct db_result *q;
    long long hops;
    int rc = caller_blocked(r, in);
    if (rc == DB_OK)
        rc = queue_for_entry(r, in->queue_id, &q);
    if (rc == DB_OK && q->nrows == 0)
        return txn_fail(r, 404, "not_found", "Queue not found");
    if (rc == DB_OK && db_get_int(q, 0, "is_active", 0) == 0)
        return txn_fail(r, 409, "queue_inactive", "The queue is not active");
    if (rc == DB_OK)
        rc = call_hops(r, in->from_queue_call_id, &hops);
    if (rc != DB_OK)
        return rc;
    long long max = db_get_int(q, 0, "max_callers", 0);
    bool full = max > 0 && db_get_int(q, 0, "waiting", 0) >= max;
    bool empty = db_get_int(q, 0, "logged_in", 0) == 0;
    bool can_overflow = db_get(q, 0, "overflow_type") != NULL;
    if (full && !can_overflow)
        return txn_fail(r, 409, "queue_full", "The queue is full");
    rc = call_insert(r, in, db_get_int(q, 0, "max_wait_time", 0), hops);
    if (rc == DB_OK)
        rc = qevent_queue(r, "queue.joined", in->id, full ? "full" : "");
    /* app_queue's joinempty: with nobody logged in the caller goes straight on. */
    if (rc == DB_OK && (full || (empty && can_overflow)))
        return qcall_leave(r, in->id, full ? "full" : "no_agent");
    if (rc == DB_OK)
        rc = qqueue_touch(r, in->queue_id);
    if (rc == DB_OK)
        rc = qdist_dispatch(r, in->queue_id, 1, NULL);
    return rc;
}

/* The call, locked; the queue's settings read (not locked: see the lock order). */
static int call_lock(struct request *r, const char *id, struct db_result **c)
{
    int rc = db_exec(r->db, r->arena,
                     "SELECT c.id, c.queue_id, c.status, c.agent_id, c.overflow_hops,"
                     " c.deadline_at <= NOW(3) AS overdue, c.hold_started_at"
                     " FROM queue_calls c WHERE c.id = ? AND c.tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), c);
    if (rc != DB_OK)
        return rc;
    /* An agent acts on the calls they answered; staff and the clock on any. */
    const char *agent = (*c)->nrows ? db_get(*c, 0, "agent_id") : NULL;
    bool own_only = r->auth.authenticated && r->auth.role_bit == ROLE_AGENT;
    if ((*c)->nrows == 0 || (own_only && (agent == NULL || strcmp(agent, r->auth.user_id) != 0)))
        return txn_fail(r, 404, "not_found", "Queued call not found");
    return DB_OK;
}

static bool waiting(const char *status)
{
    return strcmp(status, "waiting") == 0 || strcmp(status, "offered") == 0;
}

/* The call ends here with status and side; the CDR is written in the same transaction. */
static int call_close(struct request *r, const char *id, const char *status,
                      const char *side, const char *overflow_to)
{
    int rc = db_exec(r->db, r->arena,
                     "UPDATE queue_calls SET status = ?, hangup_side = ?, overflow_to = ?,"
                     " ended_at = NOW(3), hold_seconds = hold_seconds + IF(hold_started_at"
                     " IS NULL, 0, TIMESTAMPDIFF(SECOND, hold_started_at, NOW(3))),"
                     " hold_started_at = NULL WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(status), DB_STR(side), DB_STR(overflow_to), DB_STR(id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = qcall_cdr(r, id);
    return rc;
}

int qcall_hangup(struct request *r, const char *queue_call_id, const char *side)
{
    struct db_result *c, *q;
    int rc = call_lock(r, queue_call_id, &c);
    if (rc != DB_OK)
        return rc;
    const char *status = db_get(c, 0, "status"), *queue_id = db_get(c, 0, "queue_id");
    const char *agent = db_get(c, 0, "agent_id");
    if (waiting(status)) {
        rc = qoffers_withdraw(r, queue_call_id, NULL, "withdrawn");
        if (rc == DB_OK)
            rc = call_close(r, queue_call_id, "abandoned", side, NULL);
        if (rc == DB_OK)
            rc = qevent_queue(r, "queue.left", queue_call_id, "abandoned");
    } else if (strcmp(status, "answered") == 0) {
        rc = db_exec(r->db, r->arena,
                     "SELECT wrapup_time FROM queues WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(queue_id), DB_STR(r->auth.tenant_id)), &q);
        if (rc == DB_OK)
            rc = call_close(r, queue_call_id, "ended", side, NULL);
        if (rc == DB_OK)
            rc = qagent_release(r, agent, true,
                                q->nrows ? db_get_int(q, 0, "wrapup_time", 0) : 0);
    } else {
        return txn_fail(r, 409, "call_ended", "The call has ended");
    }
    if (rc == DB_OK)
        rc = qevent_call(r, "call.ended", queue_call_id, agent, NULL);
    if (rc == DB_OK)
        rc = qqueue_touch(r, queue_id);
    return rc;
}

int qcall_hold(struct request *r, const char *queue_call_id, bool on_hold)
{
    struct db_result *c;
    int rc = call_lock(r, queue_call_id, &c);
    if (rc != DB_OK)
        return rc;
    bool held = db_get(c, 0, "hold_started_at") != NULL;
    if (strcmp(db_get(c, 0, "status"), "answered") != 0 || held == on_hold)
        return txn_fail(r, 409, "conflict",
                        on_hold ? "Only an answered call not on hold can be held"
                                : "The call is not on hold");
    rc = db_exec(r->db, r->arena,
                 "UPDATE queue_calls SET hold_seconds = hold_seconds + IF(hold_started_at IS NULL,"
                 " 0, TIMESTAMPDIFF(SECOND, hold_started_at, NOW(3))),"
                 " hold_started_at = IF(?, NOW(3), NULL) WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_INT(on_hold), DB_STR(queue_call_id), DB_STR(r->auth.tenant_id)),
                 NULL);
    if (rc == DB_OK)
        rc = qevent_call(r, on_hold ? "call.hold" : "call.unhold", queue_call_id,
                         db_get(c, 0, "agent_id"), NULL);
    return rc;
}

int qcall_overflow(struct request *r, const char *queue_call_id)
{
    struct db_result *c;
    int rc = call_lock(r, queue_call_id, &c);
    if (rc != DB_OK)
        return rc == TXN_ANSWERED ? DB_OK : rc;
    /* Answered meanwhile, or moved by another clock: nothing to do. */
    if (!waiting(db_get(c, 0, "status")) || !db_get_int(c, 0, "overdue", 0))
        return DB_OK;
    return qcall_leave(r, queue_call_id, "timeout");
}

/* The caller's next leg in queue_id, from the row of the leg before (from_id): the same
 * call, numbers and priority. 0, or -1 when out of memory. */
static int next_leg(struct request *r, const struct db_result *row, const char *queue_id,
                    const char *from_id, struct queue_call_in *next)
{
    *next = (struct queue_call_in){
        .id = id_new(r->arena, "qc_"), .queue_id = queue_id,
        .call_id = db_get(row, 0, "call_id"), .did_id = db_get(row, 0, "did_id"),
        .caller_number = db_get(row, 0, "caller_number"),
        .caller_name = db_get(row, 0, "caller_name"),
        .called_number = db_get(row, 0, "called_number"),
        .priority = db_get_int(row, 0, "priority", 0), .from_queue_call_id = from_id};
    return next->id != NULL ? 0 : -1;
}

/* Where the overflow target sends the caller: another queue (a new queued call), or the
 * call ends here as overflowed (department, voicemail) or timed out (hang up, none). */
static int leave_to(struct request *r, const struct db_result *c, const struct db_result *q,
                    const char *reason)
{
    const char *id = db_get(c, 0, "id"), *type = db_get(q, 0, "overflow_type");
    const char *target = db_get(q, 0, "overflow_target_id");
    const char *end = strcmp(reason, "no_agent") == 0 ? "no_agent" : "timeout";
    if (type == NULL || strcmp(type, "hangup") == 0 ||
        db_get_int(c, 0, "overflow_hops", 0) >= MAX_OVERFLOW_HOPS) {
        int rc = call_close(r, id, end, "system", type ? "hangup" : NULL);
        return rc == DB_OK ? qevent_call(r, "call.ended", id, NULL, NULL) : rc;
    }
    const char *to = strcmp(type, "voicemail") == 0
                         ? "voicemail"
                         : arena_printf(r->arena, "%s:%s", type, target ? target : "");
    int rc = to ? call_close(r, id, "overflowed", NULL, to) : DB_ERROR;
    if (rc != DB_OK || strcmp(type, "queue") != 0)
        return rc;
    struct queue_call_in next;
    if (next_leg(r, c, target, id, &next) != 0)
        return DB_ERROR;
    rc = qcall_enter(r, &next);
    /* A target that cannot take the caller (inactive, full, gone) ends the call. */
    return rc == TXN_ANSWERED ? (request_unanswer(r), DB_OK) : rc;
}

int qcall_leave(struct request *r, const char *queue_call_id, const char *reason)
{
    struct db_result *c, *q;
    const char *tid = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, queue_id, call_id, did_id, caller_number, caller_name,"
                     " called_number, priority, overflow_hops FROM queue_calls"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(queue_call_id), DB_STR(tid)), &c);
    if (rc == DB_OK && c->nrows == 0)
        return DB_OK;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT overflow_type, overflow_target_id FROM queues"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(db_get(c, 0, "queue_id")), DB_STR(tid)), &q);
    if (rc == DB_OK && q->nrows == 0)
        return DB_OK;
    if (rc == DB_OK)
        rc = qoffers_withdraw(r, queue_call_id, NULL, "withdrawn");
    if (rc == DB_OK)
        rc = leave_to(r, c, q, reason);
    if (rc == DB_OK)
        rc = qevent_queue(r, "queue.left", queue_call_id, reason);
    if (rc == DB_OK)
        rc = qqueue_touch(r, db_get(c, 0, "queue_id"));
    return rc;
}

int qcall_call_ended(struct request *r, const char *call_id)
{
    struct db_result *live;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM queue_calls WHERE tenant_id = ? AND call_id = ?"
                     " AND status IN ('waiting','offered','answered')",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(call_id)), &live);
    for (size_t i = 0; rc == DB_OK && i < live->nrows; i++)
        rc = qcall_hangup(r, db_get(live, i, "id"), "caller");
    return rc;
}

int qcall_transfer(struct request *r, const char *queue_call_id, const char *queue_id,
                   const char **new_id)
{
    struct db_result *c, *q;
    int rc = call_lock(r, queue_call_id, &c);
    if (rc != DB_OK)
        return rc;
    if (strcmp(db_get(c, 0, "status"), "answered") != 0)
        return txn_fail(r, 409, "conflict", "Only an answered call can be transferred");
    if (strcmp(db_get(c, 0, "queue_id"), queue_id) == 0) {
        request_field_error(r, "queue_id", "must be another queue");
        return request_check_fields(r) == 0 ? DB_OK : TXN_ANSWERED;
    }
    const char *agent = db_get(c, 0, "agent_id");
    const char *to = arena_printf(r->arena, "transfer:queue:%s", queue_id);
    rc = db_exec(r->db, r->arena,
                 "SELECT c.call_id, c.did_id, c.caller_number, c.caller_name, c.called_number,"
                 " c.priority, q.wrapup_time FROM queue_calls c JOIN queues q"
                 " ON q.tenant_id = c.tenant_id AND q.id = c.queue_id"
                 " WHERE c.id = ? AND c.tenant_id = ?",
                 DB_PARAMS(DB_STR(queue_call_id), DB_STR(r->auth.tenant_id)), &q);
    if (rc != DB_OK || q->nrows == 0 || to == NULL)
        return rc != DB_OK ? rc : DB_ERROR;
    struct queue_call_in next;
    if (next_leg(r, q, queue_id, queue_call_id, &next) != 0)
        return DB_ERROR;
    /* The agent's leg ends here (their CDR, their wrap-up); the caller waits in the next
     * queue as a new queued call pointing back at this one. */
    rc = call_close(r, queue_call_id, "ended", "agent", to);
    if (rc == DB_OK)
        rc = qagent_release(r, agent, true, db_get_int(q, 0, "wrapup_time", 0));
    if (rc == DB_OK)
        rc = qevent_call(r, "call.transferred", queue_call_id, agent, NULL);
    if (rc == DB_OK)
        rc = qqueue_touch(r, db_get(c, 0, "queue_id"));
    if (rc == DB_OK)
        rc = qcall_enter(r, &next);
    if (rc == DB_OK)
        *new_id = next.id;
    return rc;
}
