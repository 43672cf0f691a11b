/*
 * SIP trunks of the coldcaller family (/api/sip/..., /api/health/sip): one trunk per tenant,
 * configured by its admins, read by its staff. Test and register talk to the trunk for
 * real (sip_client.h, libre); the row, its sealed password and the REGISTER outcomes with
 * their events live in sip_store.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "jsonutil.h"
#include "request.h"
#include "routes.h"
#include "sip_store.h"
#include "txn.h"
#include "webhook.h"

#define SIP_PASSWORD_PURPOSE "sip-password"

static const char *const transports[] = {"UDP", "TCP", "TLS", NULL};
static const struct field_word transport_words[] = {
    {"udp", "UDP"}, {"tcp", "TCP"}, {"tls", "TLS"}, {NULL, NULL}};

enum {
    C_PROVIDER, C_SERVER, C_PORT, C_TRANSPORT, C_USERNAME, C_PASSWORD, C_DOMAIN, C_RECORDING,
    C_EXPIRES, C_NFIELDS
};

static const struct field_def configure_fields[] = {
    [C_PROVIDER] = {"provider", FT_TEXT, F_REQUIRED, 1, 50, NULL, NULL, NULL},
    [C_SERVER] = {"server", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [C_PORT] = {"port", FT_INT, 0, 1, 65535, NULL, NULL, NULL},
    [C_TRANSPORT] = {"transport", FT_ENUM, 0, 0, 0, transports, transport_words, NULL},
    [C_USERNAME] = {"username", FT_TEXT, F_NULLABLE, 1, 128, NULL, NULL, NULL},
    [C_PASSWORD] = {"password", FT_TEXT, F_NULLABLE, 1, SIP_PASSWORD_MAX, NULL, NULL, NULL},
    [C_DOMAIN] = {"domain", FT_TEXT, F_NULLABLE, 1, 255, NULL, NULL, NULL},
    [C_RECORDING] = {"enable_recording", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
    [C_EXPIRES] = {"register_expires", FT_INT, 0, 5, 86400, NULL, NULL, NULL},
};

/* A host as a SIP URI carries it: a name of letters, digits, dots and dashes, or an
 * address; a literal address is judged now (a name when it is resolved, at each send). */
static void check_host(struct request *r, const char *field, const char *host)
{
    unsigned char addr[16];
    unsigned allow = (r->cfg->webhook_allow_loopback ? WEBHOOK_ALLOW_LOOPBACK : 0) |
                     (r->cfg->webhook_allow_private ? WEBHOOK_ALLOW_PRIVATE : 0);
    const char *refusal = NULL;
    if (inet_pton(AF_INET, host, addr) == 1)
        refusal = webhook_addr_refusal(AF_INET, addr, allow);
    else if (inet_pton(AF_INET6, host, addr) == 1)
        refusal = webhook_addr_refusal(AF_INET6, addr, allow);
    else if (strcasecmp(host, "localhost") == 0)
        refusal = (allow & WEBHOOK_ALLOW_LOOPBACK) ? NULL : "must not be a loopback address";
    else
        for (const char *p = host; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-') {
                refusal = "must be a host name or an IP address";
                break;
            }
    if (refusal != NULL)
        request_field_error(r, field, refusal);
}

/* The user part of a SIP URI, as we let libre write it: no separators, spaces or controls. */
static void check_user(struct request *r, const char *user)
{
    for (const char *p = user; p != NULL && *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("@:<>\"", *p)) {
            request_field_error(r, "username", "must not contain spaces, @, :, <, > or quotes");
            return;
        }
}

/* The sealing buffer holds SIP_PASSWORD_MAX bytes: the field's bound counts characters. */
static void check_password(struct request *r, const char *pw)
{
    if (pw != NULL && strlen(pw) > SIP_PASSWORD_MAX) {
        request_field_error(r, "password", "must be at most 128 bytes");
        return;
    }
    for (const char *p = pw; p != NULL && *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f) {
            request_field_error(r, "password", "must not contain control characters");
            return;
        }
}

struct configure {
    struct field_value v[C_NFIELDS];
    bool seal;
    unsigned char sealed[SIP_PASSWORD_MAX + CRYPTO_SEAL_OVERHEAD];
    size_t sealed_len;
};

