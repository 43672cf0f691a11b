/*
 * Campaigns of the caller's tenant (issue 10, coldcaller family): a dialing list's rules.
 * Calling hours are local "HH:MM" times in time_zone (NULL: the tenant's) on calling_days;
 * max_attempts and retry_delay_minutes pace the retries; dispositions are the set an agent
 * picks from when ending a call ({code, label, outcome, callback_minutes?, final?}; NULL:
 * the default set). Names are unique in a tenant (409). A campaign that still has leads is
 * not deleted (409): its leads would lose their calling rules silently; move or delete
 * them first. Agents read; managers and admins write.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "crud.h"
#include "db.h"
#include "jsonutil.h"
#include "lead_store.h"
#include "request.h"
#include "resource.h"
#include "routes.h"
#include "schedule.h"
#include "txn.h"

static const char *const campaign_statuses[] = {"draft", "active", "paused", "completed", NULL};

enum { K_NAME, K_DESC, K_STATUS, K_START, K_END, K_DAYS, K_ZONE, K_ATTEMPTS, K_RETRY,
       K_SCHEDULE, K_NFIELDS };

static const struct field_def campaign_fields[] = {
    [K_NAME] = {"name", FT_TEXT, F_REQUIRED, 1, 255, NULL, NULL, NULL},
    [K_DESC] = {"description", FT_TEXT, F_NULLABLE, 0, 16000, NULL, NULL, NULL},
    [K_STATUS] = {"status", FT_ENUM, 0, 0, 0, campaign_statuses, NULL, NULL},
    [K_START] = {"calling_hours_start", FT_TEXT, 0, 5, 5, NULL, NULL, NULL},
    [K_END] = {"calling_hours_end", FT_TEXT, 0, 5, 5, NULL, NULL, NULL},
    [K_DAYS] = {"calling_days", FT_STRINGS, 0, 1, 7, NULL, NULL, NULL},
    [K_ZONE] = {"time_zone", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
    [K_ATTEMPTS] = {"max_attempts", FT_INT, 0, 1, 100, NULL, NULL, NULL},
    [K_RETRY] = {"retry_delay_minutes", FT_INT, 0, 0, 43200, NULL, NULL, NULL},
    [K_SCHEDULE] = {"schedule_id", FT_TEXT, F_NULLABLE, 1, 64, NULL, NULL, NULL},
};

static const char *const campaign_columns_of[] = {
    "name",      "description",  "status",       "calling_hours_start", "calling_hours_end",
    "calling_days", "time_zone", "max_attempts", "retry_delay_minutes", "schedule_id"};
static const char *const campaign_json_cols[] = {"calling_days", "dispositions", NULL};

static const struct filter_def campaign_filters[] = {
    {"status", FILTER_ENUM, " AND status = ?", campaign_statuses, NULL},
    {"search", FILTER_LIKE, " AND (name LIKE ? ESCAPE '\\\\' OR description LIKE ? ESCAPE '\\\\')",
     NULL, NULL},
};

static const struct resource_writes campaign_writes;

static const struct resource campaigns = {
    .table = "campaigns",
    .columns = "id, name, description, status,"
               " TIME_FORMAT(calling_hours_start, '%H:%i') AS calling_hours_start,"
               " TIME_FORMAT(calling_hours_end, '%H:%i') AS calling_hours_end,"
               " CONCAT('[\"', REPLACE(calling_days, ',', '\",\"'), '\"]') AS calling_days,"
               " time_zone, max_attempts, retry_delay_minutes, schedule_id, dispositions,"
               " (SELECT COUNT(*) FROM contacts l WHERE l.tenant_id = campaigns.tenant_id"
               " AND l.campaign_id = campaigns.id) AS lead_count,"
               " created_by, created_at, updated_at",
    .tenant_col = "tenant_id",
    .json_cols = campaign_json_cols,
    .id_prefix = "camp_",
    RESOURCE_NAMES("campaign", "campaigns", "Campaign not found"),
    .order = "name, id",
    RESOURCE_FILTERS(campaign_filters),
    RESOURCE_FIELDS(campaign_fields, campaign_columns_of),
    .default_limit = 20,
    .writes = &campaign_writes,
};

/* ---- what the declarations cannot say ------------------------------------------------- */

/* The body's calling_days (JSON text of 1..7 strings) as a SET value "mon,tue"; NULL (a
 * reason recorded) when a day is no day or comes twice. Days: mon…sun, or their names. */
