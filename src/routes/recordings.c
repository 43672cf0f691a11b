/*
 * Call recordings (coldcaller's /api/calls/:id/recording…): start and stop (the call's
 * recording_state, off → recording → stopped, and their events), the audio's upload,
 * its download through nginx, the list, delete, and the tenant's retention.
 *
 * The upload never passes through the pool's memory: nginx writes the body to a temp file
 * (nginx.conf.in's recording location) and hands over its path (r->body_file), which
 * libsndfile reads and recording_place() links into the recordings directory. The
 * download is nginx's too: the pool checks the caller and the tenant, then answers
 * X-Accel-Redirect to the internal /_recordings/ location (Range, If-Range and 206 are
 * nginx's). One recording per call: a new upload replaces the old one.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "qb.h"
#include "recording.h"
#include "recordings.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "txn.h"

static const char *const formats[] = {"mp3", "wav", "ogg", NULL};
static const char *const statuses[] = {"recording", "processing", "available", "failed", NULL};

static const struct filter_def recording_filters[] = {
    {"format", FILTER_ENUM, " AND r.format = ?", formats, NULL},
    {"status", FILTER_ENUM, " AND r.status = ?", statuses, NULL},
    {"call_id", FILTER_ID, " AND r.call_id = ?", NULL, NULL},
};

static const struct sort_def recording_sorts[] = {
    {"created_at", "r.created_at"}, {"duration", "r.duration"}, {"size", "r.size_bytes"},
    {NULL, NULL},
};

static const struct resource recordings = {
    .table = "recordings",
    .columns = "r.id, r.call_id, r.user_id, r.format, r.status, r.duration, r.size_bytes,"
               " r.sample_rate, r.channels, r.checksum_sha256 AS checksum, r.expires_at,"
               " r.storage, r.remote_url, r.created_at, r.updated_at,"
               " IF(r.file_path = '' OR r.call_id IS NULL, NULL,"
               " CONCAT('/api/calls/', r.call_id, '/recording')) AS url",
    .from = "recordings r",
    .id_col = "r.id",
    .tenant_col = "r.tenant_id",
    .id_prefix = "rec_",
    RESOURCE_NAMES("recording", "recordings", "Recording not found"),
    .order = "r.created_at DESC, r.id DESC",
    RESOURCE_FILTERS(recording_filters),
    .sorts = recording_sorts,
};

static const char *const call_not_found = "Call not found";

int recording_call_lock(struct request *r, const char *call_id, const char **state)
{
    struct db_result *row;
    int rc = db_exec(r->db, r->arena,
                     "SELECT recording_state FROM calls WHERE id = ? AND tenant_id = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(call_id), DB_STR(r->auth.tenant_id)), &row);
    if (rc != DB_OK)
        return rc;
    if (row->nrows == 0)
        return 1;
    *state = db_get(row, 0, "recording_state");
    return DB_OK;
}

int recording_call_state(struct request *r, const char *call_id, const char *state)
{
    int rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET recording_state = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(state), DB_STR(call_id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        calls_written(r);
    return rc;
}

int recording_emit(struct request *r, const char *type, const char *call_id,
                   const char *rec_id, const char *format, long long duration)
{
    struct json_object *p = json_object_new_object();
    if (p == NULL || json_set_str(p, "call_id", call_id) ||
        json_set_str(p, "recording_id", rec_id) || json_set_str(p, "format", format) ||
        (duration >= 0 && json_set_int(p, "duration", duration))) {
        json_object_put(p);
        return DB_ERROR;
    }
    return call_emit(r, type, call_id, p);
}

/* ---- start and stop --------------------------------------------------------------------- */

enum { S_FORMAT, S_NFIELDS };

static const struct field_def start_fields[] = {
    [S_FORMAT] = {"format", FT_ENUM, 0, 0, 0, formats, NULL, NULL},
};

struct start_write {
    const char *call_id;
    const char *format;
};

