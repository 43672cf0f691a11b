/*
 * sip_store.h: the trunk row, its sealed password, and REGISTER outcomes with their
 * events. The password is opened only into a struct sip_trunk on the stack of the code that
 * sends, and wiped after; no answer, event, audit entry or log line carries it.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "jsonutil.h"
#include "log.h"
#include "request.h"
#include "sip_store.h"
#include "webhook.h"

#define SIP_PASSWORD_PURPOSE "sip-password"
#define TRUNK_COLUMNS                                                                    \
    "id, provider, server, port, transport, username, password_sealed,"                 \
    " password_sealed IS NOT NULL AS has_password, domain, enable_recording,"           \
    " register_expires, registration_state, registered_at, expires_at, refresh_at,"     \
    " last_status, last_error, last_checked_at, last_rtt_ms, created_at, updated_at"
/* A registration that failed to refresh is tried again this much later. */
#define RETRY_SECONDS 60

static int trunk_select(struct request *r, const char *tail, const char *id,
                        struct db_result **res)
{
    char sql[640];
    snprintf(sql, sizeof(sql), "SELECT " TRUNK_COLUMNS " FROM sip_trunks WHERE tenant_id = ?%s",
             tail);
    if (id != NULL)
        return db_exec(r->db, r->arena, sql,
                       DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), res);
    return db_exec(r->db, r->arena, sql, DB_PARAMS(DB_STR(r->auth.tenant_id)), res);
}

static int set_int_or_null(struct json_object *o, const char *key, const struct db_result *res,
                           const char *col)
{
    if (db_get(res, 0, col) == NULL)
        return json_set(o, key, NULL);
    return json_set_int(o, key, db_get_int(res, 0, col, 0));
}

int sip_trunk_fetch(struct request *r, struct json_object **out)
{
    static const char *const texts[] = {"id", "provider", "server", "transport", "username",
                                        "domain", "registration_state", "registered_at",
                                        "expires_at", "last_error", "last_checked_at",
                                        "created_at", "updated_at"};
    struct db_result *res;
    int rc = trunk_select(r, "", NULL, &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL)
        return DB_ERROR;
    int err = 0;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        err |= json_set_str(o, texts[i], db_get(res, 0, texts[i]));
    const char *state = db_get(res, 0, "registration_state");
    err |= json_set_int(o, "port", db_get_int(res, 0, "port", 0));
    err |= json_set_bool(o, "enable_recording", db_get_int(res, 0, "enable_recording", 0) != 0);
    err |= json_set_int(o, "register_expires", db_get_int(res, 0, "register_expires", 0));
    err |= json_set_bool(o, "has_password", db_get_int(res, 0, "has_password", 0) != 0);
    err |= json_set_bool(o, "registered", state != NULL && strcmp(state, "registered") == 0);
    err |= set_int_or_null(o, "last_status", res, "last_status");
    err |= set_int_or_null(o, "last_rtt_ms", res, "last_rtt_ms");
    if (err != 0)
        return DB_ERROR;
    *out = o;
    return DB_OK;
}

static int open_password(struct request *r, const struct db_result *res, struct sip_trunk *t)
{
    const struct db_cell *c = &res->cells[6]; /* password_sealed, TRUNK_COLUMNS' 7th */
    t->has_password = c->v != NULL;
    if (c->v == NULL)
        return DB_OK;
    if (c->len < CRYPTO_SEAL_OVERHEAD || c->len - CRYPTO_SEAL_OVERHEAD > SIP_PASSWORD_MAX ||
        crypto_open(r->cfg->jwt_key, r->cfg->jwt_key_len, SIP_PASSWORD_PURPOSE,
                    (const unsigned char *)c->v, c->len, (unsigned char *)t->password) != 0) {
        explicit_bzero(t->password, sizeof(t->password));
        /* Most likely the server key changed since it was sealed: set it again. */
        log_error("sip password of trunk %s does not open", db_get(res, 0, "id"));
        return DB_ERROR;
    }
    t->password[c->len - CRYPTO_SEAL_OVERHEAD] = '\0';
    return DB_OK;
}

