/*
 * IVR sessions through the API (docs/ivr.md, "Running"): a session starts on its flow's
 * active version and keeps that version to its end (or runs a callcenter menu as it is);
 * each move is one engine step whose steps are rows of ivr_steps (seq from the session's
 * row, locked). A session routed to a queue puts the caller in it (queue_calls), as an
 * inbound call to a queue's number does. The preview walks a version with a list of
 * inputs and stores nothing.
 */
#include <limits.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "ivr.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

static int session_steps(struct request *r, const char *id, struct json_object *record)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT seq, node_id, node_type, input, result, created_at FROM ivr_steps"
                     " WHERE tenant_id = ? AND session_id = ? ORDER BY seq",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &res);
    if (rc != DB_OK)
        return rc;
    return db_rows_attach(record, "steps", res, NULL) == 0 ? DB_OK : DB_ERROR;
}

static const char *const session_json_cols[] = {"variables", NULL};

static const struct resource sessions = {
    .table = "ivr_sessions",
    .columns = "id, flow_id, version, menu_id, channel, call_sid, caller_number,"
               " called_number, status, node_id, attempts, variables, outcome_type,"
               " outcome_target, started_at, ended_at",
    .tenant_col = "tenant_id",
    .json_cols = session_json_cols,
    .id_prefix = "ivs_",
    RESOURCE_NAMES("session", "sessions", "IVR session not found"),
    .order = "started_at DESC, id DESC",
    .attach = session_steps,
};

/* ---- start ----------------------------------------------------------------------------- */

enum { S_FLOW, S_MENU, S_CALLER, S_CALLED, S_NFIELDS };
static const struct field_def start_fields[] = {
    [S_FLOW] = {"flow_id", FT_ID, 0, 0, 0, NULL, NULL, NULL},
    [S_MENU] = {"menu_id", FT_ID, 0, 0, 0, NULL, NULL, NULL},
    [S_CALLER] = {"caller_number", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [S_CALLED] = {"called_number", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
};

struct session_move {
    struct field_value v[S_NFIELDS];
    const char *id;
    struct ivr_session s;
    struct ivr_out out;
};

/* The caller's and the called number, as the branch node reads them. */
static struct json_object *start_vars(const struct ivr_session *s)
{
    struct json_object *o = json_object_new_object();
    int rc = o == NULL ||
             json_set_str(o, "caller_number", s->caller_number ? s->caller_number : "") ||
             json_set_str(o, "called_number", s->called_number ? s->called_number : "");
    return json_done(o, rc);
}

/* One move of s and its answer: the engine, the content, the steps, the queue. */
static int move_and_answer(struct request *r, struct ivr_session *s, const char *input,
                           struct ivr_out *out, int status)
{
    if (ivr_engine_step(&s->g, &s->st, input, ivr_schedule_answer, r, out) != 0)
        return DB_ERROR;
    int rc = ivr_prompts_resolve(r, out);
    if (rc == DB_OK)
        rc = ivr_session_save(r, s, out);
    if (rc == DB_OK)
        rc = ivr_enter_queue(r, s, out, NULL, NULL);
    if (rc != DB_OK)
        return rc;
    struct json_object *o = ivr_out_json(r, s, out);
    return o && reply_one(r, status, "session", o) == 0 ? DB_OK : DB_ERROR;
}

int ivr_flow_active(struct request *r, const char *flow_id, int *version)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT active_version FROM ivr_flows WHERE id = ? AND tenant_id = ?"
                     " LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(flow_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return txn_fail(r, 404, "not_found", "IVR flow not found");
    *version = (int)db_get_int(res, 0, "active_version", 0);
    if (*version <= 0)
        return txn_fail(r, 409, "conflict", "The IVR flow has no active version");
    return DB_OK;
}

static int start_step(struct request *r, void *arg)
{
    struct session_move *m = arg;
    struct ivr_session *s = &m->s;
    memset(s, 0, sizeof(*s));
    s->id = m->id;
    s->flow_id = m->v[S_FLOW].s;
    s->menu_id = m->v[S_MENU].s;
    s->caller_number = m->v[S_CALLER].s;
    s->called_number = m->v[S_CALLED].s;
    s->status = "active";
    s->st.node = -1;
    int rc;
    if (s->menu_id != NULL) { /* a callcenter menu runs through the same engine */
        if ((rc = ivr_menu_load(r, s->menu_id, &s->g)) == 1)
            return txn_fail(r, 404, "not_found", "IVR menu not found (or not active)");
    } else if ((rc = ivr_flow_active(r, s->flow_id, &s->version)) == DB_OK &&
               (rc = ivr_version_load(r, s->flow_id, &s->version, &s->g)) == 1) {
        rc = DB_ERROR; /* the active version's row is gone: cannot be (FK) */
    }
    if (rc == DB_OK && (s->st.vars = arena_json(r->arena, start_vars(s))) == NULL)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = ivr_session_insert(r, s, "api");
    return rc == DB_OK ? move_and_answer(r, s, NULL, &m->out, 201) : rc;
}

static int session_start(struct request *r)
{
    struct session_move *m = arena_calloc(r->arena, 1, sizeof(*m));
    if (m == NULL)
        return request_oom(r);
    if (fields_declared(r, FIELDS_CREATE, m->v, S_NFIELDS, NULL) != 0)
        return -1;
    if ((m->v[S_FLOW].s == NULL) == (m->v[S_MENU].s == NULL)) {
        request_field_error(r, "flow_id", "is required (or menu_id, not both)");
        return request_check_fields(r);
    }
    if ((m->id = id_new(r->arena, "ivs_")) == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, start_step, m));
}

