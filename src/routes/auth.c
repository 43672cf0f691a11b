/*
 * Sign-in: login, registration, refresh-token rotation, logout. The checking of tokens on
 * every request is core/auth.c; the signed-in user's own record is profile.c.
 *
 * A session answers {token, access_token, token_type, expires_in, refresh_token, user}:
 * our own clients read it on top of the answer, the callcenter SPA under data (dialects,
 * reply.h), coldcaller's as camelCase; the JWT carries what the callcenter SPA decodes
 * (user_id, email, role, tenant_id).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "log.h"
#include "password.h"
#include "request.h"
#include "routes.h"
#include "session.h"
#include "throttle.h"
#include "token.h"
#include "txn.h"
#include "user_store.h"

/*
 * One email may belong to several tenants, each with its own password; a login without
 * a tenant verifies against each (argon2id each time), up to this many.
 */
#define LOGIN_MAX_CANDIDATES 10

static int unauthorized(struct request *r, const char *message)
{
    return request_error(r, 401, "unauthorized", message);
}

/* A signed access token for the session; arena text, or NULL. */
static const char *access_token(struct request *r, const char *sid, const char *role,
                                struct json_object *user)
{
    const struct config *cfg = r->cfg;
    struct token_claims c;
    unsigned char jti[16];
    memset(&c, 0, sizeof(c));
    if (crypto_random(jti, sizeof(jti)) != 0)
        return NULL;
    crypto_hex(jti, sizeof(jti), c.jti);
    struct json_object *email;
    if (json_object_object_get_ex(user, "email", &email) && email != NULL)
        snprintf(c.email, sizeof(c.email), "%s", json_object_get_string(email));
    snprintf(c.sub, sizeof(c.sub), "%s", r->auth.user_id);
    snprintf(c.tenant_id, sizeof(c.tenant_id), "%s", r->auth.tenant_id);
    snprintf(c.role, sizeof(c.role), "%s", role);
    snprintf(c.sid, sizeof(c.sid), "%s", sid);
    c.iat = (long long)time(NULL);
    c.exp = c.iat + cfg->access_token_ttl;
    char *jwt = NULL;
    if (jwt_sign_hs256(cfg->jwt_key, cfg->jwt_key_len, &c, &jwt) != TOKEN_OK)
        return NULL;
    char *copy = arena_strdup(r->arena, jwt);
    free(jwt);
    return copy;
}

/*
 * Inside the caller's transaction, for the user of r->auth: creates the session (sid
 * NULL), stores a new refresh token, signs an access token, and puts them and the user
 * into data.
 */
static int session_issue(struct request *r, const char *role, const char *sid,
                         struct json_object *data)
{
    const struct config *cfg = r->cfg;
    int rc;
    if (sid == NULL) {
        sid = id_new(r->arena, "ses_");
        if (sid == NULL)
            return DB_ERROR;
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO auth_sessions (id, tenant_id, user_id, ip_address, user_agent,"
                     " expires_at) VALUES (?, ?, ?, ?, LEFT(?, 255), NOW() + INTERVAL ? SECOND)",
                     DB_PARAMS(DB_STR(sid), DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id),
                               DB_STR(r->remote_addr), DB_STR(r->user_agent),
                               DB_INT(cfg->refresh_token_ttl)),
                     NULL);
        if (rc != DB_OK)
            return rc;
    }
    char *refresh = crypto_random_token(r->arena, 32), hash[65];
    if (refresh == NULL)
        return DB_ERROR;
    crypto_sha256_hex(refresh, strlen(refresh), hash);
    rc = db_exec(r->db, r->arena,
                 "INSERT INTO refresh_tokens (token_hash, session_id, tenant_id, expires_at)"
                 " VALUES (?, ?, ?, NOW() + INTERVAL ? SECOND)",
                 DB_PARAMS(DB_STR(hash), DB_STR(sid), DB_STR(r->auth.tenant_id),
                           DB_INT(cfg->refresh_token_ttl)),
                 NULL);
    struct json_object *user = NULL;
    if (rc == DB_OK)
        rc = user_fetch_json(r, r->auth.user_id, &user);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    const char *jwt = access_token(r, sid, role, user);
    if (jwt == NULL || json_set_str(data, "token", jwt) || json_set_str(data, "access_token", jwt) ||
        json_set_str(data, "token_type", "Bearer") ||
        json_set_int(data, "expires_in", cfg->access_token_ttl) ||
        json_set_str(data, "refresh_token", refresh) ||
        json_set(data, "user", json_object_get(user)))
        return DB_ERROR;
    return DB_OK;
}

