/*
 * Auth: login, registration, refresh-token rotation, logout, profile, password change,
 * and the per-request check of the bearer token against the session behind it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "cache.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "log.h"
#include "password.h"
#include "request.h"
#include "session.h"
#include "routes.h"
#include "throttle.h"
#include "token.h"
#include "validate.h"

/*
 * One email may belong to several tenants, each with its own password; a login without
 * a tenant verifies against each (argon2id each time), up to this many.
 */
#define LOGIN_MAX_CANDIDATES 10
/* Seconds a verified session may be served from the cache without asking the database. */
#define AUTH_CACHE_TTL 15

static int unauthorized(struct request *r, const char *message)
{
    return request_error(r, 401, "unauthorized", message);
}

int auth_authenticate(struct request *r)
{
    const char *h = r->authorization;
    if (h == NULL || h[0] == '\0')
        return unauthorized(r, "Authentication required");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return unauthorized(r, "Use an Authorization: Bearer token");
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    struct token_claims c;
    int trc = jwt_verify_hs256(token, r->cfg->jwt_key, r->cfg->jwt_key_len, time(NULL), &c);
    if (trc == TOKEN_EXPIRED)
        return unauthorized(r, "Token expired");
    if (trc != TOKEN_OK)
        return unauthorized(r, "Invalid token");

    /* The cached verdict, valid while the tenant's auth generation has not moved. */
    char *key = NULL, *role = NULL;
    uint64_t gen;
    const char *ns = arena_printf(r->arena, "auth:%s", c.tenant_id);
    if (ns != NULL && cache_generation(r->cache, ns, &gen) == 0) {
        key = arena_printf(r->arena, "%s:%llu:%s:%s", ns, (unsigned long long)gen, c.sid, c.sub);
        size_t len;
        if (key != NULL && cache_get(r->cache, r->arena, key, &role, &len) == 0 &&
            role_bit(role) == 0)
            role = NULL;
    }
    if (role == NULL) {
        const char *refusal, *fresh;
        int rc = session_check(r->db, r->arena, c.sid, c.sub, c.tenant_id, &fresh, &refusal);
        if (rc < 0)
            return request_db_error(r, rc);
        if (rc == 1)
            return unauthorized(r, refusal);
        role = (char *)fresh;
        if (key != NULL && role != NULL)
            cache_set(r->cache, key, role, strlen(role), AUTH_CACHE_TTL);
    }

    /* The role comes from the database (or its cached copy), so a change applies at once. */
    r->auth.authenticated = true;
    r->auth.user_id = arena_strdup(r->arena, c.sub);
    r->auth.tenant_id = arena_strdup(r->arena, c.tenant_id);
    r->auth.session_id = arena_strdup(r->arena, c.sid);
    r->auth.role = role;
    r->auth.role_bit = role_bit(role);
    if (!r->auth.user_id || !r->auth.tenant_id || !r->auth.session_id)
        return request_error(r, 500, "internal_error", "Out of memory");
    return 0;
}

void auth_changed(struct request *r, const char *tenant_id)
{
    const char *ns = arena_printf(r->arena, "auth:%s", tenant_id);
    if (ns != NULL)
        cache_bump(r->cache, ns);
    /* The write may have announced a revocation (session_announce): deliver it now. */
    event_wake(r);
}

/*
 * Inside the caller's transaction: creates the session (when sid is NULL), stores a new
 * refresh token and signs an access token. Adds token fields and `user` to resp.
 */
