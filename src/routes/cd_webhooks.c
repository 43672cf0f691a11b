/*
 * A company's signed incoming webhook (calldocker): its systems POST JSON events to
 * /api/webhooks/incoming/:companyId with `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of
 * the raw body under the company's secret>`. The secret is made (and remade) by an admin
 * (POST /api/webhooks/company/:companyId/incoming-secret), shown in that answer only, and
 * kept sealed like the Twilio token (tenant_integrations, provider `incoming_webhook`). A
 * verified event is stored (incoming_webhook_events, sql/032) and audited; answered 202.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "log.h"
#include "request.h"
#include "resource.h"
#include "router.h"
#include "routes.h"
#include "txn.h"

#define PURPOSE "incoming-webhook-secret"
#define PROVIDER "incoming_webhook"
#define SECRET_BYTES 32
#define SECRET_MAX 128
#define SIG_PREFIX "sha256="

/* ---- the secret ------------------------------------------------------------------------ */

struct secret_write {
    const char *secret;
    unsigned char sealed[SECRET_MAX + CRYPTO_SEAL_OVERHEAD];
    size_t sealed_len;
};

static int secret_step(struct request *r, void *arg)
{
    const struct secret_write *s = arg;
    const char *tid = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO tenant_integrations (tenant_id, provider, auth_token_sealed)"
                     " VALUES (?, '" PROVIDER "', ?) ON DUPLICATE KEY UPDATE"
                     " auth_token_sealed = VALUES(auth_token_sealed)",
                     DB_PARAMS(DB_STR(tid), DB_STRN((const char *)s->sealed, s->sealed_len)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, tid, "webhook.incoming_secret", "tenant", tid, NULL);
    if (rc != DB_OK)
        return rc;
    const char *base = r->cfg->public_base_url;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL || json_set_str(o, "company_id", tid) || json_set_str(o, "secret", s->secret) ||
        json_set_str(o, "header", "X-Webhook-Signature") ||
        json_set_str(o, "format", SIG_PREFIX "<hex HMAC-SHA256 of the raw body>") ||
        json_set_str(o, "url", arena_printf(r->arena, "%s/api/webhooks/incoming/%s", base, tid)))
        return DB_ERROR;
    return reply_one(r, 201, "incoming_webhook", o) == 0 ? DB_OK : DB_ERROR;
}

static int incoming_secret(struct request *r)
{
    if (company_scope(r) != 0)
        return -1;
    struct secret_write s;
    const char *token = crypto_random_token(r->arena, SECRET_BYTES);
    s.secret = token ? arena_printf(r->arena, "whin_%s", token) : NULL;
    if (s.secret == NULL || strlen(s.secret) > SECRET_MAX ||
        crypto_seal(r->cfg->jwt_key, r->cfg->jwt_key_len, PURPOSE, s.secret, strlen(s.secret),
                    s.sealed) != 0)
        return request_error(r, 500, "internal_error", "Could not make the secret");
    s.sealed_len = strlen(s.secret) + CRYPTO_SEAL_OVERHEAD;
    return txn_reply(r, txn_run(r, secret_step, &s));
}

/* ---- an incoming event ------------------------------------------------------------------- */

