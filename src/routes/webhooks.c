/*
 * Twilio's call-status callback. The caller is not a user: the request is trusted only
 * when its X-Twilio-Signature verifies with the auth token of the tenant that owns the
 * called number, computed over the public URL Twilio used (not nginx's internal one).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "did_route.h"
#include "ivr.h"
#include "httputil.h"
#include "jsonutil.h"
#include "log.h"
#include "queue_dist.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static int pair_cmp(const void *a, const void *b)
{
    const struct query_pair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->value, y->value);
}

char *twilio_signature(struct arena *a, const char *token, const char *url,
                       const struct query_pair *params, size_t n)
{
    struct query_pair *sorted = arena_calloc(a, n + 1, sizeof(*sorted));
    if (sorted == NULL)
        return NULL;
    size_t len = strlen(url);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = params[i];
        len += strlen(params[i].key) + strlen(params[i].value);
    }
    qsort(sorted, n, sizeof(*sorted), pair_cmp);
    char *data = arena_alloc(a, len + 1), *p = data;
    if (data == NULL)
        return NULL;
    p = stpcpy(p, url);
    for (size_t i = 0; i < n; i++) {
        p = stpcpy(p, sorted[i].key);
        p = stpcpy(p, sorted[i].value);
    }
    unsigned char mac[20];
    if (crypto_hmac_sha1(token, strlen(token), data, len, mac) != 0)
        return NULL;
    return crypto_base64(a, mac, sizeof(mac));
}

/* Twilio's CallStatus in our words (calls.c knows them); NULL when it is not a status. */
static const char *map_status(const char *twilio)
{
    const char *ours = fields_word(call_status_words, twilio);
    return call_status_is_known(ours) ? ours : NULL;
}

static int forbidden(struct request *r, const char *message)
{
    log_warn("twilio webhook refused: %s", message);
    return request_error(r, 403, "invalid_signature", message);
}

struct twilio_status {
    const char *sid, *from, *to, *direction, *status;
    long long duration;
};

/*
 * A new live inbound call goes where its number's route says at this moment (the
 * after-hours route when its schedule is closed): into a queue, where the distributor
 * offers it. Other route types are the telephony side's to carry out.
 */
static int route_inbound(struct request *r, const struct twilio_status *st,
                         const char *call_id)
{
    struct did_route route;
    int rc = did_route_resolve(r, st->to, time(NULL), &route);
    if (rc != DB_OK || strcmp(route.route_type, "queue") != 0 || route.route_target == NULL)
        return rc == 1 ? DB_OK : rc;
    struct queue_call_in in = {.id = id_new(r->arena, "qc_"), .queue_id = route.route_target,
                               .call_id = call_id, .did_id = route.did_id,
                               .caller_number = st->from, .called_number = st->to};
    if (in.id == NULL)
        return DB_ERROR;
    rc = qcall_enter(r, &in);
    /* A queue that cannot take the caller (inactive, full) leaves the call as it is. */
    if (rc == TXN_ANSWERED) {
        request_unanswer(r);
        return DB_OK;
    }
    return rc;
}