static int session_issue(struct request *r, const char *tenant_id, const char *user_id,
                         const char *role, const char *sid, struct json_object *resp)
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
                     DB_PARAMS(DB_STR(sid), DB_STR(tenant_id), DB_STR(user_id),
                               DB_STR(r->remote_addr), DB_STR(r->user_agent),
                               DB_INT(cfg->refresh_token_ttl)),
                     NULL);
        if (rc != DB_OK)
            return rc;
    }
    char *refresh = crypto_random_token(r->arena, 32);
    if (refresh == NULL)
        return DB_ERROR;
    char hash[65];
    crypto_sha256_hex(refresh, strlen(refresh), hash);
    rc = db_exec(r->db, r->arena,
                 "INSERT INTO refresh_tokens (token_hash, session_id, tenant_id, expires_at)"
                 " VALUES (?, ?, ?, NOW() + INTERVAL ? SECOND)",
                 DB_PARAMS(DB_STR(hash), DB_STR(sid), DB_STR(tenant_id),
                           DB_INT(cfg->refresh_token_ttl)),
                 NULL);
    if (rc != DB_OK)
        return rc;

    struct token_claims c;
    memset(&c, 0, sizeof(c));
    unsigned char jti[16];
    if (crypto_random(jti, sizeof(jti)) != 0)
        return DB_ERROR;
    crypto_hex(jti, sizeof(jti), c.jti);
    snprintf(c.sub, sizeof(c.sub), "%s", user_id);
    snprintf(c.tenant_id, sizeof(c.tenant_id), "%s", tenant_id);
    snprintf(c.role, sizeof(c.role), "%s", role);
    snprintf(c.sid, sizeof(c.sid), "%s", sid);
    c.iat = (long long)time(NULL);
    c.exp = c.iat + cfg->access_token_ttl;
    char *jwt = NULL;
    if (jwt_sign_hs256(cfg->jwt_key, cfg->jwt_key_len, &c, &jwt) != TOKEN_OK)
        return DB_ERROR;
    char *jwt_copy = arena_strdup(r->arena, jwt);
    free(jwt);
    if (jwt_copy == NULL)
        return DB_ERROR;

    struct json_object *user;
    rc = user_fetch_json(r, tenant_id, user_id, &user);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    if (json_set_str(resp, "token", jwt_copy) || json_set_str(resp, "access_token", jwt_copy) ||
        json_set_str(resp, "token_type", "Bearer") ||
        json_set_int(resp, "expires_in", cfg->access_token_ttl) ||
        json_set_str(resp, "refresh_token", refresh) || json_set(resp, "user", user))
        return DB_ERROR;
    return DB_OK;
}

static int auth_login(struct request *r)
{
    struct json_object *body;
    const char *email, *password, *tenant = NULL, *tenant_id = NULL;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_string(r, body, "email", FIELD_REQUIRED, 1, 254, &email);
    field_string(r, body, "password", FIELD_REQUIRED, 1, 256, &password);
    field_string(r, body, "tenant", FIELD_NULLABLE, 0, 255, &tenant);
    field_string(r, body, "tenant_id", FIELD_NULLABLE, 0, 64, &tenant_id);
    if (request_check_fields(r) != 0)
        return -1;
    if (tenant == NULL)
        tenant = tenant_id;
    char *lower = arena_strdup(r->arena, email);
    if (lower == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (pwcheck_before(r, lower) != 0)
        return -1;

    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT u.id, u.tenant_id, u.password_hash, u.is_active, ur.role,"
                     " t.status AS tenant_status FROM users u"
                     " JOIN tenants t ON t.id = u.tenant_id"
                     " JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"
                     " WHERE u.email = ? AND t.status <> 'deleted'"
                     "  AND (? IS NULL OR t.id = ? OR t.name = ?)"
                     " ORDER BY u.created_at, u.id LIMIT 11",
                     DB_PARAMS(DB_STR(lower), DB_STR(tenant), DB_STR(tenant), DB_STR(tenant)),
                     &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    size_t plen = strlen(password);
    if (res->nrows == 0) {
        password_verify_dummy(password, plen);
        pwcheck_failed(r, lower);
        return request_error(r, 401, "invalid_credentials", "Invalid email or password");
    }
    if (res->nrows > LOGIN_MAX_CANDIDATES) {
        request_field_error(r, "tenant", "is required: this email belongs to many tenants");
        return request_check_fields(r);
    }
    size_t match = (size_t)-1, nmatch = 0;
    for (size_t i = 0; i < res->nrows; i++) {
        if (password_verify(db_get(res, i, "password_hash"), password, plen) == 0) {
            if (nmatch++ == 0)
                match = i;
        }
    }
    if (nmatch == 0) {
        int locked = pwcheck_failed(r, lower);
        for (size_t i = 0; i < res->nrows; i++)
            pwcheck_audit(r, lower, db_get(res, i, "tenant_id"), db_get(res, i, "id"), "login",
                          locked);
        return request_error(r, 401, "invalid_credentials", "Invalid email or password");
    }
    pwcheck_passed(r, lower);
    if (nmatch > 1) {
        request_field_error(r, "tenant",
                            "is required: this email belongs to several tenants");
        return request_check_fields(r);
    }
    if (db_get_int(res, match, "is_active", 0) == 0)
        return unauthorized(r, "This account is disabled");
    if (strcmp(db_get(res, match, "tenant_status"), "active") != 0)
        return unauthorized(r, "This tenant is suspended");

    const char *user_id = db_get(res, match, "id");
    const char *tid = db_get(res, match, "tenant_id");
    r->auth.user_id = user_id;
    struct json_object *resp = arena_json(r->arena, json_object_new_object());
    if (resp == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE users SET last_login_at = NOW() WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(user_id), DB_STR(tid)), NULL);
    if (rc == DB_OK)
        rc = session_issue(r, tid, user_id, db_get(res, match, "role"), NULL, resp);
    if (rc == DB_OK)
        rc = audit_record(r, tid, "auth.login", "user", user_id, NULL);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return reply_one(r, 200, NULL, resp);
}

