/*
 * Agents of the caller's tenant: the people calls are transferred to. Every statement is
 * scoped by the caller's tenant, so another tenant's agent or department is absent (404).
 * Status changes are written to call_events in the same transaction (agent.state.changed),
 * so the live dashboard and the database never disagree about who is available.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "router.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define AGENT_COLUMNS                                                                      \
    "id, tenant_id, department_id, user_id, name, phone_number, email, status, priority," \
    " max_concurrent_calls, current_calls, created_at, updated_at"

/*
 * Shared by the page and its COUNT(*) so both always filter alike. Parameters: tenant,
 * department x2, status x2.
 */
#define AGENT_FILTERS                                                  \
    " WHERE tenant_id = ? AND (? IS NULL OR department_id = ?)"        \
    " AND (? IS NULL OR status = ?)"

#define AGENT_FILTER_NPARAMS 5u

/* Results of the checks inside a write's transaction besides the db_rc values. */
enum {
    AGENT_ABSENT = 1,
    AGENT_BAD_DEPARTMENT = 2,
    AGENT_BAD_USER = 3,
    AGENT_HAS_CALLS = 4,
    AGENT_NOT_YOURS = 5,
};

static const char *const agent_statuses[] = {"available", "busy", "offline", NULL};

static int agent_fetch(struct request *r, const char *id, struct json_object **out)
{
    struct db_result *res;
    *out = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " AGENT_COLUMNS " FROM agents WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *out = arena_json(r->arena, db_row_json(res, 0, NULL));
    return *out ? DB_OK : DB_ERROR;
}

static int reply_agent(struct request *r, int status, const char *id)
{
    struct json_object *agent;
    int rc = agent_fetch(r, id, &agent);
    return request_reply_found(r, status, rc, "agent", agent, "Agent not found");
}

/*
 * An id given as a query filter. Ids are at most 64 characters; anything longer or not
 * text could never match, and invalid UTF-8 would make the server refuse the statement.
 */
static int query_id(struct request *r, const char *key, const char **out)
{
    const char *v = request_query(r, key);
    *out = NULL;
    if (v == NULL || v[0] == '\0')
        return 0;
    size_t n = strlen(v);
    if (n > 64 || validate_text(v, n) != 0) {
        request_field_error(r, key, "must be an id");
        return -1;
    }
    *out = v;
    return 1;
}

static int agent_list(struct request *r)
{
    struct page p;
    const char *dept = NULL, *status = NULL;
    query_page(r, 25, 200, &p);
    query_id(r, "department_id", &dept);
    query_enum(r, "status", agent_statuses, &status);
    if (request_check_fields(r) != 0)
        return -1;

    /* The first AGENT_FILTER_NPARAMS serve the COUNT(*); the page adds LIMIT/OFFSET. */
    const struct db_param params[] = {
        DB_STR(r->auth.tenant_id), DB_STR(dept),    DB_STR(dept),     DB_STR(status),
        DB_STR(status),            DB_INT(p.limit), DB_INT(p.offset),
    };
    struct db_result *cres, *res;
    int rc = db_exec(r->db, r->arena, "SELECT COUNT(*) AS total FROM agents" AGENT_FILTERS,
                     params, AGENT_FILTER_NPARAMS, &cres);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " AGENT_COLUMNS " FROM agents" AGENT_FILTERS
                     " ORDER BY name, id LIMIT ? OFFSET ?",
                     params, AGENT_FILTER_NPARAMS + 2, &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);

    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    return reply_list(r, "agents", rows, p.page, p.limit, db_get_int(cres, 0, "total", 0));
}

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
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " AGENT_COLUMNS " FROM agents"
                     " WHERE tenant_id = ? AND department_id = ? AND (? IS NULL OR status = ?)"
                     " ORDER BY priority, current_calls, name, id",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(dept), DB_STR(status),
                               DB_STR(status)),
                     &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    long long n = (long long)res->nrows;
    return reply_list(r, "agents", rows, 1, n > 0 ? n : 1, n);
}

static int agent_get(struct request *r)
{
    return reply_agent(r, 200, request_param(r, "id"));
}

struct agent_input {
    int has_name, has_phone, has_dept, has_email, has_status, has_priority, has_max, has_user;
    const char *name, *phone, *dept, *email, *status, *user;
    long long priority, max_calls;
};

