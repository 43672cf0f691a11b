/*
 * Tenants, for super_admin only. These routes manage every tenant, so unlike the
 * tenant-scoped resources they are not filtered by the caller's tenant; each write is
 * audited under the tenant it changes, so that tenant's own log shows it.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "session.h"
#include "txn.h"
#include "routes.h"
#include "validate.h"

#define TENANT_COLUMNS \
    "id, name, domain, status, plan, max_agents, settings, created_at, updated_at"

/*
 * Shared by the page and its COUNT(*). Parameters: pattern x3, status x2. Without a
 * status filter deleted tenants are hidden; ?status=deleted still finds them.
 */
#define TENANT_FILTERS                                                                   \
    " WHERE (? IS NULL OR name LIKE ? ESCAPE '\\\\' OR domain LIKE ? ESCAPE '\\\\')"     \
    " AND ((? IS NULL AND status <> 'deleted') OR status = ?)"

#define TENANT_FILTER_NPARAMS 5u

static const char *const tenant_json_cols[] = {"settings", NULL};
/* `deleted` is reached only through DELETE, which also ends the tenant's sessions. */
static const char *const settable_statuses[] = {"active", "suspended", NULL};
static const char *const all_statuses[] = {"active", "suspended", "deleted", NULL};

static int tenant_fetch(struct request *r, const char *id, struct json_object **out)
{
    struct db_result *res;
    *out = NULL;
    int rc = db_exec(r->db, r->arena, "SELECT " TENANT_COLUMNS " FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *out = arena_json(r->arena, db_row_json(res, 0, tenant_json_cols));
    return *out ? DB_OK : DB_ERROR;
}

/* Inside the write's transaction: answers with the tenant as it now is. DB_OK or a db_rc. */
static int tenant_answer(struct request *r, int status, const char *id)
{
    struct json_object *tenant;
    int rc = tenant_fetch(r, id, &tenant);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    return request_reply_found(r, status, DB_OK, "tenant", tenant, "") == 0 ? DB_OK : DB_ERROR;
}

static int reply_tenant(struct request *r, int status, const char *id)
{
    struct json_object *tenant;
    int rc = tenant_fetch(r, id, &tenant);
    return request_reply_found(r, status, rc, "tenant", tenant, "Tenant not found");
}

static int tenant_list(struct request *r)
{
    struct page p;
    const char *status = NULL, *pattern = NULL;
    query_page(r, 25, 200, &p);
    query_like_pattern(r, "search", request_query(r, "search"), &pattern);
    query_enum(r, "status", all_statuses, &status);
    if (request_check_fields(r) != 0)
        return -1;

    /* The first TENANT_FILTER_NPARAMS serve the COUNT(*); the page adds LIMIT/OFFSET. */
    const struct db_param params[] = {
        DB_STR(pattern), DB_STR(pattern), DB_STR(pattern), DB_STR(status),
        DB_STR(status),  DB_INT(p.limit), DB_INT(p.offset),
    };
    struct db_result *cres, *res;
    int rc = db_exec(r->db, r->arena, "SELECT COUNT(*) AS total FROM tenants" TENANT_FILTERS,
                     params, TENANT_FILTER_NPARAMS, &cres);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " TENANT_COLUMNS " FROM tenants" TENANT_FILTERS
                     " ORDER BY created_at, id LIMIT ? OFFSET ?",
                     params, TENANT_FILTER_NPARAMS + 2, &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);

    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, tenant_json_cols));
    return reply_list(r, "tenants", rows, p.page, p.limit, db_get_int(cres, 0, "total", 0));
}

static int tenant_get(struct request *r)
{
    return reply_tenant(r, 200, request_param(r, "id"));
}

struct tenant_input {
    int has_name, has_domain, has_plan, has_max, has_status, has_settings;
    const char *name, *domain, *plan, *status, *settings;
    long long max_agents;
};

