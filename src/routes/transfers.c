/*
 * Transfers of a live call to a department: the agent is picked and reserved atomically
 * (capacity can never be over-booked, whatever the concurrency), the transfer then moves
 * initiated → connecting → connected → completed, or fails; a finished transfer gives the
 * agent's capacity back. Every move is an event in the same transaction.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

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

static const char *const transfer_types[] = {"warm", "cold", "blind", "conference", NULL};
static const char *const urgencies[] = {"low", "normal", "high", "critical", NULL};
/* The transfer portal always sends "medium" (clients.md). */
static const struct field_word urgency_words[] = {
    {"medium", "normal"}, {"urgent", "critical"}, {NULL, NULL}};

enum { X_CALL, X_DEPT, X_TYPE, X_REASON, X_URGENCY, X_SUMMARY, X_NFIELDS };

static const struct field_def transfer_fields[] = {
    [X_CALL] = {"call_id", FT_TEXT, F_REQUIRED, 1, 64, NULL, NULL, NULL},
    /* the portal names it target_department */
    [X_DEPT] = {"department_id", FT_TEXT, F_REQUIRED, 1, 64, NULL, NULL, "target_department"},
    [X_TYPE] = {"transfer_type", FT_ENUM, F_NULLABLE, 0, 0, transfer_types, NULL, NULL},
    [X_REASON] = {"transfer_reason", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, NULL},
    [X_URGENCY] = {"urgency_level", FT_ENUM, F_NULLABLE, 0, 0, urgencies, urgency_words, NULL},
    [X_SUMMARY] = {"context_summary", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
};

struct transfer_input {
    const char *id, *type, *context;
    struct field_value v[X_NFIELDS];
};

/* The transfer's answer, from what its transaction knows. DB_OK or DB_ERROR. */
static int transfer_answer(struct request *r, const struct transfer_input *in,
                           const char *agent_id, const char *status)
{
    struct json_object *t = arena_json(r->arena, json_object_new_object());
    if (t == NULL || json_set_str(t, "id", in->id) ||
        json_set_str(t, "call_id", in->v[X_CALL].s) ||
        json_set_str(t, "department_id", in->v[X_DEPT].s) ||
        json_set_str(t, "agent_id", agent_id) || json_set_str(t, "status", status) ||
        json_set_str(t, "transfer_type", in->type))
        return DB_ERROR;
    calls_written(r);
    return reply_one(r, 200, "transfer", t) == 0 ? DB_OK : DB_ERROR;
}

static int transfer_initiated(struct request *r, const struct transfer_input *in,
                              const char *dept_name, const char *agent, const char *agent_name,
                              const char *status)
{
    struct json_object *p = json_object_new_object();
    if (p != NULL && (json_set_str(p, "transfer_id", in->id) ||
                      json_set_str(p, "department_id", in->v[X_DEPT].s) ||
                      json_set_str(p, "department_name", dept_name) ||
                      json_set_str(p, "agent_id", agent) ||
                      json_set_str(p, "agent_name", agent_name) ||
                      json_set_str(p, "transfer_type", in->type) ||
                      json_set_str(p, "status", status)))
        return DB_ERROR;
    return call_emit(r, "transfer_initiated", in->v[X_CALL].s, p);
}

/* Lock order everywhere: the call, then agents. */
static int transfer_step(struct request *r, void *arg)
{
    const struct transfer_input *in = arg;
    const char *tid = r->auth.tenant_id, *call_id = in->v[X_CALL].s, *dept = in->v[X_DEPT].s;
    const char *agent_name = NULL, *agent = NULL, *status;
    struct db_result *call, *d;
    int rc = db_exec(r->db, r->arena,
                     "SELECT status, department_id FROM calls WHERE id = ? AND tenant_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(call_id), DB_STR(tid)), &call);
    if (rc == DB_OK && call->nrows == 0)
        return txn_fail(r, 404, "not_found", "Call not found");
    if (rc == DB_OK && !call_status_is_live(db_get(call, 0, "status")))
        return txn_fail(r, 409, "conflict", "The call has ended");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT name, is_active FROM departments WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(dept), DB_STR(tid)), &d);
    if (rc == DB_OK && d->nrows == 0)
        return txn_fail(r, 404, "not_found", "Department not found");
    if (rc == DB_OK && db_get_int(d, 0, "is_active", 0) == 0)
        return txn_fail(r, 409, "conflict", "The department is not active");
    if (rc == DB_OK)
        rc = agent_reserve(r, dept, &agent, &agent_name);
    status = agent ? "initiated" : "waiting";
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO call_transfers (id, tenant_id, call_id, from_department_id,"
                     " to_department_id, agent_id, transfer_reason, transfer_type, urgency_level,"
                     " status, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(in->id), DB_STR(tid), DB_STR(call_id),
                               DB_STR(db_get(call, 0, "department_id")), DB_STR(dept),
                               DB_STR(agent), DB_STR(in->v[X_REASON].s), DB_STR(in->type),
                               DB_STR(in->v[X_URGENCY].s), DB_STR(status), DB_STR(in->context)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET status = 'transferring', department_id = ?, agent_id = ?"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(dept), DB_STR(agent), DB_STR(call_id), DB_STR(tid)), NULL);
    if (rc == DB_OK)
        rc = transfer_initiated(r, in, db_get(d, 0, "name"), agent, agent_name, status);
    if (rc == DB_OK)
        rc = audit_record(r, tid, "call.transfer", "call_transfer", in->id, NULL);
    return rc == DB_OK ? transfer_answer(r, in, agent, status) : rc;
}

static int call_transfer(struct request *r)
{
    struct transfer_input in;
    if (fields_declared(r, FIELDS_CREATE, in.v, X_NFIELDS, NULL) != 0)
        return -1;
    in.type = in.v[X_TYPE].s ? in.v[X_TYPE].s : "warm";
    in.context = NULL;
    if (in.v[X_SUMMARY].s != NULL) {
        struct json_object *ctx = arena_json(r->arena, json_object_new_object());
        if (ctx == NULL || json_set_str(ctx, "context_summary", in.v[X_SUMMARY].s) != 0 ||
            (in.context = json_text(ctx, NULL)) == NULL)
            return request_oom(r);
    }
    in.id = id_new(r->arena, "transfer_");
    if (in.id == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, transfer_step, &in));
}

