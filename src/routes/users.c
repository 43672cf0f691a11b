/*
 * Users of the caller's tenant: list and search, create, read, partial update, delete,
 * role and activation. Every statement is scoped by the caller's tenant, so a user of
 * another tenant is simply absent (404), never forbidden (403): ids do not leak.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "password.h"
#include "request.h"
#include "session.h"
#include "router.h"
#include "routes.h"
#include "txn.h"
#include "validate.h"

#define USER_COLUMNS                                                                        \
    "u.id, u.tenant_id, u.email, u.first_name, u.last_name, u.phone, ur.role, u.is_active," \
    " u.last_login_at, u.created_at, u.updated_at"

#define USER_FROM \
    " FROM users u JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"

/*
 * Shared by the page and its COUNT(*) so both always filter alike. Parameters: tenant,
 * pattern x5, role x2, is_active x2. ESCAPE is spelled out so the patterns built by
 * query_like_pattern() keep their meaning whatever the server's default escape is.
 */
#define USER_FILTERS                                                                   \
    " WHERE u.tenant_id = ?"                                                           \
    " AND (? IS NULL OR u.email LIKE ? ESCAPE '\\\\' OR u.first_name LIKE ? ESCAPE '\\\\'" \
    "  OR u.last_name LIKE ? ESCAPE '\\\\'"                                            \
    "  OR CONCAT(u.first_name, ' ', u.last_name) LIKE ? ESCAPE '\\\\')"                \
    " AND (? IS NULL OR ur.role = ?) AND (? IS NULL OR u.is_active = ?)"

#define USER_FILTER_NPARAMS 10u

/* user_lock() results besides the db_rc values; both end the transaction. */
enum { USER_ABSENT = 1, USER_PROTECTED = 2 };

/* super_admin is granted out of band (seed/admin tool), never through the API. */
static const char *const assignable_roles[] = {"admin", "manager", "agent", NULL};
static const char *const all_roles[] = {"super_admin", "admin", "manager", "agent", NULL};