static int status_step(struct request *r, void *arg)
{
    const struct twilio_status *st = arg;
    const char *tenant_id = r->auth.tenant_id, *call_id = NULL;
    struct db_result *res, *cres = NULL;
    int rc = calls_lock_sid(r, st->sid, &res);
    if (rc == DB_OK && res->nrows > 0 && strcmp(db_get(res, 0, "tenant_id"), tenant_id) != 0)
        return txn_fail(r, 409, "conflict", "This CallSid belongs to another number");
    if (rc == DB_OK && res->nrows > 0) {
        call_id = db_get(res, 0, "id");
    } else if (rc == DB_OK) {
        /* First sight of the call: it starts live, then takes the reported state. */
        struct call_new c = {.call_sid = st->sid, .caller_number = st->from,
                             .called_number = st->to, .direction = st->direction,
                             .status = call_status_is_live(st->status) ? st->status : "ringing"};
        rc = calls_insert(r, &c, &call_id);
        if (rc == DB_DUPLICATE) /* the same call's callback racing: retried, it is found */
            rc = DB_DEADLOCK;
        if (rc == DB_OK && c.status == st->status && strcmp(st->direction, "inbound") == 0)
            rc = route_inbound(r, st, call_id);
    }
    if (rc == DB_OK)
        rc = calls_set_status(r, call_id, st->status, st->duration);
    if (rc == DB_OK && !call_status_is_live(st->status))
        rc = qcall_call_ended(r, call_id);
    if (rc == DB_OK && !call_status_is_live(st->status)) /* a caller hanging up in the IVR */
        rc = ivr_call_ended(r, call_id);
    if (rc == DB_OK)
        rc = audit_record(r, tenant_id, "call.twilio_status", "call", call_id, NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, id AS call_id, call_sid, caller_number, called_number,"
                     " direction, status, total_duration, ai_minutes, transfer_minutes,"
                     " start_time, end_time FROM calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(call_id), DB_STR(tenant_id)), &cres);
    if (rc != DB_OK)
        return rc;
    calls_written(r);
    return resource_reply_row(r, 200, "call", cres, NULL);
}

int twilio_request_verify(struct request *r, const char *tenant_id, const char *signature,
                          const struct query_pair *form, size_t n, const char *unconfigured)
{
    char token[80];
    int rc = integration_twilio_token(r, tenant_id, token, sizeof(token));
    if (rc < 0)
        return request_db_error(r, rc);
    if (rc == 1)
        return forbidden(r, unconfigured);
    /* The URL Twilio signed is the public one; nginx's REQUEST_URI keeps path and query. */
    const char *base = r->cfg->public_base_url;
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    char *url = arena_printf(r->arena, "%.*s%s", (int)blen, base, r->request_uri);
    char *expected = url ? twilio_signature(r->arena, token, url, form, n) : NULL;
    explicit_bzero(token, sizeof(token));
    if (expected == NULL)
        return request_oom(r);
    if (strlen(signature) != strlen(expected) ||
        !crypto_equal(signature, expected, strlen(expected)))
        return forbidden(r, "The X-Twilio-Signature does not match");
    return 0;
}

/* The signature header and the form: 0, or -1 answered (403, 500). */
static int signed_form(struct request *r, const char **signature, struct query_pair **form,
                       size_t *n)
{
    *signature = request_header(r, "X-Twilio-Signature");
    if (*signature == NULL || (*signature)[0] == '\0')
        return forbidden(r, "The X-Twilio-Signature header is missing");
    return request_form(r, form, n) != 0 ? request_oom(r) : 0;
}

int twilio_called_tenant(struct request *r, struct query_pair **form, size_t *n,
                         const char **tenant_id)
{
    const char *signature;
    if (signed_form(r, &signature, form, n) != 0)
        return -1;
    const char *to = http_pairs_get(*form, *n, "To");
    if (to == NULL || to[0] == '\0') {
        request_field_error(r, "To", "is required");
        return request_check_fields(r);
    }
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "SELECT tenant_id FROM dids WHERE number = ? AND is_active = 1",
                     DB_PARAMS(DB_STR(to)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "The called number is not ours");
    *tenant_id = db_get(res, 0, "tenant_id");
    return twilio_request_verify(r, *tenant_id, signature, *form, *n,
                                 "Twilio is not configured for this number");
}

/* The callback's form once its tenant is known and its signature verified: its checks,
 * then the write, acting for tenant_id. */
static int status_apply(struct request *r, const char *tenant_id, const struct query_pair *form,
                        size_t n)
{
    const char *sid = http_pairs_get(form, n, "CallSid");
    const char *from = http_pairs_get(form, n, "From");
    const char *to = http_pairs_get(form, n, "To");
    const char *status = map_status(http_pairs_get(form, n, "CallStatus"));
    if (sid == NULL || sid[0] == '\0' || strlen(sid) > 100)
        request_field_error(r, "CallSid", "is required");
    if (from == NULL || strlen(from) > 64)
        request_field_error(r, "From", "is required");
    if (to == NULL || to[0] == '\0')
        request_field_error(r, "To", "is required");
    else if (strlen(to) > 64)
        request_field_error(r, "To", "is too long");
    if (status == NULL)
        request_field_error(r, "CallStatus", "is not a Twilio call status");
    if (request_check_fields(r) != 0)
        return -1;
    const char *dur = http_pairs_get(form, n, "CallDuration");
    if (dur == NULL)
        dur = http_pairs_get(form, n, "Duration");
    char *end = NULL;
    long long duration = dur ? strtoll(dur, &end, 10) : -1;
    if (dur != NULL && (end == dur || *end != '\0' || duration < 0 || duration > 86400 * 7))
        duration = -1;
    const char *direction = http_pairs_get(form, n, "Direction");
    direction = direction && strncmp(direction, "outbound", 8) == 0 ? "outbound" : "inbound";

    /* From here on the request acts for the tenant. */
    r->auth.tenant_id = tenant_id;
    struct twilio_status st = {sid, from, to, direction, status, duration};
    return txn_reply(r, txn_run(r, status_step, &st));
}

/* The tenant is the owner of the called number. */
static int webhook_twilio_call_status(struct request *r)
{
    struct query_pair *form;
    size_t n;
    const char *tenant_id;
    if (twilio_called_tenant(r, &form, &n, &tenant_id) != 0)
        return -1;
    return status_apply(r, tenant_id, form, n);
}

/* calldocker's: the tenant is the path's company (so outbound calls, whose To is not one
 * of its numbers, are reported too). */
static int webhook_twilio_company(struct request *r)
{
    const char *signature;
    struct query_pair *form;
    size_t n;
    struct db_result *res;
    const char *company = request_param(r, "companyId");
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM tenants WHERE id = ? AND status <> 'deleted'",
                     DB_PARAMS(DB_STR(company)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "Company not found");
    if (signed_form(r, &signature, &form, &n) != 0 ||
        twilio_request_verify(r, db_get(res, 0, "id"), signature, form, n,
                              "Twilio is not configured for this company") != 0)
        return -1;
    return status_apply(r, db_get(res, 0, "id"), form, n);
}

static const struct route routes[] = {
    ROUTE("POST", "/webhooks/twilio/call-status", webhook_twilio_call_status, ROLES_PUBLIC,
          FAM_TRANSFER,
          .summary = "Twilio's call status callback (signed)"),
    ROUTE("POST", "/api/webhooks/twilio/:companyId", webhook_twilio_company, ROLES_PUBLIC,
          FAM_CALLDOCKER, .summary = "Twilio's call status callback for a company (signed)"),
};

ROUTE_GROUP(webhooks_routes, routes);