/* ---- login ----------------------------------------------------------------------------- */

enum { L_EMAIL, L_PASSWORD, L_TENANT, L_NFIELDS };

static const struct field_def login_fields[] = {
    [L_EMAIL] = {"email", FT_TEXT, F_REQUIRED, 1, 254, NULL, NULL, NULL},
    [L_PASSWORD] = {"password", FT_TEXT, F_REQUIRED, 1, 256, NULL, NULL, NULL},
    /* by id, name, slug or domain; the callcenter SPA sends a slug as tenant_id */
    [L_TENANT] = {"tenant", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, "tenant_id"},
};

/* The candidate whose password matches: its row index, or -1 (answered). */
static long login_match(struct request *r, const struct db_result *res, const char *email,
                        const char *password)
{
    size_t plen = strlen(password), match = 0, nmatch = 0;
    if (res->nrows == 0) {
        password_verify_dummy(password, plen);
        pwcheck_failed(r, email);
        return request_error(r, 401, "invalid_credentials", "Invalid email or password");
    }
    if (res->nrows > LOGIN_MAX_CANDIDATES) {
        request_field_error(r, "tenant", "is required: this email belongs to many tenants");
        return request_check_fields(r);
    }
    for (size_t i = 0; i < res->nrows; i++)
        if (password_verify(db_get(res, i, "password_hash"), password, plen) == 0 &&
            nmatch++ == 0)
            match = i;
    if (nmatch == 0) {
        int locked = pwcheck_failed(r, email);
        for (size_t i = 0; i < res->nrows; i++)
            pwcheck_audit(r, email, db_get(res, i, "tenant_id"), db_get(res, i, "id"), "login",
                          locked);
        return request_error(r, 401, "invalid_credentials", "Invalid email or password");
    }
    pwcheck_passed(r, email);
    if (nmatch > 1) {
        request_field_error(r, "tenant", "is required: this email belongs to several tenants");
        return request_check_fields(r);
    }
    if (db_get_int(res, match, "is_active", 0) == 0)
        return unauthorized(r, "This account is disabled");
    if (strcmp(db_get(res, match, "tenant_status"), "active") != 0)
        return unauthorized(r, "This tenant is suspended");
    return (long)match;
}

static int login_step(struct request *r, void *arg)
{
    const char *role = arg;
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    int rc = data ? db_exec(r->db, r->arena,
                            "UPDATE users SET last_login_at = NOW() WHERE id = ? AND tenant_id = ?",
                            DB_PARAMS(DB_STR(r->auth.user_id), DB_STR(r->auth.tenant_id)), NULL)
                  : DB_ERROR;
    if (rc == DB_OK)
        rc = session_issue(r, role, NULL, data);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "auth.login", "user", r->auth.user_id, NULL);
    return rc == DB_OK ? reply_one(r, 200, NULL, data) : rc;
}

/* Signs in by e-mail and password; super_only (the platform admin's sign-in) refuses
 * every other role with a 403 once the password is right. */
