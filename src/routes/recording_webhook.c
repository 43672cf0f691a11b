/*
 * Twilio's recording status callback (a call's RecordingStatusCallback). Signed like the
 * call-status callback (webhooks.c), by the auth token of the tenant whose call the
 * CallSid is (CallSids are unique across tenants). Nothing is fetched: the audio stays at
 * Twilio, and the call's recording row keeps its RecordingSid, RecordingUrl, duration and
 * status (storage 'twilio'); fetching it would need the SSRF rules of src/hooks. A file
 * uploaded to the call meanwhile stays the recording: only the Twilio fields are added.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "httputil.h"
#include "jsonutil.h"
#include "log.h"
#include "recording.h"
#include "recordings.h"
#include "request.h"
#include "routes.h"
#include "txn.h"

/* Twilio's RecordingStatus in our recording statuses; NULL when it is none of them. */
static const char *map_status(const char *s)
{
    if (s == NULL)
        return NULL;
    if (strcmp(s, "in-progress") == 0)
        return "recording";
    if (strcmp(s, "completed") == 0)
        return "available";
    if (strcmp(s, "failed") == 0 || strcmp(s, "absent") == 0)
        return "failed";
    return NULL;
}

int twilio_recording_signed(struct request *r, const char *tenant_id,
                            const struct query_pair *form, size_t n)
{
    const char *signature = request_header(r, "X-Twilio-Signature");
    if (signature == NULL || signature[0] == '\0') {
        log_warn("twilio webhook refused: the X-Twilio-Signature header is missing");
        return request_error(r, 403, "invalid_signature",
                             "The X-Twilio-Signature header is missing");
    }
    return twilio_request_verify(r, tenant_id, signature, form, n,
                                 "Twilio is not configured for this call's tenant");
}

/* The row: Twilio's fields on the call's recording, or a new one that Twilio holds. */
static int write_row(struct request *r, struct twilio_recording *t)
{
    struct db_result *old;
    long long days;
    const char *tenant = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM recordings WHERE tenant_id = ? AND call_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(tenant), DB_STR(t->call_id)), &old);
    if (rc == DB_OK && old->nrows > 0) {
        t->rec_id = db_get(old, 0, "id");
        return db_exec(r->db, r->arena,
                       "UPDATE recordings SET recording_sid = ?, remote_url = ?,"
                       " status = IF(file_path = '', ?, status),"
                       " duration = IF(file_path = '' AND ? >= 0, ?, duration)"
                       " WHERE id = ? AND tenant_id = ?",
                       DB_PARAMS(DB_STR(t->rec_sid), DB_STR(t->url), DB_STR(t->status),
                                 DB_INT(t->duration), DB_INT(t->duration), DB_STR(t->rec_id),
                                 DB_STR(tenant)),
                       NULL);
    }
    if (rc == DB_OK)
        rc = recording_retention(r, &days);
    t->rec_id = id_new(r->arena, "rec_");
    if (rc != DB_OK || t->rec_id == NULL)
        return rc != DB_OK ? rc : DB_ERROR;
    return db_exec(r->db, r->arena,
                   "INSERT INTO recordings (id, tenant_id, call_id, call_sid, recording_sid,"
                   " file_path, storage, remote_url, format, duration, status, expires_at)"
                   " VALUES (?, ?, ?, ?, ?, '', 'twilio', ?, 'wav', ?, ?,"
                   " IF(? > 0, NOW() + INTERVAL ? DAY, NULL))",
                   DB_PARAMS(DB_STR(t->rec_id), DB_STR(tenant), DB_STR(t->call_id),
                             DB_STR(t->call_sid), DB_STR(t->rec_sid), DB_STR(t->url),
                             DB_INT(t->duration < 0 ? 0 : t->duration), DB_STR(t->status),
                             DB_INT(days), DB_INT(days)),
                   NULL);
}

