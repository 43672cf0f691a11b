/*
 * Password reset by e-mail: a request puts a single-use token (one hour) into the outbox
 * (outbox.h) for each account the address names, and answers the same whether it names
 * any; the token then sets a new password and ends every session of the user, as a
 * password change does. Only the token's SHA-256 is stored; the token itself is in the
 * sealed message and nowhere else (no log, no answer).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "log.h"
#include "outbox.h"
#include "password.h"
#include "request.h"
#include "routes.h"
#include "throttle.h"
#include "txn.h"
#include "user_store.h"

#define RESET_TTL_SECONDS 3600
#define RESET_TOKEN_BYTES 32
/*
 * The least time a reset request takes: an address with accounts costs a few inserts more
 * than one without (about a millisecond), which a client could measure; both are held to
 * this floor. nginx's rate limit bounds what the waiting costs the pool.
 */
#define RESET_FLOOR_NS 25000000L
/* Messages per address and hour: more requests still answer the same, and send nothing. */
#define RESET_MAX_PER_HOUR 5

static const char reset_answer[] =
    "If this address belongs to an account, a message with a reset token is on its way";

/* ---- the request ------------------------------------------------------------------------- */

enum { Q_EMAIL, Q_TENANT, Q_NFIELDS };

static const struct field_def request_fields[] = {
    [Q_EMAIL] = {"email", FT_EMAIL, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    /* by id, name, slug or domain, as login */
    [Q_TENANT] = {"tenant", FT_TEXT, F_NULLABLE, 0, 255, NULL, NULL, "tenant_id"},
};

struct reset_request {
    const char *email, *tenant;
};

/* The message for one account, with its token. */
static const char *reset_body(struct arena *a, const char *tenant_name, const char *token)
{
    return arena_printf(a,
                        "Someone asked to reset the password of your account at %s.\n\n"
                        "Your reset token (valid for one hour, once):\n\n%s\n\n"
                        "Send it with your new password to POST /api/auth/reset-password\n"
                        "({\"token\": \"...\", \"password\": \"...\"}). Every session of the\n"
                        "account ends when the password changes. If you did not ask for\n"
                        "this, ignore this message: your password stays as it is.\n",
                        tenant_name, token);
}

/* A token for row i of the accounts: its hash stored, the message queued. */
static int issue_one(struct request *r, const struct db_result *acc, size_t i)
{
    char hash[65];
    const char *token = crypto_random_token(r->arena, RESET_TOKEN_BYTES);
    if (token == NULL)
        return DB_ERROR;
    crypto_sha256_hex(token, strlen(token), hash);
    const char *tid = db_get(acc, i, "tenant_id"), *uid = db_get(acc, i, "id");
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO password_resets (token_hash, tenant_id, user_id, expires_at)"
                     " VALUES (?, ?, ?, NOW() + INTERVAL ? SECOND)",
                     DB_PARAMS(DB_STR(hash), DB_STR(tid), DB_STR(uid), DB_INT(RESET_TTL_SECONDS)),
                     NULL);
    const char *body = reset_body(r->arena, db_get(acc, i, "tenant_name"), token);
    if (rc == DB_OK)
        rc = body ? outbox_put(r->db, r->arena, r->cfg, tid, "password_reset",
                               db_get(acc, i, "email"), "Reset your Switchboard password", body)
                  : DB_ERROR;
    if (rc == DB_OK)
        rc = audit_record(r, tid, "auth.reset_requested", "user", uid, NULL);
    return rc;
}

static int reset_request_step(struct request *r, void *arg)
{
    struct reset_request *q = arg;
    long hits = 0;
    struct db_result *acc;
    /* Counted for every address, known or not, so the cap tells nothing either. */
    int rc = throttle_hit(r->db, r->arena, "reset-email", q->email, 3600, 0, 0, &hits);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT u.id, u.tenant_id, u.email, t.name AS tenant_name FROM users u"
                     " JOIN tenants t ON t.id = u.tenant_id"
                     " WHERE u.email = ? AND u.is_active = 1 AND t.status = 'active'"
                     "  AND (? IS NULL OR t.id = ? OR t.name = ? OR t.slug = ? OR t.domain = ?)"
                     " ORDER BY u.created_at, u.id LIMIT 10", /* as login's candidates */
                     DB_PARAMS(DB_STR(q->email), DB_STR(q->tenant), DB_STR(q->tenant),
                               DB_STR(q->tenant), DB_STR(q->tenant), DB_STR(q->tenant)),
                     &acc);
    if (rc != DB_OK)
        return rc;
    if (hits > RESET_MAX_PER_HOUR) {
        if (acc->nrows > 0)
            log_warn("auth: reset requests for one address over %d an hour: none sent",
                     RESET_MAX_PER_HOUR);
        return reply_message(r, 200, reset_answer) == 0 ? DB_OK : DB_ERROR;
    }
    for (size_t i = 0; i < acc->nrows && rc == DB_OK; i++)
        rc = issue_one(r, acc, i);
    if (rc != DB_OK)
        return rc;
    return reply_message(r, 200, reset_answer) == 0 ? DB_OK : DB_ERROR;
}

/* Waits until RESET_FLOOR_NS have passed since start. */
static void hold_to_floor(const struct timespec *start)
{
    struct timespec now, left;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return;
    long long spent = (long long)(now.tv_sec - start->tv_sec) * 1000000000LL +
                      (now.tv_nsec - start->tv_nsec);
    if (spent < 0 || spent >= RESET_FLOOR_NS)
        return;
    left.tv_sec = 0;
    left.tv_nsec = RESET_FLOOR_NS - (long)spent;
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
}