static int agent_read_input(struct request *r, struct json_object *body, bool create,
                            struct agent_input *in)
{
    unsigned req = create ? FIELD_REQUIRED : 0;
    memset(in, 0, sizeof(*in));
    in->has_name = field_string(r, body, "name", req, 1, 255, &in->name) == 1;
    in->has_phone = field_phone(r, body, "phone_number", req, &in->phone) == 1;
    in->has_dept = field_string(r, body, "department_id", req, 1, 64, &in->dept) == 1;
    in->has_email = field_email(r, body, "email", FIELD_NULLABLE, &in->email) >= 0 &&
                    json_object_object_get_ex(body, "email", NULL);
    in->has_status = field_enum(r, body, "status", 0, agent_statuses, &in->status) == 1;
    in->has_priority = field_int(r, body, "priority", 0, 1, 10, &in->priority) == 1;
    in->has_max = field_int(r, body, "max_concurrent_calls", 0, 1, 100, &in->max_calls) == 1;
    in->has_user = field_string(r, body, "user_id", FIELD_NULLABLE, 1, 64, &in->user) >= 0 &&
                   json_object_object_get_ex(body, "user_id", NULL);
    /* Only call reservations move current_calls; a client writing it would break capacity. */
    if (json_object_object_get_ex(body, "current_calls", NULL))
        request_field_error(r, "current_calls", "is read-only");
    return request_check_fields(r);
}

/*
 * The department must be an active one of the tenant. FOR UPDATE: a concurrent
 * department delete, which refuses while an agent of it is not offline, waits for us.
 */
static int department_check(struct request *r, const char *dept)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT is_active FROM departments WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(dept), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    return (res->nrows == 0 || db_get_int(res, 0, "is_active", 0) == 0) ? AGENT_BAD_DEPARTMENT
                                                                        : DB_OK;
}