int user_fetch_json(struct request *r, const char *tenant_id, const char *user_id,
                    struct json_object **out)
{
    struct db_result *res;
    *out = NULL;
    int rc = db_exec(r->db, r->arena,
                     "SELECT " USER_COLUMNS USER_FROM " WHERE u.id = ? AND u.tenant_id = ?",
                     DB_PARAMS(DB_STR(user_id), DB_STR(tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    *out = db_row_json(res, 0, NULL);
    return *out ? DB_OK : DB_ERROR;
}

int user_answer(struct request *r, int status, const char *tenant_id, const char *id)
{
    struct json_object *user;
    int rc = user_fetch_json(r, tenant_id, id, &user);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    return reply_one(r, status, "user", arena_json(r->arena, user)) == 0 ? DB_OK : DB_ERROR;
}

int user_reply(struct request *r, int status, const char *tenant_id, const char *id)
{
    struct json_object *user;
    int rc = user_fetch_json(r, tenant_id, id, &user);
    return request_reply_found(r, status, rc, "user", arena_json(r->arena, user),
                               "User not found");
}

/* An empty query value (`?role=`) means the filter is off, as when it is absent. */
static const char *query_value(struct request *r, const char *key)
{
    const char *v = request_query(r, key);
    return (v != NULL && v[0] != '\0') ? v : NULL;
}

/* The list and /search differ only in the name of the parameter holding the text. */
static int list_users(struct request *r, const char *text, const char *text_key)
{
    struct page p;
    const char *pattern = NULL, *role = NULL;
    int active = 0;
    query_page(r, 25, 200, &p);
    query_like_pattern(r, text_key, text, &pattern);
    query_enum(r, "role", all_roles, &role);
    struct db_param active_param =
        query_bool(r, "is_active", &active) == 1 ? DB_INT(active) : DB_NULL;
    if (request_check_fields(r) != 0)
        return -1;

    /* The first USER_FILTER_NPARAMS serve the COUNT(*); the page adds LIMIT/OFFSET. */
    const struct db_param params[] = {
        DB_STR(r->auth.tenant_id), DB_STR(pattern), DB_STR(pattern), DB_STR(pattern),
        DB_STR(pattern),           DB_STR(pattern), DB_STR(role),    DB_STR(role),
        active_param,              active_param,    DB_INT(p.limit), DB_INT(p.offset),
    };
    struct db_result *cres, *res;
    int rc = db_exec(r->db, r->arena, "SELECT COUNT(*) AS total" USER_FROM USER_FILTERS, params,
                     USER_FILTER_NPARAMS, &cres);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT " USER_COLUMNS USER_FROM USER_FILTERS
                     " ORDER BY u.created_at, u.id LIMIT ? OFFSET ?",
                     params, USER_FILTER_NPARAMS + 2, &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);

    struct json_object *rows = arena_json(r->arena, db_rows_json(res, res->nrows, NULL));
    return reply_list(r, "users", rows, p.page, p.limit, db_get_int(cres, 0, "total", 0));
}

static int user_list(struct request *r)
{
    return list_users(r, query_value(r, "search"), "search");
}

static int user_search(struct request *r)
{
    const char *q = query_value(r, "q");
    if (q != NULL)
        return list_users(r, q, "q");
    return list_users(r, query_value(r, "search"), "search");
}

static int user_get(struct request *r)
{
    return user_reply(r, 200, r->auth.tenant_id, request_param(r, "id"));
}

/*
 * Locks the user and its role row for the rest of the transaction. A super_admin
 * account is USER_PROTECTED from anyone else: an admin who could set its password,
 * email, role or state could take it over. role/email may be NULL.
 */
static int user_lock(struct request *r, const char *id, const char **role, const char **email)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT u.email, ur.role" USER_FROM
                     " WHERE u.id = ? AND u.tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return USER_ABSENT;
    const char *target_role = db_get(res, 0, "role");
    if (target_role != NULL && strcmp(target_role, "super_admin") == 0 &&
        r->auth.role_bit != ROLE_SUPER_ADMIN)
        return USER_PROTECTED;
    if (role != NULL)
        *role = target_role;
    if (email != NULL)
        *email = db_get(res, 0, "email");
    return DB_OK;
}

/*
 * Ends the user's live sessions, so their tokens stop working at the next request.
 * `keep` (may be NULL) spares the caller's own session when it edits itself.
 */
static int sessions_revoke(struct request *r, const char *user_id, const char *reason,
                           const char *keep)
{
    return session_revoke(r->db, r->arena, r->auth.tenant_id, SESSION_USER, user_id, keep,
                          reason);
}

static int user_write_error(struct request *r, int rc)
{
    switch (rc) {
    case USER_ABSENT:
        return request_error(r, 404, "not_found", "User not found");
    case USER_PROTECTED:
        return request_error(r, 403, "forbidden",
                             "Only a super_admin may change a super_admin account");
    case DB_DUPLICATE:
        return request_error(r, 409, "conflict",
                             "A user with this email already exists in this tenant");
    default:
        return request_db_error(r, rc);
    }
}

static bool is_self(const struct request *r, const char *id)
{
    return id != NULL && r->auth.user_id != NULL && strcmp(id, r->auth.user_id) == 0;
}

/* Audit details are built from chosen fields, so a password never reaches audit_logs. */
static struct json_object *details_new(struct request *r)
{
    return arena_json(r->arena, json_object_new_object());
}

struct user_new {
    const char *id, *email, *hash, *first, *last, *phone, *role;
    struct json_object *details;
};

static int user_create_step(struct request *r, void *arg)
{
    const struct user_new *u = arg;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO users (id, tenant_id, email, password_hash, first_name,"
                     " last_name, phone) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(u->id), DB_STR(r->auth.tenant_id), DB_STR(u->email),
                               DB_STR(u->hash), DB_STR(u->first), DB_STR(u->last),
                               DB_STR(u->phone)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO user_roles (tenant_id, user_id, role) VALUES (?, ?, ?)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(u->id), DB_STR(u->role)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.create", "user", u->id,
                          json_text(u->details, NULL));
    return rc == DB_OK ? user_answer(r, 201, r->auth.tenant_id, u->id) : rc;
}

static int user_create(struct request *r)
{
    struct json_object *body;
    const char *email, *password, *first = NULL, *last = NULL, *phone = NULL, *role = NULL;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_email(r, body, "email", FIELD_REQUIRED, &email);
    field_string(r, body, "password", FIELD_REQUIRED, 8, 256, &password);
    field_string(r, body, "first_name", FIELD_NULLABLE, 0, 100, &first);
    field_string(r, body, "last_name", FIELD_NULLABLE, 0, 100, &last);
    field_phone(r, body, "phone", FIELD_NULLABLE, &phone);
    field_enum(r, body, "role", 0, assignable_roles, &role);
    if (request_check_fields(r) != 0)
        return -1;
    if (role == NULL)
        role = "agent";
    /* argon2 takes a while: hash before the transaction so no locks are held meanwhile. */
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(password, strlen(password), hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    const char *id = id_new(r->arena, "usr_");
    struct json_object *details = details_new(r);
    if (id == NULL || details == NULL || json_set_str(details, "email", email) != 0 ||
        json_set_str(details, "role", role) != 0)
        return request_error(r, 500, "internal_error", "Out of memory");

    struct user_new u = {id, email, hash, first, last, phone, role, details};
    int rc = txn_run(r, TXN_IDEMPOTENT, user_create_step, &u);
    return rc < 0 ? user_write_error(r, rc) : txn_reply(r, rc);
}

static int user_update(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *body;
    const char *email = NULL, *first = NULL, *last = NULL, *phone = NULL, *password = NULL;
    if (request_body_object(r, &body) != 0)
        return -1;
    int has_email = field_email(r, body, "email", 0, &email) == 1;
    int has_first = field_string(r, body, "first_name", FIELD_NULLABLE, 0, 100, &first) >= 0 &&
                    json_object_object_get_ex(body, "first_name", NULL);
    int has_last = field_string(r, body, "last_name", FIELD_NULLABLE, 0, 100, &last) >= 0 &&
                   json_object_object_get_ex(body, "last_name", NULL);
    int has_phone = field_phone(r, body, "phone", FIELD_NULLABLE, &phone) >= 0 &&
                    json_object_object_get_ex(body, "phone", NULL);
    int has_password = field_string(r, body, "password", 0, 8, 256, &password) == 1;
    if (request_check_fields(r) != 0)
        return -1;
    char hash[PASSWORD_HASH_MAX];
    if (has_password && password_hash(password, strlen(password), hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    struct json_object *details = details_new(r);
    if (details == NULL || (has_email && json_set_str(details, "email", email) != 0) ||
        (has_first && json_set_str(details, "first_name", first) != 0) ||
        (has_last && json_set_str(details, "last_name", last) != 0) ||
        (has_phone && json_set_str(details, "phone", phone) != 0) ||
        (has_password && json_set_bool(details, "password_changed", 1) != 0))
        return request_error(r, 500, "internal_error", "Out of memory");

    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = user_lock(r, id, NULL, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE users SET email = IF(?, ?, email), first_name = IF(?, ?, first_name),"
                     " last_name = IF(?, ?, last_name), phone = IF(?, ?, phone),"
                     " password_hash = IF(?, ?, password_hash) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(has_email), DB_STR(email), DB_INT(has_first),
                               DB_STR(first), DB_INT(has_last), DB_STR(last),
                               DB_INT(has_phone), DB_STR(phone), DB_INT(has_password),
                               DB_STR(has_password ? hash : NULL), DB_STR(id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    /* Whoever held the old password must not stay signed in with it. */
    if (rc == DB_OK && has_password)
        rc = sessions_revoke(r, id, "password_reset", r->auth.session_id);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.update", "user", id,
                          json_text(details, NULL));
    /* The answer is read inside the transaction: it cannot fail after the commit. */
    if (rc == DB_OK)
        rc = user_answer(r, 200, r->auth.tenant_id, id);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return user_write_error(r, rc);
    auth_changed(r, r->auth.tenant_id);
    return 0;
}

static int user_delete(struct request *r)
{
    const char *id = request_param(r, "id");
    if (is_self(r, id))
        return request_error(r, 409, "conflict", "You cannot delete yourself");
    const char *email = NULL;
    struct json_object *details = details_new(r);
    if (details == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = user_lock(r, id, NULL, &email);
    /* agents.user_id is ON DELETE RESTRICT (MariaDB cannot SET NULL a composite key). */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE agents SET user_id = NULL WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "DELETE FROM users WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    /* The row is gone afterwards: the email is what keeps the audit entry readable. */
    if (rc == DB_OK && json_set_str(details, "email", email) != 0)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = session_announce(r->db, r->arena, r->auth.tenant_id, SESSION_USER, id,
                              "user_deleted");
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.delete", "user", id,
                          json_text(details, NULL));
    rc = db_finish(r->db, rc);
    if (rc == DB_OK)
        auth_changed(r, r->auth.tenant_id);
    if (rc == DB_FOREIGN_KEY)
        return request_error(r, 409, "conflict",
                             "This user is referenced by call or ticket history;"
                             " deactivate the user instead");
    if (rc != DB_OK)
        return user_write_error(r, rc);
    return reply_message(r, 200, "User deleted successfully");
}

static int user_set_role(struct request *r)
{
    const char *id = request_param(r, "id");
    struct json_object *body;
    const char *role, *old_role = NULL;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_enum(r, body, "role", FIELD_REQUIRED, assignable_roles, &role);
    if (request_check_fields(r) != 0)
        return -1;
    /* Demoting yourself could leave the tenant without an admin able to undo it. */
    if (is_self(r, id) && (r->auth.role == NULL || strcmp(role, r->auth.role) != 0))
        return request_error(r, 409, "conflict", "You cannot change your own role");
    struct json_object *details = details_new(r);
    if (details == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = user_lock(r, id, &old_role, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE user_roles SET role = ? WHERE tenant_id = ? AND user_id = ?",
                     DB_PARAMS(DB_STR(role), DB_STR(r->auth.tenant_id), DB_STR(id)), NULL);
    if (rc == DB_OK && (json_set_str(details, "from", old_role) != 0 ||
                        json_set_str(details, "to", role) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.role_change", "user", id,
                          json_text(details, NULL));
    /* The answer is read inside the transaction: it cannot fail after the commit. */
    if (rc == DB_OK)
        rc = user_answer(r, 200, r->auth.tenant_id, id);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return user_write_error(r, rc);
    auth_changed(r, r->auth.tenant_id);
    return 0;
}

static int user_set_active(struct request *r, bool active)
{
    const char *id = request_param(r, "id");
    if (!active && is_self(r, id))
        return request_error(r, 409, "conflict", "You cannot deactivate yourself");
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = user_lock(r, id, NULL, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE users SET is_active = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(active), DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    /* The access check already refuses inactive users; revoking also ends refresh. */
    if (rc == DB_OK && !active)
        rc = sessions_revoke(r, id, "deactivated", NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, active ? "user.activate" : "user.deactivate",
                          "user", id, NULL);
    /* The answer is read inside the transaction: it cannot fail after the commit. */
    if (rc == DB_OK)
        rc = user_answer(r, 200, r->auth.tenant_id, id);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return user_write_error(r, rc);
    auth_changed(r, r->auth.tenant_id);
    return 0;
}

static int user_activate(struct request *r)
{
    return user_set_active(r, true);
}

static int user_deactivate(struct request *r)
{
    return user_set_active(r, false);
}

static const struct route routes[] = {
    {"GET", "/api/users", user_list, ROLES_STAFF, FAM_TRANSFER},
    {"GET", "/api/users/search", user_search, ROLES_STAFF, FAM_TRANSFER},
    {"POST", "/api/users", user_create, ROLES_ADMIN, FAM_TRANSFER},
    {"GET", "/api/users/:id", user_get, ROLES_STAFF, FAM_TRANSFER},
    {"PUT", "/api/users/:id", user_update, ROLES_ADMIN, FAM_TRANSFER},
    {"DELETE", "/api/users/:id", user_delete, ROLES_ADMIN, FAM_TRANSFER},
    {"PUT", "/api/users/:id/role", user_set_role, ROLES_ADMIN, FAM_TRANSFER},
    {"POST", "/api/users/:id/activate", user_activate, ROLES_ADMIN, FAM_TRANSFER},
    {"POST", "/api/users/:id/deactivate", user_deactivate, ROLES_ADMIN, FAM_TRANSFER},
};

const struct route_group users_routes = {routes, sizeof(routes) / sizeof(routes[0])};
