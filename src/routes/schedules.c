/*
 * Opening hours of the caller's tenant (the callcenter family; issue 11): weekly hours and
 * holidays in an IANA zone (schedule.h reads them; a zone the system does not know, or
 * hours it could not read, are a 422 here, so a stored schedule always reads). Phone
 * numbers, queues and chat widgets follow a schedule; deleting one they use is a 409
 * (their FKs are RESTRICT). `status` answers whether it is open at an instant through
 * schedule_state(), whose `open` is schedule_is_open()'s: what routing, IVR and campaign
 * hours use. Any role reads; admins and managers write.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cdr_store.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "reply.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "schedule.h"

enum { S_NAME, S_DESC, S_TZ, S_HOURS, S_HOLIDAYS, S_ACTIVE };

/* holidays: dates ("2026-12-25"), the form schedule.h reads bare. */
static const struct field_def schedule_fields[] = {
    [S_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [S_DESC] = {"description", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
    [S_TZ] = {"timezone", FT_TEXT, 0, 1, 64, NULL, NULL, NULL},
    [S_HOURS] = {"hours", FT_OBJECT, F_NULLABLE, 0, 0, NULL, NULL, NULL},
    [S_HOLIDAYS] = {"holidays", FT_STRINGS, F_NULLABLE, 0, 366, NULL, NULL, NULL},
    [S_ACTIVE] = {"is_active", FT_BOOL, 0, 0, 0, NULL, NULL, NULL},
};

static const char *const schedule_columns_of[] = {
    [S_NAME] = "name",   [S_DESC] = "description",   [S_TZ] = "timezone",
    [S_HOURS] = "hours", [S_HOLIDAYS] = "holidays", [S_ACTIVE] = "is_active",
};

static const char *const schedule_json_cols[] = {"hours", "holidays", NULL};

static const struct filter_def schedule_filters[] = {
    {"is_active", FILTER_BOOL, " AND is_active = ?", NULL, NULL},
    {"search", FILTER_LIKE, " AND name LIKE ? ESCAPE '\\\\'", NULL, NULL},
};

static const struct sort_def schedule_sorts[] = {
    {"name", "name"},
    {"created_at", "created_at"},
    {NULL, NULL},
};

static const struct resource_writes schedule_writes;

static const struct resource schedules = {
    .table = "schedules",
    .columns = "id, name, description, timezone, hours, holidays, is_active, created_at,"
               " updated_at",
    .tenant_col = "tenant_id",
    .json_cols = schedule_json_cols,
    .id_prefix = "sch_",
    RESOURCE_NAMES("schedule", "schedules", "Schedule not found"),
    .order = "name, id",
    RESOURCE_FILTERS(schedule_filters),
    .sorts = schedule_sorts,
    RESOURCE_FIELDS(schedule_fields, schedule_columns_of),
    .writes = &schedule_writes,
};

/* What schedule.h could not read is refused before it is stored. */
static int schedule_prepare(struct request *r, struct crud_write *w)
{
    const struct field_value *v = w->v;
    struct tm tm;
    if (w->op == CRUD_DELETE)
        return 0;
    if (v[S_TZ].sent && schedule_local_time(v[S_TZ].s, time(NULL), &tm) != 0)
        request_field_error(r, "timezone", "must be an IANA time zone (e.g. Europe/Paris)");
    if (v[S_HOURS].sent && schedule_invalid(v[S_HOURS].s, NULL) != NULL)
        request_field_error(r, "hours",
                            "must map mon…sun to lists of {\"open\":\"HH:MM\",\"close\":\"HH:MM\"}");
    if (v[S_HOLIDAYS].sent && schedule_invalid(NULL, v[S_HOLIDAYS].s) != NULL)
        request_field_error(r, "holidays", "must be a list of dates (YYYY-MM-DD)");
    return request_check_fields(r);
}

static const char *const schedule_delete_details[] = {"name", "timezone", NULL};

static const struct resource_writes schedule_writes = {
    .prepare = schedule_prepare,
    .duplicate = "A schedule with this name already exists",
    .referenced = "This schedule is in use by a phone number, a queue, a chat widget or a campaign",
    .deleted = "Schedule deleted successfully",
    .delete_details = schedule_delete_details,
};

/* A Unix time as "YYYY-MM-DDTHH:MM:SSZ" (arena); NULL when out of memory. */
static const char *iso_utc(struct request *r, time_t t)
{
    struct tm tm;
    char buf[32];
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return NULL;
    return arena_strdup(r->arena, buf);
}

/* ?at= (an ISO 8601 time; default now) into *at; -1 once the 422 is answered. */
static int query_at(struct request *r, time_t *at)
{
    const char *q = request_query(r, "at");
    long long t;
    bool date_only;
    *at = time(NULL);
    if (q == NULL || *q == '\0')
        return 0;
    if (cdr_parse_time(q, &t, &date_only) != 0) {
        request_field_error(r, "at", "must be an ISO 8601 time");
        return request_check_fields(r);
    }
    *at = (time_t)t;
    return 0;
}

static const char *const state_names[] = {"closed", "open", "holiday"};

static int schedule_status_get(struct request *r)
{
    time_t at, next;
    struct db_result *row;
    if (query_at(r, &at) != 0)
        return -1;
    int rc = db_exec(r->db, r->arena,
                     "SELECT id, timezone, hours, holidays, is_active FROM schedules"
                     " WHERE id = ? AND tenant_id = ?",
                     DB_PARAMS(DB_STR(request_param(r, "id")), DB_STR(r->auth.tenant_id)), &row);
    if (rc == DB_OK && row->nrows == 0)
        rc = 1;
    if (rc != DB_OK)
        return request_reply_found(r, 200, rc, "status", NULL, schedules.not_found);
    enum schedule_state s = schedule_state(db_get(row, 0, "hours"), db_get(row, 0, "holidays"),
                                           db_get(row, 0, "timezone"), at, &next);
    if (s == SCHEDULE_STATE_ERROR)
        return request_error(r, 500, "internal_error", "The schedule cannot be read");
    struct json_object *o = arena_json(r->arena, json_object_new_object());
    const char *at_s = iso_utc(r, at), *next_s = next ? iso_utc(r, next) : NULL;
    if (o == NULL || at_s == NULL || (next && next_s == NULL) ||
        json_set_str(o, "schedule_id", db_get(row, 0, "id")) ||
        json_set_str(o, "timezone", db_get(row, 0, "timezone")) || json_set_str(o, "at", at_s) ||
        json_set_bool(o, "open", s == SCHEDULE_STATE_OPEN) ||
        json_set_str(o, "state", state_names[s]) ||
        json_set_bool(o, "is_active", db_get_int(row, 0, "is_active", 1) != 0) ||
        (next_s != NULL && json_set_str(o, "next_change", next_s)))
        return request_oom(r);
    return reply_one(r, 200, "status", o);
}

static const struct route routes[] = {
    CRUD_ROUTES("/api/schedules", &schedules, schedule_fields, ROLES_ANY, ROLES_STAFF,
                FAM_CALLCENTER, CRUD_NAMES("a", "schedule", "schedules")),
    ROUTE("GET", "/api/schedules/:id/status", schedule_status_get, ROLES_ANY, FAM_CALLCENTER,
          .summary = "Whether a schedule is open now (or ?at=, ISO 8601) and when that changes",
          .key = "status"),
};

ROUTE_GROUP(schedules_routes, routes);
