/*
 * A super_admin's decision on a company registration (registrations.c) and the setup of
 * an approved company. Approval is one transaction: the tenant, its admin user (with the
 * registration's password hash), the default departments and a chat widget
 * (company_store.h), then the registration marked approved with its tenant. Any refusal
 * on the way (the name or domain taken by a company, the e-mail by a user of one) rolls
 * all of it back and leaves the registration pending. The setup routes add what an
 * approved company lacks, and do nothing the second time.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "cache.h"
#include "company_store.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "user_store.h"

#define WIDGET_NAME "Website chat"

/* The registration locked; DB_OK with *row, TXN_ANSWERED (404, or 409 when its status is
 * not want), or a db_rc. */
static int reg_lock(struct request *r, const char *id, const char *want, struct db_result **row)
{
    int rc = resource_lock(r, &registration_resource, id, row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", registration_resource.not_found);
    if (rc != DB_OK)
        return rc;
    const char *status = db_get(*row, 0, "status");
    if (strcmp(status, want) == 0)
        return DB_OK;
    return txn_fail(r, 409, "conflict",
                    strcmp(want, "pending") == 0
                        ? arena_printf(r->arena, "This registration is already %s", status)
                        : "This registration is not approved");
}

/* The admin's e-mail signs in without a tenant: it must not name a user of a company. */
static int email_free(struct request *r, const char *email)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT u.id FROM users u JOIN tenants t ON t.id = u.tenant_id"
                     " WHERE u.email = ? AND t.status <> 'deleted' LIMIT 1",
                     DB_PARAMS(DB_STR(email)), &res);
    if (rc == DB_OK && res->nrows > 0)
        return txn_fail(r, 409, "conflict", "A user with this email already exists");
    return rc;
}

/* The tenant and its admin user, from the locked registration row g. */
static int provision_company(struct request *r, const struct db_result *g, const char *tid)
{
    const char *uid = id_new(r->arena, "usr_");
    if (uid == NULL)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena, "INSERT INTO tenants (id, name, domain) VALUES (?, ?, ?)",
                     DB_PARAMS(DB_STR(tid), DB_STR(db_get(g, 0, "company_name")),
                               DB_STR(db_get(g, 0, "domain"))),
                     NULL);
    if (rc == DB_DUPLICATE)
        return txn_fail(r, 409, "conflict", "A company with this name or domain already exists");
    if (rc == DB_OK)
        rc = email_free(r, db_get(g, 0, "email"));
    struct user_new u = {uid,
                         tid,
                         db_get(g, 0, "email"),
                         db_get(g, 0, "password_hash"),
                         db_get(g, 0, "first_name"),
                         db_get(g, 0, "last_name"),
                         db_get(g, 0, "phone"),
                         "admin"};
    if (rc == DB_OK)
        rc = user_store_insert(r->db, r->arena, &u);
    return rc;
}

static int approve_step(struct request *r, void *arg)
{
    const char *id = arg, *tid = id_new(r->arena, "ten_");
    struct db_result *g;
    int made;
    int rc = tid ? reg_lock(r, id, "pending", &g) : DB_ERROR;
    if (rc == DB_OK)
        rc = provision_company(r, g, tid);
    if (rc == DB_OK)
        rc = company_store_departments(r->db, r->arena, tid, db_get(g, 0, "phone"), &made);
    if (rc == DB_OK)
        rc = company_store_widget(r->db, r->arena, tid, WIDGET_NAME, &made);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE company_registrations SET status = 'approved', tenant_id = ?,"
                     " reviewed_by = ?, reviewed_at = NOW() WHERE id = ?",
                     DB_PARAMS(DB_STR(tid), DB_STR(r->auth.user_id), DB_STR(id)), NULL);
    /* In the platform's (the super_admin's tenant's) log and in the new company's own: a
     * registration has no tenant, so resource_audit() does not fit it. */
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "company_registration.approve",
                          "company_registration", id, NULL);
    if (rc == DB_OK)
        rc = audit_record(r, tid, "company.provisioned", "tenant", tid, NULL);
    return rc == DB_OK ? resource_answer(r, &registration_resource, 200, id) : rc;
}

static int reg_approve(struct request *r)
{
    return txn_reply(r, txn_run(r, approve_step, (void *)request_param(r, "id")));
}

struct rejection {
    const char *id;
    struct field_value v[1];
    struct json_object *body;
};

static int reject_step(struct request *r, void *arg)
{
    struct rejection *w = arg;
    struct db_result *g;
    int rc = reg_lock(r, w->id, "pending", &g);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE company_registrations SET status = 'rejected',"
                     " rejection_reason = ?, reviewed_by = ?, reviewed_at = NOW() WHERE id = ?",
                     DB_PARAMS(DB_STR(w->v[0].s), DB_STR(r->auth.user_id), DB_STR(w->id)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "company_registration.reject",
                          "company_registration", w->id, json_text(w->body, NULL));
    return rc == DB_OK ? resource_answer(r, &registration_resource, 200, w->id) : rc;
}

