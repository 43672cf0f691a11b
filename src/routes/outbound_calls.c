/*
 * Outbound calls, coldcaller's dialer (issue 10): start, update (status and quality), the
 * quality series, delete. The end is outbound_end.c, the lists outbound_lists.c.
 *
 * A start is one transaction: the campaign and the lead are read (the lead locked, so two
 * agents dialling it at once count both attempts), then the do-not-call list, the calling
 * hours in the lead's zone and the campaign's attempt limit, then the call and the lead's
 * attempt. A number on the do-not-call list answers 403 and the attempt is committed
 * (compliance keeps it); the other refusals roll back.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "fields.h"
#include "jsonutil.h"
#include "outbound.h"
#include "request.h"
#include "routes.h"
#include "schedule.h"
#include "txn.h"

/* Until the tenant has a phone number to call from: what the call and its CDR show. */
#define NO_CALLER_NUMBER "anonymous"

enum { S_PHONE, S_LEAD, S_AGENT, S_CAMPAIGN, S_N };

static const struct field_def start_fields[] = {
    [S_PHONE] = {"phone_number", FT_PHONE, F_REQUIRED, 0, 0, NULL, NULL, NULL},
    [S_LEAD] = {"lead_id", FT_INT, F_NULLABLE, 1, 4294967295LL, NULL, NULL, NULL},
    [S_AGENT] = {"agent_id", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [S_CAMPAIGN] = {"campaign_id", FT_ID, F_NULLABLE, 0, 0, NULL, NULL, NULL},
};

struct start {
    struct field_value v[S_N];
    const char *as_sent;
    struct db_result *lead, *campaign;
    const char *lead_ref, *campaign_id, *call_id;
};

/* A 400 naming one field (coldcaller's name for it), from inside the step. */
static int field_refused(struct request *r, const char *field, const char *why)
{
    request_field_error(r, field, why);
    request_check_fields(r);
    return TXN_ANSWERED;
}

static int start_lookups(struct request *r, struct start *s)
{
    const char *tid = r->auth.tenant_id;
    int rc = DB_OK;
    if (s->v[S_LEAD].sent && !s->v[S_LEAD].null) {
        rc = db_exec(r->db, r->arena,
                     "SELECT id, campaign_id, attempts, time_zone, do_not_call, lead_status"
                     " FROM contacts WHERE tenant_id = ? AND lead_no = ? FOR UPDATE",
                     DB_PARAMS(DB_STR(tid), DB_INT(s->v[S_LEAD].i)), &s->lead);
        if (rc != DB_OK)
            return rc;
        if (s->lead->nrows == 0)
            return field_refused(r, "leadId", "Lead not found");
        s->lead_ref = db_get(s->lead, 0, "id");
    }
    s->campaign_id = s->v[S_CAMPAIGN].s;
    bool sent = s->campaign_id != NULL;
    if (!sent && s->lead != NULL)
        s->campaign_id = db_get(s->lead, 0, "campaign_id");
    if (s->campaign_id == NULL)
        return DB_OK;
    rc = db_exec(r->db, r->arena,
                 "SELECT c.calling_hours_start, c.calling_hours_end, c.calling_days,"
                 " COALESCE(c.time_zone, t.timezone) AS zone, c.max_attempts, c.status,"
                 " c.schedule_id, s.name AS schedule_name, s.hours, s.holidays,"
                 " s.timezone AS schedule_zone, s.is_active AS schedule_active"
                 " FROM campaigns c JOIN tenants t ON t.id = c.tenant_id"
                 " LEFT JOIN schedules s ON s.tenant_id = c.tenant_id AND s.id = c.schedule_id"
                 " WHERE c.id = ? AND c.tenant_id = ? LOCK IN SHARE MODE",
                 DB_PARAMS(DB_STR(s->campaign_id), DB_STR(tid)), &s->campaign);
    if (rc == DB_OK && s->campaign->nrows == 0)
        return sent ? field_refused(r, "campaignId", "Campaign not found") : DB_OK;
    return rc;
}

/* The campaign's schedule, when it follows one: closed (a holiday, outside its hours) is a
 * 409 as the calling hours are; a switched-off schedule is open (as for a number's route). */
static int start_schedule(struct request *r, const struct db_result *c)
{
    if (db_get(c, 0, "schedule_id") == NULL || db_get_int(c, 0, "schedule_active", 1) == 0)
        return DB_OK;
    enum schedule_state st = schedule_state(db_get(c, 0, "hours"), db_get(c, 0, "holidays"),
                                            db_get(c, 0, "schedule_zone"), time(NULL), NULL);
    if (st == SCHEDULE_STATE_OPEN)
        return DB_OK;
    const char *msg = arena_printf(r->arena, "The campaign's schedule \"%s\" is %s now",
                                   db_get(c, 0, "schedule_name"),
                                   st == SCHEDULE_STATE_HOLIDAY ? "closed for a holiday"
                                                                : "closed");
    return txn_fail(r, 409, "outside_calling_hours", msg ? msg : "The schedule is closed");
}

/* The campaign's calling hours, in the lead's zone, else the campaign's, else the tenant's;
 * then its schedule. */
static int start_hours(struct request *r, struct start *s)
{
    const struct db_result *c = s->campaign;
    if (c == NULL || c->nrows == 0)
        return DB_OK;
    const char *zone = s->lead ? db_get(s->lead, 0, "time_zone") : NULL;
    if (zone == NULL || *zone == '\0')
        zone = db_get(c, 0, "zone");
    struct tm local;
    /* A zone the system does not know is taken as UTC rather than blocking every dial. */
    if (schedule_local_time(zone, time(NULL), &local) != 0) {
        zone = "UTC";
        if (schedule_local_time(NULL, time(NULL), &local) != 0)
            return DB_ERROR;
    }
    const char *from = db_get(c, 0, "calling_hours_start"), *to = db_get(c, 0, "calling_hours_end");
    const char *days = db_get(c, 0, "calling_days");
    if (outbound_in_hours(&local, from, to, days) == 1)
        return start_schedule(r, c);
    char now[32];
    strftime(now, sizeof(now), "%a %H:%M", &local);
    const char *msg = arena_printf(r->arena,
                                   "Outside the campaign's calling hours (%.5s-%.5s on %s, %s);"
                                   " it is %s there",
                                   from ? from : "", to ? to : "", days ? days : "", zone, now);
    return txn_fail(r, 409, "outside_calling_hours", msg ? msg : "Outside calling hours");
}

/* A campaign that is not active (a draft, paused, completed) dials nobody; then the lead's
 * attempts against the campaign's limit. */
static int start_attempts(struct request *r, struct start *s)
{
    if (s->campaign == NULL || s->campaign->nrows == 0)
        return DB_OK;
    const char *status = db_get(s->campaign, 0, "status");
    if (status != NULL && strcmp(status, "active") != 0) {
        const char *msg = arena_printf(r->arena, "The campaign is %s, not active", status);
        return txn_fail(r, 409, "campaign_inactive", msg ? msg : "The campaign is not active");
    }
    if (s->lead == NULL)
        return DB_OK;
    long long max = db_get_int(s->campaign, 0, "max_attempts", 3);
    if (db_get_int(s->lead, 0, "attempts", 0) < max)
        return DB_OK;
    const char *msg =
        arena_printf(r->arena, "The lead has had the campaign's maximum of %lld attempts", max);
    return txn_fail(r, 409, "max_attempts", msg ? msg : "Maximum attempts reached");
}

static int start_insert(struct request *r, struct start *s)
{
    const char *tid = r->auth.tenant_id;
    struct db_result *did;
    int rc = db_exec(r->db, r->arena,
                     "SELECT number FROM dids WHERE tenant_id = ? AND is_active = 1"
                     " ORDER BY number, id LIMIT 1",
                     DB_PARAMS(DB_STR(tid)), &did);
    if (rc != DB_OK)
        return rc;
    const char *from = did->nrows ? db_get(did, 0, "number") : NO_CALLER_NUMBER;
    if ((s->call_id = id_new(r->arena, "call_")) == NULL)
        return DB_ERROR;
    rc = db_exec(r->db, r->arena,
                 "INSERT INTO calls (id, tenant_id, caller_number, called_number, phone_as_sent,"
                 " direction, status, lead_id, campaign_id, agent_ref, user_id)"
                 " VALUES (?, ?, ?, ?, ?, 'outbound', 'connecting', ?, ?, ?, ?)",
                 DB_PARAMS(DB_STR(s->call_id), DB_STR(tid), DB_STR(from),
                           DB_STR(s->v[S_PHONE].s), DB_STR(s->as_sent), DB_STR(s->lead_ref),
                           DB_STR(s->campaign_id), DB_STR(s->v[S_AGENT].s),
                           DB_STR(r->auth.user_id)),
                 NULL);
    /* A new call clears the callback it may have been. */
    if (rc == DB_OK && s->lead_ref != NULL)
        rc = db_exec(r->db, r->arena,
                     "UPDATE contacts SET attempts = attempts + 1, last_called_at = NOW(),"
                     " next_callback_at = NULL WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(s->lead_ref), DB_STR(tid)), NULL);
    return rc;
}

/* The call as answered, under data.call; the event carries the same record. */
static int answer_call(struct request *r, int status, const char *id, const char *event,
                       const char *message)
{
    struct json_object *call = NULL;
    int rc = outbound_call_fetch(r, id, &call);
    if (rc != DB_OK)
        return rc == 1 ? DB_ERROR : rc;
    if (event != NULL) {
        struct json_object *p = json_object_new_object();
        if (p == NULL || json_object_object_add(p, "call", json_object_get(call)) != 0 ||
            json_set_str(p, "call_id", id) != 0) {
            json_object_put(p);
            return DB_ERROR;
        }
        if ((rc = call_emit(r, event, id, p)) != DB_OK)
            return rc;
    }
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    if (data == NULL || json_object_object_add(data, "call", json_object_get(call)) != 0)
        return DB_ERROR;
    calls_written(r);
    if (reply_one(r, status, NULL, data) != 0)
        return DB_ERROR;
    return reply_set(r, "message", json_object_new_string(message)) == 0 ? DB_OK : DB_ERROR;
}

static int start_step(struct request *r, void *arg)
{
    struct start *s = arg;
    s->lead = s->campaign = NULL;
    s->lead_ref = s->campaign_id = NULL;
    int rc = start_lookups(r, s);
    if (rc != DB_OK)
        return rc;
    const char *status = s->lead ? db_get(s->lead, 0, "lead_status") : NULL;
    bool flag = s->lead != NULL && (db_get_int(s->lead, 0, "do_not_call", 0) != 0 ||
                                    (status != NULL && strcmp(status, "do_not_call") == 0));
    rc = outbound_dnc_check(r, s->v[S_PHONE].s, flag, s->lead_ref, s->campaign_id);
    if (rc == 1) {
        const char *msg = arena_printf(r->arena, "The number %s is on the do-not-call list",
                                       s->as_sent);
        request_error(r, 403, "do_not_call", msg ? msg : "The number is on the do-not-call list");
        return DB_OK; /* committed: the refused attempt is kept */
    }
    if (rc == DB_OK)
        rc = start_hours(r, s);
    if (rc == DB_OK)
        rc = start_attempts(r, s);
    if (rc == DB_OK)
        rc = start_insert(r, s);
    return rc == DB_OK ? answer_call(r, 201, s->call_id, "call.initiated",
                                            "Call started") : rc;
}

/* The number exactly as the client typed it (its camelCase name or ours). */
static const char *sent_text(struct json_object *body, const char *camel, const char *snake)
{
    struct json_object *v;
    if (json_object_object_get_ex(body, camel, &v) || json_object_object_get_ex(body, snake, &v))
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    return NULL;
}

static int call_start(struct request *r)
{
    struct start s = {0};
    struct json_object *body;
    if (fields_declared(r, FIELDS_CREATE, s.v, S_N, &body) != 0) {
        outbound_cold_names(r);
        return -1;
    }
    s.as_sent = sent_text(body, "phoneNumber", "phone_number");
    if (s.as_sent == NULL)
        s.as_sent = s.v[S_PHONE].s;
    return txn_reply(r, txn_run(r, start_step, &s));
}

/* ---- update ------------------------------------------------------------------------------ */

enum { U_STATUS, U_QUALITY, U_NOTES, U_N };
enum { Q_LATENCY, Q_JITTER, Q_LOSS, Q_MOS, Q_N };

static const struct field_word status_words[] = {
    {"hold", "on_hold"},      {"onHold", "on_hold"},        {"answered", "connected"},
    {"in-progress", "connected"}, {"in_progress", "connected"}, {"dialing", "connecting"},
    {NULL, NULL},
};

static const struct field_def update_fields[] = {
    [U_STATUS] = {"status", FT_ENUM, 0, 0, 0, outbound_live_statuses, status_words, NULL},
    [U_QUALITY] = {"quality", FT_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    [U_NOTES] = {"notes", FT_TEXT, F_NULLABLE, 0, 10000, NULL, NULL, NULL},
};

/* Bounds a phone line can report: milliseconds, percent, the MOS scale. */
static const struct field_def quality_fields[] = {
    [Q_LATENCY] = {"latency", FT_NUMBER, F_NULLABLE, 0, 100000, NULL, NULL, NULL},
    [Q_JITTER] = {"jitter", FT_NUMBER, F_NULLABLE, 0, 100000, NULL, NULL, NULL},
    [Q_LOSS] = {"packet_loss", FT_NUMBER, F_NULLABLE, 0, 100, NULL, NULL, NULL},
    [Q_MOS] = {"mos", FT_NUMBER, F_NULLABLE, 1, 5, NULL, NULL, NULL},
};

struct update {
    const char *id;
    struct field_value v[U_N], q[Q_N];
    const char *quality_json; /* the sent members, snake_case */
};

static struct db_param q_param(const struct field_value *v)
{
    return v->sent && !v->null ? DB_DOUBLE(v->d) : DB_NULL;
}

static int update_quality(struct request *r, struct update *u)
{
    const char *tid = r->auth.tenant_id;
    const char *qid = id_new(r->arena, "cq_");
    if (qid == NULL)
        return DB_ERROR;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET quality = JSON_MERGE_PATCH(COALESCE(quality, '{}'), ?)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(u->quality_json), DB_STR(u->id), DB_STR(tid)), NULL);
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "INSERT INTO call_quality (id, tenant_id, call_id, latency_ms, jitter_ms,"
                     " packet_loss, mos) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     DB_PARAMS(DB_STR(qid), DB_STR(tid), DB_STR(u->id), q_param(&u->q[Q_LATENCY]),
                               q_param(&u->q[Q_JITTER]), q_param(&u->q[Q_LOSS]),
                               q_param(&u->q[Q_MOS])),
                     NULL);
    if (rc != DB_OK)
        return rc;
    struct json_object *p = NULL;
    if (json_parse_object(u->quality_json, strlen(u->quality_json), &p) != 0 ||
        json_set_str(p, "call_id", u->id) != 0) {
        json_object_put(p);
        return DB_ERROR;
    }
    return call_emit(r, "call.quality", u->id, p);
}

