/*
 * Users of the caller's tenant: list and search, create, read, partial update, delete,
 * role and activation. Every statement is scoped by the caller's tenant, so a user of
 * another tenant is simply absent (404), never forbidden (403): ids do not leak.
 */
#include <stdbool.h>
#include <string.h>

#include "agent_state.h"
#include "arena.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "password.h"
#include "request.h"
#include "resource.h"
#include "router.h"
#include "routes.h"
#include "session.h"
#include "txn.h"
#include "user_store.h"

/* super_admin is granted out of band (seed/admin tool), never through the API. */
static const char *const assignable_roles[] = {"admin", "manager", "agent", NULL};
static const char *const all_roles[] = {"super_admin", "admin", "manager", "agent", NULL};

enum { U_EMAIL, U_PASSWORD, U_FIRST, U_LAST, U_PHONE, U_ROLE };

static const struct field_def user_fields[] = {
    [U_EMAIL] = {"email", FT_EMAIL, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [U_PASSWORD] = {"password", FT_TEXT, F_REQUIRED, 8, 256, NULL, NULL, NULL},
    [U_FIRST] = {"first_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [U_LAST] = {"last_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [U_PHONE] = {"phone", FT_PHONE, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    /* create only; PUT /users/:id/role changes it */
    [U_ROLE] = {"role", FT_ENUM, 0, 0, 0, assignable_roles, NULL, NULL},
};

/* The password is hashed apart and the role lives in user_roles: no column here. */
static const char *const user_columns_of[] = {"email", NULL, "first_name", "last_name",
                                              "phone", NULL};

/* The search text is matched against e-mail, either name and the full name. */
#define USER_LIKE                                                                          \
    " AND (u.email LIKE ? ESCAPE '\\\\' OR u.first_name LIKE ? ESCAPE '\\\\'"                \
    " OR u.last_name LIKE ? ESCAPE '\\\\'"                                                 \
    " OR CONCAT(u.first_name, ' ', u.last_name) LIKE ? ESCAPE '\\\\')"

static const struct filter_def user_filters[] = {
    {"search", FILTER_LIKE, USER_LIKE, NULL, NULL},
    {"q", FILTER_LIKE, USER_LIKE, NULL, NULL},
    {"role", FILTER_ENUM, " AND ur.role = ?", all_roles, NULL},
    {"is_active", FILTER_BOOL, " AND u.is_active = ?", NULL, NULL},
};

/* The calldocker pages sort their tables (sortBy, sortOrder). */
static const struct sort_def user_sorts[] = {
    {"email", "u.email"}, {"first_name", "u.first_name"}, {"last_name", "u.last_name"},
    {"role", "ur.role"},  {"created_at", "u.created_at"}, {NULL, NULL},
};

static void user_decorate(struct request *r, struct json_object *u);

static const struct resource_writes user_writes;

static const struct resource users = {
    .table = "users",
    .columns = "u.id, u.tenant_id, u.email, u.first_name, u.last_name, u.phone, ur.role,"
               " u.is_active, u.last_login_at, u.created_at, u.updated_at",
    .from = "users u JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id",
    .id_col = "u.id",
    .tenant_col = "u.tenant_id",
    .id_prefix = "usr_",
    RESOURCE_NAMES("user", "users", "User not found"),
    .order = "u.created_at, u.id",
    RESOURCE_FILTERS(user_filters),
    .sorts = user_sorts,
    RESOURCE_FIELDS(user_fields, user_columns_of),
    .decorate = user_decorate,
    .writes = &user_writes,
};

/* The callcenter SPA reads a status and roles:[{tenant_id, role}], CallDocker's pages the
 * status (clients.md). */
static void user_decorate(struct request *r, struct json_object *u)
{
    struct json_object *active, *role, *tid;
    json_object_object_get_ex(u, "is_active", &active);
    if (r->families & FAM_CALLDOCKER)
        json_set_str(u, "status", json_object_get_boolean(active) ? "active" : "inactive");
    if (!(r->families & FAM_CALLCENTER))
        return;
    json_object_object_get_ex(u, "role", &role);
    json_object_object_get_ex(u, "tenant_id", &tid);
    struct json_object *roles = json_object_new_array(), *one = json_object_new_object();
    if (roles == NULL || one == NULL || json_set(one, "tenant_id", json_object_get(tid)) != 0 ||
        json_set(one, "role", json_object_get(role)) != 0 ||
        json_object_array_add(roles, one) != 0) {
        json_object_put(one);
        json_object_put(roles);
        return;
    }
    json_set_str(u, "status", json_object_get_boolean(active) ? "active" : "inactive");
    json_set(u, "roles", roles);
}

int user_fetch_json(struct request *r, const char *user_id, struct json_object **out)
{
    return resource_fetch(r, &users, user_id, out);
}

int user_answer(struct request *r, int status, const char *id)
{
    return resource_answer(r, &users, status, id);
}

/*
 * A super_admin account is protected from anyone else: an admin who could set its
 * password, email, role or state could take it over. row: the user locked with its role.
 */
static int user_guard(struct request *r, const struct db_result *row)
{
    const char *role = db_get(row, 0, "role");
    if (role != NULL && strcmp(role, "super_admin") == 0 && r->auth.role_bit != ROLE_SUPER_ADMIN)
        return txn_fail(r, 403, "forbidden",
                        "Only a super_admin may change a super_admin account");
    return DB_OK;
}

/* Locks the user and its role row for the rest of the transaction. DB_OK with *row,
 * TXN_ANSWERED (404/403), or a db_rc. */
static int user_lock(struct request *r, const char *id, struct db_result **row)
{
    int rc = resource_lock(r, &users, id, row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", users.not_found);
    return rc == DB_OK ? user_guard(r, *row) : rc;
}

static bool is_self(const struct request *r, const char *id)
{
    return id != NULL && r->auth.user_id != NULL && strcmp(id, r->auth.user_id) == 0;
}

/* Audit details are built from chosen fields, so a password never reaches audit_logs. */
static const char *user_details(struct request *r, const struct field_value *v)
{
    static const char *const shown[] = {"email", "first_name", "last_name", "phone", "role"};
    static const int idx[] = {U_EMAIL, U_FIRST, U_LAST, U_PHONE, U_ROLE};
    struct json_object *d = arena_json(r->arena, json_object_new_object());
    for (size_t i = 0; d != NULL && i < sizeof(idx) / sizeof(idx[0]); i++)
        if (v[idx[i]].sent && json_set_str(d, shown[i], v[idx[i]].s) != 0)
            return NULL;
    if (d != NULL && v[U_PASSWORD].sent && json_set_bool(d, "password_changed", 1) != 0)
        return NULL;
    return d ? json_text(d, NULL) : NULL;
}

static int user_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return is_self(r, w->id)
                   ? request_error(r, 409, "conflict", "You cannot delete yourself")
                   : 0;
    if (w->op == CRUD_CREATE && !w->v[U_ROLE].sent)
        w->v[U_ROLE] = (struct field_value){.sent = true, .s = "agent"};
    if (w->op == CRUD_UPDATE)
        w->v[U_ROLE].sent = false; /* PUT /users/:id/role changes it */
    w->details = user_details(r, w->v);
    if (!w->v[U_PASSWORD].sent)
        return 0;
    /* argon2 takes a while: hash before the transaction so no locks are held meanwhile. */
    const char *pw = w->v[U_PASSWORD].s;
    char *hash = arena_alloc(r->arena, PASSWORD_HASH_MAX);
    if (hash == NULL || password_hash(pw, strlen(pw), hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    w->data = hash;
    return 0;
}

static int user_check(struct request *r, struct crud_write *w)
{
    return w->op == CRUD_CREATE ? DB_OK : user_guard(r, w->old);
}

/* The users row with its role row (user_store.h), the new hash, the agents let go. */
static int user_write(struct request *r, struct crud_write *w)
{
    const struct field_value *v = w->v;
    if (w->op == CRUD_CREATE) {
        struct user_new u = {w->id,        r->auth.tenant_id, v[U_EMAIL].s, w->data,
                             v[U_FIRST].s, v[U_LAST].s,       v[U_PHONE].s, v[U_ROLE].s};
        return user_store_insert(r->db, r->arena, &u);
    }
    int rc = DB_OK;
    /* agents.user_id is ON DELETE RESTRICT (MariaDB cannot SET NULL a composite key). */
    if (w->op == CRUD_DELETE)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agents SET user_id = NULL WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->id)), NULL);
    if (rc == DB_OK)
        rc = crud_write_columns(r, w);
    if (rc == DB_OK && w->op == CRUD_UPDATE && v[U_PASSWORD].sent)
        rc = user_store_set_password(r->db, r->arena, r->auth.tenant_id, w->id, w->data,
                                     r->auth.session_id, "password_reset");
    return rc;
}

/* A changed or deleted user: cached sessions are dropped, a deleted one's streams told. */
static int user_written(struct request *r, struct crud_write *w)
{
    int rc = DB_OK;
    if (w->op == CRUD_CREATE)
        return DB_OK;
    if (w->op == CRUD_DELETE)
        rc = session_announce(r->db, r->arena, r->auth.tenant_id, SESSION_USER, w->id,
                              "user_deleted");
    if (rc == DB_OK)
        txn_after_commit(r, auth_changed, r->auth.tenant_id);
    return rc;
}

/* The row is gone after a delete: the email is what keeps the audit entry readable. */
static const char *const user_delete_details[] = {"email", NULL};

static const struct resource_writes user_writes = {
    .prepare = user_prepare,
    .check = user_check,
    .write = user_write,
    .written = user_written,
    .duplicate = "A user with this email already exists in this tenant",
    .referenced = "This user is referenced by call or ticket history;"
                  " deactivate the user instead",
    .deleted = "User deleted successfully",
    .delete_details = user_delete_details,
};

struct user_change {
    const char *id, *role;
    bool active;
};

static int user_role_step(struct request *r, void *arg)
{
    struct user_change *w = arg;
    struct db_result *old;
    struct json_object *details = arena_json(r->arena, json_object_new_object());
    int rc = details ? user_lock(r, w->id, &old) : DB_ERROR;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE user_roles SET role = ? WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(w->role), DB_STR(r->auth.tenant_id), DB_STR(w->id)),
                     NULL);
    if (rc == DB_OK && (json_set_str(details, "from", db_get(old, 0, "role")) != 0 ||
                        json_set_str(details, "to", w->role) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = resource_audit(r, &users, "role_change", w->id, json_text(details, NULL));
    if (rc == DB_OK)
        txn_after_commit(r, auth_changed, r->auth.tenant_id);
    return rc == DB_OK ? user_answer(r, 200, w->id) : rc;
}

static const struct field_def role_field[] = {
    {"role", FT_ENUM, F_ALWAYS, 0, 0, assignable_roles, NULL, NULL},
};

static int user_set_role(struct request *r)
{
    struct field_value v[1];
    struct user_change w = {request_param(r, "id"), NULL, false};
    if (fields_declared(r, FIELDS_UPDATE, v, 1, NULL) != 0)
        return -1;
    w.role = v[0].s;
    /* Demoting yourself could leave the tenant without an admin able to undo it. */
    if (is_self(r, w.id) && (r->auth.role == NULL || strcmp(w.role, r->auth.role) != 0))
        return request_error(r, 409, "conflict", "You cannot change your own role");
    return crud_reply(r, &users, txn_run(r, user_role_step, &w));
}

static int user_active_step(struct request *r, void *arg)
{
    struct user_change *w = arg;
    struct db_result *old;
    int rc = user_lock(r, w->id, &old);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE users SET is_active = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(w->active), DB_STR(w->id), DB_STR(r->auth.tenant_id)),
                     NULL);
    /* The access check already refuses inactive users; revoking also ends refresh. */
    if (rc == DB_OK && !w->active)
        rc = session_revoke(r->db, r->arena, r->auth.tenant_id, SESSION_USER, w->id, NULL,
                            "deactivated");
    /* A user who cannot sign in is logged out as an agent too, so no call is offered to it. */
    if (rc == DB_OK && !w->active)
        rc = agent_state_change(r, w->id, "offline", NULL, "deactivated");
    if (rc == DB_OK)
        rc = resource_audit(r, &users, w->active ? "activate" : "deactivate", w->id, NULL);
    if (rc == DB_OK)
        txn_after_commit(r, auth_changed, r->auth.tenant_id);
    return rc == DB_OK ? user_answer(r, 200, w->id) : rc;
}

