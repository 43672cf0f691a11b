/*
 * Where the distributor meets the KPIs: the CDR of a queued call that ended (written in
 * the transaction that ended it, which also fills the 15-minute buckets: cdr_store.h),
 * and the figures read back from those buckets: today's counts of a queue and the
 * estimated wait of a caller. Bucket reads touch at most a day of rows per queue, never
 * the CDRs.
 */
#include <stdbool.h>
#include <string.h>

#include "cdr_store.h"
#include "db.h"
#include "jsonutil.h"
#include "queue_internal.h"
#include "request.h"

/* The queued call's end as a CDR: every time in whole seconds, from one read. */
#define CDR_SOURCE_SQL                                                                        \
    "SELECT c.id, c.queue_id, c.did_id, c.agent_id, c.caller_number, c.caller_name,"         \
    " COALESCE(c.called_number, '') AS called_number, c.status, c.hangup_side,"               \
    " c.hold_seconds, c.overflow_to, FLOOR(UNIX_TIMESTAMP(c.entered_at)) AS t_start,"         \
    " COALESCE(FLOOR(UNIX_TIMESTAMP(c.answered_at)), 0) AS t_answer,"                         \
    " FLOOR(UNIX_TIMESTAMP(COALESCE(c.ended_at, NOW(3)))) AS t_end,"                          \
    " TIMESTAMPDIFF(SECOND, c.entered_at, COALESCE(c.answered_at, c.ended_at, NOW(3)))"       \
    " AS wait_s, IF(c.answered_at IS NULL, 0, TIMESTAMPDIFF(SECOND, c.answered_at,"           \
    " COALESCE(c.ended_at, NOW(3)))) AS answered_s, q.service_level,"                         \
    " q.short_abandon_seconds, q.wrapup_time, JSON_OBJECT('queue_call_id', c.id,"             \
    " 'overflow_to', c.overflow_to, 'from_queue_call_id', c.from_queue_call_id,"              \
    " 'priority', c.priority) AS meta"                                                        \
    " FROM queue_calls c JOIN queues q ON q.tenant_id = c.tenant_id AND q.id = c.queue_id"    \
    " WHERE c.id = ? AND c.tenant_id = ?"

/* The queued call's final status as a CDR disposition. */
static const char *disposition_of(const char *status)
{
    static const char *const map[][2] = {
        {"ended", "answered"},   {"abandoned", "abandoned"}, {"overflowed", "overflow"},
        {"timeout", "timeout"}, {"no_agent", "no_agent"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], status) == 0)
            return map[i][1];
    return "failed";
}

int qcall_cdr(struct request *r, const char *queue_call_id)
{
    struct db_result *s;
    int rc = db_exec(r->db, r->arena, CDR_SOURCE_SQL,
                     DB_PARAMS(DB_STR(queue_call_id), DB_STR(r->auth.tenant_id)), &s);
    if (rc != DB_OK || s->nrows == 0)
        return rc;
    bool answered = db_get_int(s, 0, "t_answer", 0) > 0;
    long long hold = db_get_int(s, 0, "hold_seconds", 0);
    long long talk = db_get_int(s, 0, "answered_s", 0) - hold;
    struct cdr c = {
        .direction = "inbound",
        .caller_number = db_get(s, 0, "caller_number"),
        .caller_name = db_get(s, 0, "caller_name"),
        .called_number = db_get(s, 0, "called_number"),
        .did_id = db_get(s, 0, "did_id"),
        .queue_id = db_get(s, 0, "queue_id"),
        .user_id = answered ? db_get(s, 0, "agent_id") : NULL,
        .start = db_get_int(s, 0, "t_start", 0),
        .answer = db_get_int(s, 0, "t_answer", 0),
        .end = db_get_int(s, 0, "t_end", 0),
        /* talk time: answered time less hold, so that AHT = talk + hold + wrap-up */
        .billsec = talk > 0 ? talk : 0,
        .wait = db_get_int(s, 0, "wait_s", 0),
        .hold = hold,
        /* wrap-up always runs its full time (the clock ends it) */
        .wrapup = answered ? db_get_int(s, 0, "wrapup_time", 0) : 0,
        .disposition = disposition_of(db_get(s, 0, "status")),
        .hangup_side = db_get(s, 0, "hangup_side"),
        .metadata_json = db_get(s, 0, "meta"),
        .sl_threshold = db_get_int(s, 0, "service_level", 0),
        .short_abandon_seconds = db_get_int(s, 0, "short_abandon_seconds", 0),
    };
    c.duration = c.end > c.start ? c.end - c.start : 0;
    return cdr_write(r, &c, NULL);
}

int qstats_today(struct request *r, const char *queue_id, struct json_object *o)
{
    struct db_result *t;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COALESCE(SUM(answered), 0) AS completed,"
                     " COALESCE(SUM(abandoned), 0) AS abandoned FROM kpi_queue_buckets"
                     " WHERE tenant_id = ? AND queue_id = ? AND bucket_start >= UTC_DATE()",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue_id)), &t);
    if (rc != DB_OK)
        return rc;
    if (json_set_int(o, "completed_calls", db_get_int(t, 0, "completed", 0)) ||
        json_set_int(o, "abandoned_calls", db_get_int(t, 0, "abandoned", 0)))
        return DB_ERROR;
    return DB_OK;
}

/*
 * position × the queue's average handle time over the last hour ÷ the members logged in
 * (at least one): how long the callers ahead take to be served. Unknown (-1) until the
 * queue has answered a call in the last hour.
 */
int qstats_ewt(struct request *r, const char *queue_id, long long position, long long *ewt)
{
    struct db_result *h;
    *ewt = -1;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COALESCE(SUM(b.answered), 0) AS answered,"
                     " COALESCE(SUM(b.talk_sum + b.hold_sum + b.wrapup_sum), 0) AS handle,"
                     " (SELECT COUNT(*) FROM queue_members m JOIN agent_states a"
                     " ON a.tenant_id = m.tenant_id AND a.user_id = m.user_id"
                     " WHERE m.tenant_id = ? AND m.queue_id = ? AND a.presence <> 'offline')"
                     " AS staffed FROM kpi_queue_buckets b WHERE b.tenant_id = ?"
                     " AND b.queue_id = ? AND b.bucket_start >= UTC_TIMESTAMP() - INTERVAL 1 HOUR",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(queue_id),
                               DB_STR(r->auth.tenant_id), DB_STR(queue_id)),
                     &h);
    if (rc != DB_OK)
        return rc;
    long long answered = db_get_int(h, 0, "answered", 0);
    long long staffed = db_get_int(h, 0, "staffed", 0);
    if (answered > 0) {
        long long aht = db_get_int(h, 0, "handle", 0) / answered;
        *ewt = (position * aht + (staffed > 1 ? staffed - 1 : 0)) / (staffed > 1 ? staffed : 1);
    }
    return DB_OK;
}
