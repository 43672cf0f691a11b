/*
 * Calls: create, read, update, the live list, and the call state machine shared with the
 * Twilio webhook and the transfers (transfers.c); the call logs are call_logs.c. Every
 * change writes its event in the same transaction.
 *
 * Statuses are ours (ringing, active, on_hold, transferring, connected; completed,
 * missed, abandoned, failed, busy); the words other clients send are taken too: the
 * transfer portal's initiated, in_progress and transferred, Twilio's in-progress.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "cached.h"
#include "cdr_store.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "outbound.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

#define CALL_COLUMNS                                                                       \
    "c.id, c.id AS call_id, c.tenant_id, c.call_sid, c.caller_number, c.called_number,"    \
    " c.direction, c.status, c.current_flow, c.flow_id, c.department_id, c.agent_id,"      \
    " c.ai_minutes, c.transfer_minutes, c.total_duration, c.start_time, c.end_time,"       \
    " c.context, c.created_at, c.updated_at"

/* SQL list of the open transfer statuses, for statements. */
#define OPEN_TRANSFER_SQL "('waiting','initiated','connecting','connected')"

static const char *const live_statuses[] = {"ringing", "active", "on_hold", "transferring",
                                            "connected", NULL};
const char *const call_statuses[] = {"ringing",   "active",    "on_hold", "transferring",
                                     "connected", "completed", "missed",  "abandoned",
                                     "failed",    "busy",      NULL};
const struct field_word call_status_words[] = {
    {"initiated", "ringing"},       {"in_progress", "active"}, {"in-progress", "active"},
    {"transferred", "transferring"}, {"queued", "ringing"},     {"no-answer", "missed"},
    {"canceled", "abandoned"},      {"answered", "active"},    {NULL, NULL},
};
static const char *const call_json_cols[] = {"context", NULL};
const char *const transfer_json_cols[] = {"context", NULL};

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
    return in_set(call_statuses, status);
}

int call_emit(struct request *r, const char *type, const char *call_id,
              struct json_object *payload)
{
    if (payload == NULL || arena_json(r->arena, payload) == NULL)
        return DB_ERROR;
    const char *text = json_text(payload, NULL);
    return text ? event_emit(r, type, call_id, text) : DB_ERROR;
}

int calls_lock_sid(struct request *r, const char *call_sid, struct db_result **res)
{
    int rc = db_exec(r->db, r->arena, "SELECT id FROM calls WHERE call_sid = ?",
                     DB_PARAMS(DB_STR(call_sid)), res);
    if (rc != DB_OK || (*res)->nrows == 0)
        return rc;
    return db_exec(r->db, r->arena, "SELECT id, tenant_id FROM calls WHERE id = ? FOR UPDATE",
                   DB_PARAMS(DB_STR(db_get(*res, 0, "id"))), res);
}

int calls_insert(struct request *r, const struct call_new *c, const char **id_out)
{
    const char *id = c->id ? c->id : id_new(r->arena, "call_");
    if (id == NULL)
        return DB_ERROR;
    const char *direction = c->direction ? c->direction : "inbound";
    const char *status = c->status ? c->status : "ringing";
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO calls (id, tenant_id, call_sid, caller_number, called_number,"
                     " direction, status, current_flow, flow_id, context)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(c->call_sid),
                               DB_STR(c->caller_number), DB_STR(c->called_number),
                               DB_STR(direction), DB_STR(status), DB_STR(c->current_flow),
                               DB_STR(c->flow_id), DB_STR(c->context_json)),
                     NULL);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = json_object_new_object();
    if (p != NULL && (json_set_str(p, "call_sid", c->call_sid) ||
                      json_set_str(p, "caller_number", c->caller_number) ||
                      json_set_str(p, "called_number", c->called_number) ||
                      json_set_str(p, "direction", direction) || json_set_str(p, "status", status)))
        return DB_ERROR;
    *id_out = id;
    return call_emit(r, "call_started", id, p);
}

/*
 * The CDR of a transfer-service call, in the transaction that ends it. These calls were in
 * no queue: the AI flow answers them at once, so an answered one waited 0 seconds and its
 * talk time is the whole call; one that was not answered waited all of it.
 */
