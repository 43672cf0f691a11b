/*
 * Calls and transfers: the live list, call logs, the transfer of a call to a department
 * with an atomic reservation of agent capacity, and the call state machine shared with
 * the Twilio webhook. Every change writes its event in the same transaction.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define CALL_COLUMNS                                                                       \
    "c.id, c.id AS call_id, c.tenant_id, c.call_sid, c.caller_number, c.called_number,"    \
    " c.direction, c.status, c.current_flow, c.flow_id, c.department_id, c.agent_id,"      \
    " c.ai_minutes, c.transfer_minutes, c.total_duration, c.start_time, c.end_time,"       \
    " c.context, c.created_at, c.updated_at"

#define TRANSFER_COLUMNS                                                                    \
    "t.id, t.call_id, t.to_department_id AS department_id, d.name AS target_department,"   \
    " t.agent_id, a.name AS agent_name, t.transfer_type, t.transfer_reason,"               \
    " t.urgency_level, t.status, t.transfer_time, t.connection_time, t.completion_time,"   \
    " t.context FROM call_transfers t"                                                     \
    " LEFT JOIN departments d ON d.tenant_id = t.tenant_id AND d.id = t.to_department_id"  \
    " LEFT JOIN agents a ON a.tenant_id = t.tenant_id AND a.id = t.agent_id"

/* SQL lists of the same sets, for statements. */
#define LIVE_SQL "('ringing','active','on_hold','transferring','connected')"
#define OPEN_TRANSFER_SQL "('waiting','initiated','connecting','connected')"

static const char *const live_statuses[] = {"ringing", "active", "on_hold", "transferring",
                                            "connected", NULL};
static const char *const all_statuses[] = {"ringing",   "active",    "on_hold", "transferring",
                                           "connected", "completed", "missed",  "abandoned",
                                           "failed",    "busy",      NULL};
static const char *const call_json_cols[] = {"context", NULL};
static const char *const transfer_json_cols[] = {"context", NULL};

static bool in_set(const char *const *set, const char *s)
{
    for (; s != NULL && *set != NULL; set++)
        if (strcmp(*set, s) == 0)
            return true;
    return false;
}

bool call_status_is_live(const char *status)
{
    return in_set(live_statuses, status);
}

bool call_status_is_known(const char *status)
{
    return in_set(all_statuses, status);
}

/* JSON text of obj in the arena; obj is released. NULL when out of memory. */
static const char *payload_text(struct request *r, struct json_object *obj)
{
    if (obj == NULL || arena_json(r->arena, obj) == NULL)
        return NULL;
    size_t len;
    const char *t = json_text(obj, &len);
    return t ? arena_strndup(r->arena, t, len) : NULL;
}

static int emit(struct request *r, const char *type, const char *call_id,
                struct json_object *payload)
{
    const char *text = payload_text(r, payload);
    if (text == NULL)
        return DB_ERROR;
    return event_emit(r, type, call_id, text);
}

int calls_insert(struct request *r, const struct call_new *c, const char **id_out)
{
    const char *id = id_new(r->arena, "call_");
    if (id == NULL)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO calls (id, tenant_id, call_sid, caller_number, called_number,"
                     " direction, status, current_flow, flow_id, context)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(c->call_sid),
                               DB_STR(c->caller_number), DB_STR(c->called_number),
                               DB_STR(c->direction ? c->direction : "inbound"),
                               DB_STR(c->status ? c->status : "ringing"), DB_STR(c->current_flow),
                               DB_STR(c->flow_id), DB_STR(c->context_json)),
                     NULL);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = json_object_new_object();
    if (p != NULL) {
        json_set_str(p, "call_sid", c->call_sid);
        json_set_str(p, "caller_number", c->caller_number);
        json_set_str(p, "called_number", c->called_number);
        json_set_str(p, "direction", c->direction ? c->direction : "inbound");
        json_set_str(p, "status", c->status ? c->status : "ringing");
    }
    rc = emit(r, "call_started", id, p);
    *id_out = id;
    return rc;
}

