/*
 * Agents of the caller's tenant: the people calls are transferred to. Every statement is
 * scoped by the caller's tenant, so another tenant's agent or department is absent (404).
 * Status changes are written to call_events in the same transaction (agent.state.changed),
 * so the live dashboard and the database never disagree about who is available.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "router.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define AGENT_COLUMNS                                                                      \
    "id, tenant_id, department_id, user_id, name, phone_number, email, status, priority," \
    " max_concurrent_calls, current_calls, created_at, updated_at"

static const char *const agent_statuses[] = {"available", "busy", "offline", NULL};

enum { A_NAME, A_PHONE, A_DEPT, A_EMAIL, A_STATUS, A_PRIORITY, A_MAX, A_USER, A_CALLS };

static const struct field_def agent_fields[] = {
    [A_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [A_PHONE] = {"phone_number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [A_DEPT] = {"department_id", FT_ID, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [A_EMAIL] = {"email", FT_EMAIL, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [A_STATUS] = {"status", FT_ENUM, 0, 0, 0, agent_statuses, NULL, NULL},
    [A_PRIORITY] = {"priority", FT_INT, 0, 1, 10, NULL, NULL, NULL},
    [A_MAX] = {"max_concurrent_calls", FT_INT, 0, 1, 100, NULL, NULL, NULL},
    [A_USER] = {"user_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    /* Only call reservations move current_calls; a client writing it would break capacity. */
    [A_CALLS] = {"current_calls", FT_INT, F_READONLY, 0, 0, NULL, NULL, NULL},
};

static const char *const agent_columns_of[] = {
    "name",     "phone_number", "department_id", "email", "status", "priority",
    "max_concurrent_calls", "user_id", NULL};

static const struct filter_def agent_filters[] = {
    {"department_id", FILTER_ID, " AND department_id = ?", NULL, NULL},
    {"status", FILTER_ENUM, " AND status = ?", agent_statuses, NULL},
};

/* The calldocker pages sort their tables (sortBy, sortOrder). */
static const struct sort_def agent_sorts[] = {
    {"name", "name"}, {"status", "status"}, {"priority", "priority"},
    {"created_at", "created_at"}, {NULL, NULL},
};

static const struct resource_writes agent_writes;

static const struct resource agents = {
    .table = "agents",
    .columns = AGENT_COLUMNS,
    .tenant_col = "tenant_id",
    .id_prefix = "agent_",
    RESOURCE_NAMES("agent", "agents", "Agent not found"),
    .order = "name, id",
    RESOURCE_FILTERS(agent_filters),
    .sorts = agent_sorts,
    RESOURCE_FIELDS(agent_fields, agent_columns_of),
    .writes = &agent_writes,
};

static int department_agents(struct request *r)
{
    const char *dept = request_param(r, "id");
    const char *status = NULL;
    query_enum(r, "status", agent_statuses, &status);
    if (request_check_fields(r) != 0)
        return -1;
    /* A soft-deleted department still answers GET /:id, so its agents are listed too. */
    struct db_result *dres, *res = NULL;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM departments WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(dept), DB_STR(r->auth.tenant_id)), &dres);
    if (rc == DB_OK && dres->nrows == 0)
        return request_error(r, 404, "not_found", "Department not found");
    /* The order in which a transfer picks an agent: lowest priority value, fewest calls. */
    struct qb q;
    qb_init(&q, r->arena);
    qb_addv(&q, "SELECT " AGENT_COLUMNS " FROM agents WHERE tenant_id = ? AND department_id = ?",
            DB_STR(r->auth.tenant_id), DB_STR(dept));
    if (status != NULL)
        qb_addv(&q, " AND status = ?", DB_STR(status));
    qb_add(&q, " ORDER BY priority, current_calls, name, id");
    if (rc == DB_OK)
        rc = qb_exec(&q, r->db, &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    long long n = (long long)res->nrows;
    return reply_list(r, "agents", rows, 1, n > 0 ? n : 1, n);
}

/*
 * Writes agent.state.changed. previous_status is NULL for a new agent and status is NULL
 * for a deleted one, so a dashboard can add or drop the agent from this event alone.
 */
static int agent_event(struct request *r, const char *id, const char *dept, const char *name,
                       const char *status, const char *previous)
{
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_str(p, "agent_id", id) != 0 ||
        json_set_str(p, "department_id", dept) != 0 || json_set_str(p, "name", name) != 0 ||
        json_set_str(p, "status", status) != 0 ||
        json_set_str(p, "previous_status", previous) != 0)
        return DB_ERROR;
    const char *text = json_text(p, NULL);
    if (text == NULL)
        return DB_ERROR;
    event_wake_after_commit(r);
    return event_emit(r, "agent.state.changed", NULL, text);
}

static bool str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* ---- writes ---------------------------------------------------------------------------- */

/*
 * The department must be an active one of the tenant. FOR UPDATE: a concurrent department
 * delete, which refuses while an agent of it is not offline, waits for us. The shared lock
 * keeps the user from being deleted before we commit.
 */
static const struct crud_ref agent_refs[] = {
    {A_DEPT,
     "SELECT id FROM departments WHERE id = ? AND tenant_id = ? AND is_active = 1 FOR UPDATE",
     "must be an active department of this tenant"},
    {A_USER, "SELECT id FROM users WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
     "must be a user of this tenant"},
};