/* A fresh nonce per seal, so the stored value changes even when the password does not. */
static int seal_password(struct request *r, const char *pw, struct configure *c)
{
    size_t n = strlen(pw);
    if (n > SIP_PASSWORD_MAX)
        return request_error(r, 400, "bad_request", "The SIP password is too long");
    c->seal = true;
    c->sealed_len = n + CRYPTO_SEAL_OVERHEAD;
    if (crypto_seal(r->cfg->jwt_key, r->cfg->jwt_key_len, SIP_PASSWORD_PURPOSE, pw, n,
                    c->sealed) != 0)
        return request_error(r, 500, "internal_error", "Could not seal the SIP password");
    return 0;
}

static int settings_answer(struct request *r, int status)
{
    struct json_object *o = NULL;
    int rc = sip_trunk_fetch(r, &o);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    return reply_one(r, status, "settings", o) == 0 ? DB_OK : DB_ERROR;
}

static const char *id_of(struct json_object *trunk)
{
    struct json_object *id = NULL;
    json_object_object_get_ex(trunk, "id", &id);
    return json_object_get_string(id);
}

/*
 * Upsert of the tenant's one trunk. A member not sent keeps its value (the password too); a
 * changed configuration is a new trunk to its registrar, so the registration starts over.
 */
static int configure_step(struct request *r, void *arg)
{
    struct configure *c = arg;
    struct field_value *v = c->v;
    const char *id = id_new(r->arena, "sip_");
    const char *transport = v[C_TRANSPORT].sent ? v[C_TRANSPORT].s : "UDP";
    long long port = v[C_PORT].sent ? v[C_PORT].i : strcmp(transport, "TLS") == 0 ? 5061 : 5060;
    if (id == NULL)
        return DB_ERROR;
    int rc = db_exec(
        r->db, r->arena,
        "INSERT INTO sip_trunks (id, tenant_id, provider, server, port, transport, username,"
        " password_sealed, domain, enable_recording, register_expires)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
        " provider = VALUES(provider), server = VALUES(server), port = VALUES(port),"
        " transport = VALUES(transport),"
        " username = IF(?, VALUES(username), username),"
        " password_sealed = IF(?, VALUES(password_sealed), password_sealed),"
        " domain = IF(?, VALUES(domain), domain),"
        " enable_recording = IF(?, VALUES(enable_recording), enable_recording),"
        " register_expires = IF(?, VALUES(register_expires), register_expires),"
        " registration_state = 'unregistered', expires_at = NULL, refresh_at = NULL",
        DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(v[C_PROVIDER].s),
                  DB_STR(v[C_SERVER].s), DB_INT(port), DB_STR(transport),
                  DB_STR(v[C_USERNAME].s),
                  c->seal ? DB_STRN((const char *)c->sealed, c->sealed_len) : DB_NULL,
                  DB_STR(v[C_DOMAIN].s), DB_INT(v[C_RECORDING].sent && v[C_RECORDING].b),
                  DB_INT(v[C_EXPIRES].sent ? v[C_EXPIRES].i : 3600),
                  DB_INT(v[C_USERNAME].sent), DB_INT(v[C_PASSWORD].sent),
                  DB_INT(v[C_DOMAIN].sent), DB_INT(v[C_RECORDING].sent),
                  DB_INT(v[C_EXPIRES].sent)),
        NULL);
    struct json_object *details = arena_json(r->arena, json_object_new_object()), *trunk = NULL;
    if (rc == DB_OK && (details == NULL || json_set_str(details, "server", v[C_SERVER].s) ||
                        json_set_str(details, "transport", transport) ||
                        json_set_str(details, "provider", v[C_PROVIDER].s)))
        rc = DB_ERROR;
    /* The trunk's id: ours when inserted, the existing one when replaced. */
    if (rc == DB_OK)
        rc = sip_trunk_fetch(r, &trunk) == DB_OK ? DB_OK : DB_ERROR;
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "sip.configure", "sip_trunk",
                          id_of(trunk), json_text(details, NULL));
    return rc == DB_OK ? reply_one(r, 200, "settings", trunk) == 0 ? DB_OK : DB_ERROR : rc;
}