static int update_status(struct request *r, struct update *u, const struct db_result *old)
{
    const char *from = db_get(old, 0, "status"), *to = u->v[U_STATUS].s;
    if (strcmp(from, to) == 0)
        return DB_OK;
    if (!outbound_move_ok(from, to)) {
        const char *msg = arena_printf(r->arena, "A call cannot move from %s to %s", from, to);
        return txn_fail(r, 409, "invalid_transition", msg ? msg : "Invalid status change");
    }
    bool first = strcmp(to, "connected") == 0 && db_get(old, 0, "answer_time") == NULL;
    int rc = db_exec(r->db, r->arena,
                     "UPDATE calls SET status = ?, answer_time = IF(?, NOW(3), answer_time)"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(to), DB_INT(first), DB_STR(u->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    if (rc != DB_OK || !first)
        return rc;
    struct json_object *p = json_object_new_object();
    if (json_set_str(p, "call_id", u->id) || json_set_str(p, "status", to) ||
        json_set_str(p, "previous_status", from)) {
        json_object_put(p);
        return DB_ERROR;
    }
    return call_emit(r, "call.connected", u->id, p);
}

static int update_step(struct request *r, void *arg)
{
    struct update *u = arg;
    struct db_result *old;
    int rc = db_exec(r->db, r->arena,
                     "SELECT status, answer_time FROM calls WHERE id = ? AND tenant_id = ?"
                     " FOR UPDATE",
                     DB_PARAMS(DB_STR(u->id), DB_STR(r->auth.tenant_id)), &old);
    if (rc != DB_OK)
        return rc;
    if (old->nrows == 0)
        return txn_fail(r, 404, "not_found", "Call not found");
    if (!outbound_is_live(db_get(old, 0, "status")))
        return txn_fail(r, 409, "call_ended", "The call is not in progress");
    if (u->v[U_STATUS].sent)
        rc = update_status(r, u, old);
    if (rc == DB_OK && u->quality_json != NULL)
        rc = update_quality(r, u);
    if (rc == DB_OK && u->v[U_NOTES].sent)
        rc = db_exec(r->db, r->arena, "UPDATE calls SET notes = ? WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(u->v[U_NOTES].s), DB_STR(u->id),
                               DB_STR(r->auth.tenant_id)),
                     NULL);
    return rc == DB_OK ? answer_call(r, 200, u->id, NULL, "Call updated") : rc;
}

/* quality's members, read against their own declaration; the sent ones as a JSON patch. */
static int read_quality(struct request *r, struct update *u)
{
    struct json_object *q = NULL, *patch;
    const char *text = u->v[U_QUALITY].s;
    if (json_parse_object(text, strlen(text), &q) != 0)
        return request_error(r, 400, "invalid_json", "quality must be a JSON object");
    arena_json(r->arena, q);
    if (fields_read(r, q, quality_fields, Q_N, FIELDS_UPDATE, u->q) != 0)
        return -1;
    if ((patch = arena_json(r->arena, json_object_new_object())) == NULL)
        return request_oom(r);
    int rc = 0;
    for (size_t i = 0; i < Q_N; i++)
        if (u->q[i].sent)
            rc |= u->q[i].null ? json_set(patch, quality_fields[i].name, NULL)
                               : json_set_double(patch, quality_fields[i].name, u->q[i].d);
    if (rc != 0)
        return request_oom(r);
    u->quality_json = json_object_object_length(patch) ? json_text(patch, NULL) : NULL;
    return 0;
}

static int call_update(struct request *r)
{
    struct update u = {.id = request_param(r, "id")};
    if (fields_declared(r, FIELDS_UPDATE, u.v, U_N, NULL) != 0) {
        outbound_cold_names(r);
        return -1;
    }
    if (u.v[U_QUALITY].sent && !u.v[U_QUALITY].null && read_quality(r, &u) != 0)
        return -1;
    return txn_reply(r, txn_run(r, update_step, &u));
}

/* ---- the quality series and delete ------------------------------------------------------ */

static int call_quality(struct request *r)
{
    const char *id = request_param(r, "id");
    struct db_result *c, *res;
    int rc = db_exec(r->db, r->arena, "SELECT id FROM calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &c);
    if (rc == DB_OK && c->nrows == 0)
        return request_error(r, 404, "not_found", "Call not found");
    if (rc == DB_OK)
        rc = db_exec(r->db, r->arena,
                     "SELECT at, latency_ms AS latency, jitter_ms AS jitter, packet_loss, mos"
                     " FROM call_quality WHERE tenant_id = ? AND call_id = ? ORDER BY at, id"
                     " LIMIT 10000",
                     DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(id)), &res);
    if (rc != DB_OK)
        return request_db_error(r, rc);
    struct json_object *data = arena_json(r->arena, json_object_new_object());
    if (json_set_str(data, "call_id", id) != 0 || db_rows_attach(data, "series", res, NULL) != 0 ||
        json_set_int(data, "count", (long long)res->nrows) != 0)
        return request_oom(r);
    return reply_one(r, 200, NULL, data);
}

/* The CDR stays (billing history), and so do the aggregates the call added to. */
static int delete_step(struct request *r, void *arg)
{
    const char *id = arg;
    struct db_result *res;
    int rc = db_exec(r->db, r->arena,
                     "DELETE FROM calls WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(id), DB_STR(r->auth.tenant_id)), &res);
    if (rc != DB_OK)
        return rc;
    if (res->affected_rows == 0)
        return txn_fail(r, 404, "not_found", "Call not found");
    rc = audit_record(r, r->auth.tenant_id, "call.delete", "call", id, NULL);
    if (rc != DB_OK)
        return rc;
    calls_written(r);
    return reply_message(r, 200, "Call deleted successfully") == 0 ? DB_OK : DB_ERROR;
}

static int call_delete(struct request *r)
{
    return txn_reply(r, txn_run(r, delete_step, (void *)request_param(r, "id")));
}

static const struct route routes[] = {
    ROUTE("POST", "/api/calls/start", call_start, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Dial a number (do-not-call list, calling hours, attempts checked)",
          ROUTE_BODY(start_fields), .flags = ROUTE_IDEMPOTENT, .status = 201),
    ROUTE("PUT", "/api/calls/:id/update", call_update, ROLES_ANY, FAM_COLDCALLER,
          .summary = "Move a dialled call's status, report its quality, note it",
          ROUTE_BODY(update_fields)),
    ROUTE("GET", "/api/calls/:id/quality", call_quality, ROLES_ANY, FAM_COLDCALLER,
          .summary = "A call's quality reports over time"),
    ROUTE("DELETE", "/api/calls/:id", call_delete, ROLES_STAFF, FAM_COLDCALLER,
          .summary = "Delete a call and its quality series (its CDR stays)"),
};

ROUTE_GROUP(outbound_calls_routes, routes);