/* Ends a live call: times, minutes, capacity, open transfers, the event. */
static int call_finish(struct request *r, const char *call_id, const char *status,
                       long long duration)
{
    const char *tid = r->auth.tenant_id;
    /*
     * ai_minutes: start until the first transfer connected (or the end); transfer_minutes:
     * the rest. A value an AI flow already reported for ai_minutes is kept.
     */
    int rc = db_exec(
        r->db, r->arena,
        "UPDATE calls c LEFT JOIN (SELECT MIN(connection_time) AS first_connect"
        "  FROM call_transfers WHERE tenant_id = ? AND call_id = ?) f ON 1 = 1"
        " SET c.status = ?, c.end_time = GREATEST(NOW(3), c.start_time),"
        " c.total_duration = IF(? >= 0, ?,"
        "  GREATEST(0, TIMESTAMPDIFF(SECOND, c.start_time, NOW(3)))),"
        " c.ai_minutes = COALESCE(c.ai_minutes, ROUND(GREATEST(0, TIMESTAMPDIFF(MICROSECOND,"
        "  c.start_time, COALESCE(f.first_connect, NOW(3)))) / 60000000, 2)),"
        " c.transfer_minutes = IF(f.first_connect IS NULL, 0, ROUND(GREATEST(0,"
        "  TIMESTAMPDIFF(MICROSECOND, f.first_connect, NOW(3))) / 60000000, 2))"
        " WHERE c.id = ? AND c.tenant_id = ?",
        DB_PARAMS(DB_STR(tid), DB_STR(call_id), DB_STR(status), DB_INT(duration),
                  DB_INT(duration), DB_STR(call_id), DB_STR(tid)),
        NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agents a JOIN call_transfers t ON t.tenant_id = a.tenant_id"
                     " AND t.agent_id = a.id"
                     " SET a.current_calls = GREATEST(a.current_calls - 1, 0)"
                     " WHERE t.tenant_id = ? AND t.call_id = ?"
                     " AND t.status IN ('initiated','connecting','connected')",
                     DB_PARAMS(DB_STR(tid), DB_STR(call_id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE call_transfers SET completion_time = NOW(3),"
                     " status = IF(status = 'connected', 'completed', 'failed')"
                     " WHERE tenant_id = ? AND call_id = ? AND status IN " OPEN_TRANSFER_SQL,
                     DB_PARAMS(DB_STR(tid), DB_STR(call_id)), NULL);
    struct db_result *res = NULL;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT total_duration, ai_minutes, transfer_minutes, end_time FROM calls"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(call_id), DB_STR(tid)), &res);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = res->nrows ? db_row_json(res, 0, NULL) : json_object_new_object();
    if (p != NULL)
        json_set_str(p, "status", status);
    return emit(r, "call_ended", call_id, p);
}

int calls_set_status(struct request *r, const char *call_id, const char *status,
                     long long duration)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT status FROM calls WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(call_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return DB_ERROR;
    const char *prev = db_get(res, 0, "status");
    /* Finished is final: repeated or late callbacks change nothing. */
    if (!call_status_is_live(prev) || strcmp(prev, status) == 0)
        return DB_OK;
    if (!call_status_is_live(status))
        return call_finish(r, call_id, status, duration);
    /* A late "ringing" never takes an answered call back. */
    if (strcmp(status, "ringing") == 0)
        return DB_OK;
    rc = db_exec(r->db, r->arena, "UPDATE calls SET status = ? WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(status), DB_STR(call_id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = json_object_new_object();
    if (p != NULL) {
        json_set_str(p, "status", status);
        json_set_str(p, "previous_status", prev);
    }
    return emit(r, "call_status_update", call_id, p);
}

/* The call with its transfers; DB_OK, 1 when absent, or a negative db_rc. */
static int call_fetch(struct request *r, const char *id, struct json_object **out)
{
    struct db_result *res, *tres;
    *out = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " CALL_COLUMNS " FROM calls c WHERE c.id = ? AND c.tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    rc = db_exec(r->db, r->arena,
                 "SELECT " TRANSFER_COLUMNS " WHERE t.tenant_id = ? AND t.call_id = ?"
                 " ORDER BY t.transfer_time, t.id",
                 DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &tres);
    if (rc != DB_OK)
        return rc;
    struct json_object *call = arena_json(r->arena, db_row_json(res, 0, call_json_cols));
    if (call == NULL || db_rows_attach(call, "transfers", tres, transfer_json_cols) != 0)
        return DB_ERROR;
    *out = call;
    return DB_OK;
}

static int reply_call(struct request *r, int status, const char *id)
{
    struct json_object *call;
    int rc = call_fetch(r, id, &call);
    return request_reply_found(r, status, rc, "call", call, "Call not found");
}

static void calls_changed_hook(struct request *r, const char *arg)
{
    (void)arg;
    calls_changed(r);
}

/* Inside a write's transaction: the call as it now is, answered with status, and the
 * post-commit work of every call write. DB_OK or a negative db_rc. */
static int call_answer(struct request *r, int status, const char *id)
{
    struct json_object *call;
    int rc = call_fetch(r, id, &call);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    event_wake_after_commit(r);
    txn_after_commit(r, calls_changed_hook, NULL);
    return request_reply_found(r, status, DB_OK, "call", call, "") == 0 ? DB_OK : DB_ERROR;
}

static int call_create_step(struct request *r, void *arg)
{
    const char *id = NULL;
    int rc = calls_insert(r, arg, &id);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "call.create", "call", id, NULL);
    return rc == DB_OK ? call_answer(r, 201, id) : rc;
}

static int call_create(struct request *r)
{
    static const char *const directions[] = {"inbound", "outbound", NULL};
    struct json_object *body;
    struct call_new c;
    memset(&c, 0, sizeof(c));
    if (request_body_object(r, &body) != 0)
        return -1;
    field_phone(r, body, "caller_number", FIELD_REQUIRED, &c.caller_number);
    field_phone(r, body, "called_number", FIELD_REQUIRED, &c.called_number);
    field_string(r, body, "call_sid", FIELD_NULLABLE, 1, 100, &c.call_sid);
    field_enum(r, body, "direction", FIELD_NULLABLE, directions, &c.direction);
    field_enum(r, body, "status", FIELD_NULLABLE, live_statuses, &c.status);
    field_string(r, body, "current_flow", FIELD_NULLABLE, 0, 100, &c.current_flow);
    field_string(r, body, "flow_id", FIELD_NULLABLE, 0, 64, &c.flow_id);
    field_object_text(r, body, "context", FIELD_NULLABLE, &c.context_json);
    if (request_check_fields(r) != 0)
        return -1;
    int rc = txn_run(r, TXN_IDEMPOTENT, call_create_step, &c);
    if (rc == DB_DUPLICATE)
        return request_error(r, 409, "conflict", "A call with this call_sid already exists");
    return txn_reply(r, rc);
}

static int call_get(struct request *r)
{
    return reply_call(r, 200, request_param(r, "id"));
}

/* A JSON number (integer or not) in [min, max]; the field rules of validate.h. */
static int field_number(struct request *r, struct json_object *body, const char *key,
                        double min, double max, double *out)
{
    struct json_object *v;
    if (!json_object_object_get_ex(body, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
        request_field_error(r, key, "must be a number");
        return -1;
    }
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < min || d > max) {
        request_field_error(r, key, "is out of range");
        return -1;
    }
    *out = d;
    return 1;
}

static int call_update(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *body;
    const char *status = NULL, *context = NULL, *flow = NULL, *ai_response = NULL;
    double ai_minutes = 0;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_enum(r, body, "status", 0, all_statuses, &status);
    int has_context = field_object_text(r, body, "context", FIELD_NULLABLE, &context) >= 0 &&
                      json_object_object_get_ex(body, "context", NULL);
    int has_ai = field_number(r, body, "ai_minutes", 0, 1e6, &ai_minutes) == 1;
    const char *flow_key = json_object_object_get_ex(body, "current_flow", NULL) ? "current_flow"
                                                                                 : "flow";
    int has_flow = field_string(r, body, flow_key, FIELD_NULLABLE, 0, 100, &flow) >= 0 &&
                   json_object_object_get_ex(body, flow_key, NULL);
    field_string(r, body, "ai_response", 0, 1, 16000, &ai_response);
    if (request_check_fields(r) != 0)
        return -1;

    struct db_result *res;
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT status FROM calls WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows == 0) {
        db_rollback(r->db);
        return request_error(r, 404, "not_found", "Call not found");
    }
    if (rc == DB_OK && status != NULL && call_status_is_live(status) &&
        !call_status_is_live(db_get(res, 0, "status"))) {
        db_rollback(r->db);
        return request_error(r, 409, "conflict", "The call has ended");
    }
    if (rc == DB_OK && (has_context || has_ai || has_flow)) {
        rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET context = IF(?, ?, context),"
                     " ai_minutes = IF(?, ?, ai_minutes), current_flow = IF(?, ?, current_flow)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(has_context), DB_STR(context), DB_INT(has_ai),
                               DB_DOUBLE(ai_minutes), DB_INT(has_flow), DB_STR(flow), DB_STR(id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
        struct json_object *p = json_object_new_object();
        if (p != NULL) {
            if (has_flow)
                json_set_str(p, "current_flow", flow);
            if (has_ai)
                json_set_double(p, "ai_minutes", ai_minutes);
            if (has_context)
                json_set_bool(p, "context_changed", 1);
        }
        if (rc == DB_OK)
            rc = emit(r, "call_update", id, p);
        else
            json_object_put(p);
    }
    if (rc == DB_OK && ai_response != NULL) {
        struct json_object *p = json_object_new_object();
        if (p != NULL)
            json_set_str(p, "text", ai_response);
        rc = emit(r, "ai_response", id, p);
    }
    if (rc == DB_OK && status != NULL)
        rc = calls_set_status(r, id, status, -1);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "call.update", "call", id, NULL);
    /* The answer is read inside the transaction: it cannot fail after the commit. */
    struct json_object *call = NULL;
    if (rc == DB_OK)
        rc = call_fetch(r, id, &call);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    event_wake(r);
    calls_changed(r);
    return request_reply_found(r, 200, DB_OK, "call", call, "");
}

static int call_active(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(
        r->db, r->arena,
        "SELECT c.id AS call_id, c.id, c.caller_number, c.called_number,"
        " GREATEST(0, TIMESTAMPDIFF(SECOND, c.start_time, NOW(3))) AS duration, c.status,"
        " c.current_flow, a.name AS assigned_agent, d.name AS current_department,"
        " c.department_id, c.agent_id, c.start_time,"
        /* A pending transfer (waiting, initiated, connecting) keeps a call "transferring". */
        " c.status <> 'transferring' AS _can_transfer"
        " FROM calls c"
        " LEFT JOIN agents a ON a.tenant_id = c.tenant_id AND a.id = c.agent_id"
        " LEFT JOIN departments d ON d.tenant_id = c.tenant_id AND d.id = c.department_id"
        " WHERE c.tenant_id = ? AND c.status IN " LIVE_SQL
        " ORDER BY c.start_time DESC, c.id DESC LIMIT 2000",
        DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *list = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    if (list == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    for (size_t i = 0; i < res->nrows; i++)
        json_set_bool(json_object_array_get_idx(list, i), "can_transfer",
                      db_get_int(res, i, "_can_transfer", 0) != 0);
    long long n = (long long)res->nrows;
    return reply_list(r, "active_calls", list, 1, n > 0 ? n : 1, n);
}

/* Capacity reservation: the best available agent, locked; NULL id when none has room. */
static int agent_reserve(struct request *r, const char *department_id, const char **agent_id,
                         const char **agent_name)
{
    struct db_result *res;
    *agent_id = *agent_name = NULL;
    /*
     * SKIP LOCKED: an agent another transfer is reserving right now is skipped, not
     * waited for; the guard in the UPDATE makes over-booking impossible either way.
     */
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, name FROM agents WHERE tenant_id = ? AND department_id = ?"
                     " AND status = 'available' AND current_calls < max_concurrent_calls"
                     " ORDER BY priority, current_calls, id LIMIT 1 FOR UPDATE SKIP LOCKED",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(department_id)), &res);
    if (rc != DB_OK || res->nrows == 0)
        return rc;
    const char *id = db_get(res, 0, "id");
    struct db_result *upd;
    rc = db_exec(r->db, r->arena,
                 "UPDATE agents SET current_calls = current_calls + 1"
                 " WHERE id = ? AND tenant_id = ? AND current_calls < max_concurrent_calls",
                 DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &upd);
    if (rc == DB_OK && upd->affected_rows == 1) {
        *agent_id = id;
        *agent_name = db_get(res, 0, "name");
    }
    return rc;
}

struct transfer_input {
    const char *id, *call_id, *department_id, *type, *reason, *urgency, *context;
};

/* The transfer's answer, from what its transaction knows. DB_OK or DB_ERROR. */
static int transfer_answer(struct request *r, const struct transfer_input *in,
                           const char *agent_id, const char *status)
{
    struct json_object *t = arena_json(r->arena, json_object_new_object());
    if (t == NULL || json_set_str(t, "id", in->id) || json_set_str(t, "call_id", in->call_id) ||
        json_set_str(t, "department_id", in->department_id) ||
        json_set_str(t, "agent_id", agent_id) || json_set_str(t, "status", status) ||
        json_set_str(t, "transfer_type", in->type))
        return DB_ERROR;
    event_wake_after_commit(r);
    txn_after_commit(r, calls_changed_hook, NULL);
    return reply_one(r, 200, "transfer", t) == 0 ? DB_OK : DB_ERROR;
}

/* Lock order everywhere: the call, then agents. */
static int transfer_step(struct request *r, void *arg)
{
    const struct transfer_input *in = arg;
    const char *tid = r->auth.tenant_id, *agent_name = NULL, *agent = NULL, *status;
    struct db_result *call, *dept;
    int rc = db_exec(r->db, r->arena,
                     "SELECT status, department_id FROM calls WHERE id = ? AND tenant_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(in->call_id), DB_STR(tid)), &call);
    if (rc == DB_OK && call->nrows == 0)
        return txn_fail(r, 404, "not_found", "Call not found");
    if (rc == DB_OK && !call_status_is_live(db_get(call, 0, "status")))
        return txn_fail(r, 409, "conflict", "The call has ended");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT name, is_active FROM departments WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(in->department_id), DB_STR(tid)), &dept);
    if (rc == DB_OK && dept->nrows == 0)
        return txn_fail(r, 404, "not_found", "Department not found");
    if (rc == DB_OK && db_get_int(dept, 0, "is_active", 0) == 0)
        return txn_fail(r, 409, "conflict", "The department is not active");
    if (rc == DB_OK)
        rc = agent_reserve(r, in->department_id, &agent, &agent_name);
    status = agent ? "initiated" : "waiting";
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO call_transfers (id, tenant_id, call_id, from_department_id,"
                     " to_department_id, agent_id, transfer_reason, transfer_type, urgency_level,"
                     " status, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(in->id), DB_STR(tid), DB_STR(in->call_id),
                               DB_STR(db_get(call, 0, "department_id")),
                               DB_STR(in->department_id), DB_STR(agent), DB_STR(in->reason),
                               DB_STR(in->type), DB_STR(in->urgency), DB_STR(status),
                               DB_STR(in->context)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET status = 'transferring', department_id = ?, agent_id = ?"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(in->department_id), DB_STR(agent), DB_STR(in->call_id),
                               DB_STR(tid)),
                     NULL);
    if (rc == DB_OK) {
        struct json_object *p = json_object_new_object();
        if (p != NULL) {
            json_set_str(p, "transfer_id", in->id);
            json_set_str(p, "department_id", in->department_id);
            json_set_str(p, "department_name", db_get(dept, 0, "name"));
            json_set_str(p, "agent_id", agent);
            json_set_str(p, "agent_name", agent_name);
            json_set_str(p, "transfer_type", in->type);
            json_set_str(p, "status", status);
        }
        rc = emit(r, "transfer_initiated", in->call_id, p);
    }
    if (rc == DB_OK)
        rc = audit_record(r, tid, "call.transfer", "call_transfer", in->id, NULL);
    return rc == DB_OK ? transfer_answer(r, in, agent, status) : rc;
}