static int start_step(struct request *r, void *arg)
{
    struct start_write *w = arg;
    const char *state = NULL;
    int rc = recording_call_lock(r, w->call_id, &state);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", call_not_found);
    if (rc != DB_OK)
        return rc;
    if (strcmp(state, "off") != 0)
        return txn_fail(r, 409, "conflict",
                        strcmp(state, "recording") == 0 ? "The call is already being recorded"
                                                        : "The call's recording has stopped");
    const char *id = id_new(r->arena, "rec_");
    if (id == NULL)
        return DB_ERROR;
    rc = db_exec(r->db, r->arena,
                 "INSERT INTO recordings (id, tenant_id, call_id, call_sid, user_id, file_path,"
                 " format, status) SELECT ?, tenant_id, id, call_sid, ?, '', ?, 'recording'"
                 " FROM calls WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(id), DB_STR(r->auth.user_id), DB_STR(w->format),
                           DB_STR(w->call_id), DB_STR(r->auth.tenant_id)),
                 NULL);
    if (rc == DB_DUPLICATE)
        return txn_fail(r, 409, "conflict", "The call has a recording already; delete it first");
    if (rc == DB_OK)
        rc = recording_call_state(r, w->call_id, "recording");
    if (rc == DB_OK)
        rc = recording_emit(r, "recording.started", w->call_id, id, w->format, -1);
    return rc == DB_OK ? resource_answer(r, &recordings, 200, id) : rc;
}

static int recording_start(struct request *r)
{
    struct field_value v[S_NFIELDS];
    struct start_write w = {.call_id = request_param(r, "id"), .format = "wav"};
    if (fields_declared(r, FIELDS_CREATE, v, S_NFIELDS, NULL) != 0)
        return -1;
    if (v[S_FORMAT].sent && v[S_FORMAT].s != NULL)
        w.format = v[S_FORMAT].s;
    return txn_reply(r, txn_run(r, start_step, &w));
}

static int stop_step(struct request *r, void *arg)
{
    const char *call_id = arg, *state = NULL;
    struct db_result *rec;
    int rc = recording_call_lock(r, call_id, &state);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", call_not_found);
    if (rc != DB_OK)
        return rc;
    if (strcmp(state, "recording") != 0)
        return txn_fail(r, 409, "conflict", "The call is not being recorded");
    rc = db_exec(r->db, r->arena,
                 "SELECT id, format FROM recordings WHERE tenant_id = ? AND call_id = ? FOR UPDATE",
                 DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(call_id)), &rec);
    if (rc != DB_OK)
        return rc;
    /* A delete sets the state back to off: a call being recorded has its row. */
    if (rec->nrows == 0)
        return txn_fail(r, 404, "not_found", "Recording not found");
    const char *id = db_get(rec, 0, "id");
    rc = db_exec(r->db, r->arena,
                 "UPDATE recordings SET status = 'processing'"
                 " WHERE id = ? AND tenant_id = ? AND status = 'recording'",
                 DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK)
        rc = recording_call_state(r, call_id, "stopped");
    if (rc == DB_OK)
        rc = recording_emit(r, "recording.stopped", call_id, id, db_get(rec, 0, "format"), -1);
    return rc == DB_OK ? resource_answer(r, &recordings, 200, id) : rc;
}

static int recording_stop(struct request *r)
{
    return txn_reply(r, txn_run(r, stop_step, (void *)request_param(r, "id")));
}

/* ---- upload ----------------------------------------------------------------------------- */

struct upload {
    const char *call_id;
    struct audio_upload a; /* the body, checked */
    const char *placed; /* the file_path placed by this request, until its commit */
};

/* The call's current recording, locked: a row made by start (no file yet) is filled in;
 * one with a file is replaced by a new row (the old file goes after the commit). */
static int upload_row(struct request *r, struct upload *w, const char **id, bool *fill)
{
    struct db_result *old;
    const char *tenant = r->auth.tenant_id;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, file_path FROM recordings WHERE tenant_id = ? AND call_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(tenant), DB_STR(w->call_id)), &old);
    if (rc != DB_OK)
        return rc;
    *fill = old->nrows > 0 && strcmp(db_get(old, 0, "file_path"), "") == 0;
    *id = *fill ? db_get(old, 0, "id") : id_new(r->arena, "rec_");
    if (*id == NULL)
        return DB_ERROR;
    if (old->nrows == 0 || *fill)
        return DB_OK;
    /* Replaced: its CDRs point at the new one; the unique call_id moves over. */
    const char *old_id = db_get(old, 0, "id");
    rc = db_exec(r->db, r->arena,
                 "UPDATE recordings SET call_id = NULL WHERE id = ? AND tenant_id = ?",
                 DB_PARAMS(DB_STR(old_id), DB_STR(tenant)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO recordings (id, tenant_id, call_id, call_sid, user_id,"
                     " file_path, format, status) SELECT ?, tenant_id, id, call_sid, ?, '',"
                     " 'wav', 'processing' FROM calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(*id), DB_STR(r->auth.user_id), DB_STR(w->call_id),
                               DB_STR(tenant)),
                     NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE cdrs SET recording_id = ? WHERE tenant_id = ? AND recording_id = ?",
                     DB_PARAMS(DB_STR(*id), DB_STR(tenant), DB_STR(old_id)), NULL);
    if (rc == DB_OK)
        rc = recording_delete(r, old_id);
    *fill = true;
    return rc == 1 ? DB_ERROR : rc;
}

