/*
 * Voicemail messages of the caller's tenant (the callcenter family; issue 11): list (box,
 * status, caller), one, its status (read and saved set listened_at once), forward (a copy in
 * another box, the same audio file, its owners told), delete, and the audio. Staff see every
 * box; an agent sees the boxes they own: their own, their queues', their department's
 * (another's message is a 404, as another tenant's is). The audio is nginx's (X-Accel-
 * Redirect to the recordings' internal location, Range and 206 its own), as recordings.c
 * serves recordings; a message Twilio holds (file_path '') has none here (404): its
 * `remote_url` is Twilio's, until the telephony side stores the file (PUT …/audio, read and
 * placed as a call recording's upload is: recordings.h). A file is unlinked after the
 * commit of the last row naming it.
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "crud.h"
#include "crypto.h"
#include "db.h"
#include "event_out.h"
#include "fields.h"
#include "jsonutil.h"
#include "qb.h"
#include "recording.h"
#include "recordings.h"
#include "reply.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"
#include "voicemail.h"

static const char *const statuses[] = {"new", "read", "saved", NULL};

static const struct filter_def message_filters[] = {
    {"box_id", FILTER_ID, " AND m.box_id = ?", NULL, NULL},
    {"box", FILTER_ID, " AND m.box_id = ?", NULL, NULL},
    {"status", FILTER_ENUM, " AND m.status = ?", statuses, NULL},
    {"caller_number", FILTER_EQ, " AND m.caller_number = ?", NULL, NULL},
};

static const struct sort_def message_sorts[] = {
    {"created_at", "m.created_at"}, {"duration", "m.duration"}, {NULL, NULL},
};

static const struct resource messages = {
    .table = "voicemail_messages",
    .columns = "m.id, m.box_id, b.name AS box_name, m.call_sid, m.recording_sid,"
               " m.caller_number, m.caller_name, m.called_number, m.format, m.duration,"
               " m.size_bytes, m.transcription, m.status, m.listened_at, m.remote_url,"
               " m.forwarded_from_id, m.created_at, m.updated_at,"
               " IF(m.file_path = '', NULL, CONCAT('/api/v1/voicemail/messages/', m.id,"
               " '/audio')) AS audio_url",
    .from = "voicemail_messages m JOIN voicemail_boxes b"
            " ON b.tenant_id = m.tenant_id AND b.id = m.box_id",
    .id_col = "m.id",
    .tenant_col = "m.tenant_id",
    .id_prefix = "vm_",
    .entity = "voicemail_message",
    RESOURCE_NAMES("message", "messages", "Voicemail message not found"),
    .order = "m.created_at DESC, m.id DESC",
    RESOURCE_FILTERS(message_filters),
    .sorts = message_sorts,
};

static bool sees_all(const struct request *r)
{
    return r->auth.role_bit != ROLE_AGENT;
}

/* The caller's visibility into q (nothing for staff). */
static void visible_clause(struct request *r, struct qb *q)
{
    const char *me = r->auth.user_id;
    if (!sees_all(r))
        qb_addv(q, " AND " VOICEMAIL_OWNED_BY("?"), DB_STR(me), DB_STR(me), DB_STR(me));
}

static int message_list(struct request *r)
{
    struct qb w;
    qb_init(&w, r->arena);
    visible_clause(r, &w);
    return resource_list(r, &messages, &w);
}

/* Message id as the caller may see it (locked when `lock`): DB_OK with *row, 1 when absent
 * or not theirs, or a db_rc. */
static int message_row(struct request *r, const char *id, bool lock, struct db_result **row)
{
    struct qb q;
    qb_init(&q, r->arena);
    qb_addv(&q,
            "SELECT m.id, m.box_id, m.file_path, m.format, m.caller_number, m.status"
            " FROM voicemail_messages m JOIN voicemail_boxes b ON b.tenant_id = m.tenant_id"
            " AND b.id = m.box_id WHERE m.id = ? AND m.tenant_id = ?",
            DB_STR(id), DB_STR(r->auth.tenant_id));
    visible_clause(r, &q);
    if (lock)
        qb_add(&q, " FOR UPDATE");
    int rc = qb_exec(&q, r->db, row);
    return rc == DB_OK && (*row)->nrows == 0 ? 1 : rc;
}

static int message_get(struct request *r)
{
    struct db_result *row;
    struct json_object *o = NULL;
    int rc = message_row(r, request_param(r, "id"), false, &row);
    if (rc == DB_OK)
        rc = resource_fetch(r, &messages, request_param(r, "id"), &o);
    return request_reply_found(r, 200, rc, "message", o, messages.not_found);
}