static int user_set_active(struct request *r, bool active)
{
    struct user_change w = {request_param(r, "id"), NULL, active};
    if (!active && is_self(r, w.id))
        return request_error(r, 409, "conflict", "You cannot deactivate yourself");
    return crud_reply(r, &users, txn_run(r, user_active_step, &w));
}

static int user_activate(struct request *r)
{
    return user_set_active(r, true);
}

static int user_deactivate(struct request *r)
{
    return user_set_active(r, false);
}

#define USER_NAMES CRUD_NAMES("a", "user", "users")
/* The paths the calldocker pages share with the transfer family. */
#define USER_FAM (FAM_TRANSFER | FAM_CALLDOCKER)

/* GET /api/users/company/:companyId: the company's users (company_scope). */
static int users_of_company(struct request *r)
{
    return company_scope(r) != 0 ? -1 : resource_list(r, &users, NULL);
}

static const struct route routes[] = {
    CRUD_LIST_ROUTE("/api/users", &users, ROLES_STAFF, USER_FAM, USER_NAMES),
    ROUTE("GET", "/api/users/company/:companyId", users_of_company, ROLES_STAFF, FAM_CALLDOCKER,
          .summary = "A company's users", .key = "users", .flags = ROUTE_LIST,
          .resource = &users),
    ROUTE("GET", "/api/users/search", crud_list, ROLES_STAFF, FAM_TRANSFER,
          .summary = "Search users", .key = "users", .flags = ROUTE_LIST, .resource = &users),
    CRUD_RECORD_ROUTES("/api/users", &users, user_fields, ROLES_STAFF, ROLES_ADMIN, USER_FAM,
                       USER_NAMES),
    ROUTE("PUT", "/api/users/:id/role", user_set_role, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "Change a user's role", ROUTE_BODY(role_field), .key = "user"),
    ROUTE("POST", "/api/users/:id/activate", user_activate, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "Activate a user", .key = "user"),
    ROUTE("POST", "/api/users/:id/deactivate", user_deactivate, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "Deactivate a user (ends their sessions)", .key = "user"),
};

ROUTE_GROUP(users_routes, routes);
