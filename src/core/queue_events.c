/*
 * The distributor's events, in the callcenter family's words (clients.md): a call event
 * carries {unique_id, caller_id, caller_name, destination, agent_id, agent_name,
 * queue_name, direction, duration} and a few more members of ours (queue_id, offer_id,
 * status, wait_time, expires_at); each is written in the transaction of the move.
 */
#include "db.h"
#include "event_out.h"
#include "queue_internal.h"
#include "request.h"

#define CALL_PAYLOAD                                                                         \
    "SELECT c.call_id, JSON_OBJECT('unique_id', c.id, 'queue_call_id', c.id,"               \
    " 'call_id', COALESCE(c.call_id, ''), 'caller_id', c.caller_number,"                      \
    " 'caller_name', COALESCE(c.caller_name, ''), 'destination', COALESCE(c.called_number, ''),"\
    " 'agent_id', COALESCE(u.id, ''),"                                                        \
    " 'agent_name', COALESCE(TRIM(CONCAT_WS(' ', u.first_name, u.last_name)), ''),"           \
    " 'queue_id', q.id, 'queue_name', q.name, 'direction', 'inbound', 'status', c.status,"    \
    " 'offer_id', COALESCE(o.id, ''),"                                                        \
    " 'expires_at', COALESCE(DATE_FORMAT(o.expires_at, '%Y-%m-%dT%H:%i:%s.%fZ'), ''),"        \
    " 'wait_time', TIMESTAMPDIFF(SECOND, c.entered_at,"                                       \
    " COALESCE(c.answered_at, c.ended_at, NOW(3))),"                                          \
    " 'duration', IF(c.answered_at IS NULL, 0,"                                               \
    " TIMESTAMPDIFF(SECOND, c.answered_at, COALESCE(c.ended_at, NOW(3)))),"                   \
    " 'hangup_side', COALESCE(c.hangup_side, ''),"                                             \
    " 'transferred_to', IF(c.overflow_to LIKE 'transfer:%', c.overflow_to, '')) AS payload"     \
    " FROM queue_calls c JOIN queues q ON q.tenant_id = c.tenant_id AND q.id = c.queue_id"    \
    " LEFT JOIN users u ON u.tenant_id = c.tenant_id AND u.id = ?"                            \
    " LEFT JOIN queue_offers o ON o.tenant_id = c.tenant_id AND o.id = ?"                     \
    " WHERE c.id = ? AND c.tenant_id = ?"

int qevent_call(struct request *r, const char *type, const char *queue_call_id,
                const char *agent_id, const char *offer_id)
{
    struct db_result *p;
    int rc = db_exec(r->db, r->arena, CALL_PAYLOAD,
                     DB_PARAMS(DB_STR(agent_id), DB_STR(offer_id), DB_STR(queue_call_id),
                               DB_STR(r->auth.tenant_id)),
                     &p);
    if (rc != DB_OK || p->nrows == 0)
        return rc;
    return event_emit(r, type, db_get(p, 0, "call_id"), db_get(p, 0, "payload"));
}

int qevent_queue(struct request *r, const char *type, const char *queue_call_id,
                 const char *reason)
{
    struct db_result *p;
    int rc = db_exec(r->db, r->arena,
                     "SELECT c.call_id, JSON_OBJECT('queue_id', q.id, 'queue_name', q.name,"
                     " 'unique_id', c.id, 'caller_id', c.caller_number,"
                     " 'caller_name', COALESCE(c.caller_name, ''), 'status', c.status,"
                     " 'reason', ?, 'wait_time', TIMESTAMPDIFF(SECOND, c.entered_at,"
                     " COALESCE(c.answered_at, c.ended_at, NOW(3)))) AS payload"
                     " FROM queue_calls c JOIN queues q"
                     " ON q.tenant_id = c.tenant_id AND q.id = c.queue_id"
                     " WHERE c.id = ? AND c.tenant_id = ?",
                     DB_PARAMS(DB_STR(reason ? reason : ""), DB_STR(queue_call_id),
                               DB_STR(r->auth.tenant_id)),
                     &p);
    if (rc != DB_OK || p->nrows == 0)
        return rc;
    return event_emit(r, type, db_get(p, 0, "call_id"), db_get(p, 0, "payload"));
}

int qqueue_touch(struct request *r, const char *queue_id)
{
    return db_exec(r->db, r->arena,
                   "INSERT INTO queue_live_marks (tenant_id, queue_id, dirty_at)"
                   " VALUES (?, ?, NOW(3)) ON DUPLICATE KEY UPDATE dirty_at = NOW(3)",
                   DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue_id)), NULL);
}