static int sip_configure(struct request *r)
{
    struct configure c = {0};
    struct field_value *v = c.v;
    if (fields_declared(r, FIELDS_CREATE, v, C_NFIELDS, NULL) != 0)
        return -1;
    check_host(r, "server", v[C_SERVER].s);
    if (v[C_DOMAIN].s != NULL)
        check_host(r, "domain", v[C_DOMAIN].s);
    check_user(r, v[C_USERNAME].s);
    check_password(r, v[C_PASSWORD].s);
    if (request_check_fields(r) != 0)
        return -1;
    if (v[C_PASSWORD].s != NULL && seal_password(r, v[C_PASSWORD].s, &c) != 0)
        return -1;
    int rc = txn_reply(r, txn_run(r, configure_step, &c));
    explicit_bzero(c.sealed, sizeof(c.sealed));
    return rc;
}

static const struct field_def credential_fields[] = {
    {"username", FT_TEXT, F_ALWAYS, 1, 128, NULL, NULL, NULL},
    {"password", FT_TEXT, F_ALWAYS, 1, SIP_PASSWORD_MAX, NULL, NULL, NULL},
};

struct credentials {
    const char *username;
    struct configure c;
};

static int credentials_step(struct request *r, void *arg)
{
    struct credentials *w = arg;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE sip_trunks SET username = ?, password_sealed = ?,"
                     " registration_state = 'unregistered', expires_at = NULL, refresh_at = NULL"
                     " WHERE tenant_id = ?",
                     DB_PARAMS(DB_STR(w->username),
                               DB_STRN((const char *)w->c.sealed, w->c.sealed_len),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena, "SELECT id FROM sip_trunks WHERE tenant_id = ?",
                     DB_PARAMS(DB_STR(r->auth.tenant_id)), &res);
    if (rc == DB_OK && res->nrows == 0)
        return txn_fail(r, 404, "not_found", "No SIP trunk is configured");
    if (rc == DB_OK)
        rc = audit_record(r, r->auth.tenant_id, "sip.credentials", "sip_trunk",
                          db_get(res, 0, "id"), NULL);
    return rc == DB_OK ? settings_answer(r, 200) : rc;
}

static int sip_credentials(struct request *r)
{
    struct credentials w = {0};
    struct field_value v[2];
    if (fields_declared(r, FIELDS_UPDATE, v, 2, NULL) != 0)
        return -1;
    check_user(r, v[0].s);
    check_password(r, v[1].s);
    if (request_check_fields(r) != 0 || seal_password(r, v[1].s, &w.c) != 0)
        return -1;
    w.username = v[0].s;
    int rc = txn_reply(r, txn_run(r, credentials_step, &w));
    explicit_bzero(w.c.sealed, sizeof(w.c.sealed));
    return rc;
}

static int sip_settings(struct request *r)
{
    struct json_object *o = NULL;
    int rc = sip_trunk_fetch(r, &o);
    return request_reply_found(r, 200, rc, "settings", o, "No SIP trunk is configured");
}

/* ---- talking to the trunk ------------------------------------------------------------- */

/* The outcome answered with the trunk's state as stored now. */
static int outcome_answer(struct request *r, const char *key, const struct sip_result *res)
{
    struct json_object *o = sip_result_json(r, res), *trunk = NULL;
    int rc = sip_trunk_fetch(r, &trunk);
    if (rc != DB_OK)
        return rc < 0 ? rc : DB_ERROR;
    static const char *const copied[] = {"id", "server", "port", "transport",
                                         "registration_state", "registered", "expires_at"};
    for (size_t i = 0; o != NULL && i < sizeof(copied) / sizeof(copied[0]); i++) {
        struct json_object *val = NULL;
        json_object_object_get_ex(trunk, copied[i], &val);
        if (json_set(o, strcmp(copied[i], "id") == 0 ? "trunk_id" : copied[i],
                     json_object_get(val)) != 0)
            return DB_ERROR;
    }
    if (o == NULL || json_set_int(o, "expires", res->expires) != 0)
        return DB_ERROR;
    return reply_one(r, 200, key, o) == 0 ? DB_OK : DB_ERROR;
}