/* ---- moves -------------------------------------------------------------------------------- */

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

struct transfer_move {
    const char *id, *status;
};

/* The call shows the handoff: connected to the agent (and, for the logs, transferred), or
 * back with the AI when the transfer failed. */
static int move_call(struct request *r, const char *call_id, const char *status)
{
    int rc = DB_OK;
    if (strcmp(status, "connected") == 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET transferred = 1 WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(call_id), DB_STR(r->auth.tenant_id)), NULL);
    const char *call_status = strcmp(status, "connected") == 0 ? "connected"
                              : strcmp(status, "failed") == 0  ? "active"
                                                               : NULL;
    if (rc == DB_OK && call_status != NULL)
        rc = calls_set_status(r, call_id, call_status, -1);
    return rc;
}

static int move_event(struct request *r, const struct transfer_move *m, const char *call_id,
                      const char *agent_id, const char *from)
{
    struct json_object *p = json_object_new_object();
    if (p != NULL && (json_set_str(p, "transfer_id", m->id) ||
                      json_set_str(p, "agent_id", agent_id) ||
                      json_set_str(p, "status", m->status) ||
                      json_set_str(p, "previous_status", from)))
        return DB_ERROR;
    const char *type = arena_printf(r->arena, "transfer_%s", m->status);
    return type ? call_emit(r, type, call_id, p) : DB_ERROR;
}