static int call_cdr(struct request *r, const char *call_id, const struct db_result *res,
                    const char *status)
{
    static const char *const outcome[][2] = {
        {"completed", "answered"}, {"missed", "no_answer"}, {"abandoned", "abandoned"},
        {"failed", "failed"},      {"busy", "busy"},
    };
    const char *disposition = "failed";
    for (size_t i = 0; i < sizeof(outcome) / sizeof(outcome[0]); i++)
        if (strcmp(outcome[i][0], status) == 0)
            disposition = outcome[i][1];
    bool answered = strcmp(disposition, "answered") == 0;
    long long duration = db_get_int(res, 0, "total_duration", 0);
    struct cdr c = {
        .call_sid = db_get(res, 0, "_sid"),
        .direction = db_get(res, 0, "_direction"),
        .caller_number = db_get(res, 0, "_caller"),
        .called_number = db_get(res, 0, "_called"),
        .did_id = db_get(res, 0, "_did"),
        .user_id = answered ? db_get(res, 0, "_user") : NULL,
        .start = db_get_int(res, 0, "_start", 0),
        .end = db_get_int(res, 0, "_end", 0),
        .duration = duration,
        .billsec = answered ? duration : 0,
        .wait = answered ? 0 : duration,
        .disposition = disposition,
    };
    c.answer = answered ? c.start : 0;
    /* The way back from the CDR to the call (its transfers, its events). */
    struct json_object *meta = arena_json(r->arena, json_object_new_object());
    if (meta == NULL || json_set_str(meta, "source", "calls") ||
        json_set_str(meta, "call_id", call_id) || (c.metadata_json = json_text(meta, NULL)) == NULL)
        return DB_ERROR;
    int rc = cdr_write(r, &c, NULL);
    /* The CDR of this call_sid was written already (imported, or by another writer). */
    return rc == DB_DUPLICATE ? DB_OK : rc;
}

/* Ends a live call: times, minutes, capacity, open transfers, the CDR, the event. */
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
    /* The '_' columns are the CDR's, not the event's (db_row_json leaves them out). */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT c.total_duration, c.ai_minutes, c.transfer_minutes, c.end_time,"
                     " c.call_sid AS _sid, c.caller_number AS _caller,"
                     " c.called_number AS _called, c.direction AS _direction,"
                     " UNIX_TIMESTAMP(c.start_time) AS _start, UNIX_TIMESTAMP(c.end_time) AS _end,"
                     " a.user_id AS _user, d.id AS _did FROM calls c"
                     " LEFT JOIN agents a ON a.tenant_id = c.tenant_id AND a.id = c.agent_id"
                     " LEFT JOIN dids d ON d.tenant_id = c.tenant_id AND d.number ="
                     "  IF(c.direction = 'inbound', c.called_number, c.caller_number)"
                     " WHERE c.id = ? AND c.tenant_id = ?",
                     DB_PARAMS(DB_STR(call_id), DB_STR(tid)), &res);
    if (rc == DB_OK && res->nrows == 1)
        rc = call_cdr(r, call_id, res, status);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = res->nrows ? db_row_json(res, 0, NULL) : json_object_new_object();
    if (p != NULL && json_set_str(p, "status", status) != 0)
        return DB_ERROR;
    return call_emit(r, "call_ended", call_id, p);
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
    if (p != NULL &&
        (json_set_str(p, "status", status) || json_set_str(p, "previous_status", prev)))
        return DB_ERROR;
    return call_emit(r, "call_status_update", call_id, p);
}

/* ---- the call record -------------------------------------------------------------------- */

static const char *const directions[] = {"inbound", "outbound", NULL};

enum { C_CALLER, C_CALLED, C_SID, C_DIRECTION, C_STATUS, C_FLOW, C_FLOW_ID, C_CONTEXT,
       C_AI_MINUTES, C_AI_RESPONSE };