struct talk {
    struct sip_result res;
    unsigned expires; /* REGISTER: asked; 0 unregisters */
};

static int test_step(struct request *r, void *arg)
{
    struct talk *w = arg;
    struct sip_trunk t;
    struct sip_target target;
    int rc = sip_trunk_load(r, false, &t);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "No SIP trunk is configured");
    if (rc == DB_OK) {
        sip_trunk_target(r, &t, &target);
        (void)sip_client_options(&target, &w->res);
        rc = sip_trunk_store_test(r, t.id, &w->res);
    }
    sip_trunk_wipe(&t);
    return rc == DB_OK ? outcome_answer(r, "test", &w->res) : rc;
}

/* The row stays locked while REGISTER is on the wire: see sip_store.h. */
static int register_step(struct request *r, void *arg)
{
    struct talk *w = arg;
    struct sip_trunk t;
    struct sip_target target;
    int rc = sip_trunk_load(r, true, &t);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "No SIP trunk is configured");
    bool was_registered = rc == DB_OK && strcmp(t.state, "registered") == 0;
    if (rc == DB_OK && w->expires > 0 && (t.username == NULL || !t.has_password)) {
        sip_trunk_wipe(&t);
        return txn_fail(r, 400, "bad_request",
                        "The SIP trunk has no username and password; set its credentials");
    }
    if (rc == DB_OK) {
        /* Nothing is bound at the registrar: an unregister only records it. */
        if (w->expires == 0 && !was_registered)
            w->res = (struct sip_result){.outcome = SIP_OK, .status = 200};
        else {
            sip_trunk_target(r, &t, &target);
            (void)sip_client_register(&target, w->expires != 0 ? (unsigned)t.register_expires
                                                               : 0, &w->res);
        }
        rc = sip_trunk_store_register(r, &t, w->expires != 0 ? (unsigned)t.register_expires : 0,
                                      &w->res);
    }
    sip_trunk_wipe(&t);
    return rc == DB_OK ? outcome_answer(r, "registration", &w->res) : rc;
}

/* The SIP exchange runs in the transaction; a retried deadlock sends it again (harmless:
 * OPTIONS is safe, and REGISTER of the same binding is idempotent). */
static int sip_test(struct request *r)
{
    struct talk w = {0};
    return txn_reply(r, txn_run(r, test_step, &w));
}

static int sip_register(struct request *r)
{
    struct talk w = {.expires = 1};
    return txn_reply(r, txn_run(r, register_step, &w));
}

static int sip_unregister(struct request *r)
{
    struct talk w = {.expires = 0};
    return txn_reply(r, txn_run(r, register_step, &w));
}

/* ---- reads ------------------------------------------------------------------------------ */

struct provider {
    const char *name, *server, *transport, *notes;
    int port;
};

/* Where each provider's trunks usually live; the tenant's own host replaces the example. */
static const struct provider providers[] = {
    {"Twilio", "your-domain.pstn.twilio.com", "UDP", "Elastic SIP Trunking termination URI",
     5060},
    {"RingCentral", "sip.ringcentral.com", "TCP", "Credentials from the RingCentral portal",
     5090},
    {"Vonage", "sip.nexmo.com", "UDP", "Vonage SIP trunking endpoint", 5060},
    {"Asterisk", "pbx.example.com", "UDP", "Your Asterisk server (chan_pjsip)", 5060},
    {"FreePBX", "pbx.example.com", "UDP", "Your FreePBX server (PJSIP extension)", 5060},
};

static int sip_providers(struct request *r)
{
    struct json_object *list = arena_json(r->arena, json_object_new_array());
    for (size_t i = 0; list != NULL && i < sizeof(providers) / sizeof(providers[0]); i++) {
        struct json_object *o = json_object_new_object();
        if (o == NULL || json_push(list, o) != 0 ||
            json_set_str(o, "name", providers[i].name) ||
            json_set_str(o, "server", providers[i].server) ||
            json_set_int(o, "port", providers[i].port) ||
            json_set_str(o, "transport", providers[i].transport) ||
            json_set_str(o, "notes", providers[i].notes))
            return request_oom(r);
    }
    if (list == NULL)
        return request_oom(r);
    return reply_one(r, 200, "providers", list);
}