/* ---- next, end ------------------------------------------------------------------------- */

static const struct field_def next_fields[] = {
    {"input", FT_TEXT, F_NULLABLE, 0, 64, NULL, NULL, "digits"},
};

static int lock_session(struct request *r, struct session_move *m)
{
    int rc = ivr_session_lock(r, m->id, &m->s);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", sessions.not_found);
    return rc;
}

static int next_step(struct request *r, void *arg)
{
    struct session_move *m = arg;
    int rc = lock_session(r, m);
    if (rc != DB_OK)
        return rc;
    if (strcmp(m->s.status, "active") != 0 || !m->s.st.waiting)
        return txn_fail(r, 409, "conflict", "The IVR session has ended");
    return move_and_answer(r, &m->s, m->v[0].s, &m->out, 200);
}

static int session_next(struct request *r)
{
    struct session_move *m = arena_calloc(r->arena, 1, sizeof(*m));
    if (m == NULL)
        return request_oom(r);
    m->id = request_param(r, "id");
    if (fields_declared(r, FIELDS_UPDATE, m->v, 1, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, next_step, m));
}

/* Hanging up: an active session ends abandoned; an ended one is answered as it is. */
static int end_step(struct request *r, void *arg)
{
    struct session_move *m = arg;
    int rc = lock_session(r, m);
    if (rc == DB_OK && strcmp(m->s.status, "active") == 0)
        rc = ivr_session_abandon(r, &m->s);
    if (rc != DB_OK)
        return rc;
    m->out.wait_node = -1;
    struct json_object *o = ivr_out_json(r, &m->s, &m->out);
    return o && reply_one(r, 200, "session", o) == 0 ? DB_OK : DB_ERROR;
}

static int session_end(struct request *r)
{
    struct session_move *m = arena_calloc(r->arena, 1, sizeof(*m));
    if (m == NULL)
        return request_oom(r);
    m->id = request_param(r, "id");
    return txn_reply(r, txn_run(r, end_step, m));
}

/* ---- preview --------------------------------------------------------------------------- */