static int reset_request(struct request *r)
{
    struct field_value v[Q_NFIELDS];
    struct timespec start;
    if (fields_declared(r, FIELDS_CREATE, v, Q_NFIELDS, NULL) != 0)
        return -1;
    struct reset_request q = {v[Q_EMAIL].s, v[Q_TENANT].s};
    if (q.tenant != NULL && *q.tenant == '\0')
        q.tenant = NULL;
    bool timed = clock_gettime(CLOCK_MONOTONIC, &start) == 0;
    int rc = txn_run(r, reset_request_step, &q);
    if (timed)
        hold_to_floor(&start);
    return txn_reply(r, rc);
}

/* ---- the reset --------------------------------------------------------------------------- */

static const struct field_def reset_fields[] = {
    {"token", FT_TEXT, F_REQUIRED, 1, 128, NULL, NULL, NULL},
    {"password", FT_TEXT, F_REQUIRED, 8, 256, NULL, NULL, NULL},
};

/* One answer for a token that is unknown, spent or expired: which one helps nobody. */
static int bad_token(struct request *r)
{
    return request_error(r, 400, "invalid_token", "This reset token is invalid or has expired");
}

struct reset {
    char token_hash[65];
    char password_hash[PASSWORD_HASH_MAX];
    const char *email;
};

/* The token's live row (its user active, the tenant too), locked with for_update. */
static int live_token(struct request *r, const char *hash, bool for_update,
                      struct db_result **row)
{
    int rc = db_exec(r->db, r->arena,
                     for_update
                         ? "SELECT pr.tenant_id, pr.user_id, u.email FROM password_resets pr"
                           " JOIN users u ON u.tenant_id = pr.tenant_id AND u.id = pr.user_id"
                           " JOIN tenants t ON t.id = pr.tenant_id"
                           " WHERE pr.token_hash = ? AND pr.used_at IS NULL"
                           " AND pr.expires_at > NOW() AND u.is_active = 1"
                           " AND t.status = 'active' FOR UPDATE"
                         : "SELECT pr.tenant_id, pr.user_id, u.email FROM password_resets pr"
                           " JOIN users u ON u.tenant_id = pr.tenant_id AND u.id = pr.user_id"
                           " JOIN tenants t ON t.id = pr.tenant_id"
                           " WHERE pr.token_hash = ? AND pr.used_at IS NULL"
                           " AND pr.expires_at > NOW() AND u.is_active = 1"
                           " AND t.status = 'active'",
                     DB_PARAMS(DB_STR(hash)), row);
    if (rc != DB_OK)
        return rc;
    return (*row)->nrows ? DB_OK : 1;
}

static int reset_step(struct request *r, void *arg)
{
    struct reset *s = arg;
    struct db_result *row;
    int rc = live_token(r, s->token_hash, true, &row);
    if (rc == 1) {
        bad_token(r);
        return TXN_ANSWERED;
    }
    if (rc != DB_OK)
        return rc;
    /* The audit names the user as the one acting: nobody else was signed in. */
    r->auth.tenant_id = db_get(row, 0, "tenant_id");
    r->auth.user_id = db_get(row, 0, "user_id");
    s->email = db_get(row, 0, "email");
    rc = user_store_set_password(r->db, r->arena, r->auth.tenant_id, r->auth.user_id,
                                 s->password_hash, NULL, "password_reset");
    /* This token and every other one the user holds: one reset spends them all. */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE password_resets SET used_at = NOW()"
                     " WHERE tenant_id = ? AND user_id = ? AND used_at IS NULL",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(r->auth.user_id)), NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "auth.password_reset", "user", r->auth.user_id,
                          NULL);
    if (rc != DB_OK)
        return rc;
    txn_after_commit(r, auth_changed, r->auth.tenant_id);
    return reply_message(r, 200, "Password changed; sign in with the new one") == 0 ? DB_OK
                                                                                     : DB_ERROR;
}

static int reset_password(struct request *r)
{
    struct field_value v[2];
    struct reset *s = arena_calloc(r->arena, 1, sizeof(*s));
    if (s == NULL)
        return request_oom(r);
    if (fields_declared(r, FIELDS_CREATE, v, 2, NULL) != 0)
        return -1;
    crypto_sha256_hex(v[0].s, strlen(v[0].s), s->token_hash);
    /* Before the argon2 hash: a made-up token costs one indexed read, not a hash. */
    struct db_result *row;
    int rc = live_token(r, s->token_hash, false, &row);
    if (rc == 1)
        return bad_token(r);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (password_hash(v[1].s, strlen(v[1].s), s->password_hash) != 0)
        return request_error(r, 500, "internal_error", "Could not hash the password");
    rc = txn_run(r, reset_step, s);
    /* The e-mail's failed sign-ins no longer stand between its owner and the account. */
    if (rc == DB_OK && s->email != NULL)
        pwcheck_passed(r, s->email);
    return txn_reply(r, rc);
}

static const struct route routes[] = {
    ROUTE("POST", "/api/auth/reset-password-request", reset_request, ROLES_PUBLIC,
          SHARED_AUTH,
          .summary = "Ask for a password reset token (the same answer for any address)",
          ROUTE_BODY(request_fields), .flags = ROUTE_THROTTLED),
    ROUTE("POST", "/api/auth/reset-password", reset_password, ROLES_PUBLIC,
          SHARED_AUTH,
          .summary = "Set a new password with a reset token (ends every session)",
          ROUTE_BODY(reset_fields), .flags = ROUTE_THROTTLED),
};

ROUTE_GROUP(password_reset_routes, routes);
