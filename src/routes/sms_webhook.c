/*
 * Twilio's SMS callbacks, signed like the call-status callback (twilio_request_verify,
 * webhooks.c): the status of a message we sent (its StatusCallback, the tenant of the
 * MessageSid), and an inbound message (the tenant owning the `To` number). Both answer an
 * empty TwiML <Response/>: we never reply by TwiML.
 *
 * An inbound body that is only an opt-out word (sms.h: STOP, …) puts the sender on the
 * tenant's do-not-call list for outbound contact (direction outbound, or both when it was
 * blocked inbound already; an expired entry blocks again), in the message's transaction;
 * START or UNSTOP lifts the outbound block again (a `both` entry keeps its inbound block).
 * A message Twilio posts twice (same MessageSid) is stored once and acted on once.
 */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "httputil.h"
#include "log.h"
#include "request.h"
#include "routes.h"
#include "sms.h"
#include "txn.h"
#include "validate.h"

static const char empty_twiml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

static int twiml_ok(struct request *r)
{
    return reply_text(r, 200, "text/xml", empty_twiml, sizeof(empty_twiml) - 1);
}

/* The form and its signature checked against tenant_of(sql, key's value)'s token: 0 with
 * *tenant (and *row: the row sql found), or answered (-1). */
static int verified(struct request *r, const struct query_pair *f, size_t n, const char *sql,
                    const char *key, struct db_result **row)
{
    const char *sig = request_header(r, "X-Twilio-Signature");
    const char *v = http_pairs_get(f, n, key);
    if (sig == NULL || sig[0] == '\0') {
        log_warn("twilio sms webhook refused: no X-Twilio-Signature");
        return request_error(r, 403, "invalid_signature",
                             "The X-Twilio-Signature header is missing");
    }
    if (v == NULL || v[0] == '\0' || strlen(v) > 100) {
        request_field_error(r, key, "is required");
        return request_check_fields(r);
    }
    int rc = db_exec(r->db, r->arena, sql, DB_PARAMS(DB_STR(v)), row);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if ((*row)->nrows == 0)
        return request_error(r, 404, "not_found", "No such message or number of ours");
    const char *tenant = db_get(*row, 0, "tenant_id");
    if (twilio_request_verify(r, tenant, sig, f, n, "Twilio is not configured for this tenant"))
        return -1;
    r->auth.tenant_id = tenant; /* from here on the request acts for that tenant */
    return 0;
}

/* ---- status ----------------------------------------------------------------------------- */

struct sms_status {
    const char *id, *status, *error_code;
};

static int status_step(struct request *r, void *arg)
{
    const struct sms_status *s = arg;
    struct db_result *res;
    /* A final status stays: a late 'sent' never undoes 'delivered'. */
    int rc = db_exec(r->db, r->arena,
                     "UPDATE sms_messages SET status = ?,"
                     " delivered_at = IF(? = 'delivered', NOW(), delivered_at),"
                     " sent_at = COALESCE(sent_at, NOW()), error_code = COALESCE(?, error_code),"
                     " next_attempt_at = NULL"
                     " WHERE id = ? AND tenant_id = ? AND direction = 'outbound'"
                     " AND status <> 'delivered'"
                     " AND (? <> 'sent' OR status IN ('queued','sending'))",
                     DB_PARAMS(DB_STR(s->status), DB_STR(s->status), DB_STR(s->error_code),
                               DB_STR(s->id), DB_STR(r->auth.tenant_id), DB_STR(s->status)),
                     &res);
    if (rc == DB_OK && res->affected_rows > 0)
        rc = sms_event(r, "sms.status", s->id, s->status);
    return rc == DB_OK && twiml_ok(r) == 0 ? DB_OK : rc;
}

static int sms_status_hook(struct request *r)
{
    struct query_pair *f;
    size_t n;
    struct db_result *row;
    if (request_form(r, &f, &n) != 0)
        return request_oom(r);
    if (verified(r, f, n, "SELECT id, tenant_id FROM sms_messages WHERE provider_sid = ?",
                 "MessageSid", &row) != 0)
        return -1;
    const char *twilio = http_pairs_get(f, n, "MessageStatus");
    if (twilio == NULL)
        twilio = http_pairs_get(f, n, "SmsStatus");
    const char *code = http_pairs_get(f, n, "ErrorCode");
    struct sms_status s = {db_get(row, 0, "id"), sms_status_of(twilio),
                           code && code[0] && strlen(code) <= 32 ? code : NULL};
    if (s.status == NULL) /* queued, sending, accepted…: nothing of ours moves */
        return twiml_ok(r);
    return txn_reply(r, txn_run(r, status_step, &s));
}

/* ---- inbound ---------------------------------------------------------------------------- */

struct sms_in {
    const char *sid, *from, *to, *body;
    int segments;
    enum sms_opt opt;
};

/* STOP: the sender's outbound block (a new entry, or the inbound one made `both`, or an
 * expired one renewed); START: lifted. DB_OK or a db_rc. */