/* ?version, else the active version, else the latest; 0 when the flow has none. */
static int preview_version(struct request *r, const char *id, int *version)
{
    struct db_result *res;
    long long want;
    if (query_int(r, "version", 1, INT_MAX, 0, &want) < 0)
        return request_check_fields(r);
    int rc = db_exec(r->db, r->arena,
                     "SELECT latest_version, active_version FROM ivr_flows"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "IVR flow not found");
    *version = want ? (int)want
                    : (int)db_get_int(res, 0, "active_version",
                                      db_get_int(res, 0, "latest_version", 0));
    if (*version <= 0)
        return request_error(r, 409, "conflict", "The IVR flow has no saved graph");
    return 0;
}

/* The walk: the start, then each of ?inputs (comma-separated; an empty one is no input). */
static int preview_walk(struct request *r, struct ivr_session *s, struct json_object *turns)
{
    struct ivr_out *out = arena_alloc(r->arena, sizeof(*out));
    const char *inputs = request_query(r, "inputs");
    char *rest = inputs ? arena_strdup(r->arena, inputs) : NULL, *input = NULL;
    if (out == NULL || (inputs && rest == NULL))
        return DB_ERROR;
    for (int turn = 0; turn < 50; turn++) {
        if (ivr_engine_step(&s->g, &s->st, input, ivr_schedule_answer, r, out) != 0)
            break;
        int rc = ivr_prompts_resolve(r, out);
        s->status = out->end == IVR_ROUTED ? "routed"
                    : out->end == IVR_COMPLETED ? "completed" : "active";
        struct json_object *o = ivr_out_json(r, s, out);
        if (rc != DB_OK || o == NULL || json_set_str(o, "input", input) != 0 ||
            json_push(turns, json_object_get(o)) != 0)
            return rc != DB_OK ? rc : DB_ERROR;
        if (out->end != IVR_GOING || rest == NULL)
            break;
        input = strsep(&rest, ",");
    }
    return DB_OK;
}

static int flow_preview(struct request *r)
{
    struct ivr_session s = {.flow_id = request_param(r, "id"), .status = "active"};
    if (preview_version(r, s.flow_id, &s.version) != 0)
        return -1;
    int rc = ivr_version_load(r, s.flow_id, &s.version, &s.g);
    if (rc == 1)
        return request_error(r, 404, "not_found", "No such version of this IVR flow");
    if (rc != DB_OK)
        return request_db_error(r, rc);
    s.caller_number = request_query(r, "caller_number");
    s.called_number = request_query(r, "called_number");
    s.st.node = -1;
    s.st.vars = arena_json(r->arena, start_vars(&s));
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    struct json_object *turns = json_object_new_array();
    if (s.st.vars == NULL || o == NULL || json_add(o, "turns", turns) != 0)
        return request_oom(r);
    rc = preview_walk(r, &s, turns);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (json_set_str(o, "flow_id", s.flow_id) || json_set_int(o, "version", s.version) ||
        json_set_str(o, "status", s.status))
        return request_oom(r);
    return reply_one(r, 200, "preview", o);
}

static const struct route routes[] = {
    ROUTE("POST", "/api/ivr/sessions", session_start, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "Start an IVR session on a flow's active version",
          ROUTE_BODY(start_fields), .key = "session", .status = 201),
    ROUTE("GET", "/api/ivr/sessions/:id", crud_get, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "One IVR session with its steps", .key = "session",
          .resource = &sessions),
    ROUTE("POST", "/api/ivr/sessions/:id/next", session_next, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "The caller's input to an IVR session: its next prompts or its end",
          ROUTE_BODY(next_fields), .key = "session"),
    ROUTE("PUT", "/api/ivr/sessions/:id/end", session_end, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "Hang up an IVR session (abandoned when it had not ended)",
          .key = "session"),
    ROUTE("GET", "/api/ivr/flows/:id/preview", flow_preview, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "Walk a version of an IVR flow with ?inputs=1,2 without storing it",
          .key = "preview"),
};

ROUTE_GROUP(ivr_sessions_routes, routes);