/*
 * The per-address cap on registrations (register_max_per_address_per_day; 0: none).
 * count: 0 only looks, 1 counts this one (inside the registration's transaction).
 * Answers 429 (or 503) and returns -1 when over; else 0.
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

static int auth_register(struct request *r)
{
    if (!r->cfg->register_enabled)
        return request_error(r, 404, "not_found", "Registration is switched off");
    struct json_object *body;
    const char *tenant_name, *email, *password, *first = NULL, *last = NULL;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_string(r, body, "tenant_name", FIELD_REQUIRED, 1, 255, &tenant_name);
    field_email(r, body, "email", FIELD_REQUIRED, &email);
    field_string(r, body, "password", FIELD_REQUIRED, 8, 256, &password);
    field_string(r, body, "first_name", FIELD_NULLABLE, 0, 100, &first);
    field_string(r, body, "last_name", FIELD_NULLABLE, 0, 100, &last);
    if (request_check_fields(r) != 0)
        return -1;
    /* Before the argon2 hash: a refused registration costs one indexed read. */
    if (register_over_quota(r, 0) != 0)
        return -1;
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(password, strlen(password), hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    const char *tenant_id = id_new(r->arena, "ten_");
    const char *user_id = id_new(r->arena, "usr_");
    struct json_object *resp = arena_json(r->arena, json_object_new_object());
    if (tenant_id == NULL || user_id == NULL || resp == NULL)
        return request_error(r, 500, "internal_error", "Out of memory");
    r->auth.user_id = user_id;

    int rc = db_begin(r->db);
    /* Counted inside the transaction (the bucket's row lock orders concurrent ones), so
     * the cap is exact and a failed registration does not count. */
    if (rc == DB_OK && register_over_quota(r, 1) != 0) {
        db_rollback(r->db);
        return -1;
    }
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "INSERT INTO tenants (id, name) VALUES (?, ?)",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(tenant_name)), NULL);
    if (rc == DB_DUPLICATE) {
        db_rollback(r->db);
        return request_error(r, 409, "conflict", "A tenant with this name already exists");
    }
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO users (id, tenant_id, email, password_hash, first_name,"
                     " last_name) VALUES (?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(user_id), DB_STR(tenant_id), DB_STR(email), DB_STR(hash),
                               DB_STR(first), DB_STR(last)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO user_roles (tenant_id, user_id, role) VALUES (?, ?, 'admin')",
                     DB_PARAMS(DB_STR(tenant_id), DB_STR(user_id)), NULL);
    if (rc == DB_OK)
        rc = session_issue(r, tenant_id, user_id, "admin", NULL, resp);
    if (rc == DB_OK)
        rc = audit_record(r, tenant_id, "auth.register", "tenant", tenant_id, NULL);
    struct db_result *tres = NULL;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, name, domain, status, plan, max_agents, settings, created_at,"
                     " updated_at FROM tenants WHERE id = ?",
                     DB_PARAMS(DB_STR(tenant_id)), &tres);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    static const char *const tenant_json_cols[] = {"settings", NULL};
    struct json_object *tenant = tres->nrows ? db_row_json(tres, 0, tenant_json_cols) : NULL;
    if (tenant == NULL || json_set(resp, "tenant", tenant) != 0)
        return request_error(r, 500, "internal_error", "Out of memory");
    return reply_one(r, 201, NULL, resp);
}