static int upload_write(struct request *r, struct upload *w, const char *id, bool fill)
{
    long long days;
    int rc = recording_retention(r, &days);
    if (rc != DB_OK)
        return rc;
    const struct audio_info *a = &w->a.info;
    static const char *const fill_sql =
        "UPDATE recordings SET file_path = ?, format = ?, duration = ?, size_bytes = ?,"
        " sample_rate = ?, channels = ?, checksum_sha256 = ?, status = 'available',"
        " expires_at = IF(? > 0, NOW() + INTERVAL ? DAY, NULL) WHERE id = ? AND tenant_id = ?";
    if (fill)
        return db_exec(r->db, r->arena, fill_sql,
                       DB_PARAMS(DB_STR(w->placed), DB_STR(a->format), DB_INT(a->duration),
                                 DB_INT(w->a.size), DB_INT(a->sample_rate), DB_INT(a->channels),
                                 DB_STR(w->a.sha), DB_INT(days), DB_INT(days), DB_STR(id),
                                 DB_STR(r->auth.tenant_id)),
                       NULL);
    return db_exec(r->db, r->arena,
                   "INSERT INTO recordings (id, tenant_id, call_id, call_sid, user_id, file_path,"
                   " format, duration, size_bytes, sample_rate, channels, checksum_sha256,"
                   " status, expires_at) SELECT ?, tenant_id, id, call_sid, ?, ?, ?, ?, ?, ?, ?,"
                   " ?, 'available', IF(? > 0, NOW() + INTERVAL ? DAY, NULL)"
                   " FROM calls WHERE id = ? AND tenant_id = ?",
                   DB_PARAMS(DB_STR(id), DB_STR(r->auth.user_id), DB_STR(w->placed),
                             DB_STR(a->format), DB_INT(a->duration), DB_INT(w->a.size),
                             DB_INT(a->sample_rate), DB_INT(a->channels), DB_STR(w->a.sha),
                             DB_INT(days), DB_INT(days), DB_STR(w->call_id),
                             DB_STR(r->auth.tenant_id)),
                   NULL);
}

static int upload_step(struct request *r, void *arg)
{
    struct upload *w = arg;
    const char *state = NULL, *id = NULL;
    bool fill = false;
    /* A retried step places the file again. */
    if (w->placed != NULL) {
        recording_unlink(r->cfg, w->placed);
        w->placed = NULL;
    }
    int rc = recording_call_lock(r, w->call_id, &state);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", call_not_found);
    if (rc == DB_OK)
        rc = upload_row(r, w, &id, &fill);
    if (rc != DB_OK)
        return rc;
    const char *rel = recording_rel_path(r->arena, r->auth.tenant_id, id, w->a.info.format,
                                         time(NULL));
    if (rel == NULL || recording_place(r->cfg, w->a.src, rel) != 0)
        return DB_ERROR;
    w->placed = rel;
    rc = upload_write(r, w, id, fill);
    if (rc == DB_OK)
        rc = recording_call_state(r, w->call_id, "stopped");
    if (rc == DB_OK && strcmp(state, "recording") == 0)
        rc = recording_emit(r, "recording.stopped", w->call_id, id, w->a.info.format,
                            w->a.info.duration);
    return rc == DB_OK ? resource_answer(r, &recordings, 201, id) : rc;
}

static int recording_upload(struct request *r)
{
    struct upload w = {.call_id = request_param(r, "id")};
    if (recording_upload_check(r, &w.a) != 0)
        return -1;
    int rc = txn_run(r, upload_step, &w);
    /* Not committed: the row does not exist, so neither may its file. */
    if (rc != DB_OK && w.placed != NULL)
        recording_unlink(r->cfg, w.placed);
    return txn_reply(r, rc);
}