/* Lowering max_concurrent_calls below current_calls is allowed: it only stops new
 * reservations, and the calls in progress end on their own. Deleting an agent on a call is
 * not. */
static int agent_check(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE && db_get_int(w->old, 0, "current_calls", 0) > 0)
        return txn_fail(r, 409, "conflict", "Cannot delete an agent while it has calls");
    return DB_OK;
}

/* agent.state.changed for a new agent, a changed status, a deleted agent. */
static int agent_written(struct request *r, struct crud_write *w)
{
    const struct field_value *v = w->v;
    if (w->op == CRUD_CREATE)
        return agent_event(r, w->id, v[A_DEPT].s, v[A_NAME].s,
                           v[A_STATUS].sent ? v[A_STATUS].s : "offline", NULL);
    const char *was = db_get(w->old, 0, "status");
    if (w->op == CRUD_DELETE)
        return agent_event(r, w->id, db_get(w->old, 0, "department_id"),
                           db_get(w->old, 0, "name"), NULL, was);
    if (!v[A_STATUS].sent || str_eq(v[A_STATUS].s, was))
        return DB_OK;
    return agent_event(r, w->id,
                       v[A_DEPT].sent ? v[A_DEPT].s : db_get(w->old, 0, "department_id"),
                       v[A_NAME].sent ? v[A_NAME].s : db_get(w->old, 0, "name"), v[A_STATUS].s,
                       was);
}

/* The row is gone after a delete: name and department keep the audit entry readable. */
static const char *const agent_delete_details[] = {"name", "department_id", NULL};

/* calls and call_transfers reference agents ON DELETE RESTRICT: history stays whole, and
 * the refused delete tells the client to take the agent offline instead. */
static const struct resource_writes agent_writes = {
    CRUD_REFS(agent_refs),
    .check = agent_check,
    .written = agent_written,
    .referenced = "The agent has call history; set it offline instead",
    .deleted = "Agent deleted successfully",
    .delete_details = agent_delete_details,
    .delete_answers_record = true,
};

struct agent_status_write {
    const char *id, *status;
};

static int agent_status_step(struct request *r, void *arg)
{
    struct agent_status_write *w = arg;
    struct db_result *old = NULL;
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    int rc = details ? resource_lock(r, &agents, w->id, &old) : DB_ERROR;
    if (rc == 1)
        return txn_fail(r, 404, "not_found", agents.not_found);
    /* An agent account answers for its own seat only; staff may set anyone's. */
    if (rc == DB_OK && r->auth.role_bit == ROLE_AGENT &&
        !str_eq(db_get(old, 0, "user_id"), r->auth.user_id))
        return txn_fail(r, 403, "forbidden", "Agents may only change their own status");
    const char *previous = rc == DB_OK ? db_get(old, 0, "status") : NULL;
    if (rc == DB_OK && !str_eq(w->status, previous)) {
        rc = db_exec(r->db, r->arena, "UPDATE agents SET status = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(w->status), DB_STR(w->id), DB_STR(r->auth.tenant_id)),
                     NULL);
        if (rc == DB_OK && (json_set_str(details, "from", previous) != 0 ||
                            json_set_str(details, "to", w->status) != 0))
            rc = DB_ERROR;
        if (rc == DB_OK)
            rc = resource_audit(r, &agents, "status", w->id, json_text(details, NULL));
        if (rc == DB_OK)
            rc = agent_event(r, w->id, db_get(old, 0, "department_id"), db_get(old, 0, "name"),
                             w->status, previous);
    }
    return rc == DB_OK ? resource_answer(r, &agents, 200, w->id) : rc;
}

static const struct field_def agent_status_field[] = {
    {"status", FT_ENUM, F_ALWAYS, 0, 0, agent_statuses, NULL, NULL},
};

static int agent_set_status(struct request *r)
{
    struct field_value v[1];
    struct agent_status_write w = {request_param(r, "id"), NULL};
    if (fields_declared(r, FIELDS_UPDATE, v, 1, NULL) != 0)
        return -1;
    w.status = v[0].s;
    return crud_reply(r, &agents, txn_run(r, agent_status_step, &w));
}

/* GET /api/agents/company/:companyId: the company's agents (company_scope). */
static int agents_of_company(struct request *r)
{
    return company_scope(r) != 0 ? -1 : resource_list(r, &agents, NULL);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/departments/:id/agents", department_agents, ROLES_ANY, FAM_TRANSFER,
          .summary = "The agents of a department", .key = "agents",
          .flags = ROUTE_LIST | ROUTE_WHOLE),
    CRUD_ROUTES("/api/agents", &agents, agent_fields, ROLES_ANY, ROLES_STAFF,
                FAM_TRANSFER | FAM_CALLDOCKER,
                CRUD_NAMES("an", "agent", "agents")),
    ROUTE("PUT", "/api/agents/:id/status", agent_set_status, ROLES_ANY, FAM_TRANSFER,
          .summary = "Set an agent's availability", ROUTE_BODY(agent_status_field), .key = "agent"),
    ROUTE("GET", "/api/agents/company/:companyId", agents_of_company, ROLES_STAFF,
          FAM_CALLDOCKER, .summary = "A company's agents", .key = "agents", .flags = ROUTE_LIST,
          .resource = &agents),
};

ROUTE_GROUP(agents_routes, routes);