static int call_transfer(struct request *r)
{
    static const char *const types[] = {"warm", "cold", "blind", NULL};
    static const char *const urgencies[] = {"low", "normal", "high", "critical", NULL};
    struct json_object *body;
    struct transfer_input in;
    const char *summary = NULL;
    memset(&in, 0, sizeof(in));
    if (request_body_object(r, &body) != 0)
        return -1;
    field_string(r, body, "call_id", FIELD_REQUIRED, 1, 64, &in.call_id);
    const char *dept_key = json_object_object_get_ex(body, "target_department", NULL)
                               ? "target_department"
                               : "department_id";
    field_string(r, body, dept_key, FIELD_REQUIRED, 1, 64, &in.department_id);
    field_enum(r, body, "transfer_type", FIELD_NULLABLE, types, &in.type);
    field_string(r, body, "transfer_reason", FIELD_NULLABLE, 0, 255, &in.reason);
    field_enum(r, body, "urgency_level", FIELD_NULLABLE, urgencies, &in.urgency);
    field_string(r, body, "context_summary", FIELD_NULLABLE, 0, 16000, &summary);
    if (request_check_fields(r) != 0)
        return -1;
    if (in.type == NULL)
        in.type = "warm";
    if (summary != NULL) {
        struct json_object *ctx = json_object_new_object();
        if (ctx != NULL)
            json_set_str(ctx, "context_summary", summary);
        in.context = payload_text(r, ctx);
    }
    in.id = id_new(r->arena, "transfer_");
    if (in.id == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    return txn_reply(r, txn_run(r, TXN_IDEMPOTENT, transfer_step, &in));
}

/* Whether the transfer state machine allows from → to. */
static bool transfer_move_allowed(const char *from, const char *to, bool has_agent)
{
    if (strcmp(to, "failed") == 0)
        return strcmp(from, "completed") != 0 && strcmp(from, "failed") != 0;
    if (strcmp(to, "connecting") == 0)
        return has_agent && strcmp(from, "initiated") == 0;
    if (strcmp(to, "connected") == 0)
        return has_agent && (strcmp(from, "initiated") == 0 || strcmp(from, "connecting") == 0);
    if (strcmp(to, "completed") == 0)
        return strcmp(from, "connected") == 0;
    return false;
}

static int transfer_update(struct request *r)
{
    static const char *const moves[] = {"connecting", "connected", "completed", "failed", NULL};
    const char *id = request_param(r, "id"), *status, *tid = r->auth.tenant_id;
    struct json_object *body;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_enum(r, body, "status", FIELD_REQUIRED, moves, &status);
    if (request_check_fields(r) != 0)
        return -1;
    struct db_result *res = NULL, *owner = NULL, *call = NULL;
    int rc = db_begin(r->db);
    /* Lock order everywhere: the call, then its transfers and agents. */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT call_id FROM call_transfers WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(tid)), &owner);
    if (rc == DB_OK && owner->nrows == 0) {
        db_rollback(r->db);
        return request_error(r, 404, "not_found", "Transfer not found");
    }
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT status FROM calls WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(db_get(owner, 0, "call_id")), DB_STR(tid)), &call);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT status, agent_id, call_id FROM call_transfers"
                     " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(tid)), &res);
    if (rc == DB_OK && (res->nrows == 0 || call->nrows == 0)) {
        db_rollback(r->db);
        return request_error(r, 404, "not_found", "Transfer not found");
    }
    const char *from = rc == DB_OK ? db_get(res, 0, "status") : NULL;
    const char *agent_id = rc == DB_OK ? db_get(res, 0, "agent_id") : NULL;
    const char *call_id = rc == DB_OK ? db_get(res, 0, "call_id") : NULL;
    if (rc == DB_OK && !transfer_move_allowed(from, status, agent_id != NULL)) {
        db_rollback(r->db);
        char *msg = arena_printf(r->arena, "A transfer cannot move from %s to %s", from, status);
        return request_error(r, 409, "conflict", msg ? msg : "Transfer move not allowed");
    }
    bool releases = strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE call_transfers SET status = ?,"
                     " connection_time = IF(? = 'connected', NOW(3), connection_time),"
                     " completion_time = IF(?, NOW(3), completion_time)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(status), DB_STR(status), DB_INT(releases), DB_STR(id),
                               DB_STR(tid)),
                     NULL);
    /* A waiting transfer reserved nothing, so only one with an agent gives capacity back. */
    if (rc == DB_OK && releases && agent_id != NULL && strcmp(from, "waiting") != 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agents SET current_calls = GREATEST(current_calls - 1, 0)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(agent_id), DB_STR(tid)), NULL);
    if (rc == DB_OK && call_status_is_live(db_get(call, 0, "status"))) {
        /* The call shows the handoff: connected to the agent, or back with the AI. */
        const char *call_status = strcmp(status, "connected") == 0 ? "connected"
                                  : strcmp(status, "failed") == 0  ? "active"
                                                                   : NULL;
        if (call_status != NULL)
            rc = calls_set_status(r, call_id, call_status, -1);
    }
    if (rc == DB_OK) {
        struct json_object *p = json_object_new_object();
        if (p != NULL) {
            json_set_str(p, "transfer_id", id);
            json_set_str(p, "agent_id", agent_id);
            json_set_str(p, "status", status);
            json_set_str(p, "previous_status", from);
        }
        const char *type = arena_printf(r->arena, "transfer_%s", status);
        rc = type ? emit(r, type, call_id, p) : DB_ERROR;
    }
    if (rc == DB_OK)
        rc = audit_record(r, tid, "call.transfer_update", "call_transfer", id, NULL);
    /* The answer is read inside the transaction: it cannot fail after the commit. */
    struct db_result *tres = NULL;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " TRANSFER_COLUMNS " WHERE t.id = ? AND t.tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(tid)), &tres);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    event_wake(r);
    calls_changed(r);
    struct json_object *t = tres->nrows ? db_row_json(tres, 0, transfer_json_cols) : NULL;
    return reply_one(r, 200, "transfer", arena_json(r->arena, t));
}

