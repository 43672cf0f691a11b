/*
 * Twilio's recording callback for voicemail (the RecordingStatusCallback of a <Record> in
 * a box's TwiML): POST /webhooks/twilio/voicemail?box=<box id>. The box names the tenant,
 * whose Twilio auth token signs the request (the URL with its query, as Twilio signs it);
 * the form is read as the call recording callback's (recording_webhook.c, shared through
 * recordings.h), and as there the audio is not fetched: the message keeps RecordingSid and
 * RecordingUrl (file_path ''). A completed recording becomes one message (Twilio's retries
 * find it by RecordingSid), with the caller (From), the number called (To) and the
 * duration; the box's owners are told in the same transaction. Other statuses (in-progress,
 * failed) are acknowledged and leave nothing.
 */
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "httputil.h"
#include "jsonutil.h"
#include "recordings.h"
#include "reply.h"
#include "request.h"
#include "routes.h"
#include "txn.h"
#include "voicemail.h"

struct voicemail_in {
    struct twilio_recording rec;
    const char *box_id, *from, *to, *id;
    int created;
};

static int voicemail_step(struct request *r, void *arg)
{
    struct voicemail_in *v = arg;
    struct db_result *old;
    const char *tenant = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id FROM voicemail_messages WHERE tenant_id = ? AND box_id = ?"
                     " AND recording_sid = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(tenant), DB_STR(v->box_id), DB_STR(v->rec.rec_sid)), &old);
    v->created = rc == DB_OK && old->nrows == 0;
    if (rc == DB_OK && !v->created)
        v->id = db_get(old, 0, "id");
    if (rc == DB_OK && v->created)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO voicemail_messages (id, tenant_id, mailbox, box_id, user_id,"
                     " call_sid, recording_sid, caller_number, called_number, file_path,"
                     " remote_url, format, duration) SELECT ?, tenant_id, id, id,"
                     " IF(owner_type = 'user', owner_id, NULL), ?, ?, ?, ?, '', ?, 'wav', ?"
                     " FROM voicemail_boxes WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(v->id), DB_STR(v->rec.call_sid), DB_STR(v->rec.rec_sid),
                               DB_STR(v->from), DB_STR(v->to), DB_STR(v->rec.url),
                               DB_INT(v->rec.duration < 0 ? 0 : v->rec.duration),
                               DB_STR(v->box_id), DB_STR(tenant)),
                     NULL);
    if (rc == DB_OK && v->created)
        rc = voicemail_notify_owners(r, v->box_id, v->id, v->from);
    if (rc == DB_OK && v->created)
        event_wake_after_commit(r);
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (rc == DB_OK && (o == NULL || json_set_str(o, "message_id", v->id) ||
                        json_set_str(o, "box_id", v->box_id) ||
                        json_set_bool(o, "created", v->created)))
        rc = DB_ERROR;
    return rc == DB_OK ? reply_one(r, v->created ? 201 : 200, "voicemail", o) : rc;
}

/* The caller and the number called; 0, or -1 with the 422 answered. */
static int read_call(struct request *r, const struct query_pair *form, size_t n,
                     struct voicemail_in *v)
{
    v->rec.call_sid = http_pairs_get(form, n, "CallSid");
    v->from = http_pairs_get(form, n, "From");
    v->to = http_pairs_get(form, n, "To");
    if (v->from == NULL || v->from[0] == '\0' || strlen(v->from) > 64)
        request_field_error(r, "From", "is required (at most 64 characters)");
    if (v->to != NULL && strlen(v->to) > 64)
        request_field_error(r, "To", "must be at most 64 characters");
    if (v->rec.call_sid != NULL && strlen(v->rec.call_sid) > 100)
        request_field_error(r, "CallSid", "must be at most 100 characters");
    return request_check_fields(r);
}

static int webhook_twilio_voicemail(struct request *r)
{
    struct query_pair *form;
    size_t n;
    struct db_result *box;
    struct voicemail_in v = {.box_id = request_query(r, "box")};
    if (request_form(r, &form, &n) != 0)
        return request_oom(r);
    if (v.box_id == NULL || v.box_id[0] == '\0' || strlen(v.box_id) > 64)
        return request_error(r, 404, "not_found", "Voicemail box not found");
    int rc = db_exec(r->db, r->arena, "SELECT tenant_id FROM voicemail_boxes WHERE id = ?",
                     DB_PARAMS(DB_STR(v.box_id)), &box);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (box->nrows == 0)
        return request_error(r, 404, "not_found", "Voicemail box not found");
    const char *tenant_id = db_get(box, 0, "tenant_id");
    if (twilio_recording_signed(r, tenant_id, form, n) != 0 ||
        twilio_recording_form(r, form, n, &v.rec) != 0 || read_call(r, form, n, &v) != 0)
        return -1;
    if (strcmp(v.rec.status, "available") != 0)
        return reply_message(r, 200, "Only a completed recording is a voicemail message");
    /* From here on the request acts for the box's tenant. */
    r->auth.tenant_id = tenant_id;
    if ((v.id = id_new(r->arena, "vm_")) == NULL)
        return request_oom(r);
    return txn_reply(r, txn_run(r, voicemail_step, &v));
}

static const struct route routes[] = {
    ROUTE("POST", "/webhooks/twilio/voicemail", webhook_twilio_voicemail, ROLES_PUBLIC,
          FAM_TRANSFER,
          .summary = "Twilio's recording callback for a voicemail box (?box=; signed)"),
};

ROUTE_GROUP(voicemail_webhook_routes, routes);