static const char *days_set(struct request *r, const char *json)
{
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    static const char *const names[] = {"monday", "tuesday", "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};
    struct json_object *arr = NULL;
    bool seen[7] = {false};
    if (json_parse_value(json, strlen(json), &arr) != 0 || arr == NULL)
        return NULL;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
        int d = -1;
        for (int k = 0; k < 7 && d < 0; k++)
            if (strcasecmp(s, days[k]) == 0 || strcasecmp(s, names[k]) == 0)
                d = k;
        if (d < 0 || seen[d]) {
            json_object_put(arr);
            request_field_error(r, "callingDays", "must list distinct days: mon … sun");
            return NULL;
        }
        seen[d] = true;
    }
    json_object_put(arr);
    char set[32] = "";
    for (int k = 0; k < 7; k++)
        if (seen[k]) {
            if (set[0] != '\0')
                strcat(set, ",");
            strcat(set, days[k]);
        }
    return arena_strdup(r->arena, set);
}

#define DISPOSITIONS_MAX 50

/* One disposition checked and copied in our names (snake_case); NULL with a reason. */
static struct json_object *disposition_of(struct json_object *d, const char **why)
{
    struct json_object *code, *label, *outcome, *mins = NULL, *fin = NULL;
    *why = "must be objects with code, label and outcome (texts)";
    if (!json_object_is_type(d, json_type_object) ||
        !json_object_object_get_ex(d, "code", &code) ||
        !json_object_object_get_ex(d, "label", &label) ||
        !json_object_object_get_ex(d, "outcome", &outcome) ||
        !json_object_is_type(code, json_type_string) || !json_object_is_type(label, json_type_string) ||
        !json_object_is_type(outcome, json_type_string) || json_object_get_string_len(code) == 0 ||
        json_object_get_string_len(code) > 64 || json_object_get_string_len(label) == 0 ||
        json_object_get_string_len(label) > 255 || json_object_get_string_len(outcome) == 0 ||
        json_object_get_string_len(outcome) > 64)
        return NULL;
    if (!json_object_object_get_ex(d, "callback_minutes", &mins))
        json_object_object_get_ex(d, "callbackMinutes", &mins);
    json_object_object_get_ex(d, "final", &fin);
    *why = "callback_minutes must be a whole number of minutes (1 to 525600)";
    if (mins != NULL && (!json_object_is_type(mins, json_type_int) ||
                         json_object_get_int64(mins) < 1 || json_object_get_int64(mins) > 525600))
        return NULL;
    *why = "final must be true or false";
    if (fin != NULL && !json_object_is_type(fin, json_type_boolean))
        return NULL;
    struct json_object *o = json_object_new_object();
    int rc = json_set_str(o, "code", json_object_get_string(code)) |
             json_set_str(o, "label", json_object_get_string(label)) |
             json_set_str(o, "outcome", json_object_get_string(outcome));
    if (mins != NULL)
        rc |= json_set_int(o, "callback_minutes", json_object_get_int64(mins));
    rc |= json_set_bool(o, "final", fin != NULL && json_object_get_boolean(fin));
    return json_done(o, rc);
}

/* The body's dispositions, when sent: 1 with *out (JSON text, NULL for null), 0 unsent,
 * -1 with a reason recorded. Codes are unique within the set. */
static int dispositions_read(struct request *r, struct json_object *body, const char **out)
{
    struct json_object *in, *arr;
    const char *why = "must be a list of 1 to 50 dispositions";
    *out = NULL;
    if (body == NULL || !json_object_object_get_ex(body, "dispositions", &in))
        return 0;
    if (in == NULL)
        return 1;
    size_t n = json_object_is_type(in, json_type_array) ? json_object_array_length(in) : 0;
    if (n == 0 || n > DISPOSITIONS_MAX || (arr = arena_json(r->arena, json_object_new_array())) == NULL)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        struct json_object *d = disposition_of(json_object_array_get_idx(in, i), &why);
        if (d == NULL || json_object_array_add(arr, d) != 0) {
            json_object_put(d);
            goto bad;
        }
        const char *code = json_object_get_string(json_object_object_get(d, "code"));
        for (size_t k = 0; k < i; k++)
            if (strcmp(code, json_object_get_string(json_object_object_get(
                                 json_object_array_get_idx(arr, k), "code"))) == 0) {
                why = "codes must be unique";
                goto bad;
            }
    }
    *out = json_text(arr, NULL);
    return *out ? 1 : -1;
bad:
    request_field_error(r, "dispositions", why);
    return -1;
}

struct campaign_extra {
    const char *dispositions;
    bool dispositions_sent;
};