static int call_transfers(struct request *r)
{
    const char *id = request_param(r, "id");
    struct db_result *res, *tres;
    int rc = db_exec(r->db, r->arena, "SELECT 1 FROM calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows == 0)
        return request_error(r, 404, "not_found", "Call not found");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " TRANSFER_COLUMNS " WHERE t.tenant_id = ? AND t.call_id = ?"
                     " ORDER BY t.transfer_time, t.id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &tres);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *rows =
        arena_json(r->arena, db_rows_json(tres, tres->nrows, transfer_json_cols));
    long long n = (long long)tres->nrows;
    return reply_list(r, "transfers", rows, 1, n > 0 ? n : 1, n);
}

/*
 * Call logs. The cursor is base64url("<start_time with microseconds>|<id>") of the last
 * row: the next page is the rows strictly before it in (start_time DESC, id DESC) order,
 * which the index (tenant_id, start_time, id) serves directly at any depth.
 */
#define LOG_SELECT                                                                           \
    "SELECT c.id AS call_id, c.id, c.caller_number, c.called_number, c.start_time,"         \
    " c.end_time, c.total_duration, NULLIF(c.ai_minutes, 0) AS ai_minutes,"                 \
    " NULLIF(c.transfer_minutes, 0) AS transfer_minutes, c.status,"                         \
    " COALESCE((SELECT JSON_ARRAYAGG(JSON_OBJECT('id', t.id, 'target_department', d.name,"  \
    "  'department_id', t.to_department_id, 'agent_id', t.agent_id, 'agent_name', a.name,"  \
    "  'transfer_time', CONCAT(REPLACE(t.transfer_time, ' ', 'T'), 'Z'), 'status',"         \
    "  t.status) ORDER BY t.transfer_time, t.id)"                                           \
    "  FROM call_transfers t FORCE INDEX (idx_call_transfers_tenant_call)"                  \
    "  LEFT JOIN departments d ON d.tenant_id = t.tenant_id AND d.id = t.to_department_id"  \
    "  LEFT JOIN agents a ON a.tenant_id = t.tenant_id AND a.id = t.agent_id"               \
    "  WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id), JSON_ARRAY()) AS transfers,"  \
    " DATE_FORMAT(c.start_time, '%Y-%m-%d %H:%i:%s.%f') AS _cursor_time"                   \
    /* Deferred join: the page's ids first, so skipped rows cost an index step only. */     \
    " FROM (SELECT c.id FROM calls c FORCE INDEX (idx_calls_tenant_start)"

#define LOG_PAGE_END                                                                         \
    ") pg JOIN calls c ON c.id = pg.id ORDER BY c.start_time DESC, c.id DESC"

#define LOG_FILTERS                                                                          \
    " WHERE c.tenant_id = ? AND c.start_time >= NOW(3) - INTERVAL ? DAY"                    \
    " AND (? IS NULL OR c.status = ?)"                                                      \
    " AND (? IS NULL OR ? = EXISTS (SELECT 1 FROM call_transfers x"                         \
    "  FORCE INDEX (idx_call_transfers_tenant_call)"                                         \
    "  WHERE x.tenant_id = c.tenant_id AND x.call_id = c.id))"                              \
    " AND (? IS NULL OR c.caller_number LIKE ? ESCAPE '\\\\' OR c.id LIKE ? ESCAPE '\\\\')"

#define LOG_NFILTERS 9u

#define LOG_PLAIN_FILTERS " WHERE c.tenant_id = ? AND c.start_time >= NOW(3) - INTERVAL ? DAY"

/* Rows strictly after the cursor: the first term bounds an index range, the second ties. */
#define LOG_AFTER_CURSOR " AND c.start_time <= ? AND (c.start_time < ? OR c.id < ?)"
#define LOG_MAX_OFFSET 10000

static int cursor_decode(struct request *r, const char *cursor, const char **time,
                         const char **id)
{
    size_t n = strlen(cursor);
    if (n == 0 || n > 200)
        return -1;
    unsigned char buf[160];
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *p = strchr(digits, cursor[i]);
        if (p == NULL || cursor[i] == '\0')
            return -1;
        acc = (acc << 6) | (unsigned)(p - digits);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= sizeof(buf) - 1)
                return -1;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    buf[o] = '\0';
    char *bar = memchr(buf, '|', o);
    if (bar == NULL || bar == (char *)buf || validate_text((char *)buf, o) != 0)
        return -1;
    *bar = '\0';
    /* "YYYY-MM-DD HH:MM:SS.ffffff" */
    if (strlen((char *)buf) != 26)
        return -1;
    *time = arena_strdup(r->arena, (char *)buf);
    *id = arena_strdup(r->arena, bar + 1);
    return (*time && *id) ? 0 : -1;
}