static int tenant_read_input(struct request *r, struct json_object *body, bool create,
                             struct tenant_input *in)
{
    memset(in, 0, sizeof(*in));
    in->has_name = field_string(r, body, "name", create ? FIELD_REQUIRED : 0, 1, 255,
                                &in->name) == 1;
    /* An empty domain would collide with every other empty one on uq_tenants_domain. */
    in->has_domain = field_string(r, body, "domain", FIELD_NULLABLE, 1, 255, &in->domain) >= 0 &&
                     json_object_object_get_ex(body, "domain", NULL);
    in->has_plan = field_string(r, body, "plan", 0, 1, 50, &in->plan) == 1;
    in->has_max = field_int(r, body, "max_agents", 0, 1, 100000, &in->max_agents) == 1;
    in->has_status = field_enum(r, body, "status", 0, settable_statuses, &in->status) == 1;
    in->has_settings =
        field_object_text(r, body, "settings", FIELD_NULLABLE, &in->settings) >= 0 &&
        json_object_object_get_ex(body, "settings", NULL);
    return request_check_fields(r);
}

/*
 * Both unique keys give DB_DUPLICATE; after the rollback one read tells which, so the
 * client learns what to change. `id` is the tenant being written (excluded).
 */
static int tenant_conflict(struct request *r, const struct tenant_input *in, const char *id)
{
    struct db_result *res;
    if (in->has_domain && in->domain != NULL &&
        db_exec(r->db, r->arena, "SELECT id FROM tenants WHERE domain = ? AND id <> ? LIMIT 1",
                DB_PARAMS(DB_STR(in->domain), DB_STR(id)), &res) == DB_OK &&
        res->nrows > 0)
        return request_error(r, 409, "conflict", "A tenant with this domain already exists");
    return request_error(r, 409, "conflict", "A tenant with this name already exists");
}

/*
 * The caller's own tenant must stay usable: suspending or deleting it would lock out
 * the only accounts able to undo that.
 */
static bool is_own_tenant(const struct request *r, const char *id)
{
    return id != NULL && r->auth.tenant_id != NULL && strcmp(id, r->auth.tenant_id) == 0;
}

struct tenant_write {
    const char *id;
    const struct tenant_input *in;
    struct json_object *body;
};

static int tenant_create_step(struct request *r, void *arg)
{
    const struct tenant_write *w = arg;
    const struct tenant_input *in = w->in;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO tenants (id, name, domain, status, plan, max_agents, settings)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(w->id), DB_STR(in->name), DB_STR(in->domain),
                               DB_STR(in->has_status ? in->status : "active"),
                               DB_STR(in->has_plan ? in->plan : "standard"),
                               DB_INT(in->has_max ? in->max_agents : 50), DB_STR(in->settings)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, w->id, "tenant.create", "tenant", w->id, json_text(w->body, NULL));
    return rc == DB_OK ? tenant_answer(r, 201, w->id) : rc;
}

static int tenant_create(struct request *r)
{
    struct json_object *body;
    struct tenant_input in;
    if (request_body_object(r, &body) != 0 || tenant_read_input(r, body, true, &in) != 0)
        return -1;
    struct tenant_write w = {id_new(r->arena, "ten_"), &in, body};
    if (w.id == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    int rc = txn_run(r, TXN_IDEMPOTENT, tenant_create_step, &w);
    if (rc == DB_DUPLICATE)
        return tenant_conflict(r, &in, w.id);
    return txn_reply(r, rc);
}

/* Locks the tenant row for the rest of the transaction. 1 when absent. */
static int tenant_lock(struct request *r, const char *id, const char **status)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, "SELECT status FROM tenants WHERE id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *status = db_get(res, 0, "status");
    return DB_OK;
}

static int tenant_update(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *body;
    struct tenant_input in;
    const char *old_status;
    if (request_body_object(r, &body) != 0 || tenant_read_input(r, body, false, &in) != 0)
        return -1;
    if (in.has_status && strcmp(in.status, "suspended") == 0 && is_own_tenant(r, id))
        return request_error(r, 409, "conflict", "You cannot suspend your own tenant");
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = tenant_lock(r, id, &old_status);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE tenants SET name = IF(?, ?, name), domain = IF(?, ?, domain),"
                     " plan = IF(?, ?, plan), max_agents = IF(?, ?, max_agents),"
                     " status = IF(?, ?, status), settings = IF(?, ?, settings) WHERE id = ?",
                     DB_PARAMS(DB_INT(in.has_name), DB_STR(in.name), DB_INT(in.has_domain),
                               DB_STR(in.domain), DB_INT(in.has_plan), DB_STR(in.plan),
                               DB_INT(in.has_max), DB_INT(in.max_agents),
                               DB_INT(in.has_status), DB_STR(in.status),
                               DB_INT(in.has_settings), DB_STR(in.settings), DB_STR(id)),
                     NULL);
    if (rc == DB_OK && in.has_status && strcmp(in.status, "active") != 0)
        rc = session_announce(r->db, r->arena, id, SESSION_TENANT, NULL, "tenant_suspended");
    if (rc == DB_OK)
        rc = audit_record(r, id, "tenant.update", "tenant", id, json_text(body, NULL));
    if (rc == DB_OK)
        rc = tenant_answer(r, 200, id);
    rc = db_finish(r->db, rc);
    if (rc == 1)
        return request_error(r, 404, "not_found", "Tenant not found");
    if (rc == DB_DUPLICATE)
        return tenant_conflict(r, &in, id);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    auth_changed(r, id);
    return 0;
}