/* ---- status ------------------------------------------------------------------------------- */

enum { U_STATUS, U_NFIELDS };

static const struct field_def update_fields[] = {
    [U_STATUS] = {"status", FT_ENUM, F_REQUIRED | F_ALWAYS, 0, 0, statuses, NULL, NULL},
};

struct status_write {
    const char *id;
    struct field_value v[U_NFIELDS];
    struct json_object *body;
};

static int status_step(struct request *r, void *arg)
{
    struct status_write *w = arg;
    struct db_result *row;
    int rc = message_row(r, w->id, true, &row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", messages.not_found);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE voicemail_messages SET status = ?, listened_at = IF(? = 'new',"
                     " listened_at, COALESCE(listened_at, NOW())) WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(w->v[U_STATUS].s), DB_STR(w->v[U_STATUS].s),
                               DB_STR(w->id), DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &messages, "update", w->id, json_text(w->body, NULL));
    return rc == DB_OK ? resource_answer(r, &messages, 200, w->id) : rc;
}

static int message_update(struct request *r)
{
    struct status_write w = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, w.v, U_NFIELDS, &w.body) != 0)
        return -1;
    return txn_reply(r, txn_run(r, status_step, &w));
}

/* ---- forward ------------------------------------------------------------------------------ */

enum { F_BOX, F_NFIELDS };

static const struct field_def forward_fields[] = {
    [F_BOX] = {"box_id", FT_ID, F_REQUIRED, 0, 0, NULL, NULL, NULL},
};

struct forward {
    const char *id, *copy_id;
    struct field_value v[F_NFIELDS];
};

