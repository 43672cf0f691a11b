/*
 * Per-tenant telephony credentials. The Twilio auth token signs the status webhooks, so it
 * is sealed at rest under the server key and only ever opened to check a signature: no
 * response, audit entry or log line carries it, only whether one is set.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "log.h"
#include "request.h"
#include "fields.h"
#include "routes.h"
#include "txn.h"

#define TWILIO_SID_LEN 34
#define TWILIO_TOKEN_LEN 32

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* The tenant's Twilio row as the API shows it: DB_OK with *out, 1 when none, or a db_rc. */
static int twilio_fetch(struct request *r, struct json_object **out)
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT account_sid, auth_token_sealed IS NOT NULL AS token_set, updated_at"
                     " FROM tenant_integrations WHERE tenant_id = ? AND provider = 'twilio'",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "provider", "twilio") != 0 ||
        json_set_str(o, "account_sid", db_get(res, 0, "account_sid")) != 0 ||
        json_set_bool(o, "auth_token_set", db_get_int(res, 0, "token_set", 0) != 0) != 0 ||
        json_set_str(o, "updated_at", db_get(res, 0, "updated_at")) != 0)
        return DB_ERROR;
    *out = o;
    return DB_OK;
}

static int integration_twilio_get(struct request *r)
{
    struct json_object *integration = NULL;
    int rc = twilio_fetch(r, &integration);
    return request_reply_found(r, 200, rc, "integration", integration, "No Twilio integration");
}

static const struct field_def twilio_fields[] = {
    {"account_sid", FT_TEXT, F_ALWAYS, 1, 64, NULL, NULL, NULL},
    {"auth_token", FT_TEXT, F_ALWAYS, 1, 64, NULL, NULL, NULL},
};

struct twilio_write {
    const char *sid;
    unsigned char sealed[TWILIO_TOKEN_LEN + CRYPTO_SEAL_OVERHEAD];
};

static int twilio_step(struct request *r, void *arg)
{
    const struct twilio_write *w = arg;
    struct json_object *details = arena_json(r->arena, json_object_new_object()), *out = NULL;
    if (details == NULL || json_set_str(details, "provider", "twilio") != 0 ||
        json_set_str(details, "account_sid", w->sid) != 0)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO tenant_integrations (tenant_id, provider, account_sid,"
                     " auth_token_sealed) VALUES (?, 'twilio', ?, ?)"
                     " ON DUPLICATE KEY UPDATE account_sid = VALUES(account_sid),"
                     " auth_token_sealed = VALUES(auth_token_sealed)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->sid),
                               DB_STRN((const char *)w->sealed, sizeof(w->sealed))),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "integration.twilio", "integration", "twilio",
                          json_text(details, NULL));
    if (rc == DB_OK)
        rc = twilio_fetch(r, &out);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    return reply_one(r, 200, "integration", out) == 0 ? DB_OK : DB_ERROR;
}

static int integration_twilio_put(struct request *r)
{
    struct field_value v[2];
    struct twilio_write w;
    if (fields_declared(r, FIELDS_UPDATE, v, 2, NULL) != 0)
        return -1;
    const char *sid = v[0].s, *token = v[1].s;
    if (strlen(sid) != TWILIO_SID_LEN || strncmp(sid, "AC", 2) != 0 ||
        !all_hex(sid + 2, TWILIO_SID_LEN - 2))
        request_field_error(r, "account_sid", "must be AC followed by 32 hexadecimal digits");
    if (strlen(token) != TWILIO_TOKEN_LEN || !all_hex(token, TWILIO_TOKEN_LEN))
        request_field_error(r, "auth_token", "must be 32 hexadecimal digits");
    if (request_check_fields(r) != 0)
        return -1;
    /* A fresh nonce per seal, so the stored value changes even when the token does not. */
    w.sid = sid;
    if (crypto_seal(r->cfg->jwt_key, r->cfg->jwt_key_len, CRYPTO_PURPOSE_TWILIO_TOKEN, token,
                    TWILIO_TOKEN_LEN, w.sealed) != 0)
        return request_error(r, 500, "internal_error", "Could not seal the auth token");
    return txn_reply(r, txn_run(r, twilio_step, &w));
}

/*
 * For the status webhook, which has no bearer token: the tenant is the owner of the DID
 * that was called, so it comes from the caller, never from r->auth.
 */
int integration_twilio_token(struct request *r, const char *tenant_id, char *out, size_t size)
{
    struct db_result *res;
    if (size > 0)
        out[0] = '\0';
    int rc = db_exec(r->db, r->arena,
                     "SELECT auth_token_sealed FROM tenant_integrations"
                     " WHERE tenant_id = ? AND provider = 'twilio'",
                     DB_PARAMS(DB_STR(tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0 || res->cells[0].v == NULL)
        return 1;
    const struct db_cell *sealed = &res->cells[0];
    if (sealed->len < CRYPTO_SEAL_OVERHEAD || sealed->len - CRYPTO_SEAL_OVERHEAD >= size ||
        crypto_open(r->cfg->jwt_key, r->cfg->jwt_key_len, CRYPTO_PURPOSE_TWILIO_TOKEN,
                    (const unsigned char *)sealed->v, sealed->len, (unsigned char *)out) != 0) {
        explicit_bzero(out, size);
        /* Most likely the server key changed since the token was sealed: set it again. */
        log_error("twilio auth token of tenant %s does not open", tenant_id);
        return DB_ERROR;
    }
    out[sealed->len - CRYPTO_SEAL_OVERHEAD] = '\0';
    return DB_OK;
}

static const struct route routes[] = {
    ROUTE("GET", "/api/integrations/twilio", integration_twilio_get, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "The tenant's Twilio settings (secrets never shown)", .key = "integration"),
    ROUTE("PUT", "/api/integrations/twilio", integration_twilio_put, ROLES_ADMIN, FAM_TRANSFER,
          .summary = "Set the tenant's Twilio credentials", ROUTE_BODY(twilio_fields),
          .key = "integration"),
};

ROUTE_GROUP(integrations_routes, routes);