/* The body checked before any row is touched: recordings configured, present, within the
 * cap, audio we keep. */
int recording_upload_check(struct request *r, struct audio_upload *u)
{
    struct stat st;
    if (r->cfg->recordings_dir[0] == '\0')
        return request_error(r, 503, "service_unavailable", "Recordings are not configured");
    if (r->body_file == NULL || stat(r->body_file, &st) != 0 || st.st_size == 0)
        return request_error(r, 400, "bad_request",
                             "The request body must be the audio file (WAV, OGG or MP3)");
    if (st.st_size > r->cfg->recording_max_bytes)
        return request_error(r, 413, "payload_too_large", "The recording is too large");
    int kind = audio_info_read(r->body_file, &u->info);
    if (kind < 0)
        return request_error(r, 415, "unsupported_media_type",
                             "The body is not audio that can be read (send WAV, OGG or MP3)");
    if (kind > 0)
        return request_error(r, 415, "unsupported_media_type",
                             "Only WAV, OGG and MP3 recordings are kept");
    if (recording_file_sha256(r->body_file, u->sha) != 0)
        return request_error(r, 500, "internal_error", "The upload could not be read");
    u->src = r->body_file;
    u->size = (long long)st.st_size;
    return 0;
}

/* ---- download, list, delete ---------------------------------------------------------------- */

static bool query_true(struct request *r, const char *name)
{
    const char *v = request_query(r, name);
    return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static int recording_fetch(struct request *r)
{
    struct db_result *row;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, file_path, format FROM recordings"
                     " WHERE tenant_id = ? AND call_id = ? AND status = 'available'",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(request_param(r, "id"))), &row);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    if (row->nrows == 0 || strcmp(db_get(row, 0, "file_path"), "") == 0)
        return request_error(r, 404, "not_found", "Recording not found");
    const char *format = db_get(row, 0, "format");
    const char *uri = arena_printf(r->arena, "/_recordings/%s", db_get(row, 0, "file_path"));
    const char *disp = NULL;
    if (query_true(r, "download"))
        disp = arena_printf(r->arena, "attachment; filename=\"%s.%s\"", db_get(row, 0, "id"),
                            format);
    if (uri == NULL || (query_true(r, "download") && disp == NULL))
        return request_oom(r);
    return reply_accel(r, uri, recording_content_type(format), disp);
}

/* ?dateFrom= / ?dateTo= (a date or an RFC 3339 time) on when the recording was made. */
static int list_dates(struct request *r, struct qb *w)
{
    long long from = 0, to = 0;
    int hf = cdr_query_time(r, "dateFrom", false, &from);
    int ht = cdr_query_time(r, "dateTo", true, &to);
    if (hf == 0)
        hf = cdr_query_time(r, "date_from", false, &from);
    if (ht == 0)
        ht = cdr_query_time(r, "date_to", true, &to);
    if (hf == 1)
        qb_addv(w, " AND r.created_at >= FROM_UNIXTIME(?)", DB_INT(from));
    if (ht == 1)
        qb_addv(w, " AND r.created_at < FROM_UNIXTIME(?)", DB_INT(to));
    return request_check_fields(r);
}

static int recording_list(struct request *r)
{
    struct qb w;
    qb_init(&w, r->arena);
    if (list_dates(r, &w) != 0)
        return -1;
    return resource_list(r, &recordings, &w);
}

static int delete_step(struct request *r, void *arg)
{
    const char *call_id = arg, *state = NULL;
    struct db_result *rec;
    int rc = recording_call_lock(r, call_id, &state);
    if (rc == 1)
        return txn_fail(r, 404, "not_found", call_not_found);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT id, user_id FROM recordings WHERE tenant_id = ? AND call_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(call_id)), &rec);
    if (rc != DB_OK)
        return rc;
    if (rec->nrows == 0)
        return txn_fail(r, 404, "not_found", "Recording not found");
    const char *owner = db_get(rec, 0, "user_id");
    if (r->auth.role_bit == ROLE_AGENT && (owner == NULL || strcmp(owner, r->auth.user_id) != 0))
        return txn_fail(r, 403, "forbidden", "Only a manager or its owner may delete a recording");
    rc = recording_delete(r, db_get(rec, 0, "id"));
    if (rc == 1)
        rc = DB_ERROR;
    /* The call may be recorded again. */
    if (rc == DB_OK)
        rc = recording_call_state(r, call_id, "off");
    if (rc == DB_OK && reply_message(r, 200, "Recording deleted successfully") != 0)
        rc = DB_ERROR;
    return rc;
}