static int tenant_set_status(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *body;
    const char *status, *old_status = NULL;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_enum(r, body, "status", FIELD_REQUIRED, settable_statuses, &status);
    if (request_check_fields(r) != 0)
        return -1;
    if (strcmp(status, "suspended") == 0 && is_own_tenant(r, id))
        return request_error(r, 409, "conflict", "You cannot suspend your own tenant");
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    if (details == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    /* No session is revoked: every request re-checks the tenant's status, and a
     * reactivated tenant's users carry on where they were. */
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = tenant_lock(r, id, &old_status);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "UPDATE tenants SET status = ? WHERE id = ?",
                     DB_PARAMS(DB_STR(status), DB_STR(id)), NULL);
    if (rc == DB_OK && (json_set_str(details, "from", old_status) != 0 ||
                        json_set_str(details, "to", status) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK && strcmp(status, "active") != 0)
        rc = session_announce(r->db, r->arena, id, SESSION_TENANT, NULL, "tenant_suspended");
    if (rc == DB_OK)
        rc = audit_record(r, id, "tenant.status_change", "tenant", id, json_text(details, NULL));
    if (rc == DB_OK)
        rc = tenant_answer(r, 200, id);
    rc = db_finish(r->db, rc);
    if (rc == 1)
        return request_error(r, 404, "not_found", "Tenant not found");
    if (rc != DB_OK)
        return request_db_error(r, rc);
    auth_changed(r, id);
    return 0;
}

static int tenant_delete(struct request *r)
{
    const char *id = request_param(r, "id");
    const char *old_status = NULL;
    if (is_own_tenant(r, id))
        return request_error(r, 409, "conflict", "You cannot delete your own tenant");
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = tenant_lock(r, id, &old_status);
    /* Deleting twice is a 404, as for any record that is gone. */
    if (rc == DB_OK && old_status != NULL && strcmp(old_status, "deleted") == 0)
        rc = 1;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "UPDATE tenants SET status = 'deleted' WHERE id = ?",
                     DB_PARAMS(DB_STR(id)), NULL);
    /* Refresh tokens of the tenant stop working too, not only its access tokens. */
    if (rc == DB_OK)
        rc = session_revoke(r->db, r->arena, id, SESSION_TENANT, NULL, NULL, "tenant_deleted");
    if (rc == DB_OK)
        rc = audit_record(r, id, "tenant.delete", "tenant", id, NULL);
    rc = db_finish(r->db, rc);
    if (rc == DB_OK)
        auth_changed(r, id);
    if (rc == 1)
        return request_error(r, 404, "not_found", "Tenant not found");
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return reply_message(r, 200, "Tenant deleted successfully");
}

static const struct route routes[] = {
    {"GET", "/api/tenants", tenant_list, ROLES_SUPER, FAM_TRANSFER},
    {"POST", "/api/tenants", tenant_create, ROLES_SUPER, FAM_TRANSFER},
    {"GET", "/api/tenants/:id", tenant_get, ROLES_SUPER, FAM_TRANSFER},
    {"PUT", "/api/tenants/:id", tenant_update, ROLES_SUPER, FAM_TRANSFER},
    {"PUT", "/api/tenants/:id/status", tenant_set_status, ROLES_SUPER, FAM_TRANSFER},
    {"DELETE", "/api/tenants/:id", tenant_delete, ROLES_SUPER, FAM_TRANSFER},
};

const struct route_group tenants_routes = {routes, sizeof(routes) / sizeof(routes[0])};