static int transfer_update_step(struct request *r, void *arg)
{
    const struct transfer_move *m = arg;
    const char *tid = r->auth.tenant_id;
    struct db_result *res = NULL, *owner = NULL, *call = NULL, *tres = NULL;
    /* Lock order everywhere: the call, then its transfers and agents. */
    int rc = db_exec(r->db, r->arena,
                     "SELECT call_id FROM call_transfers WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(m->id), DB_STR(tid)), &owner);
    if (rc == DB_OK && owner->nrows == 0)
        return txn_fail(r, 404, "not_found", "Transfer not found");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT status FROM calls WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(db_get(owner, 0, "call_id")), DB_STR(tid)), &call);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT status, agent_id, call_id FROM call_transfers"
                     " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(m->id), DB_STR(tid)), &res);
    if (rc == DB_OK && (res->nrows == 0 || call->nrows == 0))
        return txn_fail(r, 404, "not_found", "Transfer not found");
    if (rc != DB_OK)
        return rc;
    const char *from = db_get(res, 0, "status"), *agent_id = db_get(res, 0, "agent_id");
    const char *call_id = db_get(res, 0, "call_id");
    if (!transfer_move_allowed(from, m->status, agent_id != NULL)) {
        char *msg = arena_printf(r->arena, "A transfer cannot move from %s to %s", from,
                                 m->status);
        return txn_fail(r, 409, "conflict", msg ? msg : "Transfer move not allowed");
    }
    bool releases = strcmp(m->status, "completed") == 0 || strcmp(m->status, "failed") == 0;
    rc = db_exec(r->db, r->arena,
                 "UPDATE call_transfers SET status = ?,"
                 " connection_time = IF(? = 'connected', NOW(3), connection_time),"
                 " completion_time = IF(?, NOW(3), completion_time)"
                 " WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(m->status), DB_STR(m->status), DB_INT(releases),
                           DB_STR(m->id), DB_STR(tid)),
                 NULL);
    /* A waiting transfer reserved nothing, so only one with an agent gives capacity back. */
    if (rc == DB_OK && releases && agent_id != NULL && strcmp(from, "waiting") != 0)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agents SET current_calls = GREATEST(current_calls - 1, 0)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(agent_id), DB_STR(tid)), NULL);
    if (rc == DB_OK && call_status_is_live(db_get(call, 0, "status")))
        rc = move_call(r, call_id, m->status);
    if (rc == DB_OK)
        rc = move_event(r, m, call_id, agent_id, from);
    if (rc == DB_OK)
        rc = audit_record(r, tid, "call.transfer_update", "call_transfer", m->id, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " TRANSFER_COLUMNS " WHERE t.id = ? AND t.tenant_id = ?",
                     DB_PARAMS(DB_STR(m->id), DB_STR(tid)), &tres);
    if (rc != DB_OK)
        return rc;
    calls_written(r);
    return resource_reply_row(r, 200, "transfer", tres, transfer_json_cols);
}

static const char *const moves[] = {"connecting", "connected", "completed", "failed", NULL};
static const struct field_def move_field[] = {
    {"status", FT_ENUM, F_ALWAYS, 0, 0, moves, NULL, NULL},
};

static int transfer_update(struct request *r)
{
    struct field_value v[1];
    struct transfer_move m = {request_param(r, "id"), NULL};
    if (fields_declared(r, FIELDS_UPDATE, v, 1, NULL) != 0)
        return -1;
    m.status = v[0].s;
    return txn_reply(r, txn_run(r, transfer_update_step, &m));
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

static const struct route routes[] = {
    ROUTE("POST", "/api/calls/transfer", call_transfer, ROLES_STAFF, FAM_TRANSFER,
          .summary = "Transfer a call to a department or agent", ROUTE_BODY(transfer_fields),
          .key = "transfer", .flags = ROUTE_IDEMPOTENT, .status = 200),
    ROUTE("PUT", "/api/calls/transfers/:id", transfer_update, ROLES_STAFF, FAM_TRANSFER,
          .summary = "Move a transfer on (connecting, connected, completed, failed)",
          ROUTE_BODY(move_field), .key = "transfer"),
    ROUTE("GET", "/api/calls/:id/transfers", call_transfers, ROLES_ANY, FAM_TRANSFER,
          .summary = "A call's transfers", .key = "transfers", .flags = ROUTE_LIST | ROUTE_WHOLE),
};

ROUTE_GROUP(transfers_routes, routes);