static int sip_status(struct request *r)
{
    static const char *const copied[] = {
        "id", "provider", "server", "port", "transport", "registration_state", "registered",
        "registered_at", "expires_at", "last_status", "last_error", "last_checked_at",
        "last_rtt_ms"};
    struct json_object *trunk = NULL, *o = arena_json(r->arena, json_object_new_object());
    int rc = sip_trunk_fetch(r, &trunk);
    if (rc < 0)
        return request_db_error(r, rc);
    if (o == NULL || json_set_bool(o, "configured", rc == DB_OK))
        return request_oom(r);
    if (rc != DB_OK)
        return json_set_bool(o, "registered", false) ||
                       json_set_str(o, "registration_state", "unconfigured")
                   ? request_oom(r)
                   : reply_one(r, 200, "status", o);
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
        struct json_object *val = NULL;
        json_object_object_get_ex(trunk, copied[i], &val);
        if (json_set(o, copied[i], json_object_get(val)) != 0)
            return request_oom(r);
    }
    return reply_one(r, 200, "status", o);
}

/* Registration state per trunk of the tenant (one today; a list so more can come). */
static int sip_health(struct request *r)
{
    struct json_object *trunk = NULL, *o = arena_json(r->arena, json_object_new_object());
    struct json_object *trunks = json_object_new_array();
    int rc = sip_trunk_fetch(r, &trunk);
    if (rc < 0) {
        json_object_put(trunks);
        return request_db_error(r, rc);
    }
    if (o == NULL || json_set(o, "trunks", trunks) != 0)
        return request_oom(r);
    const char *status = "unconfigured";
    if (rc == DB_OK) {
        struct json_object *reg = NULL;
        json_object_object_get_ex(trunk, "registered", &reg);
        status = json_object_get_boolean(reg) ? "healthy" : "unregistered";
        json_object_object_del(trunk, "username");
        if (json_push(trunks, json_object_get(trunk)) != 0)
            return request_oom(r);
    }
    if (json_set_str(o, "status", status) || json_set_int(o, "total", rc == DB_OK) ||
        json_set_int(o, "registered", strcmp(status, "healthy") == 0))
        return request_oom(r);
    return reply_one(r, 200, "sip", o);
}

static const struct route routes[] = {
    ROUTE("POST", "/api/sip/configure", sip_configure, ROLES_ADMIN, FAM_COLDCALLER,
          .summary = "Configure the tenant's SIP trunk (password sealed, never answered)",
          ROUTE_BODY(configure_fields), .key = "settings"),
    ROUTE("GET", "/api/sip/settings", sip_settings, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "The tenant's SIP trunk settings (hasPassword, never the password)",
          .key = "settings"),
    ROUTE("PUT", "/api/sip/credentials", sip_credentials, ROLES_ADMIN, FAM_COLDCALLER,
          .summary = "Set the SIP trunk's username and password (sealed)",
          ROUTE_BODY(credential_fields), .key = "settings"),
    ROUTE("GET", "/api/sip/providers", sip_providers, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "Known SIP providers with their server, port and transport",
          .key = "providers"),
    ROUTE("GET", "/api/sip/status", sip_status, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "The SIP trunk's registration state and latest check", .key = "status"),
    ROUTE("POST", "/api/sip/test", sip_test, ROLES_ADMIN, FAM_COLDCALLER,
          .summary = "Send SIP OPTIONS to the trunk: response code and round-trip time",
          .key = "test"),
    ROUTE("POST", "/api/sip/register", sip_register, ROLES_ADMIN, FAM_COLDCALLER,
          .summary = "REGISTER with the trunk (digest authentication): outcome and expiry",
          .key = "registration"),
    ROUTE("POST", "/api/sip/unregister", sip_unregister, ROLES_ADMIN, FAM_COLDCALLER,
          .summary = "Remove the trunk's registration (REGISTER with expiry 0)",
          .key = "registration"),
    ROUTE("GET", "/api/health/sip", sip_health, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "Registration state per SIP trunk of the tenant", .key = "sip"),
};

ROUTE_GROUP(sip_routes, routes);