static int recording_status_step(struct request *r, void *arg)
{
    struct twilio_recording *t = arg;
    struct db_result *call;
    const char *state = NULL;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM calls WHERE call_sid = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(t->call_sid), DB_STR(r->auth.tenant_id)), &call);
    if (rc == DB_OK && call->nrows == 0)
        return txn_fail(r, 404, "not_found", "No call has this CallSid");
    if (rc == DB_OK)
        t->call_id = db_get(call, 0, "id");
    if (rc == DB_OK)
        rc = recording_call_lock(r, t->call_id, &state);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", "No call has this CallSid");
    if (rc == DB_OK)
        rc = write_row(r, t);
    bool live = strcmp(t->status, "recording") == 0;
    /* The call's state follows Twilio's: started once, stopped once. */
    if (rc == DB_OK && live && strcmp(state, "off") == 0) {
        rc = recording_call_state(r, t->call_id, "recording");
        if (rc == DB_OK)
            rc = recording_emit(r, "recording.started", t->call_id, t->rec_id, "wav", -1);
    } else if (rc == DB_OK && !live && strcmp(state, "stopped") != 0) {
        rc = recording_call_state(r, t->call_id, "stopped");
        if (rc == DB_OK && strcmp(state, "recording") == 0)
            rc = recording_emit(r, "recording.stopped", t->call_id, t->rec_id, "wav",
                                t->duration);
    }
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (rc == DB_OK && (o == NULL || json_set_str(o, "recording_id", t->rec_id) ||
                        json_set_str(o, "call_id", t->call_id) ||
                        json_set_str(o, "status", t->status)))
        rc = DB_ERROR;
    return rc == DB_OK ? reply_one(r, 200, "recording", o) : rc;
}

int twilio_recording_form(struct request *r, const struct query_pair *form, size_t n,
                          struct twilio_recording *t)
{
    t->rec_sid = http_pairs_get(form, n, "RecordingSid");
    t->url = http_pairs_get(form, n, "RecordingUrl");
    t->status = map_status(http_pairs_get(form, n, "RecordingStatus"));
    if (t->rec_sid == NULL || t->rec_sid[0] == '\0' || strlen(t->rec_sid) > 64)
        request_field_error(r, "RecordingSid", "is required");
    if (t->url != NULL && (strncmp(t->url, "https://", 8) != 0 || strlen(t->url) > 1024))
        request_field_error(r, "RecordingUrl", "must be an https URL");
    if (t->status == NULL)
        request_field_error(r, "RecordingStatus", "is not a Twilio recording status");
    const char *dur = http_pairs_get(form, n, "RecordingDuration");
    char *end = NULL;
    t->duration = dur ? strtoll(dur, &end, 10) : -1;
    if (dur != NULL && (end == dur || *end != '\0' || t->duration < 0 || t->duration > 86400 * 7))
        request_field_error(r, "RecordingDuration", "must be seconds");
    return request_check_fields(r);
}

static int webhook_twilio_recording_status(struct request *r)
{
    struct query_pair *form;
    size_t n;
    struct db_result *res;
    struct twilio_recording t = {0};
    if (request_form(r, &form, &n) != 0)
        return request_oom(r);
    t.call_sid = http_pairs_get(form, n, "CallSid");
    if (t.call_sid == NULL || t.call_sid[0] == '\0' || strlen(t.call_sid) > 100) {
        request_field_error(r, "CallSid", "is required");
        return request_check_fields(r);
    }
    int rc = db_exec(r->db, r->arena, "SELECT tenant_id FROM calls WHERE call_sid = ?",
                     DB_PARAMS(DB_STR(t.call_sid)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (res->nrows == 0)
        return request_error(r, 404, "not_found", "No call has this CallSid");
    const char *tenant_id = db_get(res, 0, "tenant_id");
    if (twilio_recording_signed(r, tenant_id, form, n) != 0 ||
        twilio_recording_form(r, form, n, &t) != 0)
        return -1;
    /* From here on the request acts for the call's tenant. */
    r->auth.tenant_id = tenant_id;
    return txn_reply(r, txn_run(r, recording_status_step, &t));
}

static const struct route routes[] = {
    ROUTE("POST", "/webhooks/twilio/recording-status", webhook_twilio_recording_status,
          ROLES_PUBLIC, FAM_TRANSFER,
          .summary = "Twilio's recording status callback (signed); the audio is not fetched"),
};

ROUTE_GROUP(recording_webhook_routes, routes);