static int login_as(struct request *r, bool super_only)
{
    struct field_value v[L_NFIELDS];
    if (fields_declared(r, FIELDS_CREATE, v, L_NFIELDS, NULL) != 0)
        return -1;
    char *email = arena_strdup(r->arena, v[L_EMAIL].s);
    if (email == NULL)
        return request_oom(r);
    for (char *p = email; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (pwcheck_before(r, email) != 0)
        return -1;
    const char *tenant = v[L_TENANT].s;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT u.id, u.tenant_id, u.password_hash, u.is_active, ur.role,"
                     " t.status AS tenant_status FROM users u"
                     " JOIN tenants t ON t.id = u.tenant_id"
                     " JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"
                     " WHERE u.email = ? AND t.status <> 'deleted'"
                     "  AND (? IS NULL OR t.id = ? OR t.name = ? OR t.slug = ? OR t.domain = ?)"
                     " ORDER BY u.created_at, u.id LIMIT 11",
                     DB_PARAMS(DB_STR(email), DB_STR(tenant), DB_STR(tenant), DB_STR(tenant),
                               DB_STR(tenant), DB_STR(tenant)),
                     &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    long match = login_match(r, res, email, v[L_PASSWORD].s);
    if (match < 0)
        return -1;
    const char *role = db_get(res, (size_t)match, "role");
    if (super_only && strcmp(role, "super_admin") != 0)
        return request_error(r, 403, "forbidden",
                             "Only a platform administrator (super_admin) may sign in here");
    r->auth.user_id = db_get(res, (size_t)match, "id");
    r->auth.tenant_id = db_get(res, (size_t)match, "tenant_id");
    return txn_reply(r, txn_run(r, login_step, (void *)role));
}

static int auth_login(struct request *r)
{
    return login_as(r, false);
}

static int admin_login(struct request *r)
{
    return login_as(r, true);
}

/* ---- registration ---------------------------------------------------------------------- */

/*
 * The per-address cap on registrations (register_max_per_address_per_day; 0: none).
 * count: 0 only looks, 1 counts this one (inside the registration's transaction, so the
 * cap is exact and a failed registration does not count). 0, or -1 answered (429/503).
 */
static int register_over_quota(struct request *r, int count)
{
    long cap = r->cfg->register_max_per_address_per_day, hits = 0;
    if (cap == 0)
        return 0;
    const char *addr = r->remote_addr ? r->remote_addr : "-";
    int rc = count ? throttle_hit(r->db, r->arena, "register-addr", addr, 86400, 0, 0, &hits)
                   : throttle_count(r->db, r->arena, "register-addr", addr, 86400, &hits);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (hits <= (count ? cap : cap - 1))
        return 0;
    log_warn("auth: registration refused: %s registered %ld tenants in 24 hours", addr,
             hits - count);
    r->retry_after = 3600;
    return request_error(r, 429, "too_many_registrations",
                         "This address has registered as many tenants as it may today");
}

enum { G_TENANT, G_EMAIL, G_PASSWORD, G_FIRST, G_LAST, G_NFIELDS };

static const struct field_def register_fields[] = {
    [G_TENANT] = {"tenant_name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [G_EMAIL] = {"email", FT_EMAIL, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [G_PASSWORD] = {"password", FT_TEXT, F_REQUIRED, 8, 256, NULL, NULL, NULL},
    [G_FIRST] = {"first_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [G_LAST] = {"last_name", FT_TEXT, F_NULLABLE, 0, 100, NULL, NULL, NULL},
};

struct registration {
    struct field_value v[G_NFIELDS];
    char hash[PASSWORD_HASH_MAX];
};

static int register_step(struct request *r, void *arg)
{
    struct registration *g = arg;
    const char *tid = r->auth.tenant_id;
    struct user_new u = {r->auth.user_id, tid,         g->v[G_EMAIL].s, g->hash,
                         g->v[G_FIRST].s, g->v[G_LAST].s, NULL,         "admin"};
    struct json_object *data = arena_json(r->arena, json_object_new_object()), *tenant;
    struct db_result *t = NULL;
    if (data == NULL)
        return DB_ERROR;
    if (register_over_quota(r, 1) != 0)
        return TXN_ANSWERED;
    int rc = db_exec(r->db, r->arena, "INSERT INTO tenants (id, name) VALUES (?, ?)",
                     DB_PARAMS(DB_STR(tid), DB_STR(g->v[G_TENANT].s)), NULL);
    if (rc == DB_DUPLICATE)
        return txn_fail(r, 409, "conflict", "A tenant with this name already exists");
    if (rc == DB_OK)
        rc = user_store_insert(r->db, r->arena, &u);
    if (rc == DB_OK)
        rc = session_issue(r, "admin", NULL, data);
    if (rc == DB_OK)
        rc = audit_record(r, tid, "auth.register", "tenant", tid, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, name, domain, status, plan, max_agents, settings, created_at,"
                     " updated_at FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(tid)), &t);
    if (rc != DB_OK)
        return rc;
    static const char *const tenant_json_cols[] = {"settings", NULL};
    tenant = t->nrows ? db_row_json(t, 0, tenant_json_cols) : NULL;
    if (tenant == NULL || json_set(data, "tenant", tenant) != 0)
        return DB_ERROR;
    return reply_one(r, 201, NULL, data);
}

static int auth_register(struct request *r)
{
    struct registration g;
    if (!r->cfg->register_enabled)
        return request_error(r, 404, "not_found", "Registration is switched off");
    if (fields_declared(r, FIELDS_CREATE, g.v, G_NFIELDS, NULL) != 0)
        return -1;
    /* Before the argon2 hash: a refused registration costs one indexed read. */
    if (register_over_quota(r, 0) != 0)
        return -1;
    const char *pw = g.v[G_PASSWORD].s;
    if (password_hash(pw, strlen(pw), g.hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    r->auth.tenant_id = id_new(r->arena, "ten_");
    r->auth.user_id = id_new(r->arena, "usr_");
    if (r->auth.tenant_id == NULL || r->auth.user_id == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, register_step, &g));
}

/* ---- refresh and logout ---------------------------------------------------------------- */

/* The refresh token's session, locked: DB_OK with *s, or TXN_ANSWERED (401), or a db_rc. */
static int refresh_session(struct request *r, const char *hash, struct db_result **s)
{
    int rc = db_exec(r->db, r->arena,
                     "SELECT rt.session_id, rt.used_at IS NOT NULL AS used,"
                     " (rt.expires_at > NOW() AND s.expires_at > NOW() AND s.revoked_at IS NULL)"
                     " AS live, s.tenant_id, s.user_id, u.is_active, ur.role,"
                     " t.status AS tenant_status"
                     " FROM refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id"
                     " JOIN users u ON u.id = s.user_id AND u.tenant_id = s.tenant_id"
                     " JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"
                     " JOIN tenants t ON t.id = u.tenant_id"
                     " WHERE rt.token_hash = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(hash)), s);
    if (rc != DB_OK)
        return rc;
    if ((*s)->nrows == 0) {
        unauthorized(r, "Invalid refresh token");
        return TXN_ANSWERED;
    }
    r->auth.user_id = db_get(*s, 0, "user_id");
    r->auth.tenant_id = db_get(*s, 0, "tenant_id");
    return DB_OK;
}

static int refresh_step(struct request *r, void *arg)
{
    const char *hash = arg;
    struct db_result *s;
    int rc = refresh_session(r, hash, &s);
    if (rc != DB_OK)
        return rc;
    const char *sid = db_get(s, 0, "session_id"), *tid = r->auth.tenant_id;
    if (db_get_int(s, 0, "used", 0) != 0) {
        /* A spent token came back: someone else may hold the family. End all of it, and
         * commit that although the answer is a 401. */
        rc = session_revoke(r->db, r->arena, tid, SESSION_ONE, sid, NULL, "refresh_reuse");
        if (rc == DB_OK)
            rc = audit_record(r, tid, "auth.refresh_reuse", "session", sid, NULL);
        if (rc != DB_OK)
            return rc;
        log_warn("refresh token reuse: session %s revoked", sid);
        txn_after_commit(r, auth_changed, tid);
        unauthorized(r, "Refresh token already used; the session has been revoked");
        return DB_OK;
    }
    if (db_get_int(s, 0, "live", 0) == 0) {
        unauthorized(r, "Session ended; sign in again");
        return TXN_ANSWERED;
    }
    if (db_get_int(s, 0, "is_active", 0) == 0 ||
        strcmp(db_get(s, 0, "tenant_status"), "active") != 0) {
        unauthorized(r, "This account or tenant is disabled");
        return TXN_ANSWERED;
    }
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    rc = data ? db_exec(r->db, r->arena,
                        "UPDATE refresh_tokens SET used_at = NOW() WHERE token_hash = ?",
                        DB_PARAMS(DB_STR(hash)), NULL)
              : DB_ERROR;
    if (rc == DB_OK)
        rc = session_issue(r, db_get(s, 0, "role"), sid, data);
    if (rc != DB_OK)
        return rc;
    /* The callcenter SPA's refresh reads the new token at the top of the answer. */
    struct json_object *at;
    if (r->families == FAM_CALLCENTER && json_object_object_get_ex(data, "access_token", &at))
        reply_set(r, "access_token", json_object_get(at));
    return reply_one(r, 200, NULL, data);
}

static const struct field_def refresh_field[] = {
    {"refresh_token", FT_TEXT, F_REQUIRED, 1, 128, NULL, NULL, NULL},
};

static int auth_refresh(struct request *r)
{
    struct field_value v[1];
    char hash[65];
    if (fields_declared(r, FIELDS_CREATE, v, 1, NULL) != 0)
        return -1;
    crypto_sha256_hex(v[0].s, strlen(v[0].s), hash);
    return txn_reply(r, txn_run(r, refresh_step, hash));
}

static int logout_step(struct request *r, void *arg)
{
    (void)arg;
    int rc = session_revoke(r->db, r->arena, r->auth.tenant_id, SESSION_ONE,
                            r->auth.session_id, NULL, "logout");
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "auth.logout", "session", r->auth.session_id,
                          NULL);
    if (rc != DB_OK)
        return rc;
    txn_after_commit(r, auth_changed, r->auth.tenant_id);
    return reply_message(r, 200, "Signed out");
}

static int auth_logout(struct request *r)
{
    return txn_reply(r, txn_run(r, logout_step, NULL));
}

static const struct route routes[] = {
    ROUTE("POST", "/api/auth/register", auth_register, ROLES_PUBLIC, SHARED_AUTH,
          .summary = "Create a tenant and its first admin", ROUTE_BODY(register_fields),
          .status = 201, .flags = ROUTE_THROTTLED),
    ROUTE("POST", "/api/auth/login", auth_login, ROLES_PUBLIC, SHARED_AUTH,
          .summary = "Log in; answers an access and a refresh token", ROUTE_BODY(login_fields),
          .flags = ROUTE_THROTTLED),
    ROUTE("POST", "/api/admin/login", admin_login, ROLES_PUBLIC, FAM_CALLDOCKER,
          .summary = "The platform admin's sign-in (super_admin only; others 403)",
          ROUTE_BODY(login_fields), .flags = ROUTE_THROTTLED),
    ROUTE("POST", "/api/auth/refresh", auth_refresh, ROLES_PUBLIC, SHARED_AUTH,
          .summary = "Trade a refresh token for a new pair", ROUTE_BODY(refresh_field)),
    ROUTE("POST", "/api/auth/logout", auth_logout, ROLES_ANY, SHARED_AUTH,
          .summary = "End the session (revokes its tokens and streams)"),
};

ROUTE_GROUP(auth_routes, routes);