static int forward_step(struct request *r, void *arg)
{
    struct forward *w = arg;
    struct db_result *row;
    const char *box = w->v[F_BOX].s;
    int rc = message_row(r, w->id, true, &row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", messages.not_found);
    if (rc == DB_OK && strcmp(db_get(row, 0, "box_id"), box) == 0) {
        request_field_error(r, "box_id", "must be another box than the message's");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    if (rc == DB_OK)
        rc = voicemail_box_refer(r, box, "box_id");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO voicemail_messages (id, tenant_id, mailbox, box_id, call_sid,"
                     " recording_sid, caller_number, caller_name, called_number, file_path,"
                     " remote_url, forwarded_from_id, format, duration, size_bytes,"
                     " transcription, status) SELECT ?, tenant_id, ?, ?, call_sid,"
                     " recording_sid, caller_number, caller_name, called_number, file_path,"
                     " remote_url, id, format, duration, size_bytes, transcription, 'new'"
                     " FROM voicemail_messages WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(w->copy_id), DB_STR(box), DB_STR(box), DB_STR(w->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = voicemail_notify_owners(r, box, w->copy_id, db_get(row, 0, "caller_number"));
    if (rc == DB_OK)
        rc = resource_audit(r, &messages, "forward", w->copy_id,
                            arena_printf(r->arena, "{\"from\":\"%s\",\"box_id\":\"%s\"}",
                                         w->id, box));
    if (rc == DB_OK)
        event_wake_after_commit(r);
    return rc == DB_OK ? resource_answer(r, &messages, 201, w->copy_id) : rc;
}

static int message_forward(struct request *r)
{
    struct forward w = {.id = request_param(r, "id"), .copy_id = id_new(r->arena, "vm_")};
    if (w.copy_id == NULL)
        return request_oom(r);
    if (fields_declared(r, FIELDS_CREATE, w.v, F_NFIELDS, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, forward_step, &w));
}

/* ---- delete, audio ------------------------------------------------------------------------ */

static void unlink_committed(struct request *r, const char *rel)
{
    recording_unlink(r->cfg, rel);
}

static int delete_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *row, *others = NULL;
    int rc = message_row(r, id, true, &row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", messages.not_found);
    const char *rel = rc == DB_OK ? db_get(row, 0, "file_path") : NULL;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "DELETE FROM voicemail_messages WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    /* A forwarded copy shares the file: it goes with the last row naming it. */
    if (rc == DB_OK && rel != NULL && rel[0] != '\0')
        rc = db_exec(r->db, r->arena,
                     "SELECT id FROM voicemail_messages WHERE tenant_id = ? AND file_path = ?"
                     " LIMIT 1 FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(rel)), &others);
    if (rc == DB_OK && others != NULL && others->nrows == 0)
        txn_after_commit(r, unlink_committed, rel);
    if (rc == DB_OK)
        rc = resource_audit(r, &messages, "delete", id,
                            arena_printf(r->arena, "{\"box_id\":\"%s\"}",
                                         db_get(row, 0, "box_id")));
    if (rc == DB_OK && reply_message(r, 200, "Voicemail message deleted successfully") != 0)
        rc = DB_ERROR;
    return rc;
}

static int message_delete(struct request *r)
{
    return txn_reply(r, txn_run(r, delete_step, (void *)request_param(r, "id")));
}

static int message_audio(struct request *r)
{
    struct db_result *row;
    int rc = message_row(r, request_param(r, "id"), false, &row);
    if (rc != DB_OK)
        return rc == 1 ? request_error(r, 404, "not_found", messages.not_found)
                       : request_db_error(r, rc);
    const char *rel = db_get(row, 0, "file_path"), *format = db_get(row, 0, "format");
    if (rel == NULL || rel[0] == '\0')
        return request_error(r, 404, "not_found", "This message's audio is not stored here");
    const char *uri = arena_printf(r->arena, "/_recordings/%s", rel);
    if (uri == NULL)
        return request_oom(r);
    return reply_accel(r, uri, recording_content_type(format), NULL);
}

/* ---- audio upload ----------------------------------------------------------------------- */

struct audio_put {
    const char *id;
    struct audio_upload a; /* the body, checked */
    const char *placed;    /* the file placed by this request, until its commit */
};

/* The message takes the file, once (a stored audio is not replaced: 409). */
static int audio_step(struct request *r, void *arg)
{
    struct audio_put *w = arg;
    struct db_result *row;
    if (w->placed != NULL) { /* a retried step places the file again */
        recording_unlink(r->cfg, w->placed);
        w->placed = NULL;
    }
    int rc = message_row(r, w->id, true, &row);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", messages.not_found);
    const char *old = rc == DB_OK ? db_get(row, 0, "file_path") : NULL;
    if (old != NULL && old[0] != '\0')
        return txn_fail(r, 409, "conflict", "This message's audio is stored already");
    const char *rel = recording_rel_path(r->arena, r->auth.tenant_id, w->id, w->a.info.format,
                                         time(NULL));
    if (rc == DB_OK && (rel == NULL || recording_place(r->cfg, w->a.src, rel) != 0))
        rc = DB_ERROR;
    if (rc == DB_OK)
        w->placed = rel;
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE voicemail_messages SET file_path = ?, format = ?, duration = ?,"
                     " size_bytes = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(rel), DB_STR(w->a.info.format), DB_INT(w->a.info.duration),
                               DB_INT(w->a.size), DB_STR(w->id), DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc == DB_OK)
        rc = resource_audit(r, &messages, "audio", w->id, NULL);
    return rc == DB_OK ? resource_answer(r, &messages, 200, w->id) : rc;
}

static int message_audio_put(struct request *r)
{
    struct audio_put w = {.id = request_param(r, "id")};
    if (recording_upload_check(r, &w.a) != 0)
        return -1;
    int rc = txn_run(r, audio_step, &w);
    /* Not committed: no row names the file. */
    if (rc != DB_OK && w.placed != NULL)
        recording_unlink(r->cfg, w.placed);
    return txn_reply(r, rc);
}

static const struct route routes[] = {
    ROUTE("GET", "/api/voicemail/messages", message_list, ROLES_ANY, FAM_CALLCENTER,
          .summary = "List voicemail messages (box_id, status, caller_number)",
          .key = "messages", .flags = ROUTE_LIST, .resource = &messages),
    ROUTE("GET", "/api/voicemail/messages/:id", message_get, ROLES_ANY, FAM_CALLCENTER,
          .summary = "One voicemail message", .key = "message"),
    ROUTE("PUT", "/api/voicemail/messages/:id", message_update, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Mark a voicemail message new, read or saved", ROUTE_BODY(update_fields),
          .key = "message"),
    ROUTE("POST", "/api/voicemail/messages/:id/forward", message_forward, ROLES_ANY,
          FAM_CALLCENTER, .summary = "Forward a voicemail message to another box (a copy)",
          ROUTE_BODY(forward_fields), .key = "message", .flags = ROUTE_IDEMPOTENT),
    ROUTE("DELETE", "/api/voicemail/messages/:id", message_delete, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Delete a voicemail message"),
    ROUTE("GET", "/api/voicemail/messages/:id/audio", message_audio, ROLES_ANY, FAM_CALLCENTER,
          .summary = "A voicemail message's audio (served by nginx; Range)"),
    ROUTE("PUT", "/api/voicemail/messages/:id/audio", message_audio_put, ROLES_STAFF,
          FAM_CALLCENTER, .summary = "Store a voicemail message's audio (the file as the body)",
          .key = "message"),
};

ROUTE_GROUP(voicemail_messages_routes, routes);