static int campaign_prepare(struct request *r, struct crud_write *w)
{
    if (w->op == CRUD_DELETE)
        return 0;
    struct field_value *v = w->v;
    struct campaign_extra *x = arena_calloc(r->arena, 1, sizeof(*x));
    if (x == NULL)
        return request_oom(r);
    w->data = x;
    x->dispositions_sent = dispositions_read(r, w->body, &x->dispositions) == 1;
    if (v[K_START].s != NULL && (schedule_minutes(v[K_START].s) < 0 ||
                                 schedule_minutes(v[K_START].s) >= 24 * 60))
        request_field_error(r, "callingHoursStart", "must be a time HH:MM (00:00 to 23:59)");
    if (v[K_END].s != NULL && schedule_minutes(v[K_END].s) < 0)
        request_field_error(r, "callingHoursEnd", "must be a time HH:MM (00:00 to 24:00)");
    if (v[K_DAYS].s != NULL && (v[K_DAYS].s = days_set(r, v[K_DAYS].s)) == NULL)
        request_field_error(r, "callingDays", "must list distinct days: mon … sun");
    if (v[K_ZONE].s != NULL && !lead_store_zone_known(v[K_ZONE].s))
        request_field_error(r, "timeZone", "Unknown time zone (an IANA name like Europe/Paris)");
    return request_check_fields(r);
}

/* "HH:MM" or the row's "HH:MM:SS" as minutes. */
static int minutes_of(const char *s)
{
    char hhmm[6];
    if (s == NULL || strlen(s) < 5)
        return -1;
    memcpy(hhmm, s, 5);
    hhmm[5] = '\0';
    return schedule_minutes(hhmm);
}

/* The hours as they will be: start before end; a schedule is the tenant's. A campaign with
 * leads is not deleted. */
static int campaign_check(struct request *r, struct crud_write *w)
{
    struct db_result *res;
    if (w->op == CRUD_DELETE) {
        int rc = db_exec(r->db, r->arena,
                         "SELECT COUNT(*) AS n FROM contacts WHERE tenant_id = ?"
                         " AND campaign_id = ?",
                         DB_PARAMS(DB_STR(r->auth.tenant_id), DB_STR(w->id)), &res);
        if (rc == DB_OK && db_get_int(res, 0, "n", 0) > 0)
            return txn_fail(r, 409, "conflict",
                            "This campaign has leads; move or delete them first");
        return rc;
    }
    const struct field_value *v = w->v;
    int start = minutes_of(v[K_START].s ? v[K_START].s
                           : w->old ? db_get(w->old, 0, "calling_hours_start") : "09:00");
    int end = minutes_of(v[K_END].s ? v[K_END].s
                         : w->old ? db_get(w->old, 0, "calling_hours_end") : "21:00");
    if (start >= end) {
        request_field_error(r, "callingHoursEnd", "must be after callingHoursStart");
        request_check_fields(r);
        return TXN_ANSWERED;
    }
    if (v[K_SCHEDULE].sent && v[K_SCHEDULE].s != NULL)
        return crud_refer(r,
                          "SELECT id FROM schedules WHERE id = ? AND tenant_id = ?"
                          " LOCK IN SHARE MODE",
                          v[K_SCHEDULE].s, "scheduleId", "must be a schedule of this tenant");
    return DB_OK;
}

static int campaign_write(struct request *r, struct crud_write *w)
{
    struct campaign_extra *x = w->data;
    struct column_value extra[] = {
        {"dispositions", DB_STR(x ? x->dispositions : NULL)},
        {"created_by", DB_STR(r->auth.user_id)},
    };
    size_t n = x != NULL && x->dispositions_sent ? 1 : 0;
    switch (w->op) {
    case CRUD_CREATE:
        if (n == 0)
            extra[0] = extra[1];
        return resource_insert(r, &campaigns, w->id, w->v, extra, n + 1);
    case CRUD_UPDATE:
        return resource_update(r, &campaigns, w->id, w->v, extra, n);
    default:
        return resource_remove(r, &campaigns, w->id);
    }
}

static const char *const campaign_delete_details[] = {"name", NULL};

static const struct resource_writes campaign_writes = {
    .prepare = campaign_prepare,
    .check = campaign_check,
    .write = campaign_write,
    .duplicate = "A campaign with this name already exists",
    .deleted = "Campaign deleted successfully",
    .delete_details = campaign_delete_details,
};

static const struct route routes[] = {
    CRUD_ROUTES("/api/campaigns", &campaigns, campaign_fields, ROLES_ANY, ROLES_STAFF,
                FAM_COLDCALLER, CRUD_NAMES("a", "campaign", "campaigns")),
};

ROUTE_GROUP(campaigns_routes, routes);