static int auth_refresh(struct request *r)
{
    struct json_object *body;
    const char *token;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_string(r, body, "refresh_token", FIELD_REQUIRED, 1, 128, &token);
    if (request_check_fields(r) != 0)
        return -1;
    char hash[65];
    crypto_sha256_hex(token, strlen(token), hash);

    struct db_result *res, *ures = NULL;
    int rc = db_begin(r->db);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    rc = db_exec(r->db, r->arena,
                 "SELECT rt.session_id, rt.used_at IS NOT NULL AS used,"
                 " (rt.expires_at > NOW() AND s.expires_at > NOW() AND s.revoked_at IS NULL)"
                 " AS live, s.tenant_id, s.user_id"
                 " FROM refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id"
                 " WHERE rt.token_hash = ? FOR UPDATE",
                 DB_PARAMS(DB_STR(hash)), &res);
    if (rc != DB_OK) {
        db_rollback(r->db);
        return request_db_error(r, rc);
    }
    if (res->nrows == 0) {
        db_rollback(r->db);
        return unauthorized(r, "Invalid refresh token");
    }
    const char *sid = db_get(res, 0, "session_id");
    const char *tid = db_get(res, 0, "tenant_id");
    const char *uid = db_get(res, 0, "user_id");
    r->auth.user_id = uid;
    if (db_get_int(res, 0, "used", 0) != 0) {
        /* A spent token came back: someone else may hold the family. End all of it. */
        rc = session_revoke(r->db, r->arena, tid, SESSION_ONE, sid, NULL, "refresh_reuse");
        if (rc == DB_OK)
            rc = audit_record(r, tid, "auth.refresh_reuse", "session", sid, NULL);
        rc = db_finish(r->db, rc);
        if (rc != DB_OK)
            return request_db_error(r, rc);
        auth_changed(r, tid);
        log_warn("refresh token reuse: session %s revoked", sid);
        return unauthorized(r, "Refresh token already used; the session has been revoked");
    }
    if (db_get_int(res, 0, "live", 0) == 0) {
        db_rollback(r->db);
        return unauthorized(r, "Session ended; sign in again");
    }
    rc = db_exec(r->db, r->arena,
                 "SELECT u.is_active, ur.role, t.status AS tenant_status FROM users u"
                 " JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id"
                 " JOIN tenants t ON t.id = u.tenant_id WHERE u.id = ? AND u.tenant_id = ?",
                 DB_PARAMS(DB_STR(uid), DB_STR(tid)), &ures);
    if (rc == DB_OK && (ures->nrows == 0 || db_get_int(ures, 0, "is_active", 0) == 0 ||
                        strcmp(db_get(ures, 0, "tenant_status"), "active") != 0)) {
        db_rollback(r->db);
        return unauthorized(r, "This account or tenant is disabled");
    }
    struct json_object *resp = arena_json(r->arena, json_object_new_object());
    if (resp == NULL)
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE refresh_tokens SET used_at = NOW() WHERE token_hash = ?",
                     DB_PARAMS(DB_STR(hash)), NULL);
    if (rc == DB_OK)
        rc = session_issue(r, tid, uid, db_get(ures, 0, "role"), sid, resp);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    /* The callcenter SPA's refresh reads the new token at the top of the answer. */
    struct json_object *at;
    if (r->families == FAM_CALLCENTER && json_object_object_get_ex(resp, "access_token", &at))
        reply_set(r, "access_token", json_object_get(at));
    return reply_one(r, 200, NULL, resp);
}

static int auth_logout(struct request *r)
{
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = session_revoke(r->db, r->arena, r->auth.tenant_id, SESSION_ONE,
                            r->auth.session_id, NULL, "logout");
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "auth.logout", "session", r->auth.session_id,
                          NULL);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    auth_changed(r, r->auth.tenant_id);
    return reply_message(r, 200, "Signed out");
}

static int auth_profile_get(struct request *r)
{
    return user_reply(r, 200, r->auth.tenant_id, r->auth.user_id);
}