/* The shared lock keeps the user from being deleted before we commit. */
static int user_check(struct request *r, const char *user_id)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM users WHERE id = ? AND tenant_id = ? LOCK IN SHARE MODE",
                     DB_PARAMS(DB_STR(user_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    return res->nrows == 0 ? AGENT_BAD_USER : DB_OK;
}

/* Locks the agent row for the rest of the transaction; *row is its full record. */
static int agent_lock(struct request *r, const char *id, struct db_result **row)
{
    int rc = db_exec(r->db, r->arena,
                     "SELECT " AGENT_COLUMNS " FROM agents"
                     " WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), row);
    if (rc != DB_OK)
        return rc;
    return (*row)->nrows == 0 ? AGENT_ABSENT : DB_OK;
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
    return event_emit(r, "agent.state.changed", NULL, text);
}

static bool str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int agent_write_error(struct request *r, int rc)
{
    switch (rc) {
    case AGENT_ABSENT:
        return request_error(r, 404, "not_found", "Agent not found");
    case AGENT_BAD_DEPARTMENT:
        request_field_error(r, "department_id", "must be an active department of this tenant");
        return request_check_fields(r);
    case AGENT_BAD_USER:
        request_field_error(r, "user_id", "must be a user of this tenant");
        return request_check_fields(r);
    case AGENT_HAS_CALLS:
        return request_error(r, 409, "conflict", "Cannot delete an agent while it has calls");
    case AGENT_NOT_YOURS:
        return request_error(r, 403, "forbidden", "Agents may only change their own status");
    case DB_FOREIGN_KEY:
        return request_error(r, 409, "conflict",
                             "The agent has call history; set it offline instead");
    default:
        return request_db_error(r, rc);
    }
}

/* Inside the transaction: the agent as it now is, answered with status. */
static int agent_answer(struct request *r, int status, const char *id)
{
    struct json_object *agent;
    int rc = agent_fetch(r, id, &agent);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    return reply_one(r, status, "agent", agent) == 0 ? DB_OK : DB_ERROR;
}

/* The end of a step: a failed check answered here, a db_rc to txn_run, else the agent. */
static int agent_step_end(struct request *r, int rc, int status, const char *id)
{
    if (rc > 0) {
        agent_write_error(r, rc);
        return TXN_ANSWERED;
    }
    return rc == DB_OK ? agent_answer(r, status, id) : rc;
}

static int agent_outcome(struct request *r, int rc)
{
    return rc < 0 ? agent_write_error(r, rc) : txn_reply(r, rc);
}

struct agent_write {
    const char *id;
    struct agent_input in;
    struct json_object *body;
};

static int agent_create_step(struct request *r, void *arg)
{
    struct agent_write *w = arg;
    const struct agent_input *in = &w->in;
    const char *status = in->has_status ? in->status : "offline";
    int rc = department_check(r, in->dept);
    if (rc == DB_OK && in->user != NULL)
        rc = user_check(r, in->user);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO agents (id, tenant_id, department_id, user_id, name,"
                     " phone_number, email, status, priority, max_concurrent_calls)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(w->id), DB_STR(r->auth.tenant_id), DB_STR(in->dept),
                               DB_STR(in->user), DB_STR(in->name), DB_STR(in->phone),
                               DB_STR(in->email), DB_STR(status),
                               DB_INT(in->has_priority ? in->priority : 1),
                               DB_INT(in->has_max ? in->max_calls : 1)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "agent.create", "agent", w->id,
                          json_text(w->body, NULL));
    if (rc == DB_OK)
        rc = agent_event(r, w->id, in->dept, in->name, status, NULL);
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return agent_step_end(r, rc, 201, w->id);
}

static int agent_create(struct request *r)
{
    struct agent_write w;
    if (request_body_object(r, &w.body) != 0 || agent_read_input(r, w.body, true, &w.in) != 0)
        return -1;
    w.id = id_new(r->arena, "agent_");
    if (w.id == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    return agent_outcome(r, txn_run(r, TXN_IDEMPOTENT, agent_create_step, &w));
}

static int agent_update_step(struct request *r, void *arg)
{
    struct agent_write *w = arg;
    const struct agent_input *in = &w->in;
    struct db_result *old = NULL;
    int rc = agent_lock(r, w->id, &old);
    if (rc == DB_OK && in->has_dept)
        rc = department_check(r, in->dept);
    if (rc == DB_OK && in->user != NULL)
        rc = user_check(r, in->user);
    /* Lowering max_concurrent_calls below current_calls is allowed: it only stops new
     * reservations, and the calls in progress end on their own. */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agents SET name = IF(?, ?, name),"
                     " phone_number = IF(?, ?, phone_number),"
                     " department_id = IF(?, ?, department_id), email = IF(?, ?, email),"
                     " status = IF(?, ?, status), priority = IF(?, ?, priority),"
                     " max_concurrent_calls = IF(?, ?, max_concurrent_calls),"
                     " user_id = IF(?, ?, user_id) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(in->has_name), DB_STR(in->name), DB_INT(in->has_phone),
                               DB_STR(in->phone), DB_INT(in->has_dept), DB_STR(in->dept),
                               DB_INT(in->has_email), DB_STR(in->email),
                               DB_INT(in->has_status), DB_STR(in->status),
                               DB_INT(in->has_priority), DB_INT(in->priority),
                               DB_INT(in->has_max), DB_INT(in->max_calls),
                               DB_INT(in->has_user), DB_STR(in->user), DB_STR(w->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "agent.update", "agent", w->id,
                          json_text(w->body, NULL));
    if (rc == DB_OK && in->has_status && !str_eq(in->status, db_get(old, 0, "status"))) {
        rc = agent_event(r, w->id, in->has_dept ? in->dept : db_get(old, 0, "department_id"),
                         in->has_name ? in->name : db_get(old, 0, "name"), in->status,
                         db_get(old, 0, "status"));
        event_wake_after_commit(r);
    }
    return agent_step_end(r, rc, 200, w->id);
}

static int agent_update(struct request *r)
{
    struct agent_write w;
    w.id = request_param(r, "id");
    if (request_body_object(r, &w.body) != 0 || agent_read_input(r, w.body, false, &w.in) != 0)
        return -1;
    return agent_outcome(r, txn_run(r, 0, agent_update_step, &w));
}

static int agent_delete_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *old = NULL;
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    int rc = details ? agent_lock(r, id, &old) : DB_ERROR;
    if (rc == DB_OK && db_get_int(old, 0, "current_calls", 0) > 0)
        rc = AGENT_HAS_CALLS;
    /* calls and call_transfers reference agents ON DELETE RESTRICT: history stays whole,
     * and DB_FOREIGN_KEY tells the client to take the agent offline instead. */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "DELETE FROM agents WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    /* The row is gone afterwards: name and department keep the audit entry readable. */
    if (rc == DB_OK && (json_set_str(details, "name", db_get(old, 0, "name")) != 0 ||
                        json_set_str(details, "department_id",
                                     db_get(old, 0, "department_id")) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "agent.delete", "agent", id,
                          json_text(details, NULL));
    if (rc == DB_OK)
        rc = agent_event(r, id, db_get(old, 0, "department_id"), db_get(old, 0, "name"), NULL,
                         db_get(old, 0, "status"));
    if (rc != DB_OK)
        return agent_step_end(r, rc, 0, id);
    event_wake_after_commit(r);
    struct json_object *agent = arena_json(r->arena, db_row_json(old, 0, NULL));
    if (agent == NULL ||
        reply_set(r, "message", json_object_new_string("Agent deleted successfully")) != 0)
        return DB_ERROR;
    return reply_one(r, 200, "agent", agent) == 0 ? DB_OK : DB_ERROR;
}

static int agent_delete(struct request *r)
{
    const char *id = request_param(r, "id");
    return agent_outcome(r, txn_run(r, 0, agent_delete_step, (void *)id));
}

struct agent_status_write {
    const char *id, *status;
};

static int agent_status_step(struct request *r, void *arg)
{
    struct agent_status_write *w = arg;
    struct db_result *old = NULL;
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    int rc = details ? agent_lock(r, w->id, &old) : DB_ERROR;
    /* An agent account answers for its own seat only; staff may set anyone's. */
    if (rc == DB_OK && r->auth.role_bit == ROLE_AGENT &&
        !str_eq(db_get(old, 0, "user_id"), r->auth.user_id))
        rc = AGENT_NOT_YOURS;
    const char *previous = rc == DB_OK ? db_get(old, 0, "status") : NULL;
    if (rc == DB_OK && !str_eq(w->status, previous)) {
        rc = db_exec(r->db, r->arena, "UPDATE agents SET status = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(w->status), DB_STR(w->id), DB_STR(r->auth.tenant_id)),
                     NULL);
        if (rc == DB_OK && (json_set_str(details, "from", previous) != 0 ||
                            json_set_str(details, "to", w->status) != 0))
            rc = DB_ERROR;
        if (rc == DB_OK)
            rc = audit_record(r, r->auth.tenant_id, "agent.status", "agent", w->id,
                              json_text(details, NULL));
        if (rc == DB_OK)
            rc = agent_event(r, w->id, db_get(old, 0, "department_id"), db_get(old, 0, "name"),
                             w->status, previous);
        event_wake_after_commit(r);
    }
    return agent_step_end(r, rc, 200, w->id);
}

static int agent_set_status(struct request *r)
{
    struct agent_status_write w;
    struct json_object *body;
    w.id = request_param(r, "id");
    if (request_body_object(r, &body) != 0)
        return -1;
    field_enum(r, body, "status", FIELD_REQUIRED, agent_statuses, &w.status);
    if (request_check_fields(r) != 0)
        return -1;
    return agent_outcome(r, txn_run(r, 0, agent_status_step, &w));
}

static const struct route routes[] = {
    {"GET", "/api/departments/:id/agents", department_agents, ROLES_ANY, FAM_TRANSFER},
    {"GET", "/api/agents", agent_list, ROLES_ANY, FAM_TRANSFER},
    {"POST", "/api/agents", agent_create, ROLES_STAFF, FAM_TRANSFER},
    {"GET", "/api/agents/:id", agent_get, ROLES_ANY, FAM_TRANSFER},
    {"PUT", "/api/agents/:id", agent_update, ROLES_STAFF, FAM_TRANSFER},
    {"DELETE", "/api/agents/:id", agent_delete, ROLES_STAFF, FAM_TRANSFER},
    {"PUT", "/api/agents/:id/status", agent_set_status, ROLES_ANY, FAM_TRANSFER},
};

const struct route_group agents_routes = {routes, sizeof(routes) / sizeof(routes[0])};