static int recording_remove(struct request *r)
{
    return txn_reply(r, txn_run(r, delete_step, (void *)request_param(r, "id")));
}

/* ---- retention ------------------------------------------------------------------------------ */

enum { T_DAYS, T_NFIELDS };

static const struct field_def retention_fields[] = {
    [T_DAYS] = {"retention_days", FT_INT, F_REQUIRED | F_NULLABLE, 1, 36500, NULL, NULL, NULL},
};

static int answer_retention(struct request *r, long long days)
{
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    if (o == NULL ||
        json_set(o, "retention_days", days > 0 ? json_object_new_int64(days) : NULL) != 0)
        return request_oom(r);
    return reply_one(r, 200, "retention", o);
}

static int retention_get(struct request *r)
{
    long long days;
    int rc = recording_retention(r, &days);
    return rc != DB_OK ? request_db_error(r, rc) : answer_retention(r, days);
}

static int retention_step(struct request *r, void *arg)
{
    const struct field_value *v = arg;
    struct db_param days = v->null ? DB_NULL : DB_INT(v->i);
    int rc = db_exec(r->db, r->arena,
                     "INSERT INTO recording_settings (tenant_id, retention_days) VALUES (?, ?)"
                     " ON DUPLICATE KEY UPDATE retention_days = VALUES(retention_days)",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), days), NULL);
    /* Every kept file's expiry follows (NULL days: NULL, kept until deleted). */
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "UPDATE recordings SET expires_at = created_at + INTERVAL ? DAY"
                     " WHERE tenant_id = ? AND file_path <> ''",
                     DB_PARAMS(days, DB_STR(r->auth.tenant_id)), NULL);
    if (rc == DB_OK && answer_retention(r, v->null ? 0 : v->i) != 0)
        rc = DB_ERROR;
    return rc;
}

static int retention_set(struct request *r)
{
    struct field_value v[T_NFIELDS];
    if (fields_declared(r, FIELDS_CREATE, v, T_NFIELDS, NULL) != 0)
        return -1;
    return txn_reply(r, txn_run(r, retention_step, &v[T_DAYS]));
}

#define COLD FAM_COLDCALLER

static const struct route routes[] = {
    ROUTE("POST", "/api/calls/:id/recording/start", recording_start, ROLES_ANY, COLD,
          .summary = "Start recording a call (format mp3, wav or ogg; default wav)",
          ROUTE_BODY(start_fields), .key = "recording"),
    ROUTE("POST", "/api/calls/:id/recording/stop", recording_stop, ROLES_ANY, COLD,
          .summary = "Stop recording a call; its audio is uploaded next", .key = "recording"),
    ROUTE("PUT", "/api/calls/:id/recording", recording_upload, ROLES_ANY, COLD,
          .summary = "Upload a call's recording: the body is the audio file (WAV, OGG, MP3)",
          .key = "recording", .status = 201, .body_media = "audio/*"),
    ROUTE("GET", "/api/calls/:id/recording", recording_fetch, ROLES_ANY, COLD,
          .summary = "A call's recording (the audio; ranges; ?download=true as attachment)",
          .answer_media = "audio/*"),
    ROUTE("DELETE", "/api/calls/:id/recording", recording_remove, ROLES_ANY, COLD,
          .summary = "Delete a call's recording and its file (a manager, or its owner)"),
    ROUTE("GET", "/api/calls/recordings", recording_list, ROLES_ANY, COLD,
          .summary = "Recordings (filters format, status, call_id, dateFrom, dateTo)",
          .key = "recordings", .flags = ROUTE_LIST, .resource = &recordings),
    ROUTE("GET", "/api/calls/recordings/retention", retention_get, ROLES_ADMIN, COLD,
          .summary = "The tenant's recording retention (days; null: kept)", .key = "retention"),
    ROUTE("PUT", "/api/calls/recordings/retention", retention_set, ROLES_ADMIN, COLD,
          .summary = "Set the tenant's recording retention (days, or null to keep them)",
          ROUTE_BODY(retention_fields), .key = "retention"),
};

ROUTE_GROUP(recordings_routes, routes);
