/*
 * Company registrations (calldocker): a company signs up without an account (public,
 * throttled by nginx's register zone); a super_admin lists and reads them, counts them by
 * status and sees which approved companies are set up. Approval, rejection and the setup
 * routes are registration_approve.c. The admin's password is hashed (argon2id) before the
 * transaction and only the hash is stored; no answer carries it.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "password.h"
#include "qb.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const reg_statuses[] = {"pending", "approved", "rejected", NULL};

enum { G_COMPANY, G_DOMAIN, G_FIRST, G_LAST, G_EMAIL, G_PASSWORD, G_PHONE, G_NFIELDS };

/* The admin's fields also arrive as admin_first_name, admin_last_name, admin_email. */
static const struct field_def reg_fields[] = {
    [G_COMPANY] = {"company_name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [G_DOMAIN] = {"domain", FT_TEXT, F_NULLABLE, 1, 255, NULL, NULL, NULL},
    [G_FIRST] = {"first_name", FT_TEXT, F_REQUIRED, 1, 100, NULL, NULL, "admin_first_name"},
    [G_LAST] = {"last_name", FT_TEXT, F_REQUIRED, 1, 100, NULL, NULL, "admin_last_name"},
    [G_EMAIL] = {"email", FT_EMAIL, F_REQUIRED, 0, 0, NULL, NULL, "admin_email"},
    [G_PASSWORD] = {"password", FT_TEXT, F_REQUIRED, 8, 256, NULL, NULL, NULL},
    [G_PHONE] = {"phone", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
};

/* The password has no column: its hash is written apart. */
static const char *const reg_columns_of[] = {"company_name", "domain", "first_name", "last_name",
                                             "email",        NULL,     "phone"};

static const struct filter_def reg_filters[] = {
    {"status", FILTER_ENUM, " AND status = ?", reg_statuses, NULL},
    {"search", FILTER_LIKE,
     " AND (company_name LIKE ? ESCAPE '\\\\' OR email LIKE ? ESCAPE '\\\\')", NULL, NULL},
};

static const struct sort_def reg_sorts[] = {
    {"created_at", "created_at"}, {"company_name", "company_name"}, {"status", "status"},
    {NULL, NULL},
};

const struct resource registration_resource = {
    .table = "company_registrations",
    .columns = "id, company_name, domain, first_name, last_name, email, phone, status,"
               " rejection_reason, tenant_id, reviewed_by, reviewed_at, created_at, updated_at",
    .id_prefix = "reg_",
    RESOURCE_NAMES("registration", "registrations", "Registration not found"),
    .entity = "company_registration",
    .order = "created_at DESC, id DESC",
    RESOURCE_FILTERS(reg_filters),
    .sorts = reg_sorts,
    RESOURCE_FIELDS(reg_fields, reg_columns_of),
};

struct reg_new {
    const char *id;
    struct field_value v[G_NFIELDS];
    char hash[PASSWORD_HASH_MAX];
};

/* A company that exists already cannot be approved: say so at sign-up. Names and domains
 * stay taken by deleted companies too (their rows stay: tenants.c). */
static int reg_step(struct request *r, void *arg)
{
    struct reg_new *g = arg;
    struct db_result *taken;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM tenants"
                     " WHERE name = ? OR (? IS NOT NULL AND domain = ?) LIMIT 1",
                     DB_PARAMS(DB_STR(g->v[G_COMPANY].s), DB_STR(g->v[G_DOMAIN].s),
                               DB_STR(g->v[G_DOMAIN].s)),
                     &taken);
    if (rc == DB_OK && taken->nrows > 0)
        return txn_fail(r, 409, "conflict", "A company with this name or domain already exists");
    struct column_value extra[] = {{"password_hash", DB_STR(g->hash)},
                                   {"ip_address", DB_STR(r->remote_addr)}};
    if (rc == DB_OK)
        rc = resource_insert(r, &registration_resource, g->id, g->v, extra, 2);
    return rc == DB_OK ? resource_answer(r, &registration_resource, 201, g->id) : rc;
}

static int reg_create(struct request *r)
{
    struct reg_new *g = arena_alloc(r->arena, sizeof(*g));
    if (g == NULL || (g->id = id_new(r->arena, "reg_")) == NULL)
        return request_oom(r);
    if (fields_declared(r, FIELDS_CREATE, g->v, G_NFIELDS, NULL) != 0)
        return -1;
    const char *pw = g->v[G_PASSWORD].s;
    if (password_hash(pw, strlen(pw), g->hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    return txn_reply(r, txn_run(r, reg_step, g));
}

/* Counts per status (and their total). */
static int reg_summary(struct request *r)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT COUNT(*) AS total,"
                     " CAST(COALESCE(SUM(status = 'pending'), 0) AS SIGNED) AS pending,"
                     " CAST(COALESCE(SUM(status = 'approved'), 0) AS SIGNED) AS approved,"
                     " CAST(COALESCE(SUM(status = 'rejected'), 0) AS SIGNED) AS rejected"
                     " FROM company_registrations",
                     NULL, 0, &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *o = arena_json(r->arena, db_row_json(res, 0, NULL));
    return o ? reply_one(r, 200, "summary", o) : request_oom(r);
}

/* ---- the setup overview: approved companies and what they have --------------------- */

static void setup_decorate(struct request *r, struct json_object *row)
{
    (void)r;
    struct json_object *d, *w;
    bool has_d = json_object_object_get_ex(row, "departments_count", &d) &&
                 json_object_get_int64(d) > 0;
    bool has_w = json_object_object_get_ex(row, "widgets_count", &w) &&
                 json_object_get_int64(w) > 0;
    json_set_bool(row, "has_departments", has_d);
    json_set_bool(row, "has_widget", has_w);
    json_set_bool(row, "setup_complete", has_d && has_w);
}

static const struct resource setup_overview = {
    .table = "company_registrations",
    .columns = "g.id AS registration_id, g.company_name, g.tenant_id, t.status AS company_status,"
               " g.reviewed_at AS approved_at,"
               " (SELECT COUNT(*) FROM departments d WHERE d.tenant_id = g.tenant_id"
               "  AND d.is_active = 1) AS departments_count,"
               " (SELECT COUNT(*) FROM chat_widgets w WHERE w.tenant_id = g.tenant_id)"
               " AS widgets_count",
    .from = "company_registrations g JOIN tenants t ON t.id = g.tenant_id",
    .id_col = "g.id",
    RESOURCE_NAMES("company", "companies", "Registration not found"),
    .order = "g.reviewed_at DESC, g.id DESC",
    .decorate = setup_decorate,
};

static int reg_setup_overview(struct request *r)
{
    struct qb approved;
    qb_init(&approved, r->arena);
    qb_add(&approved, " AND g.status = 'approved'");
    return resource_list(r, &setup_overview, &approved);
}

#define REG_NAMES CRUD_NAMES_AS("registration", "registrations", "a", "company registration", \
                                "company registrations")

static const struct route routes[] = {
    ROUTE("POST", "/api/company-registrations", reg_create, ROLES_PUBLIC, FAM_CALLDOCKER,
          .summary = "A company signs up (pending until a super_admin approves it)",
          ROUTE_BODY(reg_fields), .key = "registration", .status = 201,
          .flags = ROUTE_THROTTLED),
    CRUD_LIST_ROUTE("/api/company-registrations", &registration_resource, ROLES_SUPER,
                    FAM_CALLDOCKER, REG_NAMES),
    ROUTE("GET", "/api/company-registrations/stats/summary", reg_summary, ROLES_SUPER,
          FAM_CALLDOCKER, .summary = "Company registrations counted by status",
          .key = "summary"),
    ROUTE("GET", "/api/company-registrations/overview/setup", reg_setup_overview, ROLES_SUPER,
          FAM_CALLDOCKER,
          .summary = "Approved companies and whether their departments and widget are set up",
          .key = "companies", .flags = ROUTE_LIST, .resource = &setup_overview),
    CRUD_GET_ROUTE("/api/company-registrations/:id", &registration_resource, ROLES_SUPER,
                   FAM_CALLDOCKER, REG_NAMES),
};

ROUTE_GROUP(registrations_routes, routes);