static const struct field_def reject_fields[] = {
    {"reason", FT_TEXT, F_ALWAYS, 1, 1000, NULL, NULL, NULL},
};

static int reg_reject(struct request *r)
{
    struct rejection w = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, w.v, 1, &w.body) != 0)
        return -1;
    return txn_reply(r, txn_run(r, reject_step, &w));
}

/* ---- setup of an approved company ------------------------------------------------- */

enum setup_part { SETUP_DEPARTMENTS, SETUP_WIDGET };

struct setup {
    const char *id;
    enum setup_part part;
};

/* {registration_id, tenant_id, created, departments | widget}: what the company now has. */
static int setup_answer(struct request *r, const struct setup *s, const char *tid, int made)
{
    struct db_result *rows;
    bool depts = s->part == SETUP_DEPARTMENTS;
    int rc = db_exec(r->db, r->arena,
                     depts ? "SELECT id, name, phone_number, is_active FROM departments"
                             " WHERE tenant_id = ? AND is_active = 1 ORDER BY name, id"
                           : "SELECT id, name, public_key, is_active FROM chat_widgets"
                             " WHERE tenant_id = ? ORDER BY created_at, id LIMIT 1",
                     DB_PARAMS(DB_STR(tid)), &rows);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (rc != DB_OK || o == NULL)
        return rc != DB_OK ? rc : DB_ERROR;
    struct json_object *v = depts ? db_rows_json(rows, rows->nrows, NULL)
                                  : rows->nrows ? db_row_json(rows, 0, NULL) : NULL;
    if (json_set_str(o, "registration_id", s->id) || json_set_str(o, "tenant_id", tid) ||
        json_set_int(o, "created", made) || json_set(o, depts ? "departments" : "widget", v))
        return DB_ERROR;
    return reply_one(r, 200, "setup", o) == 0 ? DB_OK : DB_ERROR;
}

/* After the commit: the company's cached department list (departments.c's "dept"
 * namespace, of that tenant rather than the caller's) is stale. */
static void departments_moved(struct request *r, const char *ns)
{
    (void)cache_bump(r->cache, ns);
}

static int setup_step(struct request *r, void *arg)
{
    struct setup *s = arg;
    struct db_result *g;
    int made = 0;
    int rc = reg_lock(r, s->id, "approved", &g);
    const char *tid = rc == DB_OK ? db_get(g, 0, "tenant_id") : NULL;
    if (rc == DB_OK && tid == NULL)
        return txn_fail(r, 409, "conflict", "The approved company no longer exists");
    if (rc == DB_OK)
        rc = s->part == SETUP_DEPARTMENTS
                 ? company_store_departments(r->db, r->arena, tid, db_get(g, 0, "phone"), &made)
                 : company_store_widget(r->db, r->arena, tid, WIDGET_NAME, &made);
    if (rc == DB_OK && made > 0 && s->part == SETUP_DEPARTMENTS) {
        const char *ns = arena_printf(r->arena, "dept:%s", tid);
        if (ns == NULL)
            return DB_ERROR;
        txn_after_commit(r, departments_moved, ns);
    }
    if (rc == DB_OK && made > 0)
        rc = audit_record(r, tid,
                          s->part == SETUP_DEPARTMENTS ? "company.setup_departments"
                                                       : "company.setup_widget",
                          "tenant", tid, NULL);
    return rc == DB_OK ? setup_answer(r, s, tid, made) : rc;
}

static int reg_setup_departments(struct request *r)
{
    struct setup s = {request_param(r, "id"), SETUP_DEPARTMENTS};
    return txn_reply(r, txn_run(r, setup_step, &s));
}

static int reg_setup_widget(struct request *r)
{
    struct setup s = {request_param(r, "id"), SETUP_WIDGET};
    return txn_reply(r, txn_run(r, setup_step, &s));
}

static const struct route routes[] = {
    ROUTE("PUT", "/api/company-registrations/:id/approve", reg_approve, ROLES_SUPER,
          FAM_CALLDOCKER,
          .summary = "Approve a registration: its company, admin, departments and widget",
          .key = "registration"),
    ROUTE("PUT", "/api/company-registrations/:id/reject", reg_reject, ROLES_SUPER,
          FAM_CALLDOCKER, .summary = "Reject a registration with a reason",
          ROUTE_BODY(reject_fields), .key = "registration"),
    ROUTE("POST", "/api/company-registrations/:id/setup-departments", reg_setup_departments,
          ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "Create an approved company's missing default departments",
          .key = "setup"),
    ROUTE("POST", "/api/company-registrations/:id/setup-widget", reg_setup_widget,
          ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "Create an approved company's chat widget if it has none", .key = "setup"),
};

ROUTE_GROUP(registration_approve_routes, routes);