static int auth_profile_update(struct request *r)
{
    struct json_object *body;
    const char *first = NULL, *last = NULL, *phone = NULL, *email = NULL;
    if (request_body_object(r, &body) != 0)
        return -1;
    int has_first = field_string(r, body, "first_name", FIELD_NULLABLE, 0, 100, &first) >= 0 &&
                    json_object_object_get_ex(body, "first_name", NULL);
    int has_last = field_string(r, body, "last_name", FIELD_NULLABLE, 0, 100, &last) >= 0 &&
                   json_object_object_get_ex(body, "last_name", NULL);
    int has_phone = field_phone(r, body, "phone", FIELD_NULLABLE, &phone) >= 0 &&
                    json_object_object_get_ex(body, "phone", NULL);
    int has_email = field_email(r, body, "email", 0, &email) == 1;
    if (request_check_fields(r) != 0)
        return -1;
    int rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE users SET first_name = IF(?, ?, first_name),"
                     " last_name = IF(?, ?, last_name), phone = IF(?, ?, phone),"
                     " email = IF(?, ?, email) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_INT(has_first), DB_STR(first), DB_INT(has_last), DB_STR(last),
                               DB_INT(has_phone), DB_STR(phone), DB_INT(has_email),
                               DB_STR(email), DB_STR(r->auth.user_id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.profile_update", "user", r->auth.user_id,
                          json_text(body, NULL));
    if (rc == DB_OK)
        rc = user_answer(r, 200, r->auth.tenant_id, r->auth.user_id);
    rc = db_finish(r->db, rc);
    if (rc == DB_DUPLICATE)
        return request_error(r, 409, "conflict", "Another user of this tenant has that email");
    if (rc != DB_OK)
        return request_db_error(r, rc);
    return 0;
}

static int auth_change_password(struct request *r)
{
    struct json_object *body;
    const char *current, *fresh;
    if (request_body_object(r, &body) != 0)
        return -1;
    field_string(r, body, "current_password", FIELD_REQUIRED, 1, 256, &current);
    field_string(r, body, "new_password", FIELD_REQUIRED, 8, 256, &fresh);
    if (request_check_fields(r) != 0)
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
    const char *email = db_get(res, 0, "email");
    if (pwcheck_before(r, email) != 0)
        return -1;
    if (password_verify(db_get(res, 0, "password_hash"), current, strlen(current)) != 0) {
        int locked = pwcheck_failed(r, email);
        pwcheck_audit(r, email, r->auth.tenant_id, r->auth.user_id, "change_password", locked);
        return request_error(r, 401, "invalid_credentials", "The current password is wrong");
    }
    pwcheck_passed(r, email);
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(fresh, strlen(fresh), hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE users SET password_hash = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(hash), DB_STR(r->auth.user_id), DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = session_revoke(r->db, r->arena, r->auth.tenant_id, SESSION_USER, r->auth.user_id,
                            r->auth.session_id, "password_change");
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "user.change_password", "user",
                          r->auth.user_id, NULL);
    rc = db_finish(r->db, rc);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    auth_changed(r, r->auth.tenant_id);
    return reply_message(r, 200, "Password changed");
}

/* The auth paths: the calldocker and coldcaller clients call them, and our own clients read
 * the transfer dialect's shape (tokens on top). */
#define SHARED_AUTH (FAM_TRANSFER | FAM_CALLDOCKER | FAM_COLDCALLER)

static const struct route routes[] = {
    {"POST", "/api/auth/register", auth_register, ROLES_PUBLIC, SHARED_AUTH},
    {"POST", "/api/auth/login", auth_login, ROLES_PUBLIC, SHARED_AUTH},
    {"POST", "/api/auth/refresh", auth_refresh, ROLES_PUBLIC, SHARED_AUTH},
    {"POST", "/api/auth/logout", auth_logout, ROLES_ANY, SHARED_AUTH},
    {"GET", "/api/auth/profile", auth_profile_get, ROLES_ANY, SHARED_AUTH},
    {"GET", "/api/auth/me", auth_profile_get, ROLES_ANY, SHARED_AUTH},
    {"PUT", "/api/auth/profile", auth_profile_update, ROLES_ANY, SHARED_AUTH},
    {"PUT", "/api/auth/me", auth_profile_update, ROLES_ANY, SHARED_AUTH},
    {"POST", "/api/auth/change-password", auth_change_password, ROLES_ANY, SHARED_AUTH},
};

const struct route_group auth_routes = {routes, sizeof(routes) / sizeof(routes[0])};