static const struct field_def call_fields[] = {
    [C_CALLER] = {"caller_number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [C_CALLED] = {"called_number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [C_SID] = {"call_sid", FT_TEXT, F_NULLABLE, 1, 100, NULL, NULL, NULL},
    [C_DIRECTION] = {"direction", FT_ENUM, F_NULLABLE, 0, 0, directions, NULL, NULL},
    [C_STATUS] = {"status", FT_ENUM, 0, 0, 0, call_statuses, call_status_words, NULL},
    [C_FLOW] = {"current_flow", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, "flow"},
    [C_FLOW_ID] = {"flow_id", FT_TEXT, F_NULLABLE, 0, 64, NULL, NULL, NULL},
    [C_CONTEXT] = {"context", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [C_AI_MINUTES] = {"ai_minutes", FT_NUMBER, 0, 0, 1000000, NULL, NULL, NULL},
    [C_AI_RESPONSE] = {"ai_response", FT_TEXT, 0, 1, 16000, NULL, NULL, NULL},
};

/* A call carries its transfers (and, dialled, its outbound members). */
static int call_transfers(struct request *r, const char *id, struct json_object *call)
{
    struct db_result *tres;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " TRANSFER_COLUMNS " WHERE t.tenant_id = ? AND t.call_id = ?"
                     " ORDER BY t.transfer_time, t.id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &tres);
    if (rc != DB_OK)
        return rc;
    if (db_rows_attach(call, "transfers", tres, transfer_json_cols) != 0)
        return DB_ERROR;
    /* A dialled call also carries what coldcaller reads of it (outbound.h). */
    return outbound_call_extend(r, id, call);
}

static const struct resource_writes call_writes;

/* No column is written from the body as it is: a call's writes are its state machine's. */
static const struct resource calls = {
    .table = "calls",
    .columns = CALL_COLUMNS,
    .from = "calls c",
    .id_col = "c.id",
    .tenant_col = "c.tenant_id",
    .json_cols = call_json_cols,
    .id_prefix = "call_",
    RESOURCE_NAMES("call", "calls", "Call not found"),
    .order = "c.start_time DESC, c.id DESC",
    RESOURCE_FIELDS(call_fields, NULL),
    .attach = call_transfers,
    .writes = &call_writes,
};

void calls_written(struct request *r)
{
    event_wake_after_commit(r);
    txn_after_commit(r, cached_invalidate, "calls");
}

static int call_prepare(struct request *r, struct crud_write *w)
{
    w->details = NULL; /* the events tell what changed */
    /* A call starts live: a finished status is for PUT (or the webhook). */
    if (w->op == CRUD_CREATE && w->v[C_STATUS].sent && !call_status_is_live(w->v[C_STATUS].s)) {
        request_field_error(r, "status", "must be a live status: ringing, active, on_hold,"
                                         " transferring, connected");
        return request_check_fields(r);
    }
    return 0;
}

static int call_check(struct request *r, struct crud_write *w)
{
    const struct field_value *st = &w->v[C_STATUS];
    if (w->op == CRUD_UPDATE && st->sent && call_status_is_live(st->s) &&
        !call_status_is_live(db_get(w->old, 0, "status")))
        return txn_fail(r, 409, "conflict", "The call has ended");
    return DB_OK;
}

/* The changes of a PUT that are not the status: their columns and one call_update event. */
static int call_change_fields(struct request *r, const struct crud_write *w)
{
    const struct field_value *v = w->v;
    int rc = DB_OK;
    if (v[C_CONTEXT].sent || v[C_AI_MINUTES].sent || v[C_FLOW].sent) {
        rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET context = IF(?, ?, context),"
                     " ai_minutes = IF(?, ?, ai_minutes), current_flow = IF(?, ?, current_flow)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(v[C_CONTEXT].sent), DB_STR(v[C_CONTEXT].s),
                               DB_INT(v[C_AI_MINUTES].sent), DB_DOUBLE(v[C_AI_MINUTES].d),
                               DB_INT(v[C_FLOW].sent), DB_STR(v[C_FLOW].s), DB_STR(w->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
        struct json_object *p = json_object_new_object();
        if (p != NULL && ((v[C_FLOW].sent && json_set_str(p, "current_flow", v[C_FLOW].s)) ||
                          (v[C_AI_MINUTES].sent &&
                           json_set_double(p, "ai_minutes", v[C_AI_MINUTES].d)) ||
                          (v[C_CONTEXT].sent && json_set_bool(p, "context_changed", 1))))
            rc = DB_ERROR;
        if (rc == DB_OK)
            rc = call_emit(r, "call_update", w->id, p);
        else
            json_object_put(p);
    }
    if (rc == DB_OK && v[C_AI_RESPONSE].sent) {
        struct json_object *p = json_object_new_object();
        if (p != NULL && json_set_str(p, "text", v[C_AI_RESPONSE].s) != 0)
            return DB_ERROR;
        rc = call_emit(r, "ai_response", w->id, p);
    }
    return rc;
}

static int call_write(struct request *r, struct crud_write *w)
{
    const struct field_value *v = w->v;
    if (w->op == CRUD_CREATE) {
        struct call_new c = {w->id,         v[C_SID].s,    v[C_CALLER].s,
                             v[C_CALLED].s, v[C_DIRECTION].s, v[C_STATUS].s,
                             v[C_FLOW].s,   v[C_FLOW_ID].s, v[C_CONTEXT].s};
        const char *id;
        return calls_insert(r, &c, &id);
    }
    int rc = call_change_fields(r, w);
    if (rc == DB_OK && v[C_STATUS].sent)
        rc = calls_set_status(r, w->id, v[C_STATUS].s, -1);
    return rc;
}

static int call_written(struct request *r, struct crud_write *w)
{
    (void)w;
    calls_written(r);
    return DB_OK;
}

static const struct resource_writes call_writes = {
    .prepare = call_prepare,
    .check = call_check,
    .write = call_write,
    .written = call_written,
    .duplicate = "A call with this call_sid already exists",
};

/* ---- the live list ------------------------------------------------------------------------ */

/*
 * The portal polls this every few seconds per open page: the answer is cached per tenant
 * for a second, under the tenant's calls generation (moved by every call write after its
 * commit), so a write is never followed by an older list, and durations are at most a
 * second old.
 */
#define ACTIVE_CACHE_TTL 1

static int active_load(struct request *r, const char **text, size_t *len, long long *n)
{
    if (cached_list(r, n, text, len) == 0)
        return DB_OK;
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
        return rc;
    struct json_object *list = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    for (size_t i = 0; list != NULL && i < res->nrows; i++)
        json_set_bool(json_object_array_get_idx(list, i), "can_transfer",
                      db_get_int(res, i, "_can_transfer", 0) != 0);
    const char *t = list ? json_text(list, len) : NULL;
    if (t == NULL)
        return DB_ERROR;
    *text = t;
    *n = (long long)res->nrows;
    cached_list_store(r, *n, t, *len, ACTIVE_CACHE_TTL);
    return DB_OK;
}

static int call_active(struct request *r)
{
    const char *text;
    size_t len;
    long long n;
    int rc = active_load(r, &text, &len, &n);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return reply_list_text(r, "active_calls", text, len, 1, n > 0 ? n : 1, n);
}

#define CALL_NAMES CRUD_NAMES("a", "call", "calls")

static const struct route routes[] = {
    CRUD_CREATE_ROUTE("/api/calls", &calls, call_fields, ROLES_STAFF,
                      FAM_TRANSFER | FAM_CALLDOCKER | FAM_COLDCALLER, CALL_NAMES),
    ROUTE("GET", "/api/calls/active", call_active, ROLES_ANY, FAM_TRANSFER,
          .summary = "Calls in progress", .key = "active_calls",
          .flags = ROUTE_LIST | ROUTE_WHOLE,
          .cache = "calls"),
    CRUD_GET_ROUTE("/api/calls/:id", &calls, ROLES_ANY, FAM_TRANSFER | FAM_CALLDOCKER | FAM_COLDCALLER,
                   CALL_NAMES),
    CRUD_UPDATE_ROUTE("/api/calls/:id", &calls, call_fields, ROLES_STAFF,
                      FAM_TRANSFER | FAM_CALLDOCKER | FAM_COLDCALLER, CALL_NAMES),
};

ROUTE_GROUP(calls_routes, routes);
