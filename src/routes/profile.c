/*
 * The signed-in user's own record: read it, change its names, phone or e-mail, change its
 * password (the current one is checked and throttled like a login: auth.h).
 */
#include <string.h>

#include "arena.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "password.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "user_store.h"

static int profile_get(struct request *r)
{
    struct json_object *user;
    int rc = user_fetch_json(r, r->auth.user_id, &user);
    return request_reply_found(r, 200, rc, "user", user, "User not found");
}

enum { P_FIRST, P_LAST, P_PHONE, P_EMAIL, P_NFIELDS };

static const struct field_def profile_fields[] = {
    [P_FIRST] = {"first_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [P_LAST] = {"last_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [P_PHONE] = {"phone", FT_PHONE, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [P_EMAIL] = {"email", FT_EMAIL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const profile_columns_of[] = {"first_name", "last_name", "phone", "email"};

/* The users table as the profile writes it: the signed-in user's own columns only. */
static const struct resource own_user = {
    .table = "users",
    .tenant_col = "tenant_id",
    .entity = "user",
    RESOURCE_FIELDS(profile_fields, profile_columns_of),
};

struct profile_write {
    struct field_value v[P_NFIELDS];
    struct json_object *body;
};

static int profile_step(struct request *r, void *arg)
{
    struct profile_write *w = arg;
    int rc = resource_update(r, &own_user, r->auth.user_id, w->v, NULL, 0);
    if (rc == DB_OK)
        rc = resource_audit(r, &own_user, "profile_update", r->auth.user_id,
                            json_text(w->body, NULL));
    return rc == DB_OK ? user_answer(r, 200, r->auth.user_id) : rc;
}

static int profile_update(struct request *r)
{
    struct profile_write w;
    if (fields_declared(r, FIELDS_UPDATE, w.v, P_NFIELDS, &w.body) != 0)
        return -1;
    int rc = txn_run(r, profile_step, &w);
    if (rc == DB_DUPLICATE)
        return request_error(r, 409, "conflict", "Another user of this tenant has that email");
    return txn_reply(r, rc);
}

static int password_step(struct request *r, void *arg)
{
    const char *hash = arg;
    int rc = user_store_set_password(r->db, r->arena, r->auth.tenant_id, r->auth.user_id, hash,
                                     r->auth.session_id, "password_change");
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.change_password", "user",
                          r->auth.user_id, NULL);
    if (rc != DB_OK)
        return rc;
    txn_after_commit(r, auth_changed, r->auth.tenant_id);
    return reply_message(r, 200, "Password changed");
}

static const struct field_def pw_fields[] = {
    {"current_password", FT_TEXT, F_ALWAYS, 1, 256, NULL, NULL, NULL},
    {"new_password", FT_TEXT, F_ALWAYS, 8, 256, NULL, NULL, NULL},
};

static int change_password(struct request *r)
{
    struct field_value v[2];
    if (fields_declared(r, FIELDS_UPDATE, v, 2, NULL) != 0)
        return -1;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT password_hash, email FROM users WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(r->auth.user_id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 401, "invalid_credentials", "The current password is wrong");
    /* The same e-mail bucket as login: a stolen token cannot guess here instead. */
    const char *email = db_get(res, 0, "email"), *current = v[0].s, *fresh = v[1].s;
    if (pwcheck_before(r, email) != 0)
        return -1;
    if (password_verify(db_get(res, 0, "password_hash"), current, strlen(current)) != 0) {
        int locked = pwcheck_failed(r, email);
        pwcheck_audit(r, email, r->auth.tenant_id, r->auth.user_id, "change_password", locked);
        return request_error(r, 401, "invalid_credentials", "The current password is wrong");
    }
    pwcheck_passed(r, email);
    char *hash = arena_alloc(r->arena, PASSWORD_HASH_MAX);
    if (hash == NULL || password_hash(fresh, strlen(fresh), hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    return txn_reply(r, txn_run(r, password_step, hash));
}

static const struct route routes[] = {
    ROUTE("GET", "/api/auth/profile", profile_get, ROLES_ANY, SHARED_AUTH,
          .summary = "The logged-in user", .key = "user"),
    ROUTE("GET", "/api/auth/me", profile_get, ROLES_ANY, SHARED_AUTH,
          .summary = "The logged-in user", .key = "user"),
    ROUTE("PUT", "/api/auth/profile", profile_update, ROLES_ANY, SHARED_AUTH,
          .summary = "Change your own name or phone", ROUTE_BODY(profile_fields), .key = "user"),
    ROUTE("PUT", "/api/auth/me", profile_update, ROLES_ANY, SHARED_AUTH,
          .summary = "Change your own name or phone", ROUTE_BODY(profile_fields), .key = "user"),
    ROUTE("POST", "/api/auth/change-password", change_password, ROLES_ANY, SHARED_AUTH,
          .summary = "Change your password (ends your other sessions)", ROUTE_BODY(pw_fields),
          .flags = ROUTE_THROTTLED),
    /* Cold Caller's dashboard changes the password with PUT (currentPassword, newPassword). */
    ROUTE("PUT", "/api/auth/change-password", change_password, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Change your password (ends your other sessions)", ROUTE_BODY(pw_fields),
          .flags = ROUTE_THROTTLED),
    /* The platform admin's own profile (calldocker): the same record and rules. */
    ROUTE("GET", "/api/admin/profile", profile_get, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "The signed-in super_admin", .key = "user"),
    ROUTE("PUT", "/api/admin/profile", profile_update, ROLES_SUPER, FAM_CALLDOCKER,
          .summary = "Change your own name, phone or e-mail (super_admin)",
          ROUTE_BODY(profile_fields), .key = "user"),
};

ROUTE_GROUP(profile_routes, routes);