static int load_where(struct request *r, const char *tail, const char *id, struct sip_trunk *t)
{
    struct db_result *res;
    memset(t, 0, sizeof(*t));
    int rc = trunk_select(r, tail, id, &res);
    if (rc != DB_OK)
        return rc;
    if (res->nrows == 0)
        return 1;
    t->id = db_get(res, 0, "id");
    t->provider = db_get(res, 0, "provider");
    t->server = db_get(res, 0, "server");
    t->transport = db_get(res, 0, "transport");
    t->domain = db_get(res, 0, "domain");
    t->username = db_get(res, 0, "username");
    t->state = db_get(res, 0, "registration_state");
    t->port = (int)db_get_int(res, 0, "port", 5060);
    t->register_expires = (long)db_get_int(res, 0, "register_expires", 3600);
    return open_password(r, res, t);
}

int sip_trunk_load(struct request *r, bool lock, struct sip_trunk *t)
{
    return load_where(r, lock ? " FOR UPDATE" : "", NULL, t);
}

void sip_trunk_wipe(struct sip_trunk *t)
{
    explicit_bzero(t->password, sizeof(t->password));
}

void sip_trunk_target(const struct request *r, const struct sip_trunk *t,
                      struct sip_target *out)
{
    memset(out, 0, sizeof(*out));
    out->server = t->server;
    out->port = t->port;
    if (sip_transport_parse(t->transport, &out->transport) != 0)
        out->transport = SIP_TP_UDP;
    out->domain = t->domain;
    out->username = t->username;
    out->password = t->has_password ? t->password : NULL;
    out->allow = (r->cfg->webhook_allow_loopback ? WEBHOOK_ALLOW_LOOPBACK : 0) |
                 (r->cfg->webhook_allow_private ? WEBHOOK_ALLOW_PRIVATE : 0);
    out->timeout_ms = r->cfg->sip_timeout_ms > 0 ? r->cfg->sip_timeout_ms : 3000;
}

struct json_object *sip_result_json(struct request *r, const struct sip_result *res)
{
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    bool answered = res->outcome == SIP_OK;
    if (o == NULL ||
        json_set_bool(o, "ok", answered && res->status >= 200 && res->status < 300) ||
        (answered ? json_set_int(o, "status_code", res->status)
                  : json_set(o, "status_code", NULL)) ||
        json_set_str(o, "reason", answered ? res->reason : NULL) ||
        (answered ? json_set_int(o, "rtt_ms", res->rtt_ms) : json_set(o, "rtt_ms", NULL)) ||
        json_set_str(o, "error_code", answered ? NULL : sip_outcome_code(res->outcome)) ||
        json_set_str(o, "error", res->error[0] ? res->error : NULL))
        return NULL;
    return o;
}

static const char *last_error_of(const struct sip_result *res)
{
    return res->error[0] != '\0' ? res->error : NULL;
}

int sip_trunk_store_test(struct request *r, const char *id, const struct sip_result *res)
{
    bool answered = res->outcome == SIP_OK;
    return db_exec(r->db, r->arena,
                   "UPDATE sip_trunks SET last_status = ?, last_error = ?, last_rtt_ms = ?,"
                   " last_checked_at = NOW(3) WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(answered ? DB_INT(res->status) : DB_NULL,
                             DB_STR(last_error_of(res)),
                             answered ? DB_INT(res->rtt_ms) : DB_NULL, DB_STR(id),
                             DB_STR(r->auth.tenant_id)),
                   NULL);
}

