/*
 * The platform admin's dashboard (calldocker, super_admin): another super_admin, the
 * platform's figures, its recent activity (the audit log of every company) and each
 * company's traffic over a period. These read across tenants on purpose: a super_admin
 * runs the platform. Sign-in is auth.c (/api/admin/login), the profile profile.c, the
 * companies companies.c and their widgets admin_widget.c.
 */
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "password.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "user_store.h"
#include "validate.h"

/* ---- another super_admin ------------------------------------------------------------ */

enum { A_EMAIL, A_PASSWORD, A_FIRST, A_LAST, A_PHONE, A_NFIELDS };

/* The password rules of users.c: 8 to 256 characters. */
static const struct field_def admin_fields[] = {
    [A_EMAIL] = {"email", FT_EMAIL, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [A_PASSWORD] = {"password", FT_TEXT, F_REQUIRED, 8, 256, NULL, NULL, NULL},
    [A_FIRST] = {"first_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [A_LAST] = {"last_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [A_PHONE] = {"phone", FT_PHONE, F_NULLABLE, 0, 0, NULL, NULL, NULL},
};

struct admin_new {
    const char *id;
    struct field_value v[A_NFIELDS];
    char hash[PASSWORD_HASH_MAX];
};

/* The new super_admin belongs to the caller's (the platform's) tenant. */
static int create_admin_step(struct request *r, void *arg)
{
    struct admin_new *a = arg;
    const struct field_value *v = a->v;
    struct user_new u = {a->id,      r->auth.tenant_id, v[A_EMAIL].s, a->hash,
                         v[A_FIRST].s, v[A_LAST].s,     v[A_PHONE].s, "super_admin"};
    struct json_object *d = arena_json(r->arena, json_object_new_object());
    int rc = d && json_set_str(d, "email", v[A_EMAIL].s) == 0 ? DB_OK : DB_ERROR;
    if (rc == DB_OK)
        rc = user_store_insert(r->db, r->arena, &u);
    if (rc == DB_DUPLICATE)
        return txn_fail(r, 409, "conflict", "A user with this email already exists");
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.create_admin", "user", a->id,
                          json_text(d, NULL));
    return rc == DB_OK ? user_answer(r, 201, a->id) : rc;
}

static int create_admin(struct request *r)
{
    struct admin_new *a = arena_alloc(r->arena, sizeof(*a));
    if (a == NULL || (a->id = id_new(r->arena, "usr_")) == NULL)
        return request_oom(r);
    if (fields_declared(r, FIELDS_CREATE, a->v, A_NFIELDS, NULL) != 0)
        return -1;
    const char *pw = a->v[A_PASSWORD].s;
    if (password_hash(pw, strlen(pw), a->hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    return txn_reply(r, txn_run(r, create_admin_step, a));
}

/* ---- figures -------------------------------------------------------------------------- */

#define LIVE_TENANT "t.status <> 'deleted'"

static int dashboard_stats(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(
        r->db, r->arena,
        "SELECT (SELECT COUNT(*) FROM tenants t WHERE " LIVE_TENANT ") AS companies_total,"
        " (SELECT COUNT(*) FROM tenants WHERE status = 'active') AS companies_active,"
        " (SELECT COUNT(*) FROM tenants WHERE status = 'suspended') AS companies_suspended,"
        " (SELECT COUNT(*) FROM users u JOIN tenants t ON t.id = u.tenant_id"
        "  WHERE " LIVE_TENANT ") AS users_total,"
        " (SELECT COUNT(*) FROM user_roles ur JOIN tenants t ON t.id = ur.tenant_id"
        "  WHERE ur.role = 'agent' AND " LIVE_TENANT ") AS agents_total,"
        /* per tenant, so each count is a range of idx_calls_tenant_start */
        " (SELECT COUNT(*) FROM tenants t JOIN calls c ON c.tenant_id = t.id"
        "  AND c.start_time >= UTC_DATE()) AS calls_today,"
        " (SELECT COUNT(*) FROM company_registrations WHERE status = 'pending')"
        "  AS registrations_pending",
        NULL, 0, &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *o = arena_json(r->arena, db_row_json(res, 0, NULL));
    return o ? reply_one(r, 200, "stats", o) : request_oom(r);
}

static const char *const activity_json_cols[] = {"details", NULL};

static const struct filter_def activity_filters[] = {
    {"company_id", FILTER_ID, " AND a.tenant_id = ?", NULL, NULL},
    {"action", FILTER_EQ, " AND a.action = ?", NULL, NULL},
    {"entity_type", FILTER_EQ, " AND a.entity_type = ?", NULL, NULL},
};

/* Every company's audit log, newest first, with the company's name. */
static const struct resource activity = {
    .table = "audit_logs",
    .columns = "a.id, a.tenant_id AS company_id, t.name AS company_name, a.user_id, a.action,"
               " a.entity_type, a.entity_id, a.details, a.created_at",
    .from = "audit_logs a JOIN tenants t ON t.id = a.tenant_id",
    /* a page is found on idx_audit_logs_time (sql/031), then only its rows are joined */
    .page_base = "audit_logs a",
    .id_col = "a.id",
    .json_cols = activity_json_cols,
    RESOURCE_NAMES("activity", "activities", "Activity not found"),
    .order = "a.created_at DESC, a.id DESC",
    RESOURCE_FILTERS(activity_filters),
};

static int dashboard_activity(struct request *r)
{
    return resource_list(r, &activity, NULL);
}

/* Calls, chats and tickets of each company over the last ?days= (1..366, default 30). */
#define ANALYTICS_SQL                                                                       \
    "SELECT t.id AS company_id, t.name AS company_name, t.status,"                           \
    " (SELECT COUNT(*) FROM calls c WHERE c.tenant_id = t.id"                                \
    "  AND c.start_time >= UTC_TIMESTAMP() - INTERVAL ? DAY) AS calls,"                      \
    " (SELECT COUNT(*) FROM chat_sessions s WHERE s.tenant_id = t.id"                        \
    "  AND s.started_at >= UTC_TIMESTAMP() - INTERVAL ? DAY) AS chats,"                      \
    " (SELECT COUNT(*) FROM tickets k WHERE k.tenant_id = t.id"                              \
    "  AND k.created_at >= UTC_TIMESTAMP() - INTERVAL ? DAY) AS tickets"                     \
    " FROM tenants t WHERE " LIVE_TENANT " ORDER BY t.name, t.id LIMIT ? OFFSET ?"

static int admin_analytics(struct request *r)
{
    long long days;
    struct page p;
    int bad = query_int(r, "days", 1, 366, 30, &days) < 0;
    if (query_page(r, RESOURCE_DEFAULT_LIMIT, RESOURCE_MAX_LIMIT, &p) != 0 || bad)
        return request_check_fields(r);
    struct db_result *count, *rows;
    int rc = db_exec(r->db, r->arena, "SELECT COUNT(*) AS n FROM tenants t WHERE " LIVE_TENANT,
                     NULL, 0, &count);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, ANALYTICS_SQL,
                     DB_PARAMS(DB_INT(days), DB_INT(days), DB_INT(days), DB_INT(p.limit),
                               DB_INT(p.offset)),
                     &rows);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *items = arena_json(r->arena, db_rows_json(rows, rows->nrows, NULL));
    if (items == NULL)
        return request_oom(r);
    return reply_list(r, "companies", items, p.page, p.limit, db_get_int(count, 0, "n", 0));
}

static const struct route routes[] = {
    ROUTE("POST", "/api/admin/create-admin", create_admin, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "Create another super_admin", ROUTE_BODY(admin_fields), .key = "user",
          .status = 201),
    ROUTE("GET", "/api/admin/dashboard/stats", dashboard_stats, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "Platform figures: companies, users, agents, calls today, pending"
                     " registrations",
          .key = "stats"),
    ROUTE("GET", "/api/admin/dashboard/activity", dashboard_activity, ROLES_SUPER,
          FAM_CALLDOCKER, .summary = "Recent platform activity (every company's audit log)",
          .key = "activities", .flags = ROUTE_LIST, .resource = &activity),
    ROUTE("GET", "/api/admin/analytics", admin_analytics, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "Calls, chats and tickets per company over the last ?days=",
          .key = "companies", .flags = ROUTE_LIST),
};

ROUTE_GROUP(admin_routes, routes);