static char *cursor_encode(struct request *r, const char *time, const char *id)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *raw = arena_printf(r->arena, "%s|%s", time, id);
    if (raw == NULL)
        return NULL;
    size_t n = strlen(raw);
    char *out = arena_alloc(r->arena, n * 4 / 3 + 4);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | (unsigned char)raw[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = digits[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = digits[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    return out;
}

/* Call writes move the tenant's "calls" cache generation (see logs_count). After commit. */
void calls_changed(struct request *r)
{
    const char *ns = arena_printf(r->arena, "calls:%s", r->auth.tenant_id);
    if (ns != NULL)
        cache_bump(r->cache, ns);
}

/*
 * The total of a call-log query. Counting is linear in the rows of the date range (about
 * 1.4 s per million here), so counts are cached per tenant and filter set with the
 * tenant's "calls" generation at the time of counting. A count from the current
 * generation is exact. A count that was expensive (over COUNT_SLOW_MS) may also be
 * served for COUNT_STALE_S seconds after later writes, so that a busy tenant's dashboard
 * does not recount a million rows on every poll; cheap counts are always recounted.
 * While one worker recounts, the others answer with the previous count; only when there
 * is none at all do they wait (up to 3 s) for the one being made.
 */
#define COUNT_SLOW_MS 200
#define COUNT_STALE_S 10

struct cached_count {
    long long total, cost_ms, at;
    unsigned long long gen;
};

static bool count_usable(const char *val, unsigned long long gen, struct cached_count *cc)
{
    if (sscanf(val, "%lld %llu %lld %lld", &cc->total, &cc->gen, &cc->cost_ms, &cc->at) != 4)
        return false;
    if (cc->gen == gen)
        return true;
    return cc->cost_ms >= COUNT_SLOW_MS && (long long)time(NULL) - cc->at < COUNT_STALE_S;
}

static int logs_count(struct request *r, const struct db_param *params, bool plain,
                      bool status_only, long long *total)
{
    char digest[65], *key = NULL;
    uint64_t gen = 0;
    struct cached_count cc;
    const char *ns = arena_printf(r->arena, "calls:%s", r->auth.tenant_id);
    const char *filters =
        arena_printf(r->arena, "%lld|%s|%lld|%s", params[1].i, params[2].s ? params[2].s : "\x01",
                     params[4].type == DB_T_NULL ? -1 : params[4].i,
                     params[6].s ? params[6].s : "\x01");
    if (ns != NULL && filters != NULL && cache_generation(r->cache, ns, &gen) == 0) {
        crypto_sha256_hex(filters, strlen(filters), digest);
        key = arena_printf(r->arena, "%s:count:%s", ns, digest);
        char *val = NULL;
        size_t len;
        bool have = key != NULL && cache_get(r->cache, r->arena, key, &val, &len) == 0;
        if (have && count_usable(val, (unsigned long long)gen, &cc)) {
            *total = cc.total;
            return DB_OK;
        }
        /*
         * One worker recounts; while it does, the others answer with the previous count
         * (if any) rather than park a worker or count the same rows too.
         */
        int lease = key != NULL ? cache_lease(r->cache, key, 30) : -1;
        if (lease == 1 && have && sscanf(val, "%lld", &cc.total) == 1) {
            *total = cc.total;
            return DB_OK;
        }
        for (int wait = 0; lease == 1 && wait < 60; wait++) {
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
            if (cache_get(r->cache, r->arena, key, &val, &len) == 0 &&
                sscanf(val, "%lld", &cc.total) == 1) {
                *total = cc.total;
                return DB_OK;
            }
        }
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct db_result *res;
    int rc;
    /* The common filter sets get statements an index covers; the rest the general one. */
    if (plain)
        rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS total FROM calls c WHERE c.tenant_id = ?"
                     " AND c.start_time >= NOW(3) - INTERVAL ? DAY",
                     params, 2, &res);
    else if (status_only)
        rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS total FROM calls c WHERE c.tenant_id = ?"
                     " AND c.start_time >= NOW(3) - INTERVAL ? DAY AND c.status = ?",
                     params, 3, &res);
    else
        rc = db_exec(r->db, r->arena, "SELECT COUNT(*) AS total FROM calls c" LOG_FILTERS,
                     params, LOG_NFILTERS, &res);
    if (rc != DB_OK) {
        if (key != NULL)
            cache_release(r->cache, key);
        return rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *total = db_get_int(res, 0, "total", 0);
    if (key != NULL) {
        long long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        char buf[96];
        int n = snprintf(buf, sizeof(buf), "%lld %llu %lld %lld", *total,
                         (unsigned long long)gen, ms, (long long)time(NULL));
        cache_set(r->cache, key, buf, (size_t)n, (unsigned)r->cfg->cache_ttl);
        cache_release(r->cache, key);
    }
    return DB_OK;
}

static int call_logs(struct request *r)
{
    static const char *const ranges[] = {"1day", "7days", "30days", "90days", NULL};
    static const int range_days[] = {1, 7, 30, 90};
    struct page p;
    const char *range = NULL, *pattern = NULL, *ctime = NULL, *cid = NULL;
    int has_transfer = 0;
    query_page(r, 25, 200, &p);
    query_enum(r, "date_range", ranges, &range);
    int want_transfer = query_bool(r, "has_transfer", &has_transfer);
    const char *status = request_query(r, "status");
    if (status != NULL && (status[0] == '\0' || strcmp(status, "all") == 0))
        status = NULL;
    /* A search box's "+1555…" arrives as " 1555…" ('+' is a space in a query string). */
    const char *search = request_query(r, "search");
    if (search != NULL) {
        while (isspace((unsigned char)*search))
            search++;
        char *s = arena_strdup(r->arena, search);
        size_t n = s ? strlen(s) : 0;
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            s[--n] = '\0';
        search = s;
    }
    query_like_pattern(r, "search", search, &pattern);
    /* Offsets cost a scan of every skipped row; deeper pages use the cursor. */
    if (p.offset + p.limit > LOG_MAX_OFFSET)
        request_field_error(r, "page", "is too deep for offset paging: follow next_cursor "
                                       "with `after` instead");
    const char *after = request_query(r, "after");
    if (after != NULL && after[0] != '\0' && cursor_decode(r, after, &ctime, &cid) != 0)
        request_field_error(r, "after", "is not a cursor this server issued");
    if (request_check_fields(r) != 0)
        return -1;
    int days = 7;
    for (size_t i = 0; range != NULL && ranges[i] != NULL; i++)
        if (ranges[i] == range)
            days = range_days[i];

    struct db_param params[] = {
        DB_STR(r->auth.tenant_id), DB_INT(days), DB_STR(status), DB_STR(status),
        want_transfer == 1 ? DB_INT(has_transfer) : DB_NULL,
        want_transfer == 1 ? DB_INT(has_transfer) : DB_NULL,
        DB_STR(pattern), DB_STR(pattern), DB_STR(pattern),
        /* keyset or offset paging, then LIMIT */
        DB_STR(ctime), DB_STR(ctime), DB_STR(cid), DB_INT(p.limit + 1), DB_INT(p.offset),
    };
    struct db_result *res;
    long long total = -1;
    int rc;
    /* Without optional filters the page is found inside the index alone. */
    bool plain = status == NULL && want_transfer != 1 && pattern == NULL;
    const struct db_param plain_params[] = {
        DB_STR(r->auth.tenant_id), DB_INT(days), DB_STR(ctime), DB_STR(ctime), DB_STR(cid),
        DB_INT(p.limit + 1),
    };
    const struct db_param plain_offset[] = {
        DB_STR(r->auth.tenant_id), DB_INT(days), DB_INT(p.limit + 1), DB_INT(p.offset),
    };
    if (ctime != NULL && plain) {
        rc = db_exec(r->db, r->arena,
                     LOG_SELECT LOG_PLAIN_FILTERS LOG_AFTER_CURSOR
                     " ORDER BY c.start_time DESC, c.id DESC LIMIT ?" LOG_PAGE_END,
                     plain_params, 6, &res);
    } else if (ctime != NULL) {
        params[12] = DB_INT(p.limit + 1);
        rc = db_exec(r->db, r->arena,
                     LOG_SELECT LOG_FILTERS LOG_AFTER_CURSOR
                     " ORDER BY c.start_time DESC, c.id DESC LIMIT ?" LOG_PAGE_END,
                     params, LOG_NFILTERS + 4, &res);
    } else if (plain) {
        rc = db_exec(r->db, r->arena,
                     LOG_SELECT LOG_PLAIN_FILTERS
                     " ORDER BY c.start_time DESC, c.id DESC LIMIT ? OFFSET ?" LOG_PAGE_END,
                     plain_offset, 4, &res);
    } else {
        params[9] = DB_INT(p.limit + 1);
        params[10] = DB_INT(p.offset);
        rc = db_exec(r->db, r->arena,
                     LOG_SELECT LOG_FILTERS
                     " ORDER BY c.start_time DESC, c.id DESC LIMIT ? OFFSET ?" LOG_PAGE_END,
                     params, LOG_NFILTERS + 2, &res);
    }
    if (rc == DB_OK && ctime == NULL)
        rc = logs_count(r, params, plain, status != NULL && want_transfer != 1 && pattern == NULL,
                        &total);
    if (rc != DB_OK)
        return request_db_error(r, rc);

    static const char *const log_json_cols[] = {"transfers", NULL};
    size_t shown = res->nrows > (size_t)p.limit ? (size_t)p.limit : res->nrows;
    struct json_object *rows = arena_json(r->arena, db_rows_json(res, shown, log_json_cols));
    const char *next = NULL;
    if (res->nrows > shown)
        next = cursor_encode(r, db_get(res, shown - 1, "_cursor_time"),
                             db_get(res, shown - 1, "id"));
    if (reply_list(r, "call_logs", rows, p.page, p.limit, total) != 0)
        return -1;
    /* Counting every row before a deep cursor would cost what the cursor saves. */
    if (total < 0)
        reply_list_by_cursor(r, next != NULL);
    struct json_object *nc = next ? json_object_new_string(next) : NULL;
    if ((next != NULL && nc == NULL) || reply_set(r, "next_cursor", nc) != 0)
        return request_error(r, 500, "internal_error", "Out of memory");
    return 0;
}

static const struct route routes[] = {
    {"POST", "/api/calls", call_create, ROLES_STAFF, FAM_TRANSFER},
    {"GET", "/api/calls/active", call_active, ROLES_ANY, FAM_TRANSFER},
    {"GET", "/api/calls/logs", call_logs, ROLES_ANY, FAM_TRANSFER},
    {"POST", "/api/calls/transfer", call_transfer, ROLES_STAFF, FAM_TRANSFER},
    {"PUT", "/api/calls/transfers/:id", transfer_update, ROLES_STAFF, FAM_TRANSFER},
    {"GET", "/api/calls/:id", call_get, ROLES_ANY, FAM_TRANSFER},
    {"PUT", "/api/calls/:id", call_update, ROLES_STAFF, FAM_TRANSFER},
    {"GET", "/api/calls/:id/transfers", call_transfers, ROLES_ANY, FAM_TRANSFER},
};

const struct route_group calls_routes = {routes, sizeof(routes) / sizeof(routes[0])};