static int opt_step(struct request *r, const struct sms_in *m)
{
    struct db_result *row;
    const char *t = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, direction FROM blacklist WHERE tenant_id = ? AND number = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(t), DB_STR(m->from)), &row);
    if (rc != DB_OK)
        return rc;
    const char *id = row->nrows ? db_get(row, 0, "id") : NULL;
    const char *dir = row->nrows ? db_get(row, 0, "direction") : "";
    if (m->opt == SMS_OPT_OUT && id == NULL) {
        id = id_new(r->arena, "dnc_");
        if (id == NULL)
            return DB_ERROR;
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO blacklist (id, tenant_id, number, reason, direction)"
                     " VALUES (?, ?, ?, 'SMS opt-out', 'outbound')",
                     DB_PARAMS(DB_STR(id), DB_STR(t), DB_STR(m->from)), NULL);
    } else if (m->opt == SMS_OPT_OUT) {
        rc = db_exec(r->db, r->arena,
                     "UPDATE blacklist SET expires_at = NULL,"
                     " direction = IF(direction = 'inbound', 'both', direction)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(t)), NULL);
    } else if (id != NULL && strcmp(dir, "inbound") != 0) {
        rc = db_exec(r->db, r->arena,
                     strcmp(dir, "both") == 0
                         ? "UPDATE blacklist SET direction = 'inbound'"
                           " WHERE id = ? AND tenant_id = ?"
                         : "DELETE FROM blacklist WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(t)), NULL);
    } else {
        return DB_OK; /* START with no outbound block: nothing to lift */
    }
    if (rc == DB_OK)
        rc = audit_record(r, t, m->opt == SMS_OPT_OUT ? "dnc.sms_opt_out" : "dnc.sms_opt_in",
                          "dnc", id, NULL);
    return rc;
}

static int inbound_step(struct request *r, void *arg)
{
    const struct sms_in *m = arg;
    struct db_result *res;
    const char *id = id_new(r->arena, "sms_");
    if (id == NULL)
        return DB_ERROR;
    /* Twilio retries a callback it saw fail: the MessageSid is stored once. */
    int rc = db_exec(r->db, r->arena,
                     "INSERT IGNORE INTO sms_messages (id, tenant_id, direction, from_number,"
                     " to_number, body, status, provider, provider_sid, segments)"
                     " VALUES (?, ?, 'inbound', ?, ?, ?, 'received', 'twilio', ?, ?)",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id), DB_STR(m->from),
                               DB_STR(m->to), DB_STR(m->body), DB_STR(m->sid),
                               DB_INT(m->segments)),
                     &res);
    if (rc != DB_OK || res->affected_rows == 0)
        return rc == DB_OK && twiml_ok(r) == 0 ? DB_OK : rc;
    if (m->opt != SMS_OPT_NONE)
        rc = opt_step(r, m);
    if (rc == DB_OK)
        rc = sms_event(r, "sms.received", id, "received");
    return rc == DB_OK && twiml_ok(r) == 0 ? DB_OK : rc;
}

static int sms_inbound_hook(struct request *r)
{
    struct query_pair *f;
    size_t n;
    struct db_result *row;
    char from[24];
    if (request_form(r, &f, &n) != 0)
        return request_oom(r);
    if (verified(r, f, n, "SELECT number, tenant_id FROM dids WHERE number = ? AND is_active = 1",
                 "To", &row) != 0)
        return -1;
    struct sms_in m = {http_pairs_get(f, n, "MessageSid"), http_pairs_get(f, n, "From"),
                       db_get(row, 0, "number"), http_pairs_get(f, n, "Body"), 0, SMS_OPT_NONE};
    if (m.sid == NULL || m.sid[0] == '\0' || strlen(m.sid) > 100)
        request_field_error(r, "MessageSid", "is required");
    if (m.from == NULL || validate_phone_e164(m.from, strlen(m.from), from, sizeof(from)) != 0)
        request_field_error(r, "From", "must be a phone number (E.164)");
    if (m.body == NULL)
        m.body = "";
    m.segments = sms_segments(m.body, strlen(m.body));
    if (m.segments < 1 || m.segments > 100)
        request_field_error(r, "Body", "must be UTF-8 text of at most 100 segments");
    if (request_check_fields(r) != 0)
        return -1;
    m.from = from;
    m.opt = sms_opt_word(m.body);
    return txn_reply(r, txn_run(r, inbound_step, &m));
}

static const struct route routes[] = {
    ROUTE("POST", "/webhooks/twilio/sms-status", sms_status_hook, ROLES_PUBLIC, FAM_TRANSFER,
          .summary = "Twilio's SMS status callback (signed)", .answer_media = "text/xml"),
    ROUTE("POST", "/webhooks/twilio/sms", sms_inbound_hook, ROLES_PUBLIC, FAM_TRANSFER,
          .summary = "Twilio's inbound SMS webhook (signed): stored, STOP/START honoured",
          .answer_media = "text/xml"),
};

ROUTE_GROUP(sms_webhook_routes, routes);