/* The company's secret, opened into out: DB_OK, 1 when it has none, or a db_rc. */
static int secret_of(struct request *r, const char *tenant_id, char out[SECRET_MAX + 1])
{
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT auth_token_sealed FROM tenant_integrations"
                     " WHERE tenant_id = ? AND provider = '" PROVIDER "'",
                     DB_PARAMS(DB_STR(tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0 || res->cells[0].v == NULL)
        return 1;
    const struct db_cell *c = &res->cells[0];
    if (c->len <= CRYPTO_SEAL_OVERHEAD || c->len - CRYPTO_SEAL_OVERHEAD > SECRET_MAX ||
        crypto_open(r->cfg->jwt_key, r->cfg->jwt_key_len, PURPOSE, (const unsigned char *)c->v,
                    c->len, (unsigned char *)out) != 0) {
        log_error("incoming webhook secret of tenant %s does not open", tenant_id);
        return DB_ERROR;
    }
    out[c->len - CRYPTO_SEAL_OVERHEAD] = '\0';
    return DB_OK;
}

/* The signature header against the raw body: 0, or -1 answered (401, 403, 5xx). */
static int signature_check(struct request *r, const char *tenant_id)
{
    const char *sig = request_header(r, "X-Webhook-Signature");
    if (sig == NULL || sig[0] == '\0')
        return request_error(r, 401, "unauthorized", "The X-Webhook-Signature header is missing");
    char secret[SECRET_MAX + 1];
    int rc = secret_of(r, tenant_id, secret);
    if (rc < 0)
        return request_db_error(r, rc);
    if (rc == 1)
        return request_error(r, 403, "invalid_signature",
                             "Incoming webhooks are not set up for this company");
    unsigned char mac[32];
    char hex[65];
    rc = crypto_hmac_sha256(secret, strlen(secret), r->body ? r->body : "", r->body_len, mac);
    explicit_bzero(secret, sizeof(secret));
    if (rc != 0)
        return request_oom(r);
    crypto_hex(mac, sizeof(mac), hex);
    size_t plen = strlen(SIG_PREFIX);
    if (strncmp(sig, SIG_PREFIX, plen) != 0 || strlen(sig + plen) != 64 ||
        !crypto_equal(sig + plen, hex, 64)) {
        log_warn("incoming webhook of tenant %s refused: bad signature", tenant_id);
        return request_error(r, 403, "invalid_signature",
                             "The X-Webhook-Signature does not match");
    }
    return 0;
}

struct incoming {
    const char *id, *type, *payload;
};

static int incoming_step(struct request *r, void *arg)
{
    const struct incoming *in = arg;
    const char *tid = r->auth.tenant_id;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO incoming_webhook_events (id, tenant_id, event_type, payload,"
                     " remote_addr, received_at) VALUES (?, ?, ?, ?, ?, NOW(3))",
                     DB_PARAMS(DB_STR(in->id), DB_STR(tid), DB_STR(in->type),
                               DB_STR(in->payload), DB_STR(r->remote_addr)),
                     NULL);
    if (rc == DB_OK)
        rc = audit_record(r, tid, "webhook.incoming", "incoming_webhook_event", in->id, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, event_type, received_at FROM incoming_webhook_events"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(in->id), DB_STR(tid)), &res);
    return rc == DB_OK ? resource_reply_row(r, 202, "event", res, NULL) : rc;
}

/* The event's type: its `event` or `type` text member (at most 100 characters). */
static const char *event_type(struct json_object *body)
{
    static const char *const names[] = {"event", "type"};
    for (size_t i = 0; i < 2; i++) {
        struct json_object *v;
        if (json_object_object_get_ex(body, names[i], &v) &&
            json_object_is_type(v, json_type_string) && json_object_get_string_len(v) <= 100)
            return json_object_get_string(v);
    }
    return NULL;
}

static int incoming_event(struct request *r)
{
    struct db_result *t;
    const char *company = request_param(r, "companyId");
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM tenants WHERE id = ? AND status = 'active'",
                     DB_PARAMS(DB_STR(company)), &t);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (t->nrows == 0)
        return request_error(r, 404, "not_found", "Company not found");
    const char *tid = db_get(t, 0, "id");
    struct json_object *body;
    if (signature_check(r, tid) != 0 || request_body_object(r, &body) != 0)
        return -1;
    struct incoming in = {id_new(r->arena, "iwe_"), event_type(body), json_text(body, NULL)};
    if (in.id == NULL || in.payload == NULL)
        return request_oom(r);
    r->auth.tenant_id = tid;
    return txn_reply(r, txn_run(r, incoming_step, &in));
}

static const struct route routes[] = {
    ROUTE("POST", "/api/webhooks/company/:companyId/incoming-secret", incoming_secret,
          ROLES_ADMIN, FAM_CALLDOCKER,
          .summary = "A new secret for the company's incoming webhook (shown once)",
          .key = "incoming_webhook", .status = 201),
    ROUTE("POST", "/api/webhooks/incoming/:companyId", incoming_event, ROLES_PUBLIC,
          FAM_CALLDOCKER, .summary = "An event from the company's systems (signed)",
          .key = "event", .status = 202),
};

ROUTE_GROUP(cd_webhooks_routes, routes);
