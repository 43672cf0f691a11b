/*
 * Tenants, for super_admin only. These routes manage every tenant, so unlike the
 * tenant-scoped resources they are not filtered by the caller's tenant; each write is
 * audited under the tenant it changes, so that tenant's own log shows it. Two lookups are
 * also an admin's, of their own tenant only: by domain, and resource usage.
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
#include "routes.h"
#include "session.h"
#include "txn.h"

/* `deleted` is reached only through DELETE, which also ends the tenant's sessions. */
static const char *const settable_statuses[] = {"active", "suspended", NULL};
static const char *const all_statuses[] = {"active", "suspended", "deleted", NULL};
static const char *const tenant_json_cols[] = {"settings", NULL};

enum { T_NAME, T_DOMAIN, T_PLAN, T_MAX, T_STATUS, T_SETTINGS };

const struct field_def tenant_fields[TENANT_NFIELDS] = {
    [T_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    /* An empty domain would collide with every other empty one on uq_tenants_domain. */
    [T_DOMAIN] = {"domain", FT_TEXT, F_NULLABLE, 1, 255, NULL, NULL, NULL},
    [T_PLAN] = {"plan", FT_TEXT, 0, 1, 50, NULL, NULL, NULL},
    [T_MAX] = {"max_agents", FT_INT, 0, 1, 100000, NULL, NULL, NULL},
    [T_STATUS] = {"status", FT_ENUM, 0, 0, 0, settable_statuses, NULL, NULL},
    [T_SETTINGS] = {"settings", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
};

static const char *const tenant_columns_of[] = {"name",   "domain", "plan",
                                                "max_agents", "status", "settings"};

static const struct filter_def tenant_filters[] = {
    {"search", FILTER_LIKE,
     " AND (name LIKE ? ESCAPE '\\\\' OR domain LIKE ? ESCAPE '\\\\')", NULL, NULL},
    {"status", FILTER_ENUM, " AND status = ?", all_statuses, NULL},
};

static const struct resource_writes tenant_writes;

static const struct sort_def tenant_sorts[] = {
    {"name", "name"}, {"created_at", "created_at"}, {"status", "status"}, {NULL, NULL},
};

const struct resource tenant_resource = {
    .table = "tenants",
    .columns = "id, name, domain, status, plan, max_agents, settings, created_at, updated_at",
    .json_cols = tenant_json_cols,
    .id_prefix = "ten_",
    RESOURCE_NAMES("tenant", "tenants", "Tenant not found"),
    .order = "created_at, id",
    RESOURCE_FILTERS(tenant_filters),
    .sorts = tenant_sorts,
    RESOURCE_FIELDS(tenant_fields, tenant_columns_of),
    /* `deleted` is a status: a deleted tenant's row and history stay. */
    .soft_delete_col = "status",
    .soft_deleted = "deleted",
    .writes = &tenant_writes,
};

int tenant_list(struct request *r)
{
    /* Without a status filter deleted tenants are hidden; ?status=deleted finds them. */
    const char *status = request_query(r, "status");
    struct qb hide;
    qb_init(&hide, r->arena);
    if (status == NULL || status[0] == '\0')
        qb_add(&hide, " AND status <> 'deleted'");
    return resource_list(r, &tenant_resource, &hide);
}

/*
 * Both unique keys give DB_DUPLICATE; after the rollback one read tells which, so the
 * client learns what to change. The tenant being written is excluded.
 */
static const char *tenant_duplicate(struct request *r, const struct crud_write *w)
{
    struct db_result *res;
    const char *domain = w->v[T_DOMAIN].s;
    if (domain != NULL &&
        db_exec(r->db, r->arena, "SELECT id FROM tenants WHERE domain = ? AND id <> ? LIMIT 1",
                DB_PARAMS(DB_STR(domain), DB_STR(w->id)), &res) == DB_OK &&
        res->nrows > 0)
        return "A tenant with this domain already exists";
    return "A tenant with this name already exists";
}

/*
 * The caller's own tenant must stay usable: suspending or deleting it would lock out
 * the only accounts able to undo that.
 */
static bool is_own_tenant(const struct request *r, const char *id)
{
    return id != NULL && r->auth.tenant_id != NULL && strcmp(id, r->auth.tenant_id) == 0;
}

static int tenant_prepare(struct request *r, struct crud_write *w)
{
    /* A company's own admin (PUT /api/companies/:id) changes its names and settings; its
     * plan, limits and status are the platform's. */
    if (w->op == CRUD_UPDATE && !(r->auth.role_bit & ROLE_SUPER_ADMIN) &&
        (w->v[T_PLAN].sent || w->v[T_MAX].sent || w->v[T_STATUS].sent))
        return request_error(r, 403, "forbidden",
                             "Only a super_admin may change a company's plan, limits or status");
    if (w->op == CRUD_UPDATE && w->v[T_STATUS].sent &&
        strcmp(w->v[T_STATUS].s, "suspended") == 0 && is_own_tenant(r, w->id))
        return request_error(r, 409, "conflict", "You cannot suspend your own tenant");
    if (w->op == CRUD_DELETE && is_own_tenant(r, w->id))
        return request_error(r, 409, "conflict", "You cannot delete your own tenant");
    return 0;
}

/* Status changes end or resume sign-ins: streams are told, cached sessions dropped. */
static int status_changed(struct request *r, const char *id, const char *status)
{
    txn_after_commit(r, auth_changed, id);
    /* No session is revoked: every request re-checks the tenant's status, and a
     * reactivated tenant's users carry on where they were. */
    if (status == NULL || strcmp(status, "active") == 0)
        return DB_OK;
    return session_announce(r->db, r->arena, id, SESSION_TENANT, NULL, "tenant_suspended");
}

static int tenant_written(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_UPDATE)
        return status_changed(r, w->id, w->v[T_STATUS].sent ? w->v[T_STATUS].s : NULL);
    if (w->op != CRUD_DELETE)
        return DB_OK;
    /* Refresh tokens of the tenant stop working too, not only its access tokens. */
    int rc = session_revoke(r->db, r->arena, w->id, SESSION_TENANT, NULL, NULL,
                            "tenant_deleted");
    if (rc == DB_OK)
        txn_after_commit(r, auth_changed, w->id);
    return rc;
}

static const struct resource_writes tenant_writes = {
    .prepare = tenant_prepare,
    .written = tenant_written,
    .duplicate_of = tenant_duplicate,
    .deleted = "Tenant deleted successfully",
};

struct status_write {
    const char *id, *status;
};

static int tenant_status_step(struct request *r, void *arg)
{
    struct status_write *w = arg;
    struct db_result *old;
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    int rc = details ? resource_lock(r, &tenant_resource, w->id, &old) : DB_ERROR;
    if (rc == 1)
        return txn_fail(r, 404, "not_found", tenant_resource.not_found);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "UPDATE tenants SET status = ? WHERE id = ?",
                     DB_PARAMS(DB_STR(w->status), DB_STR(w->id)), NULL);
    if (rc == DB_OK && (json_set_str(details, "from", db_get(old, 0, "status")) != 0 ||
                        json_set_str(details, "to", w->status) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = status_changed(r, w->id, w->status);
    if (rc == DB_OK)
        rc = resource_audit(r, &tenant_resource, "status_change", w->id, json_text(details, NULL));
    return rc == DB_OK ? resource_answer(r, &tenant_resource, 200, w->id) : rc;
}

const struct field_def tenant_status_field[1] = {
    {"status", FT_ENUM, F_ALWAYS, 0, 0, settable_statuses, NULL, NULL},
};

int tenant_set_status(struct request *r)
{
    struct field_value v[1];
    struct status_write w = {request_param(r, "id"), NULL};
    if (fields_declared(r, FIELDS_UPDATE, v, 1, NULL) != 0)
        return -1;
    w.status = v[0].s;
    if (strcmp(w.status, "suspended") == 0 && is_own_tenant(r, w.id))
        return request_error(r, 409, "conflict", "You cannot suspend your own tenant");
    return txn_reply(r, txn_run(r, tenant_status_step, &w));
}

/* ---- lookups (an admin: their own tenant; super_admin: any) ------------------------ */

/* Another tenant is absent to an admin: true when the caller may see tenant id. */
bool tenant_may_see(const struct request *r, const char *id)
{
    return (r->auth.role_bit & ROLE_SUPER_ADMIN) != 0 || is_own_tenant(r, id);
}

/* A text member as the dialect writes a missing one: "" for the callcenter's clients. */
static const char *text_of(const struct request *r, const char *s)
{
    return s == NULL && r->families == FAM_CALLCENTER ? "" : s;
}

/* The public face of a tenant: never its settings, plan or limits. */
static int tenant_by_domain(struct request *r)
{
    const char *domain = request_query(r, "domain");
    if (domain == NULL || *domain == '\0' || strlen(domain) > 255)
        request_field_error(r, "domain", "is required (at most 255 characters)");
    if (request_check_fields(r) != 0)
        return -1;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, name, slug, domain, status FROM tenants"
                     " WHERE domain = ? AND status <> 'deleted'",
                     DB_PARAMS(DB_STR(domain)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0 || !tenant_may_see(r, db_get(res, 0, "id")))
        return request_error(r, 404, "not_found", tenant_resource.not_found);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    const char *status = db_get(res, 0, "status");
    if (o == NULL || json_set_str(o, "id", db_get(res, 0, "id")) ||
        json_set_str(o, "name", db_get(res, 0, "name")) ||
        json_set_str(o, "slug", text_of(r, db_get(res, 0, "slug"))) ||
        json_set_str(o, "domain", db_get(res, 0, "domain")) || json_set_str(o, "status", status) ||
        json_set_bool(o, "is_active", strcmp(status, "active") == 0))
        return request_oom(r);
    return reply_one(r, 200, "tenant", o);
}

/*
 * What the tenant uses against its limits, in the Go backend's names. Only max_agents is
 * a column today: the other limits are null (none). agents_count counts users whose role
 * is agent (who sign in and take queue calls; max_agents limits them), the /api/agents
 * records are agent_records_count; storage is the recordings' size_bytes.
 */
#define USAGE_SQL                                                                           \
    "SELECT t.id AS tenant_id,"                                                             \
    " (SELECT COUNT(*) FROM users WHERE tenant_id = t.id) AS users_count,"                   \
    " (SELECT COUNT(*) FROM users WHERE tenant_id = t.id AND is_active = 1)"                 \
    "  AS active_users_count,"                                                              \
    " (SELECT COUNT(*) FROM user_roles WHERE tenant_id = t.id AND role = 'agent')"           \
    "  AS agents_count, t.max_agents,"                                                      \
    " (SELECT COUNT(*) FROM agents WHERE tenant_id = t.id) AS agent_records_count,"          \
    " (SELECT COUNT(*) FROM queues WHERE tenant_id = t.id AND is_active = 1) AS queues_count," \
    " (SELECT COUNT(*) FROM dids WHERE tenant_id = t.id) AS dids_count,"                     \
    " (SELECT COUNT(*) FROM dids WHERE tenant_id = t.id AND is_active = 1)"                  \
    "  AS active_dids_count,"                                                               \
    " (SELECT COUNT(*) FROM calls WHERE tenant_id = t.id AND status IN " LIVE_SQL ")"        \
    "  AS active_calls_count,"                                                              \
    " (SELECT COUNT(*) FROM recordings WHERE tenant_id = t.id) AS recordings_count,"         \
    " (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS SIGNED) FROM recordings"                  \
    "  WHERE tenant_id = t.id) AS storage_bytes"                                            \
    " FROM tenants t WHERE t.id = ? AND t.status <> 'deleted'"

int tenant_usage_json(struct request *r, const char *id, struct json_object **out)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena, USAGE_SQL, DB_PARAMS(DB_STR(id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    struct json_object *o = arena_json(r->arena, db_row_json(res, 0, NULL));
    if (o == NULL || json_set(o, "max_users", NULL) || json_set(o, "max_queues", NULL) ||
        json_set(o, "max_dids", NULL) || json_set(o, "max_concurrent_calls", NULL) ||
        json_set(o, "max_storage_bytes", NULL))
        return DB_ERROR;
    *out = o;
    return DB_OK;
}

static int tenant_usage(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *o = NULL;
    int rc = tenant_may_see(r, id) ? tenant_usage_json(r, id, &o) : 1;
    return request_reply_found(r, 200, rc, "usage", o, tenant_resource.not_found);
}

#define TENANT_NAMES CRUD_NAMES("a", "tenant", "tenants")

static const struct route routes[] = {
    ROUTE("GET", "/api/tenants", tenant_list, ROLES_SUPER, FAM_TRANSFER,
          .summary = "List tenants", .key = "tenants", .flags = ROUTE_LIST,
          .resource = &tenant_resource),
    CRUD_CREATE_ROUTE("/api/tenants", &tenant_resource, tenant_fields, ROLES_SUPER, FAM_TRANSFER,
                      TENANT_NAMES),
    CRUD_GET_ROUTE("/api/tenants/:id", &tenant_resource, ROLES_SUPER, FAM_TRANSFER, TENANT_NAMES),
    CRUD_UPDATE_ROUTE("/api/tenants/:id", &tenant_resource, tenant_fields, ROLES_SUPER, FAM_TRANSFER,
                      TENANT_NAMES),
    ROUTE("PUT", "/api/tenants/:id/status", tenant_set_status, ROLES_SUPER, FAM_TRANSFER,
          .summary = "Activate or suspend a tenant", ROUTE_BODY(tenant_status_field),
          .key = "tenant"),
    CRUD_DELETE_ROUTE("/api/tenants/:id", &tenant_resource, ROLES_SUPER, FAM_TRANSFER, TENANT_NAMES),
    ROUTE("GET", "/api/tenants/by-domain", tenant_by_domain, ROLES_ADMIN,
          FAM_TRANSFER | FAM_CALLCENTER,
          .summary = "A tenant's public fields by its domain (?domain=)", .key = "tenant"),
    ROUTE("GET", "/api/tenants/:id/resource-usage", tenant_usage, ROLES_ADMIN,
          FAM_TRANSFER | FAM_CALLCENTER,
          .summary = "What a tenant uses against its limits", .key = "usage"),
};

ROUTE_GROUP(tenants_routes, routes);