static int emit(struct request *r, const char *type, const struct sip_trunk *t,
                const char *state, const struct sip_result *res)
{
    struct json_object *p = arena_json(r->arena, json_object_new_object());
    if (p == NULL || json_set_str(p, "trunk_id", t->id) ||
        json_set_str(p, "provider", t->provider) || json_set_str(p, "server", t->server) ||
        json_set_str(p, "state", state) ||
        (res->status > 0 ? json_set_int(p, "status_code", res->status)
                         : json_set(p, "status_code", NULL)) ||
        json_set_int(p, "expires", res->expires) ||
        json_set_str(p, "error", last_error_of(res)))
        return DB_ERROR;
    int rc = event_emit(r, type, NULL, json_text(p, NULL));
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc;
}

/*
 * The state a REGISTER leaves: registered (refreshed at half the granted time), failed
 * (an explicit register is not retried; a refresh that failed is, every RETRY_SECONDS, so a
 * registrar that comes back gets the trunk again), or unregistered.
 */
int sip_trunk_store_register(struct request *r, const struct sip_trunk *t, unsigned asked,
                             const struct sip_result *res)
{
    bool ok = res->outcome == SIP_OK && res->status >= 200 && res->status < 300;
    const char *state = asked == 0 ? "unregistered"
                        : ok && res->expires > 0 ? "registered" : "failed";
    bool registered = strcmp(state, "registered") == 0;
    bool was_registered = t->state != NULL && strcmp(t->state, "registered") == 0;
    long long expires_us = registered ? (long long)res->expires * 1000000 : 0;
    long long retry_us = !registered && asked > 0 && (was_registered || t->refreshing) ? RETRY_SECONDS * 1000000LL
                                                                     : -1;
    int rc = db_exec(
        r->db, r->arena,
        "UPDATE sip_trunks SET registration_state = ?,"
        " registered_at = IF(? > 0, NOW(3), registered_at),"
        " expires_at = IF(? > 0, NOW(3) + INTERVAL ? MICROSECOND, NULL),"
        " refresh_at = CASE WHEN ? > 0 THEN NOW(3) + INTERVAL ? / 2 MICROSECOND"
        "  WHEN ? >= 0 THEN NOW(3) + INTERVAL ? MICROSECOND ELSE NULL END,"
        " last_status = ?, last_error = ?, last_rtt_ms = ?, last_checked_at = NOW(3)"
        " WHERE id = ? AND tenant_id = ?",
        DB_PARAMS(DB_STR(state), DB_INT(registered), DB_INT(expires_us), DB_INT(expires_us),
                  DB_INT(expires_us), DB_INT(expires_us), DB_INT(retry_us), DB_INT(retry_us),
                  res->outcome == SIP_OK ? DB_INT(res->status) : DB_NULL,
                  DB_STR(last_error_of(res)),
                  res->outcome == SIP_OK ? DB_INT(res->rtt_ms) : DB_NULL, DB_STR(t->id),
                  DB_STR(r->auth.tenant_id)),
        NULL);
    if (rc != DB_OK || (t->state != NULL && strcmp(t->state, state) == 0))
        return rc;
    const char *type = registered         ? "sip.registered"
                       : asked == 0       ? "sip.unregistered"
                                          : "sip.registration_failed";
    return emit(r, type, t, state, res);
}

int sip_refresh_due(struct request *r, const char *id, int *moved)
{
    struct sip_trunk t;
    struct sip_target target;
    struct sip_result res;
    *moved = 0;
    /* Another clock holding it is refreshing it now. */
    int rc = load_where(r, " AND id = ? AND refresh_at <= NOW(3) FOR UPDATE SKIP LOCKED", id,
                        &t);
    if (rc == 1)
        return DB_OK;
    if (rc == DB_OK) {
        t.refreshing = true;
        sip_trunk_target(r, &t, &target);
        (void)sip_client_register(&target, (unsigned)t.register_expires, &res);
        rc = sip_trunk_store_register(r, &t, (unsigned)t.register_expires, &res);
        *moved = 1;
    }
    sip_trunk_wipe(&t);
    return rc;
}
